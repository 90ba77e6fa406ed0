"""``coupled check-board``: electrical rule check and power budget of a network's board.

``coupled check-board --network NET [--sense-gain G] [--input-max-v V] [--tolerance X]
[--seed S] [--supply-v V] [--corners [V,V,V]] --out DIR`` solves the board ``coupled train``
would build (decision path, one operating point per training example,
:mod:`coupled.calibration.erc`) and writes ``erc.csv``
(``part``, ``pin``, ``quantity``, ``value``, ``limit_min``, ``limit_max``, ``unit``, ``ok``),
``power.csv`` and ``check_board.json`` (configuration, seed, version, the summary and its
digest: rows checked, worst margin, power per rail and part class; :mod:`coupled.calibration.
erc_files`). Exit status 0 when every
row is ok, 1 otherwise; the last stdout line is the one-line summary naming the worst
violation. ``--corners`` also runs the ERC and a short training of the board twin at each supply
(default ``--supply-v`` x 0.9, 1, 1.1; :mod:`coupled.calibration.corners`), writes
``corner_<V>V/`` (the same three files) and ``corners.csv`` (``corner``, ``supply_v``,
``erc_ok``, ``erc_violations``, ``erc_summary``, ``final_scaled_error``, ``steps``, ``tasks``)
and prints one line per corner; the exit status is then 1 if any corner fails its ERC. Bad input
exits with status 2 before anything is written. A check of the same board found in the on-disk
cache (``COUPLED_CACHE_DIR``) is reused, and stderr says so.
"""

from __future__ import annotations

import argparse
import sys

from coupled.cli.parts import add_part_option, parts_of
from coupled.core import options
from coupled.physics.catalogue import BUILTIN_NETWORKS


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``check-board`` subcommand."""
    parser = subparsers.add_parser(
        "check-board",
        help="electrical rule check (datasheet limits) and power budget of a network's board",
        description=(
            "Solve the learning board of a network in ngspice over a few training examples and "
            "check every part's pins against its datasheet limits; write erc.csv and power.csv."
        ),
    )
    parser.add_argument(
        "--network",
        required=True,
        metavar="NAME|PATH",
        help=f"built-in network ({', '.join(BUILTIN_NETWORKS)}) or a network file",
    )
    parser.add_argument(
        "--sense-gain",
        dest="sense_gain",
        type=float,
        default=None,
        metavar="G",
        help="gain of the sense stages, 1 to 1000 (default: train's)",
    )
    parser.add_argument(
        "--input-max-v",
        dest="input_max_v",
        type=float,
        default=None,
        metavar="V",
        help="inputs uniform from 0 to V volts (default: train's, 5)",
    )
    parser.add_argument(
        "--tolerance",
        type=options.fraction,
        default=0.05,
        help="relative spread of the parts, below 0.5 (default 0.05)",
    )
    parser.add_argument(
        "--seed", type=options.nonnegative_int, default=0, help="seed of parts and task (0)"
    )
    parser.add_argument(
        "--supply-v",
        dest="supply_v",
        type=float,
        default=5.0,
        metavar="V",
        help="the board's single supply, volts (default 5.0)",
    )
    parser.add_argument(
        "--corners",
        nargs="?",
        const="default",
        default=None,
        metavar="V,V,V",
        help="also check and briefly train the board at these supplies (default when given "
        "without a value: --supply-v x 0.9, 1, 1.1, e.g. 4.5,5,5.5 V); writes corners.csv and "
        "one folder per corner",
    )
    parser.add_argument(
        "--corner-steps",
        dest="corner_steps",
        type=options.positive_int,
        default=400,
        metavar="N",
        help="training steps per corner (board twin, 4 allostery tasks, p = 0.5; default 400)",
    )
    add_part_option(parser)
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check, write, print the summary; 0 when every row (of every corner) is ok, else 1."""
    from coupled.calibration.erc import check_board
    from coupled.calibration.erc_files import write_check
    from coupled.core.options import check_range
    from coupled.engines.board.options import SUPPLY_LIMITS_V

    check_range("supply_v", args.supply_v, *SUPPLY_LIMITS_V)
    corners = None
    if args.corners is not None:
        from coupled.calibration.corners import parse_corners

        text = None if args.corners == "default" else args.corners
        corners = parse_corners(text, args.supply_v)
    result = check_board(
        args.network,
        sense_gain=args.sense_gain,
        input_max_v=args.input_max_v,
        tolerance=args.tolerance,
        seed=args.seed,
        log=lambda text: print(f"check-board: {text}", file=sys.stderr, flush=True),
        supply_v=args.supply_v,
        parts=parts_of(args),
    )
    out = write_check(result, args.out, args.seed)
    if result.cached:
        print("check-board: cached check of this board used (no ngspice run)", file=sys.stderr)
    print(f"wrote {out / 'erc.csv'}, {out / 'power.csv'}")
    print(result.summary)
    if corners is None:
        return 0 if result.ok else 1
    return _corners(args, corners, out, result.ok)


def _corners(args: argparse.Namespace, corners: list[float], out, nominal_ok: bool) -> int:
    """Run, write and print the supply corners; the exit status of the whole check."""
    import sys

    from coupled.calibration.corners import corner_table, supply_corners
    from coupled.calibration.erc_files import write_check
    from coupled.core.io import write_table

    def log(text: str) -> None:
        print(f"check-board: {text}", file=sys.stderr)

    results = supply_corners(
        args.network,
        corners,
        supply_v=args.supply_v,
        tolerance=args.tolerance,
        seed=args.seed,
        sense_gain=args.sense_gain,
        input_max_v=args.input_max_v,
        steps=args.corner_steps,
        log=log,
    )
    for r in results:
        write_check(r.check, out / f"corner_{r.supply_v:g}V", args.seed)
    table = corner_table(results)
    write_table(out / "corners.csv", table)
    for row in table.itertuples():
        erc = "ERC ok" if row.erc_ok else f"ERC FAILS ({row.erc_violations} rows)"
        print(
            f"{row.corner} {row.supply_v:g} V: {erc}; final scaled error "
            f"{row.final_scaled_error:.3g} after {row.steps} steps ({row.tasks} tasks)"
        )
    print(f"wrote {out / 'corners.csv'}")
    return 0 if nominal_ok and bool(table["erc_ok"].all()) else 1
