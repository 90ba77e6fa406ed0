"""``coupled yield``: Monte Carlo yield of a board and its tolerance budget.

``coupled yield --network NET --boards N --out DIR [--task ...] [--tasks T] [--p P] [--steps S]
[--seed S] [--target-error E] [--parts datasheet|uniform] [--uniform-tolerance X] [--no-budget]
[--check-circuit K] [--executor serial|process|dask] [--workers W] [--resume] [--overwrite]``
draws N boards from the part classes' tolerance distributions
(:mod:`coupled.circuits.tolerances`, each with its source), trains each on the same task(s) on
its board twin (:mod:`coupled.sweep.yields`) and writes
``boards.csv`` (``board``, ``final_scaled_error``, ``learned``, ``worst_task_scaled_error``,
``initial_error_v2``, ``mean_p``), ``yield.json`` (``boards``, ``yield``, ``ci_low``,
``ci_high``, ``target_error``, the configuration, the tolerances, seed and version),
``budget.csv`` (``part_class``, ``change``, ``yield``, ``ci_low``, ``ci_high``, ``effect``: one
class ideal or doubled, ranked by effect) and ``yield.png`` (yield against each class's
tolerance). Finished chunks of boards sit in ``chunks/``: ``--resume`` continues a killed run.
"""

from __future__ import annotations

import argparse

from coupled.cli.parts import add_part_option, parts_of
from coupled.core import options
from coupled.physics.catalogue import BUILTIN_NETWORKS
from coupled.physics.tasks import TASK_KINDS


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``yield`` subcommand."""
    from coupled.sweep.yields import DEFAULT_TARGET_ERROR, TOLERANCE_SETS, YieldConfig

    d = YieldConfig()
    parser = subparsers.add_parser(
        "yield",
        help="Monte Carlo yield of a board from its parts' tolerances, and a tolerance budget",
        description=(
            "Draw boards from the parts' datasheet tolerances, train each on the board twin, "
            "report the share that learns (with a binomial interval) and which part class's "
            "tolerance matters most."
        ),
    )
    add = parser.add_argument
    add("--network", default=d.network, help=f"built-in ({', '.join(BUILTIN_NETWORKS)}) or file")
    add("--task", default=d.task, choices=TASK_KINDS, help=f"learning task (default {d.task})")
    add("--tasks", type=options.positive_int, default=d.tasks, help="tasks per board (4)")
    add("--p", type=options.probability, default=d.p, help="update probability (0.5)")
    add("--steps", type=options.positive_int, default=d.steps, help="training steps (1000)")
    add("--seed", type=options.nonnegative_int, default=d.seed, help="seed of tasks and boards")
    add("--boards", type=options.positive_int, default=d.boards, help="boards drawn (200)")
    add(
        "--target-error",
        dest="target_error",
        type=options.positive_float,
        default=DEFAULT_TARGET_ERROR,
        help="a board learns when its final scaled error (mean over its tasks) is at most "
        f"this (default {DEFAULT_TARGET_ERROR})",
    )
    add(
        "--parts",
        default=d.parts,
        choices=TOLERANCE_SETS,
        help="'datasheet': each class's datasheet tolerance; 'uniform': relative classes at "
        "+---uniform-tolerance (default datasheet)",
    )
    add(
        "--uniform-tolerance",
        dest="uniform_tolerance",
        type=options.fraction,
        default=d.uniform_tolerance,
        help="--parts uniform: relative spread of pots, resistors and capacitors (0.05)",
    )
    add_part_option(parser)
    add("--supply-v", dest="supply_v", type=float, default=d.supply_v, help="supply, volts (5.0)")
    add("--no-budget", dest="budget", action="store_false", help="only the nominal yield")
    add("--chunk", type=options.positive_int, default=d.chunk, help="boards per work item (50)")
    add(
        "--check-circuit",
        dest="check_circuit",
        type=options.nonnegative_int,
        default=0,
        metavar="K",
        help="retrain K random boards at circuit level and compare every decision with the "
        "twin's (circuit_check.csv; default 0)",
    )
    add(
        "--check-steps",
        dest="check_steps",
        type=options.positive_int,
        default=50,
        help="steps of each circuit-level check (50)",
    )
    add("--executor", default="serial", choices=("serial", "process", "dask"))
    add("--workers", type=options.positive_int, default=2, help="processes (process, dask)")
    add("--out", required=True, metavar="DIR", help="output folder")
    add("--resume", action="store_true", help="continue a killed study in --out")
    add("--overwrite", action="store_true", help="replace a non-empty --out")
    add("--progress", action=argparse.BooleanOptionalAction, default=None, help="progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Validate, run, write, draw, print the yield and the budget's top classes."""
    from pathlib import Path

    from coupled.analysis.yields import plot_yield
    from coupled.sweep.yields import YieldConfig, run_yield

    cfg = YieldConfig(
        network=args.network,
        task=args.task,
        tasks=args.tasks,
        p=args.p,
        steps=args.steps,
        seed=args.seed,
        boards=args.boards,
        target_error=args.target_error,
        parts=args.parts,
        uniform_tolerance=args.uniform_tolerance,
        supply_v=args.supply_v,
        budget=args.budget,
        chunk=args.chunk,
        board_parts=tuple(sorted(parts_of(args).items())),
    )
    cfg.validate()
    summary, _, budget = run_yield(
        cfg,
        args.out,
        executor=args.executor,
        workers=args.workers,
        resume=args.resume,
        overwrite=args.overwrite,
        progress=args.progress,
        check_boards=args.check_circuit,
        check_steps=args.check_steps,
    )
    plot_yield(summary, budget, cfg.tolerances(), Path(args.out) / "yield.png")
    print(
        f"yield {summary['yield']:.3f} ({summary['learned']} of {summary['boards']} boards reach "
        f"scaled error <= {summary['target_error']:g}; 95 % interval {summary['ci_low']:.3f}-"
        f"{summary['ci_high']:.3f})"
    )
    for row in budget.head(6).to_dict("records"):
        print(
            f"  {row['part_class']} {row['change']}: yield {row['yield']:.3f} "
            f"({row['ci_low']:.3f}-{row['ci_high']:.3f}), effect {row['effect']:+.3f}, median "
            f"error ratio {row['median_error_ratio']:.3g} ({row['ratio_ci_low']:.3g}-"
            f"{row['ratio_ci_high']:.3g})"
        )
    if "circuit_check" in summary:
        c = summary["circuit_check"]
        print(
            f"circuit check of boards {c['boards']} over {c['steps']} steps: decisions agree "
            f"with the twin on {c['min_direction_agreement']:.1%} (directions) and "
            f"{c['min_enable_agreement']:.1%} (enables) of edge-steps at worst"
        )
    print(f"wrote boards.csv, yield.json, budget.csv, yield.png to {args.out}")
    return 0
