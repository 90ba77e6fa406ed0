"""Speed of the ``ideal`` engine against a straightforward per-step loop, and the Fig. 1 study.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_ideal.py [--quick]``

1. Baseline, measured in the same run: one task, one example per step, the dense Laplacian
   built from the incidence matrix and two dense ``numpy.linalg.solve`` (free and clamped
   states), then the continuous update.
2. The ideal engine on the same network with 50 tasks batched, one example per step (the same
   work as the baseline) and the default full batch of 16 examples; engine steps alone and the
   whole ``train()`` loop (draws, logging included).
3. A reduced Fig. 1 run (50 regression tasks x 10 values of p, continuous rule, fewer steps),
   extrapolated to the full study (20 000 steps): ``train()`` per p, all 500 runs as one
   ``train_many`` batch, and that batch split over two processes (both cores).

Prints task-steps per second, microseconds per task-step and ratios to the baseline. Timings are
the best of a few repeats in CPU time of the process (the machine is shared), except the
two-process run (wall time); nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from coupled.engines import get_engine  # noqa: E402
from coupled.networks import load_network, random_geometric  # noqa: E402
from coupled.training import (  # noqa: E402
    TrainConfig,
    _DrawSource,
    initial_state,
    make_tasks,
    train,
    train_many,
)


def network_spec() -> str:
    """jammed143 if shipped, else a random geometric graph of about 143 edges."""
    try:
        load_network("jammed143")
        return "jammed143"
    except Exception:  # noqa: BLE001 - any failure means the file is not there yet
        net = random_geometric(64, 0.17, seed=3)
        print(f"jammed143 missing; using rgg:64:0.17:3 ({net.n_edges} edges)")
        return "rgg:64:0.17:3"


def best_of(repeats: int, func) -> float:
    """Smallest CPU time of this process over ``repeats`` calls (seconds).

    CPU time rather than wall time: the machine is shared, and with single-threaded BLAS the
    process's CPU time is what the computation costs.
    """
    times = []
    for _ in range(repeats):
        start = time.process_time()
        func()
        times.append(time.process_time() - start)
    return min(times)


def baseline_seconds_per_step(config: TrainConfig, steps: int, repeats: int) -> float:
    """The straightforward loop: one task, one example, two dense solves per step."""
    net = load_network(config.network)
    task = make_tasks(config, net)[0]
    r0 = initial_state(config, net.n_edges)[0].resistance_ohm[0]
    d = net.incidence()
    n = net.n_nodes
    driven_free = np.zeros(n, bool)
    driven_free[list(task.inputs) + list(task.grounds)] = True
    driven_clamped = driven_free.copy()
    driven_clamped[list(task.outputs)] = True
    outputs = list(task.outputs)
    rng = np.random.default_rng(0)
    picks = rng.integers(0, len(task.train_inputs_v), size=steps)

    def dirichlet(lap, mask, values):
        system = lap.copy()
        system[mask, :] = 0.0
        system[:, mask] = 0.0
        system[mask, mask] = 1.0
        rhs = np.where(mask, values, -(lap @ np.where(mask, values, 0.0)))
        return np.linalg.solve(system, rhs)

    def run():
        r = r0.copy()
        for j in picks:
            lap = d.T @ (d / r[:, None])
            values = np.zeros(n)
            values[list(task.inputs)] = task.train_inputs_v[j]
            free = dirichlet(lap, driven_free, values)
            values[outputs] = free[outputs] + config.eta * (task.train_targets_v[j] - free[outputs])
            clamped = dirichlet(lap, driven_clamped, values)
            drop_f, drop_c = d @ free, d @ clamped
            r = np.clip(r + config.gamma * (drop_c**2 - drop_f**2) / r**2,
                        config.r_min_ohm, config.r_max_ohm)  # fmt: skip

    return best_of(repeats, run) / steps


def engine_seconds_per_task_step(config: TrainConfig, steps: int, repeats: int) -> float:
    """Engine steps alone (draws made beforehand), per task-step."""
    net = load_network(config.network)
    tasks = make_tasks(config, net)
    engine = get_engine("ideal")
    engine.prepare(net, tasks, config)
    state0, fixed = initial_state(config, net.n_edges)
    source = _DrawSource(config, net.n_edges, len(tasks[0].train_inputs_v), fixed)
    draws = [source.draws(s) for s in range(1, steps + 1)]

    def run():
        state = state0
        for dr in draws:
            state = engine.step(state, dr)

    return best_of(repeats, run) / (steps * config.tasks)


def train_seconds_per_task_step(config: TrainConfig, repeats: int) -> float:
    """The whole ``train()`` loop, per task-step."""
    return best_of(repeats, lambda: train(config, progress=False)) / (config.steps * config.tasks)


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats")
    args = parser.parse_args()
    steps, repeats = (200, 2) if args.quick else (1000, 3)
    spec = network_spec()
    one = TrainConfig(network=spec, tasks=50, batch_fraction=1 / 16, batch_mode="fixed",
                      checkpoint_every=0).resolved()  # fmt: skip
    full = TrainConfig(network=spec, tasks=50, checkpoint_every=0).resolved()

    base = baseline_seconds_per_step(one, steps, repeats)
    print(f"network {spec}; baseline loop (1 task, 1 example, 2 dense solves per step): "
          f"{base * 1e6:.1f} us/step = {1 / base:,.0f} task-steps/s")  # fmt: skip
    rows = [
        ("ideal engine, 50 tasks, 1 example/step",
         engine_seconds_per_task_step(one, steps, repeats)),
        ("ideal engine, 50 tasks, batch of 16",
         engine_seconds_per_task_step(full, steps, repeats)),
        ("train(), 50 tasks, batch of 16",
         train_seconds_per_task_step(TrainConfig(**{**full.to_dict(), "steps": steps}), repeats)),
    ]  # fmt: skip
    for name, sec in rows:
        print(f"{name}: {sec * 1e6:.1f} us/task-step = {1 / sec:,.0f} task-steps/s, "
              f"{base / sec:.1f}x the baseline")  # fmt: skip

    fig_steps = 100 if args.quick else 400
    p_values = tuple(np.round(np.linspace(0.1, 1.0, 10), 2).tolist())
    scale = 20000 / fig_steps
    start = time.process_time()
    for p in p_values:
        train(fig1_config(spec, p, fig_steps), progress=False)
    serial = time.process_time() - start
    start = time.process_time()
    fig1_batch(spec, p_values, fig_steps)
    batched = time.process_time() - start
    start = time.perf_counter()
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        list(pool.map(fig1_batch, [spec] * 2, [p_values[0::2], p_values[1::2]], [fig_steps] * 2))
    two = time.perf_counter() - start
    print(f"reduced Fig. 1 (50 tasks x 10 p x {fig_steps} steps), extrapolated x{scale:.0f} to "
          f"20000 steps:")  # fmt: skip
    for name, sec in (("train() per p, one process (CPU time)", serial),
                      ("train_many, all 500 task runs in one batch (CPU time)", batched),
                      ("train_many, two processes of 250 (wall time)", two)):  # fmt: skip
        print(f"  {name}: {sec:.1f} s -> full study {sec * scale:.0f} s = "
              f"{sec * scale / 60:.1f} min")  # fmt: skip


def fig1_config(spec: str, p: float, steps: int) -> TrainConfig:
    """One p of the Fig. 1 study: 50 continuous regression tasks."""
    return TrainConfig(network=spec, tasks=50, steps=steps, p=p, checkpoint_every=0)


def fig1_batch(spec: str, p_values: tuple[float, ...], steps: int) -> None:
    """Several p of the Fig. 1 study as one engine batch."""
    train_many([fig1_config(spec, p, steps) for p in p_values], progress=False)


if __name__ == "__main__":
    main()
