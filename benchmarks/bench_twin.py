"""Cost of the board twin in the ``ideal`` engine: oscillator gates and board offsets against
Bernoulli gates and per-step sigma, in the same run.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_twin.py [--quick]``

For each network (``jammed143``, 143 edges, and ``square:32x32``, 1984 edges) the discrete rule
runs K tasks batched, engine steps alone (the loop's draws made beforehand), in two modes:

``bernoulli``
    ``--p-mode bernoulli --sigma-mode step`` (the paper's coin flips and fresh sigma): one exact
    response per step, nominal resistances.
``board twin``
    ``--p-mode oscillator --sigma-mode board`` (5 % spread): the oscillators' phase model at the
    trigger, the two twins' resistances (two exact responses per step) and the comparator law.
    ``phase_model="formula"`` here (the fitted model costs the same per step; fitting 2000
    oscillators in ngspice once would dominate a benchmark).

Prints the CPU microseconds per task-step (best of a few repeats) and the ratio of the two.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from coupled.engines import get_engine  # noqa: E402
from coupled.physics.catalogue import load_network  # noqa: E402
from coupled.training.config import TrainConfig  # noqa: E402
from coupled.training.draws import DrawSource, initial_state, make_tasks  # noqa: E402


def per_task_step_us(network: str, tasks: int, steps: int, twin: bool, repeats: int) -> float:
    """Best CPU time per task-step (us) of ``steps`` engine steps with K = ``tasks``."""
    modes = {"p_mode": "oscillator", "sigma_mode": "board"} if twin else {}
    options = {"tolerance": 0.05, "phase_model": "formula"}
    config = TrainConfig(
        network=network,
        rule="discrete",
        p=0.5,
        tasks=tasks,
        steps=steps,
        engine_options=options,
        checkpoint_every=0,
        **modes,
    ).resolved()
    net = load_network(network)
    task_list = make_tasks(config, net)
    state0, fixed = initial_state(config, net.n_edges)
    source = DrawSource(config, net.n_edges, config.train_size, fixed, track_states=False)
    draws = [source.draws(n) for n in range(1, steps + 1)]
    engine = get_engine("ideal")
    engine.prepare(net, task_list, config)
    engine.step(state0, draws[0])  # compiled kernels loaded, caches warm
    best = float("inf")
    for _ in range(repeats):
        state = state0
        start = time.process_time()
        for d in draws:
            state = engine.step(state, d)
        best = min(best, time.process_time() - start)
    engine.close()
    return best / (steps * tasks) * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats")
    args = parser.parse_args(argv)
    steps, repeats = (20, 2) if args.quick else (200, 3)
    cases = [("jammed143", 50), ("square:32x32", 10)]
    print(f"{'network':>14} {'E':>5} {'K':>3} {'bernoulli us':>13} {'twin us':>9} {'ratio':>6}")
    for network, tasks in cases:
        n_edges = load_network(network).n_edges
        plain = per_task_step_us(network, tasks, steps, False, repeats)
        twin = per_task_step_us(network, tasks, steps, True, repeats)
        print(
            f"{network:>14} {n_edges:>5} {tasks:>3} {plain:>13.1f} {twin:>9.1f} "
            f"{twin / plain:>6.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
