"""``coupled reproduce``: the paper's simulation figures and the board's studies, data and PNG.

``coupled reproduce FIGURE [--quick] [--engine NAME] [--seed S] [--workers N] [--overwrite]
--out DIR``, FIGURE one of the registry :data:`coupled.reproduction.base.FIGURES` (the paper's
fig1, fig2a, fig2b, fig4c, fig4d, fig4e and the studies sense-gain, gates, temporal, clockless;
``coupled --help`` and ``coupled reproduce --help`` list them from it).

Writes to DIR the figure's tidy data (``<figure>.csv`` and companions such as
``fig1_summary.csv`` or ``fig2a_fit.json``), ``<figure>.png`` and ``<figure>.json`` (parameters,
training config, seed, engine, version, wall time), then prints a short summary: the numbers
behind the figure and whether the paper's conclusion holds. ``--quick`` runs a reduced version in
under a minute; the default is the paper's size. Everything is validated before DIR is created;
a bad value exits with status 2 and one line on stderr. A non-empty DIR is refused unless
``--overwrite`` (a reproduction is not resumable: it keeps no checkpoint). See
:mod:`coupled.reproduction`.
"""

from __future__ import annotations

import argparse
import sys

from coupled.core import options
from coupled.reproduction.base import FIGURE_NAMES, FIGURES, reproduce


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``reproduce`` subcommand."""
    parser = subparsers.add_parser(
        "reproduce",
        help=f"reproduce a paper figure or a board study: {', '.join(FIGURE_NAMES)}",
        description="Reproduce one of the paper's simulation figures: "
        + "; ".join(f"{k}: {v[1]}" for k, v in FIGURES.items())
        + ".",
    )
    parser.add_argument("figure", choices=FIGURE_NAMES, help="which figure or study")
    parser.add_argument(
        "--quick", action="store_true", help="reduced size, under a minute (tests, CI)"
    )
    parser.add_argument(
        "--engine",
        default=None,
        metavar="NAME",
        help="training back end: ideal (exact numpy), spice, circuit (default: circuit for "
        "fig4a, fig4b, fig4ab and regression16, the board studies; else ideal)",
    )
    parser.add_argument(
        "--seed",
        type=options.nonnegative_int,
        default=0,
        help="seed of tasks, initial states and update draws (default: 0)",
    )
    parser.add_argument(
        "--workers",
        type=options.positive_int,
        default=1,
        help="processes for independent conditions; results do not depend on it (default: 1)",
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Compute and write the data (library), draw the figure (``analysis``), print the summary."""
    from coupled.analysis.figures import draw_figure

    result = reproduce(
        args.figure,
        args.out,
        quick=args.quick,
        engine=args.engine,
        seed=args.seed,
        workers=args.workers,
        overwrite=args.overwrite,
        progress=sys.stderr.isatty(),
        draw=draw_figure,
    )
    for line in result.summary:
        print(line)
    print(
        f"{args.figure}: {result.wall_time_s:.1f} s; wrote "
        + ", ".join(f.name for f in result.files)
        + f" to {args.out}"
    )
    return 0
