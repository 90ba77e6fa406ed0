"""Cost of producing update events: per-edge transients, one board-wide transient, phase model.

Usage: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_oscillator.py [--edges E] [--triggers N]``
(``--quick``: 4 edges and 100 triggers unless given).

Baseline (measured in the same run; each in fresh worker processes, including one process
start): one ngspice transient per edge of its oscillator and
enable comparator, sampled at the triggers (what ``coupled calibrate`` does). Compared with one
transient of all E oscillators together (every oscillator's flips then set the time step of the
whole circuit) and with the analytic phase model. Prints seconds and ratios; timing is never
asserted anywhere.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from coupled.circuits.oscillator import (
    draw_oscillators,
    enable_instance,
    library_files,
    oscillator_instance,
)
from coupled.engines.board.events import MAX_STEP_PER_PERIOD, _run_all, simulate_events


def board_wide_netlist(params, bias_v: float, trigger_period_s: float) -> str:
    """All oscillators and enable comparators in one netlist (the naive board)."""
    lines = ["* all oscillators in one circuit"]
    lines += [p.read_text() for p in library_files()]
    lines += [
        "Vdd vdd 0 5",
        f"Vbias bias 0 {bias_v!r}",
        f"Vtrig trig 0 PULSE(0 5 {trigger_period_s!r} 1e-9 1e-9 {trigger_period_s / 2!r} "
        f"{trigger_period_s!r})",
        ".options interp",
    ]
    for edge in range(params.n_edges):
        lines.append(oscillator_instance(edge, f"osc{edge}", params, "vdd", "0"))
        lines.append(enable_instance(edge, f"en{edge}", f"osc{edge}", "bias", "vdd", "0"))
    return "\n".join(lines) + "\n.end\n"


def main() -> None:
    """Run the comparison and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--edges", type=int, default=None, help="oscillators (default 8)")
    parser.add_argument("--triggers", type=int, default=None, help="triggers (default 300)")
    parser.add_argument("--trigger-period-s", type=float, default=50e-6)
    parser.add_argument("--quick", action="store_true", help="4 edges, 100 triggers")
    args = parser.parse_args()
    if args.edges is None:
        args.edges = 4 if args.quick else 8
    if args.triggers is None:
        args.triggers = 100 if args.quick else 300
    params = draw_oscillators(args.edges, 0.05, np.random.default_rng(0))
    period, n = args.trigger_period_s, args.triggers

    t0 = time.perf_counter()
    per_edge = simulate_events(params, [2.5], period, n)[0]
    base = time.perf_counter() - t0

    t0 = time.perf_counter()
    task = (
        board_wide_netlist(params, 2.5, period),
        period,
        n * period,
        float(params.period_s.min()) / MAX_STEP_PER_PERIOD,
        ["time"] + [f"v(en{e})" for e in range(params.n_edges)],
        True,
    )
    data = _run_all([task], 1, isolated=True)[0]
    wide = time.perf_counter() - t0
    rows = np.searchsorted(data["time"], period * np.arange(1, n + 1) - 1e-12)
    wide_events = np.stack([data[f"v(en{e})"][rows] > 2.5 for e in range(params.n_edges)], 1)

    t0 = time.perf_counter()
    repeats = 20
    for _ in range(repeats):
        phase = simulate_events(params, [2.5], period, n, source="phase")[0]
    phase_s = (time.perf_counter() - t0) / repeats

    cost = base / (n * params.n_edges)
    print(f"{params.n_edges} edges, {n} triggers every {period:g} s")
    print(f"per-edge transients (baseline): {base:8.3f} s   {cost * 1e3:.3f} ms per edge-trigger")
    print(f"one board-wide transient:       {wide:8.3f} s   ratio {wide / base:6.2f}")
    print(f"phase model:                    {phase_s:8.5f} s   ratio {phase_s / base:8.5f}")
    agree_wide = np.mean(wide_events == per_edge)
    agree_phase = np.mean(phase == per_edge)
    print(f"event agreement with baseline: board-wide {agree_wide:.3f}, phase {agree_phase:.3f}")


if __name__ == "__main__":
    main()
