"""Speed of the ``ideal`` engine against a straightforward per-step loop, and the Fig. 1 study.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_ideal.py [--quick]``

0. First-call cost of the compiled kernels (:mod:`coupled.physics.kernels`): a short ``train()`` in
a
   fresh process with an empty numba cache (compilation), then again with that cache (loading).
1. Baseline, measured in the same run: one task, one example per step, the dense Laplacian
   built from the incidence matrix and two dense ``numpy.linalg.solve`` (free and clamped
   states), then the continuous update.
2. The ideal engine on the same network with 50 tasks batched, one example per step (the same
   work as the baseline) and the default full batch of 16 examples: engine steps alone (draws
   made beforehand), with the compiled solver and with the numpy ``planned`` solver it replaced;
   then the whole loop (draws, history every 100 steps): ``train()`` with 50 tasks and
   ``train_many`` with 500.
3. A reduced Fig. 1 run (50 regression tasks x 10 values of p, continuous rule, history every
   50 steps as in ``coupled reproduce fig1``) at two step counts, extrapolated to the full study
   (20 000 steps) as fixed cost plus cost per step: ``train()`` per p, all 500 runs as one
   ``train_many`` batch, and that batch split over two spawned processes (both cores; their CPU
   time includes start-up, imports and loading the compiled kernels).

Prints microseconds per task-step and ratios to the baseline. Every row gives the CPU time of
the process (best of a few repeats; the machine is shared, and with single-threaded BLAS and
kernels CPU time is what the computation costs) and the wall time of the same repeat. Nothing is
asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from coupled.physics.catalogue import load_network  # noqa: E402
from coupled.training.config import TrainConfig  # noqa: E402
from coupled.training.draws import initial_state, make_tasks  # noqa: E402
from coupled.training.run import Run, train, train_many  # noqa: E402

SPEC = "jammed143"
FIRST_CALL = """
import time
start = time.perf_counter()
from coupled.training.config import TrainConfig
from coupled.training.run import train
train(TrainConfig(network="jammed143", tasks=2, steps=2, log_every=1, checkpoint_every=0))
print(time.perf_counter() - start)
"""


def first_call_seconds() -> tuple[float, float]:
    """Wall time of a tiny ``train()`` in a fresh process: empty numba cache, then filled."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        runs = [
            float(
                subprocess.run(
                    [sys.executable, "-c", FIRST_CALL],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.split()[-1]
            )
            for _ in range(2)
        ]
    return runs[0], runs[1]


def best_of(repeats: int, func) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of the repeat with the least CPU time."""
    times = []
    for _ in range(repeats):
        cpu, wall = time.process_time(), time.perf_counter()
        func()
        times.append((time.process_time() - cpu, time.perf_counter() - wall))
    return min(times)


def baseline_seconds_per_step(config: TrainConfig, steps: int, repeats: int) -> tuple:
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
            r = np.clip(
                r + config.gamma * (drop_c**2 - drop_f**2) / r**2,
                config.r_min_ohm,
                config.r_max_ohm,
            )

    return tuple(t / steps for t in best_of(repeats, run))


def engine_seconds_per_task_step(config: TrainConfig, steps: int, repeats: int) -> tuple:
    """Engine steps alone (draws made beforehand), per task-step."""
    run_ = Run(config)
    engine, state0 = run_.engine, run_.state
    draws = [run_.draws(s) for s in range(1, steps + 1)]
    engine.step(state0, draws[0])  # compiled code loaded before timing

    def run():
        state = state0
        for dr in draws:
            state = engine.step(state, dr)

    return tuple(t / (steps * config.tasks) for t in best_of(repeats, run))


def fig1_config(p: float, steps: int, tasks: int = 50, log_every: int = 50) -> TrainConfig:
    """One p of the Fig. 1 study: 50 continuous regression tasks."""
    return TrainConfig(
        network=SPEC, tasks=tasks, steps=steps, p=p, log_every=log_every, checkpoint_every=0
    )


def fig1_batch(p_values: tuple[float, ...], steps: int) -> tuple[int, float]:
    """Several p of the Fig. 1 study as one engine batch; (pid, CPU time of the process)."""
    train_many([fig1_config(p, steps) for p in p_values], progress=False)
    return os.getpid(), time.process_time()


def row(name: str, sec: tuple, base: tuple) -> None:
    """One line: CPU and wall microseconds per task-step and the ratios to the baseline."""
    cpu, wall = sec
    print(
        f"{name}: {cpu * 1e6:.2f} us/task-step CPU = {1 / cpu:,.0f} task-steps/s, "
        f"{base[0] / cpu:.1f}x the baseline (wall {wall * 1e6:.2f} us, "
        f"{base[1] / wall:.1f}x)"
    )


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats")
    args = parser.parse_args()
    steps, repeats = (256, 2) if args.quick else (1024, 3)
    cold, warm = first_call_seconds()
    print(
        f"first train() in a fresh process: {cold:.1f} s with an empty numba cache "
        f"(compilation), {warm:.1f} s with the cache filled"
    )
    one = TrainConfig(
        network=SPEC, tasks=50, batch_fraction=1 / 16, batch_mode="fixed", checkpoint_every=0
    ).resolved()
    full = TrainConfig(network=SPEC, tasks=50, checkpoint_every=0).resolved()
    planned = TrainConfig(**{**full.to_dict(), "engine_options": {"solver": "planned"}})

    base = baseline_seconds_per_step(one, steps // 4, repeats)
    print(
        f"network {SPEC}; baseline loop (1 task, 1 example, 2 dense solves per step): "
        f"{base[0] * 1e6:.1f} us/step CPU = {1 / base[0]:,.0f} task-steps/s "
        f"(wall {base[1] * 1e6:.1f} us)"
    )
    row(
        "ideal engine, 50 tasks, 1 example/step",
        engine_seconds_per_task_step(one, steps, repeats),
        base,
    )
    row(
        "ideal engine, 50 tasks, batch of 16",
        engine_seconds_per_task_step(full, steps, repeats),
        base,
    )
    row(
        "ideal engine, solver=planned (numpy), 50 tasks, batch of 16",
        engine_seconds_per_task_step(planned, steps // 4, repeats),
        base,
    )
    p_values = tuple(np.round(np.linspace(0.1, 1.0, 10), 2).tolist())
    by_p = [TrainConfig(**{**full.to_dict(), "p": p}) for p in p_values]
    for name, runs in (
        ("train(), 50 tasks, batch of 16", [full]),
        ("train_many, 10 runs x 50 tasks, batch of 16", by_p),
    ):

        def run(s, runs=runs):
            configs = [TrainConfig(**{**c.to_dict(), "steps": s}) for c in runs]
            if len(configs) == 1:
                return best_of(repeats, lambda: train(configs[0], progress=False))
            return best_of(repeats, lambda: train_many(configs, progress=False))

        fixed, per_step = two_point(run, steps)
        row(
            f"{name} (history every 100 steps; plus {fixed[0]:.2f} s CPU set-up)",
            tuple(t / (50 * len(runs)) for t in per_step),
            base,
        )

    fig_steps = 256 if args.quick else 1024
    print(
        f"Fig. 1 (50 tasks x 10 p, history every 50 steps) measured at {fig_steps // 4} and "
        f"{fig_steps} steps; full study (20000 steps) = fixed cost + 20000 x cost per step:"
    )
    studies = (
        (
            "train() per p, one process",
            lambda s: best_of(
                1, lambda: [train(fig1_config(p, s), progress=False) for p in p_values]
            ),
        ),
        (
            "train_many, all 500 task runs in one batch",
            lambda s: best_of(1, lambda: fig1_batch(p_values, s)),
        ),
        ("train_many, two processes of 250 task runs", two_processes),
    )
    for name, measure in studies:
        fixed, per_step = two_point(measure, fig_steps)
        total = [f + 20000 * c for f, c in zip(fixed, per_step, strict=True)]
        label = "CPU of both processes" if "two" in name else "CPU"
        print(
            f"  {name}: full study {label} {total[0] / 60:.1f} min, wall {total[1] / 60:.1f} min "
            f"(fixed {label} {fixed[0]:.1f} s, wall {fixed[1]:.1f} s)"
        )
    print(f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


def two_point(measure, steps: int) -> tuple[tuple, tuple]:
    """(fixed, per step) (CPU, wall) seconds from ``measure(steps // 4)`` and ``measure(steps)``."""
    small, large = measure(steps // 4), measure(steps)
    per_step = tuple((hi - lo) / (steps - steps // 4) for lo, hi in zip(small, large, strict=True))
    return tuple(hi - steps * c for hi, c in zip(large, per_step, strict=True)), per_step


def two_processes(steps: int) -> tuple[float, float]:
    """(CPU of both workers, wall) of the Fig. 1 batch split over two spawned processes."""
    p_values = tuple(np.round(np.linspace(0.1, 1.0, 10), 2).tolist())
    start = time.perf_counter()
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        cpus = dict(pool.map(fig1_batch, [p_values[0::2], p_values[1::2]], [steps] * 2))
    return sum(cpus.values()), time.perf_counter() - start


if __name__ == "__main__":
    main()
