"""``coupled plot RUN_DIR [RUN_DIR ...] --out FILE``: a figure of one's own training runs.

Overlays the runs in the given ``coupled train --out`` folders: scaled error against step and
against steps x p and, for runs that recorded them (``resistance_history.parquet``), the taps or
resistances of the recorded edges against step. Bad input (a folder without ``history.csv``, an
unsupported file type) exits with status 2 and writes nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``plot`` subcommand."""
    parser = subparsers.add_parser(
        "plot",
        help="figure of training runs: scaled error, taps or resistances against step",
        description=(
            "Draw one figure of the training runs in the given 'coupled train --out' folders: "
            "the scaled error (mean over tasks) against step and against steps x p, and the "
            "taps (or resistances) of the recorded edges against step for runs with "
            "resistance_history.parquet."
        ),
    )
    parser.add_argument(
        "run_dirs", nargs="+", metavar="RUN_DIR", help="folder written by 'coupled train --out'"
    )
    parser.add_argument(
        "--out", required=True, metavar="FILE", help="figure file to write (.png, .pdf or .svg)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check the folders, draw the figure and print its path."""
    from coupled.analysis.training import plot_training

    path = plot_training([Path(d) for d in args.run_dirs], Path(args.out))
    print(path)
    return 0
