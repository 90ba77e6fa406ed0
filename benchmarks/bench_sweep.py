"""Wall time of a small sweep on each executor, and what the sweep machinery costs per point.

Usage::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_sweep.py [--steps 2000] [--workers 2]

(``--quick``: 200 steps per real point unless given, 24 one-step points instead of 48.)

Runs, in this one process and in this order:

1. serial, process pool and local Dask (``--workers``) on 48 one-step points and on 1 one-step
   point, which isolates each executor's fixed cost (pool or cluster start-up and shut-down) and
   its cost per point (task hand-off, writing the run in the worker and the point folder,
   building the table); first, so the process pool's forkserver starts cold; baseline: a
   one-step ``train()`` call;
2. 12 real points (4 update probabilities x 3 seeds, discrete rule, 16-edge network, ideal
   engine, 2 tasks, ``--steps`` steps) as a plain loop of ``train()`` calls (the baseline, ratio
   1) and as a sweep on each executor.

Prints wall times and ratios against the baseline measured in the same run, and the load
average (the machine may be shared: parallel speed-ups need idle cores).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from coupled.sweep.executors import check_executor  # noqa: E402
from coupled.sweep.run import run_sweep  # noqa: E402
from coupled.sweep.spec import SweepPlan, load_spec, plan_sweep  # noqa: E402
from coupled.training.run import train  # noqa: E402

SPEC = """
[base]
network = "experiment16"
rule = "discrete"
steps = {steps}
tasks = 2
log_every = 100
checkpoint_every = 0

[grid]
p = {p}
seed = {seeds}
"""


def plan(folder: Path, steps: int, n_points: int) -> SweepPlan:
    """The first ``n_points`` points of a grid of 4 p x 12 seeds, ``steps`` steps each."""
    path = folder / f"spec_{steps}_{n_points}.toml"
    seeds = list(range(1, 4)) if n_points <= 12 else list(range(1, 13))
    path.write_text(SPEC.format(steps=steps, p=[0.25, 0.5, 0.75, 1.0], seeds=seeds))
    full = plan_sweep(load_spec(path))
    return SweepPlan(spec=full.spec, points=full.points[:n_points])


def timed_sweep(the_plan, out: Path, kind: str, workers: int) -> tuple[float, float]:
    """(wall time, summed in-worker training time) of one sweep."""
    executor = check_executor(kind, None if kind == "serial" else workers)
    started = time.perf_counter()
    result = run_sweep(the_plan, out, executor=executor, progress=False)
    wall = time.perf_counter() - started
    assert result.n_failed == 0 and result.n_computed == len(the_plan.points)
    train_s = float(result.table.drop_duplicates("point")["wall_time_s"].sum())
    return wall, train_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    parser.add_argument("--steps", type=int, default=None, help="steps per real point (2000)")
    parser.add_argument("--workers", type=int, default=2, help="processes / Dask workers")
    parser.add_argument("--quick", action="store_true", help="200 steps, 24 one-step points")
    args = parser.parse_args()
    if args.steps is None:
        args.steps = 200 if args.quick else 2000
    kinds = ("serial", "process", "dask")
    many = 24 if args.quick else 48
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        folder = Path(tmp)
        print(
            f"load average {os.getloadavg()[0]:.2f} at the start, {os.cpu_count()} CPUs, "
            f"{args.workers} workers"
        )
        # fixed and per-point costs first, so the process pool's forkserver starts cold
        tiny_many, tiny1 = plan(folder, 1, many), plan(folder, 1, 1)
        started = time.perf_counter()
        for point in tiny_many.points:
            train(point.config, progress=False)
        tiny_train = (time.perf_counter() - started) / many
        print(f"baseline: one one-step train() call {1e3 * tiny_train:7.1f} ms")
        for kind in kinds:
            wall1, _ = timed_sweep(tiny1, folder / f"t1-{kind}", kind, args.workers)
            wall_many, _ = timed_sweep(tiny_many, folder / f"tmany-{kind}", kind, args.workers)
            lanes = 1 if kind == "serial" else args.workers
            per_point = (wall_many - wall1) / (many - 1) * lanes
            print(
                f"sweep {kind:<8} fixed cost {wall1:6.2f} s (1 one-step point); per point "
                f"{1e3 * per_point:6.1f} ms of worker time ({many} vs 1 points)"
            )
        real = plan(folder, args.steps, 12)
        started = time.perf_counter()
        for point in real.points:
            train(point.config, progress=False)
        baseline = time.perf_counter() - started
        print(f"baseline: 12 x {args.steps}-step train() in a loop {baseline:7.2f} s   ratio 1.00")
        for kind in kinds:
            wall, train_s = timed_sweep(real, folder / f"real-{kind}", kind, args.workers)
            print(
                f"sweep {kind:<8} 12 real points       {wall:7.2f} s   ratio "
                f"{wall / baseline:4.2f}  (speed-up {baseline / wall:4.2f}x; training inside "
                f"the workers {train_s:6.2f} s)"
            )
        print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
