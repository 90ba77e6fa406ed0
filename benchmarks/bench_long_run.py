"""A long circuit-engine run on a large board: time per step and memory at start and end.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_long_run.py [--network square:16x16]
[--steps 1000]``

Prepares the ``circuit`` engine (discrete rule, one task, p = 0.5, sigma_v = 0.05, default
options; the oscillator fit and calibration come from the on-disk cache when an earlier run made
them), runs the steps and prints the preparation time, the wall and CPU time per step, and the
process's resident memory (VmRSS) after step 10, after step ``restart_every`` (500: the first
transient's stored vectors at their largest) and at the end. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from coupled.training.config import TrainConfig  # noqa: E402
from coupled.training.run import Run  # noqa: E402


def rss_mib() -> float:
    """Resident memory of this process (MiB), from /proc/self/status."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> None:
    """Run and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--network", default="square:16x16")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument(
        "--quick", action="store_true", help="experiment16, 600 steps (the full run takes minutes)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.network, args.steps = "experiment16", 600
    config = TrainConfig(
        network=args.network,
        rule="discrete",
        p=0.5,
        sigma_v=0.05,
        tasks=1,
        seed=1,
        steps=args.steps,
        engine="circuit",
    )
    t0 = time.perf_counter()
    run = Run(config)
    prepare_s = time.perf_counter() - t0
    net, engine = run.network, run.engine
    moved = 0
    marks = {10, engine.opts["restart_every"], args.steps}
    rss = {}
    t0, c0 = time.perf_counter(), time.process_time()
    for step in range(1, args.steps + 1):
        state = run.step()
        moved += int(state.enabled.sum())
        if step in marks:
            rss[step] = rss_mib()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    run.close()
    print(
        f"network {args.network}: {net.n_edges} edges, {args.steps} steps, "
        f"prepare {prepare_s:.1f} s"
    )
    print(
        f"run: {wall:.1f} s wall, {1e3 * wall / args.steps:.1f} ms/step wall, "
        f"{1e3 * cpu / args.steps:.1f} ms/step CPU"
    )
    print(f"enabled edge-steps: {moved} ({moved / (args.steps * net.n_edges):.3f} of all)")
    print("RSS (MiB) after step: " + ", ".join(f"{k}: {v:.1f}" for k, v in sorted(rss.items())))


if __name__ == "__main__":
    main()
