"""``coupled demo``: the project's main job, a circuit-level training run of the 16-edge board.

``coupled demo --out DIR [--overwrite] [--engine circuit] [--steps N] [--p LIST] [--seed S]
[--input-max-v V] [--no-figures] [--calibration-events transient|phase] [--workers W]``

First, before DIR is created, the electrical rule check of ``coupled train --engine circuit``
(:func:`coupled.calibration.erc.check_board`) runs on the demo's board (the training runs'
network, task, voltages and sense gain; the calibration's parts, seed and tolerance); a board
that exceeds any part's rating is refused with its one-line summary (exit status 2, nothing
written). ``--input-max-v`` (default 5 V, the board's supply) is the demo task's largest input.

In DIR, in this order (``make demo`` runs ``coupled demo --out results/demo --overwrite``):

0. ``check-board/``: that check (``erc.csv``, ``power.csv``, ``check_board.json``), the piece the
   report shows as the board's ERC and power summary;
1. ``calibration/``: the quick calibration of the board (``coupled calibrate``: p against the
   global bias, correlation of update events at p = 0.5, effective comparator bias), the same
   piece ``coupled report --quick`` uses;
2. ``training/p_<p>/``: one training run per p (default 1, 0.5, 0.2) of the board's allosteric
   task (experiment16; inputs I1 I2, outputs O1 O2; discrete rule, 128 taps; ``--engine``,
   default ``circuit``), with every step's update events (``update_events.parquet``); the
   circuit engine trains the calibrated board (same seed, tolerance and trigger period) and
   sets the bias for p from ``calibration/calibration.json``;
3. ``report.html`` (+ ``report_claims.csv``, ``report.json``): ``coupled report --quick`` on
   DIR, with the training curves and the update-event raster of step 2 (``--no-figures``:
   without running the reproduced figures). Its pieces are reduced: a claim that a reduced
   piece does not show reads "not resolved at this size" with the command of the full run,
   never "contradicted" (:func:`coupled.reporting.claims.sized_verdict`);
4. ``demo.json``: config, seed, version, the ERC summary, wall time per stage.

Prints the report's path last. Every option is checked before DIR is created.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from coupled.cli.report import add_report_options, check_out, report_config
from coupled.core import options
from coupled.core.errors import SpiceError, UserError
from coupled.core.version import __version__

DEFAULT_ENGINE = "circuit"
DEFAULT_STEPS = 300
DEFAULT_P = (1.0, 0.5, 0.2)
DEFAULT_INPUT_MAX_V = 5.0


def p_list(text: str) -> tuple[float, ...]:
    """Comma-separated update probabilities, each in (0, 1] (argparse type)."""
    values = []
    for item in (part.strip() for part in text.split(",")):
        try:
            values.append(options.probability(item))
        except argparse.ArgumentTypeError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None  # names the item
    values = tuple(values)
    if not values:
        raise argparse.ArgumentTypeError(f"{text!r}: give at least one probability")
    if len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"{text!r}: a probability is repeated")
    return values


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="circuit-level training of the 16-edge board, its calibration and the report",
        description=(
            "Check the 16-edge learning board's parts against their ratings (refusing a board "
            "that fails), calibrate it, train it at circuit level at a few update "
            "probabilities with update events recorded, and write the quick report."
        ),
    )
    parser.add_argument(
        "--engine",
        default=DEFAULT_ENGINE,
        metavar="NAME",
        help=f"training back end (default {DEFAULT_ENGINE})",
    )
    parser.add_argument(
        "--steps",
        type=options.positive_int,
        default=DEFAULT_STEPS,
        help=f"training steps per run (default {DEFAULT_STEPS})",
    )
    parser.add_argument(
        "--p",
        type=p_list,
        default=DEFAULT_P,
        metavar="LIST",
        help="update probabilities, comma-separated (default "
        f"{','.join(f'{p:g}' for p in DEFAULT_P)})",
    )
    parser.add_argument(
        "--input-max-v",
        dest="input_max_v",
        type=options.positive_float,
        default=DEFAULT_INPUT_MAX_V,
        metavar="V",
        help=f"largest input of the demo's task in V (default {DEFAULT_INPUT_MAX_V:g}, the "
        "board's supply); the board must pass the electrical rule check",
    )
    parser.add_argument(
        "--figures",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the quick reproduced figures for the report (default; "
        "--no-figures: calibration and training only)",
    )
    add_report_options(parser, quick=False, workers=2)
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.set_defaults(func=run)


def train_configs(args: argparse.Namespace, config, calibration_json: Path) -> list:
    """The checked :class:`~coupled.training.TrainConfig` of every run (``UserError`` if bad).

    An engine that models the board (``circuit``) gets the calibrated board: the options
    ``calibration`` (path of ``calibration.json``), ``board_seed``, ``tolerance`` and
    ``trigger_period_s`` of the calibration piece, where it accepts them.
    """
    from coupled.engines import engine_class
    from coupled.training.config import TrainConfig

    accepted = engine_class(args.engine).options
    cal = config.calibration_config()
    board = {
        "calibration": str(calibration_json),
        "board_seed": cal.seed,
        "tolerance": cal.tolerance,
        "trigger_period_s": cal.trigger_period_s,
    }
    engine_options = {k: v for k, v in board.items() if k in accepted}
    configs = [
        TrainConfig(
            network="experiment16",
            task="allostery",
            inputs=2,
            outputs=2,
            grounds=0,
            roles="network",
            rule="discrete",
            engine=args.engine,
            p=p,
            steps=args.steps,
            seed=args.seed,
            input_max_v=args.input_max_v,
            log_every=max(1, args.steps // 100),
            checkpoint_every=0,
            record_events="parquet",
            engine_options=engine_options,
        )
        for p in args.p
    ]
    for config in configs:
        config.validate()
    return configs


def check_demo_board(configs: list, config):
    """The ERC of the demo's board (``BoardCheck``); ``UserError`` with its summary if it fails."""
    from coupled.calibration.erc import check_board

    cal = config.calibration_config()
    result = check_board(train_config=configs[0], tolerance=cal.tolerance, seed=cal.seed)
    if not result.ok:
        raise UserError(
            f"{result.summary}; the demo's board exceeds its parts' ratings, so it is not "
            "trained (lower --input-max-v)"
        )
    return result


def run(args: argparse.Namespace) -> int:
    """Validate, calibrate, train, report; prints the report's path."""
    from coupled.analysis.report import DRAWERS, report
    from coupled.calibration.erc_files import erc_digest, write_check
    from coupled.core.io import prepare_out_dir, write_json
    from coupled.reporting.pieces import (
        CALIBRATION,
        CHECK_BOARD,
        PIECES,
        TRAINING,
        YOUR_BOARD,
        ensure_piece,
    )
    from coupled.training.run import train

    args.quick = True
    config = report_config(args)
    out = check_out(args.out)
    configs = train_configs(args, config, out / CALIBRATION / "calibration.json")
    if out.is_dir() and any(out.iterdir()) and not args.overwrite:
        raise UserError(
            f"--out {out}: folder exists and is not empty; use --overwrite to replace it"
        )

    def log(text: str) -> None:
        print(f"demo: {text}", file=sys.stderr)

    started = time.perf_counter()
    checked = check_demo_board(configs, config)
    prepare_out_dir(out, overwrite=args.overwrite, resumable=False)
    log(checked.summary)
    write_check(checked, out / CHECK_BOARD, config.calibration_config().seed)
    if args.engine != DEFAULT_ENGINE:
        print(
            f"demo: engine {args.engine!r} instead of the circuit-level {DEFAULT_ENGINE!r}",
            file=sys.stderr,
        )

    costs: dict[str, float] = {"check_board_s": time.perf_counter() - started}
    t0 = time.perf_counter()
    calibration = ensure_piece(CALIBRATION, out, config, log, DRAWERS)
    costs["calibration_s"] = time.perf_counter() - t0
    if calibration.action == "failed" and "calibration" in configs[0].engine_options:
        raise SpiceError(
            f"calibration of the board failed, so it cannot be trained: {calibration.reason}"
        )
    for cfg in configs:
        t0 = time.perf_counter()
        log(f"training the board at p = {cfg.p:g} ({cfg.steps} steps, engine {cfg.engine})")
        result = train(cfg, out / TRAINING / f"p_{cfg.p:g}", progress=None)
        final = float(result.history["scaled_error"].iloc[-1])
        log(f"p = {cfg.p:g}: final scaled error {final:.3g} in {result.wall_time_s:.1f} s")
        costs[f"train_p_{cfg.p:g}_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    pieces = PIECES if args.figures else (CHECK_BOARD, YOUR_BOARD, CALIBRATION)
    page, failed = report(config, out, lambda text: log(f"report: {text}"), pieces=pieces)
    costs["report_s"] = time.perf_counter() - t0
    costs["total_s"] = time.perf_counter() - started
    write_json(
        out / "demo.json",
        {
            "config": {
                "engine": args.engine,
                "steps": args.steps,
                "p": list(args.p),
                "input_max_v": args.input_max_v,
                "report": config.to_dict(),
                "runs": [c.to_dict() for c in configs],
            },
            "seed": args.seed,
            "version": __version__,
            "check_board": {
                "summary": checked.summary,
                **erc_digest(checked.erc, checked.power),
            },
            "wall_time_s": costs,
        },
    )
    log(f"done in {costs['total_s']:.1f} s" + (f"; failed: {', '.join(failed)}" if failed else ""))
    print(page)
    return 1 if failed else 0
