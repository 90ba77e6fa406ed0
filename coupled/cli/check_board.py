"""``coupled check-board``: electrical rule check and power budget of a network's board.

``coupled check-board --network NET [--sense-gain G] [--input-max-v V] [--tolerance X]
[--seed S] --out DIR`` solves the board ``coupled train`` would build (decision path, one
operating point per training example, :mod:`coupled.calibration.erc`) and writes ``erc.csv``
(``part``, ``pin``, ``quantity``, ``value``, ``limit_min``, ``limit_max``, ``unit``, ``ok``),
``power.csv`` and ``check_board.json`` (configuration, seed, version, the summary and its
digest: rows checked, worst margin, power per rail and part class; :mod:`coupled.calibration.
erc_files`). Exit status 0 when every
row is ok, 1 otherwise; the last stdout line is the one-line summary naming the worst
violation. Bad input exits with status 2 before anything is written. A check of the same board
found in the on-disk cache (``COUPLED_CACHE_DIR``) is reused, and stderr says so.
"""

from __future__ import annotations

import argparse
import sys

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
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check, write, print the summary; 0 when every row is ok, else 1."""
    from coupled.calibration.erc import check_board
    from coupled.calibration.erc_files import write_check

    result = check_board(
        args.network,
        sense_gain=args.sense_gain,
        input_max_v=args.input_max_v,
        tolerance=args.tolerance,
        seed=args.seed,
        log=lambda text: print(f"check-board: {text}", file=sys.stderr, flush=True),
    )
    out = write_check(result, args.out, args.seed)
    if result.cached:
        print("check-board: cached check of this board used (no ngspice run)", file=sys.stderr)
    print(f"wrote {out / 'erc.csv'}, {out / 'power.csv'}")
    print(result.summary)
    return 0 if result.ok else 1
