"""``coupled report``: one self-contained HTML page of calibration, figures and the paper's claims.

``coupled report --out DIR [--quick] [--seed S] [--calibration-events transient|phase]
[--workers W]``

Looks in DIR for the pieces (``DIR/check-board``: the board's electrical rule check and power
budget; ``DIR/calibration``; ``DIR/fig1`` ... ``DIR/fig4e``, ``DIR/sense-gain``,
``DIR/temporal``; and training runs in ``DIR/training``), reuses those whose recorded config
matches, runs the missing ones (``--quick``: the reduced versions) and writes:

``report.html``
    the page (figures embedded as base64 PNG; nothing loaded from elsewhere);
``report_claims.csv``
    one row per claim of the paper: ``claim``, ``figure``, ``paper_value``, ``measured_value``,
    ``agrees`` (yes / no / not measured), ``criterion``, with ``seed``, ``quick``, ``version``;
``report.json``
    config, seed, version, what was reused or run, the claims, summaries (``check_board``: ERC
    rows checked and violated, the worst margin, power per rail and part class, energy per
    step).

Existing content of DIR is kept (that is how pieces are reused). Prints the page's path. A
piece that fails is shown on the page with its error and the other pieces still run; the exit
status is then 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coupled.core import options
from coupled.core.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` subcommand."""
    parser = subparsers.add_parser(
        "report",
        help="one HTML page: calibration, reproduced figures and the paper's claims",
        description=(
            "Gather the board's electrical rule check, the calibration and every reproduced "
            "figure in --out (running the missing ones) and write report.html, "
            "report_claims.csv and report.json there."
        ),
    )
    add_report_options(parser)
    parser.add_argument("--out", required=True, metavar="DIR", help="report folder")
    parser.set_defaults(func=run)


def add_report_options(
    parser: argparse.ArgumentParser, *, quick: bool = True, workers: int = 1
) -> None:
    """Options shared with ``coupled demo``: [--quick], --seed, --calibration-events, --workers."""
    if quick:
        parser.add_argument(
            "--quick",
            action="store_true",
            help="run reduced versions of the missing pieces (seconds each)",
        )
    parser.add_argument(
        "--seed",
        type=options.nonnegative_int,
        default=0,
        help="seed of the board's parts and of the figures' tasks (default 0)",
    )
    parser.add_argument(
        "--calibration-events",
        choices=("transient", "phase", "periodic"),
        default=None,
        help="calibration by ngspice transients of the oscillators over every trigger "
        "(default), by a 12-period transient of each repeated at its simulated period "
        "('periodic', seconds; the default with --quick and in the demo) or by their analytic "
        "phase model (fast)",
    )
    parser.add_argument(
        "--workers",
        type=options.positive_int,
        default=workers,
        help=f"processes a piece may use (default {workers})",
    )


def report_config(args: argparse.Namespace):
    """The :class:`~coupled.reporting.data.ReportConfig` of parsed options."""
    from coupled.reporting.pieces import ReportConfig

    return ReportConfig(
        quick=bool(args.quick),
        seed=args.seed,
        calibration_events=args.calibration_events,
        workers=args.workers,
    )


def check_out(path: str | Path) -> Path:
    """``path`` as a folder that may exist (kept) or not; ``UserError`` if it is a file."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: exists and is not a folder")
    return out


def run(args: argparse.Namespace) -> int:
    """Validate, gather the pieces, write the report and print its path."""
    config = report_config(args)
    out = check_out(args.out)

    def log(text: str) -> None:
        print(f"report: {text}", file=sys.stderr)

    from coupled.analysis.report import report

    page, failed = report(config, out, log)
    print(page)
    return 1 if failed else 0
