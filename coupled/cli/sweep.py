"""``coupled sweep``: train every point of a grid of ``coupled train`` options.

``coupled sweep SPEC.toml [--executor serial|process|dask] [--workers N] [--scheduler ADDR]
[--max-runs-per-worker K] [--resume | --overwrite] [--progress/--no-progress] --out DIR``

SPEC has a ``[base]`` table of ``coupled train`` options (long names, underscores for dashes)
and a ``[grid]`` table of lists whose cartesian product is swept (:mod:`coupled.sweep.spec`).
The spec, every grid point and the executor options are checked before DIR is created: a bad
value exits with status 2, one line on stderr and nothing written. Results go to DIR
(:mod:`coupled.sweep`): ``results.parquet``/``.csv``, ``points/<hash>/``, ``sweep.json``.
Exit status 0 when every point finished, 1 when some failed (one summary line on stderr; their
rows say why), 2 for bad input.
"""

from __future__ import annotations

import argparse
import sys

EXIT_SOME_FAILED = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` subcommand."""
    parser = subparsers.add_parser(
        "sweep",
        help="train a grid of configurations (serial, process pool or Dask), resumable",
        description=(
            "Train every point of the cartesian product of the [grid] lists of a TOML spec, "
            "each with the [base] options of coupled train, one whole training run per unit of "
            "work, and write one tidy table (a row per point and task) with the histories per "
            "point beside it. Finished points are kept: rerun with --resume to compute only "
            "what is missing."
        ),
    )
    parser.add_argument("spec", metavar="SPEC.toml", help="sweep spec: [base] and [grid] tables")
    parser.add_argument(
        "--executor",
        choices=("serial", "process", "dask"),
        default="serial",
        help="serial: in this process (default); process: local process pool; dask: a local "
        "Dask cluster, or the one at --scheduler",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes for process and local dask (default: the available CPUs)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDR",
        help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (with --executor "
        "dask; see docs/scaling.md)",
    )
    parser.add_argument(
        "--max-runs-per-worker",
        type=int,
        default=None,
        metavar="K",
        help="process executor: replace each worker process after K runs (default: never)",
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the sweep in --out: compute only the points not yet on disk",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar over points on stderr (default: only on a terminal)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Validate, run the sweep, print a summary; returns the exit status."""
    from coupled.core.errors import UserError
    from coupled.sweep.executors import check_executor
    from coupled.sweep.run import run_sweep
    from coupled.sweep.spec import load_spec, plan_sweep

    if args.resume and args.overwrite:
        raise UserError("--resume and --overwrite exclude each other")
    executor = check_executor(args.executor, args.workers, args.scheduler, args.max_runs_per_worker)
    plan = plan_sweep(load_spec(args.spec))
    result = run_sweep(
        plan,
        args.out,
        executor=executor,
        resume=args.resume,
        overwrite=args.overwrite,
        progress=args.progress,
    )
    print(
        f"swept {result.n_points} point(s) on {executor.describe()}: computed "
        f"{result.n_computed}, reused {result.n_reused}, failed {result.n_failed} "
        f"in {result.wall_time_s:.1f} s; results in {result.out_dir}"
    )
    if result.n_failed:
        first = result.failures.iloc[0]
        print(
            f"coupled sweep: {result.n_failed} of {result.n_points} point(s) failed (first: "
            f"point {first['point']} {first['hash']}: {first['error']}); see the status and "
            f"error columns of {result.out_dir}/results.csv",
            file=sys.stderr,
        )
        return EXIT_SOME_FAILED
    return 0
