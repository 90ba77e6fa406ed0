"""``coupled plot RUN_DIR [RUN_DIR ...] --out FILE``: one figure of one's own training runs.

Scaled test error against step and against steps x p for every run, and the taps or
resistances of recorded edges (runs trained with ``--record-resistance-every``). Drawn by
:func:`analysis.training.plot_training`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from coupled.core.errors import UserError
from coupled.core.io import check_out_file


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``plot`` subcommand."""
    parser = subparsers.add_parser(
        "plot",
        help="plot training runs: error against step and steps x p, recorded resistances",
        description="Overlay the training runs in RUN_DIR folders (written by coupled train "
        "--out) in one PNG.",
    )
    parser.add_argument("runs", nargs="+", metavar="RUN_DIR", help="folders of coupled train")
    parser.add_argument("--out", required=True, metavar="FILE", help="PNG file to write")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing FILE")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check the folders and the file, then draw."""
    from analysis.training import load_run, plot_training

    folders = [Path(r) for r in args.runs]
    for folder in folders:
        if not folder.is_dir():
            raise UserError(f"plot: {folder}: no such folder (give folders of coupled train --out)")
        load_run(folder)
    out = Path(args.out)
    if out.suffix.lower() != ".png":
        raise UserError(f"--out {out}: must end in .png")
    check_out_file(out)
    if out.exists() and not args.overwrite:
        raise UserError(f"--out {out}: exists; use --overwrite to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    print(plot_training(folders, out))
    return 0
