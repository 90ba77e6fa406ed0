"""Cost per training step of the ``circuit`` and ``spice`` engines, as ratios measured in one run.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_engines.py [--quick] [--csv PATH]``

Measured in the same run on three boards, discrete rule, one task, p = 0.5, sigma_v = 0.05:
experiment16 (16 edges), jammed143 (143 edges) and square:16x16 (480 edges):

* ``spice``: twin networks in ngspice, one ``op`` per step, rules in Python.
* ``circuit``: the whole board (twin pots, difference stages, comparators, XOR, latches, one
  oscillator and enable comparator per edge) in one paused ngspice transient, one short window
  per step, oscillators preset from their fitted phase model (default options: 5 % parts).
  Its preparation (oscillator fit and phase calibration) is read from the on-disk cache when
  an earlier run made it (``COUPLED_CACHE_DIR``); ``prepare s`` says how long it took here.
* ``naive`` (the baseline): per step, rebuild the full board netlist with the oscillators at
  the step's phases, load it and run one transient through one trigger with free-running
  oscillators (the board's own trigger timing, 27 us; largest time step period / 200), read
  the latches, remove the circuit. Measured at 16 edges, and at 143 edges without ``--quick``
  (about 20 s per step; ``--naive143-steps``); not at 480 edges (minutes per step).
* Without ``--quick`` also: the circuit engine's golden mode at 16 edges and p = 1 at 143
  edges (every tap moves every step).

Prints per scheme the median wall time per step, the mean CPU time per step (the machine is
shared; CPU time is what the engine itself costs), ``x spice``: CPU per step over the spice
engine's CPU per step on the same network (same run), and ``vs naive``: the naive scheme's CPU
per step over the scheme's. ``--csv PATH`` writes the same rows as a table. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import os
import platform
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from coupled.circuits.assembly import build_board  # noqa: E402
from coupled.circuits.oscillator import advance  # noqa: E402
from coupled.circuits.spec import BoardSpec, draw_board  # noqa: E402
from coupled.engines import get_engine  # noqa: E402
from coupled.spice.session import get_session  # noqa: E402
from coupled.training.config import TrainConfig  # noqa: E402
from coupled.training.draws import DrawSource, initial_state, make_tasks


def engine_ms(
    network: str, engine: str, steps: int, options: dict | None = None, p: float = 0.5
) -> dict:
    """Prepare an engine, warm it up, then time ``steps`` steps: median wall and mean CPU ms."""
    config = TrainConfig(
        network=network,
        rule="discrete",
        p=p,
        sigma_v=0.05,
        tasks=1,
        seed=1,
        steps=10**6,
        engine=engine,
        engine_options=options or {},
    )
    net = config.validate()
    cfg = config.resolved()
    tasks = make_tasks(cfg, net)
    eng = get_engine(engine)
    started = time.perf_counter()
    eng.prepare(net, tasks, cfg)
    state, fixed = initial_state(cfg, net.n_edges)
    source = DrawSource(cfg, net.n_edges, tasks[0].train_inputs_v.shape[0], fixed)
    warm = min(5, steps)
    for step in range(1, warm + 1):
        state = eng.step(state, source.draws(step))
    prepare_s = time.perf_counter() - started
    walls = []
    cpu0 = time.process_time()
    for step in range(warm + 1, warm + steps + 1):
        t0 = time.perf_counter()
        state = eng.step(state, source.draws(step))
        walls.append(time.perf_counter() - t0)
    cpu = (time.process_time() - cpu0) / steps
    eng.close()
    return {
        "wall_ms": 1e3 * float(np.median(walls)),
        "cpu_ms": 1e3 * cpu,
        "prepare_s": prepare_s,
        "steps": steps,
    }


def naive_ms(network: str, steps: int, trigger_period_s: float = 50e-6) -> dict:
    """The baseline: a fresh full-board netlist and one free-running transient per step."""
    config = TrainConfig(network=network, rule="discrete", tasks=1, seed=1).resolved()
    net = config.validate()
    task = make_tasks(config, net)[0]
    drawn = draw_board(BoardSpec(network=network, tolerance=0.05, comparator_offset_v=0.05), net)
    params, design = drawn.parameters, drawn.design
    period = float(params.oscillators.period_s.min())
    stop = design.trigger_time_s + design.trigger_width_s + 0.5e-6
    session = get_session()
    rng = np.random.default_rng(0)
    walls, cpu0 = [], time.process_time()
    for step in range(1, steps + 1):
        t0 = time.perf_counter()
        # Oscillators at the phases they have when this step's trigger fires.
        moved = advance(params.oscillators, step * trigger_period_s - design.trigger_time_s)
        board = build_board(
            net,
            dataclasses.replace(params, oscillators=moved),
            design,
            inputs=task.inputs,
            outputs=task.outputs,
            grounds=task.grounds,
            input_v=task.train_inputs_v[step % 16],
            target_v=task.train_targets_v[step % 16],
            eta=1.0,
            taps=rng.integers(0, 128, net.n_edges),
            bias_v=2.5,
        )
        session.load(board.netlist, name="naive-board")
        keys = [f"v({n})" for n in board.direction_nodes + board.enable_nodes]
        session.tran(period / 1000, stop, max_step_s=period / 200, uic=True, names=keys, tail=1)
        session.remove("naive-board")
        walls.append(time.perf_counter() - t0)
    cpu = (time.process_time() - cpu0) / steps
    return {"wall_ms": 1e3 * float(np.median(walls)), "cpu_ms": 1e3 * cpu, "steps": steps}


NETWORKS = ("experiment16", "jammed143", "square:16x16")
"""The boards measured: 16, 143 and 480 edges."""
CSV_COLUMNS = (
    "scheme",
    "engine",
    "network",
    "n_edges",
    "p",
    "steps",
    "wall_ms_per_step",
    "cpu_ms_per_step",
    "cpu_ratio_to_spice",
    "naive_cpu_ratio",
    "prepare_s",
    "machine",
    "load_average",
)


def _steps(network: str, engine: str, quick: bool) -> int:
    table = {
        ("experiment16", "spice"): (200, 800),
        ("experiment16", "circuit"): (60, 200),
        ("jammed143", "spice"): (100, 240),
        ("jammed143", "circuit"): (20, 60),
        ("square:16x16", "spice"): (40, 100),
        ("square:16x16", "circuit"): (8, 30),
    }
    return table[(network, engine)][0 if quick else 1]


def machine() -> str:
    """The machine named as the README's ratios name it, e.g. ``2-core x86_64``."""
    return f"{os.cpu_count()}-core {platform.machine()}"


def measure(quick: bool, naive143_steps: int) -> list[dict]:
    """Every row of the table (see the module docstring)."""
    rows: list[dict] = []

    def add(scheme, engine, network, p, result):
        rows.append({"scheme": scheme, "engine": engine, "network": network, "p": p, **result})

    for network in NETWORKS:
        for engine in ("spice", "circuit"):
            steps = _steps(network, engine, quick)
            result = engine_ms(network, engine, steps)
            print(f"  {engine:8s} {network:14s} {result['cpu_ms']:9.2f} CPU ms/step", flush=True)
            add(engine, engine, network, 0.5, result)
        if network == "experiment16":
            add("naive", "naive", network, 0.5, naive_ms(network, 2 if quick else 5))
            if not quick:
                golden = engine_ms(network, "circuit", 3, {"golden": True})
                add("circuit golden (T = 50 us)", "circuit", network, 0.5, golden)
        if network == "jammed143" and not quick:
            for engine in ("spice", "circuit"):
                steps = _steps(network, engine, quick)
                add(
                    f"{engine}, p = 1",
                    engine,
                    network,
                    1.0,
                    engine_ms(network, engine, steps, p=1.0),
                )
            if naive143_steps > 0:
                add("naive", "naive", network, 0.5, naive_ms(network, naive143_steps))
    sizes = {}
    for row in rows:
        if row["network"] not in sizes:
            sizes[row["network"]] = TrainConfig(network=row["network"]).validate().n_edges
        row["n_edges"] = sizes[row["network"]]
    for row in rows:
        peers = [r for r in rows if r["network"] == row["network"] and r["p"] == row["p"]]
        spice = next((r for r in peers if r["scheme"].startswith("spice")), None)
        naive = next(
            (r for r in rows if r["network"] == row["network"] and r["engine"] == "naive"), None
        )
        row["cpu_ratio_to_spice"] = row["cpu_ms"] / spice["cpu_ms"] if spice else float("nan")
        row["naive_cpu_ratio"] = naive["cpu_ms"] / row["cpu_ms"] if naive else float("nan")
    return rows


def print_table(rows: list[dict]) -> None:
    """The rows as a text table."""
    header = (
        f"{'scheme':28s} {'network':14s} {'edges':>5s} {'steps':>5s} {'ms/step':>9s} "
        f"{'CPU ms':>9s} {'x spice':>8s} {'vs naive':>9s} {'prepare s':>9s}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        ratio = r["cpu_ratio_to_spice"]
        naive = r["naive_cpu_ratio"]
        prep = r.get("prepare_s")
        print(
            f"{r['scheme']:28s} {r['network']:14s} {r['n_edges']:5d} {r['steps']:5d} "
            f"{r['wall_ms']:9.2f} {r['cpu_ms']:9.2f} "
            f"{'' if np.isnan(ratio) else f'{ratio:7.1f}x':>8s} "
            f"{'' if np.isnan(naive) else f'{naive:8.1f}x':>9s} "
            f"{'' if prep is None else f'{prep:9.1f}':>9s}"
        )
    print()
    print("ms/step: median wall time per step; CPU ms: mean CPU time per step (this process);")
    print("x spice: CPU ms / spice CPU ms, same network and p, same run;")
    print("vs naive: naive CPU ms / scheme CPU ms, same network.")


def write_csv(path: str, rows: list[dict], load_average: float) -> None:
    """The rows as CSV (columns :data:`CSV_COLUMNS`)."""
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for r in rows:
            writer.writerow(
                {
                    **{k: r.get(k, "") for k in ("scheme", "engine", "network", "n_edges", "p")},
                    "steps": r["steps"],
                    "wall_ms_per_step": f"{r['wall_ms']:.4g}",
                    "cpu_ms_per_step": f"{r['cpu_ms']:.4g}",
                    "cpu_ratio_to_spice": f"{r['cpu_ratio_to_spice']:.4g}",
                    "naive_cpu_ratio": f"{r['naive_cpu_ratio']:.4g}",
                    "prepare_s": "" if r.get("prepare_s") is None else f"{r['prepare_s']:.3g}",
                    "machine": machine(),
                    "load_average": f"{load_average:.2f}",
                }
            )


def main(argv: list[str] | None = None) -> None:
    """Measure, print the table and optionally write it as CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--quick", action="store_true", help="fewer steps, no naive at 143")
    parser.add_argument(
        "--naive143-steps", type=int, default=1, help="naive steps at 143 edges (0: none)"
    )
    parser.add_argument("--csv", metavar="PATH", help="also write the rows as CSV")
    args = parser.parse_args(argv)
    start_load = os.getloadavg()[0]
    print(f"machine: {machine()}; load average at start: {start_load:.2f}")
    rows = measure(args.quick, args.naive143_steps)
    end_load = os.getloadavg()[0]
    print(f"load average at end: {end_load:.2f}")
    print()
    print_table(rows)
    if args.csv:
        write_csv(args.csv, rows, max(start_load, end_load))
        print(f"wrote {args.csv}")


if __name__ == "__main__":
    main()
