"""A board study (``fig4c``, ``fig4ab``, ``regression16``) on the board at chosen p and length.

``coupled reproduce fig4c --engine circuit`` runs the paper's six p values at steps x p = 2000;
on a shared 2-core machine that takes hours. This script runs the same computation
(:func:`coupled.reproduction.fig4board.compute`, :func:`coupled.reproduction.board16.compute`)
for a subset, e.g. the README's runs::

    python scripts/board_subset.py fig4c --p 0.2,1 --steps-x-p 500 --seed 77 --workers 2 \\
        --out results/fig4c-circuit-s77-p02-1-sxp500
    python scripts/board_subset.py regression16 --p 0.2,1 --steps-x-p 500 --tasks 10 \\
        --seed 77 --workers 2 --out results/regression16-circuit-s77-p02-1-sxp500

and writes the same tables as ``coupled reproduce`` plus ``<figure>.json`` (parameters,
training configuration, seed, engine, version, wall time, summary lines).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from coupled.core.io import prepare_out_dir, write_json, write_table
from coupled.reproduction import board16, fig4, fig4ab, fig4board
from coupled.reproduction.base import Setup, meta


def main() -> None:
    """Parse the options, run, write, print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figure", choices=("fig4c", "fig4ab", "regression16"))
    parser.add_argument("--p", required=True, help="comma-separated p values, e.g. 0.2,1")
    parser.add_argument("--steps-x-p", type=int, default=2000)
    parser.add_argument("--tasks", type=int, default=25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--engine", default="circuit", choices=("circuit", "ideal"))
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    ps = tuple(float(x) for x in args.p.split(","))
    setup = Setup(engine=args.engine, seed=args.seed, workers=args.workers, progress=True)
    started = time.perf_counter()
    if args.figure == "fig4c":
        prm = replace(
            fig4.params("fig4c", False), p_values=ps, steps_x_p=args.steps_x_p, tasks=args.tasks
        )
        result = fig4board.compute(
            "fig4c", prm, setup, lambda q, s, p: fig4.config(q, s, p, q.outputs[0])
        )
    elif args.figure == "fig4ab":
        prm = replace(
            fig4ab.params("fig4ab", False), p_values=ps, steps_x_p=args.steps_x_p, tasks=args.tasks
        )
        fig4ab.check("fig4ab", prm, setup)
        result = fig4ab.compute("fig4ab", prm, setup)
    else:
        prm = replace(
            board16.params(args.figure, False),
            p_values=ps,
            steps_x_p=args.steps_x_p,
            tasks=args.tasks,
        )
        board16.check(args.figure, prm, setup)
        result = board16.compute(args.figure, prm, setup)
    wall = time.perf_counter() - started
    out = Path(args.out)
    prepare_out_dir(out, overwrite=True)
    for name, table in result.tables.items():
        write_table(out / name, table)
    info = {**meta(result, setup), "wall_time_s": wall, "workers": args.workers}
    for name, document in result.documents.items():
        write_json(out / name, {**document, "meta": info})
    write_json(out / f"{args.figure}.json", {**info, "summary": list(result.summary)})
    print("\n".join(result.summary))


if __name__ == "__main__":
    main()
