"""Milliseconds per training step of the ``circuit`` and ``spice`` engines, against baselines.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_engines.py [--quick]``

Measured in the same run, on experiment16 (16 edges) and jammed143 (143 edges), discrete rule,
one task, p = 0.5 (and p = 1 at 143 edges, where every tap moves every step), sigma_v = 0.05:

* ``spice``: twin networks in ngspice, one ``op`` per step, rules in Python.
* ``circuit``: the whole board (twin pots, difference stages, comparators, XOR, latches, one
  oscillator and enable comparator per edge) in one paused ngspice transient, one short window
  per step, oscillators preset from their fitted phase model (default options: 5 % parts).
* ``golden``: the circuit engine's reference mode (oscillators free running through every
  trigger period), a few steps at 16 edges.
* ``naive`` (the baseline): per step, rebuild the full board netlist with the oscillators at
  the step's phases, load it and run one transient through one trigger with free-running
  oscillators (the board's own trigger timing, 27 us; largest time step period / 200), read
  the latches, remove the circuit. At 143 edges this takes about a minute per step, so it is
  measured over ``--naive143-steps`` steps (default 1); with 0 it is extrapolated from the
  16-edge figure times the cost ratio of the two boards' fast windows (said in the table).
* ``peer``: a PySpice coupled-learning code, about 228 ms per step at 143 edges for the twin
  networks only (a literature figure, not re-measured).

Prints per scheme the median wall time per step, the mean CPU time per step (the machine is
shared; CPU time is what the engine itself costs) and ratios to the naive scheme (same run)
and to the peer figure. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from circuits.board import BoardDesign, build_board, draw_board_parameters  # noqa: E402
from circuits.oscillator import advance  # noqa: E402
from coupled.engines import get_engine  # noqa: E402
from coupled.spice.session import get_session  # noqa: E402
from coupled.training.config import TrainConfig  # noqa: E402
from coupled.training.draws import DrawSource, initial_state, make_tasks

PEER_MS_143 = 228.0
"""Peer PySpice code, ms per step at 143 edges, twin networks only (literature figure)."""


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
    params = draw_board_parameters(net, 0.05, 0, comparator_offset_v=0.05)
    design = BoardDesign(mode="full")
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


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps")
    parser.add_argument(
        "--naive143-steps",
        type=int,
        default=1,
        help="naive steps measured at 143 edges (0: extrapolate)",
    )
    args = parser.parse_args()
    n16, n143 = (30, 10) if args.quick else (200, 60)
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores shared)")
    rows = []
    naive16 = naive_ms("experiment16", 3 if args.quick else 5)
    rows.append(("naive (rebuild + free-running window)", 16, naive16))
    rows.append(("spice", 16, engine_ms("experiment16", "spice", n16)))
    rows.append(("circuit", 16, engine_ms("experiment16", "circuit", n16)))
    rows.append(
        (
            "circuit golden (T = 50 us)",
            16,
            engine_ms("experiment16", "circuit", 3, {"golden": True}),
        )
    )
    rows.append(("spice", 143, engine_ms("jammed143", "spice", n143 * 4)))
    rows.append(
        ("spice, p = 1 (every tap moves)", 143, engine_ms("jammed143", "spice", n143 * 4, p=1.0))
    )
    circuit143 = engine_ms("jammed143", "circuit", n143)
    rows.append(("circuit", 143, circuit143))
    rows.append(("circuit, p = 1", 143, engine_ms("jammed143", "circuit", n143, p=1.0)))
    if args.naive143_steps > 0:
        naive143 = naive_ms("jammed143", args.naive143_steps)
        label = f"naive (measured, {args.naive143_steps} step)"
    else:
        scale = circuit143["cpu_ms"] / rows[2][2]["cpu_ms"]
        naive143 = {key: value * scale for key, value in rows[0][2].items() if key != "steps"}
        label = f"naive (extrapolated: 16-edge x {scale:.1f})"
    rows.insert(4, (label, 143, naive143))
    naive = {16: rows[0][2], 143: naive143}
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    print()
    header = (
        f"{'scheme':42s} {'edges':>5s} {'ms/step':>10s} {'CPU ms':>9s} {'vs naive':>9s} "
        f"{'vs peer':>8s} {'prepare s':>9s}"
    )
    print(header)
    print("-" * len(header))
    for name, edges, r in rows:
        ratio = naive[edges]["cpu_ms"] / r["cpu_ms"]
        peer = f"{PEER_MS_143 / r['wall_ms']:7.1f}x" if edges == 143 else f"{'':8s}"
        prep = f"{r['prepare_s']:9.1f}" if "prepare_s" in r else f"{'':9s}"
        print(
            f"{name:42s} {edges:5d} {r['wall_ms']:10.2f} {r['cpu_ms']:9.2f} "
            f"{ratio:8.1f}x {peer} {prep}"
        )
    print(f"{'peer PySpice code (literature, network only)':42s} {143:5d} {PEER_MS_143:10.2f}")
    print()
    print("ms/step: median wall time per step; CPU ms: mean CPU time per step (this process);")
    print("vs naive: naive CPU ms / scheme CPU ms, same network; vs peer: 228 ms / ms/step.")


if __name__ == "__main__":
    main()
