"""Cost per firing of the self-triggered board: the event twin against the circuit engine.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_clockless.py [--quick]``

For each network (``experiment16``, ``jammed143``) both engines train the same self-triggered
board (``--trigger self``, p = 0.5, 5 % spread, board_seed 0, one task, the RC-formula phase
model so that no ngspice fit enters the timing) for a few example periods, free running, in the
same process: the ``ideal`` engine's event twin (``--p-mode oscillator --sigma-mode board``:
one compiled event loop per period, rank-1 updates) and the ``circuit`` engine (one ngspice
window per firing). Prints CPU microseconds per firing after the first period (which loads the
circuit or the compiled loop), their ratio and the share of firings with the same direction.
With ``--big`` it also times the twin alone on ``square:32x32`` (1984 edges). Nothing is
asserted.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from coupled.training.config import TrainConfig  # noqa: E402
from coupled.training.run import Run  # noqa: E402

TASKS = {"experiment16": "allostery", "jammed143": "regression", "square:32x32": "regression"}


def firings(network: str, engine: str, periods: int) -> tuple[np.ndarray, float, int]:
    """(directions (n,), CPU us per firing after the first period, firings timed)."""
    config = TrainConfig(
        network=network,
        task=TASKS[network],
        rule="discrete",
        engine=engine,
        p=0.5,
        p_mode="oscillator",
        sigma_mode="board" if engine == "ideal" else "step",
        trigger="self",
        steps=periods,
        seed=1,
        checkpoint_every=0,
        engine_options={"tolerance": 0.05, "board_seed": 0, "phase_model": "formula"},
    )
    with Run(config) as run:
        run.step()
        records = [run.engine.clockless.last_events]
        start = time.process_time()
        for _ in range(periods - 1):
            run.step()
            records.append(run.engine.clockless.last_events)
        cpu = time.process_time() - start
    timed = sum(r.edge.size for r in records[1:])
    directions = np.concatenate([r.direction[0] for r in records])
    return directions, 1e6 * cpu / max(timed, 1), timed


def main() -> None:
    """Time both engines per network and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--quick", action="store_true", help="fewer example periods")
    parser.add_argument("--big", action="store_true", help="also the twin on square:32x32")
    args = parser.parse_args()
    periods = {"experiment16": 6 if args.quick else 40, "jammed143": 3 if args.quick else 8}
    print("network        edges  twin us/firing  circuit us/firing  circuit/twin  same dirs")
    for network, n in periods.items():
        twin, twin_us, _ = firings(network, "ideal", n)
        board, board_us, _ = firings(network, "circuit", n)
        same = float((twin == board).mean())
        edges = {"experiment16": 16, "jammed143": 143}[network]
        print(
            f"{network:<14} {edges:>5}  {twin_us:>14.1f}  {board_us:>17.0f}  "
            f"{board_us / twin_us:>12.0f}  {same:>9.3f}"
        )
    if args.big:
        _, us, timed = firings("square:32x32", "ideal", 4)
        print(f"square:32x32    1984  {us:>14.1f}  (twin only, {timed} firings)")


if __name__ == "__main__":
    main()
