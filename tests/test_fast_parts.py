"""The circuit engine's fast-window parts against the board's parts, side by side in ngspice."""

from __future__ import annotations

import numpy as np
import pytest

from coupled.circuits import sense_fast
from coupled.circuits.latch import LatchModel, buffer_v
from coupled.circuits.library import inline_library, library_file
from coupled.engines import get_engine
from coupled.engines.board.session import (
    FAST_PARTS,
    FastTiming,
    GoldenTiming,
    engine_circuit,
)
from coupled.training.config import TrainConfig
from coupled.training.draws import make_tasks

LATCH = LatchModel(hold_capacitance_f=1e-15)


def _netlist(title: str, parts: list[str], lines: list[str]) -> str:
    libs = inline_library(library_file(p) for p in parts)
    return "\n".join([f"* {title}", ".options method=gear", libs, *lines, ".end"]) + "\n"


def test_enable_comparator_gives_the_same_side_of_mid_level(session):
    session.load(
        _netlist(
            "enable comparators",
            ["enable", "enable_fast"],
            [
                "Vdd vdd 0 DC 5",
                "Vb bias 0 DC 2.0",
                "Vo osc 0 DC 2.0",
                "XE en osc bias vdd 0 comp_enable voff=0.002",
                "XF enf osc bias vdd 0 comp_enable_fast voff=0.002 vs=5.0",
            ],
        ),
        name="fast-enable",
    )
    for x in (-1.0, -1e-3, 0.002 - 1e-7, 0.002 + 1e-7, 0.003, 1.0):
        session.alter({"Vo": 2.0 + x})
        v = session.op(["v(en)", "v(enf)"])
        assert (v["v(en)"] > 2.5) == (v["v(enf)"] > 2.5), x
        # The linear output: mid-level plus the small-signal gain vs / (2 vw) = 2500.
        assert v["v(enf)"] == pytest.approx(2.5 + 2500 * (x - 0.002), abs=1e-9)
        if abs(x - 0.002) < 1e-6:
            assert v["v(enf)"] == pytest.approx(v["v(en)"], abs=1e-6)


def test_latch_tracks_and_holds_as_the_board_latch(session):
    params = (
        f"gon={LATCH.on_conductance_s!r} chold={LATCH.hold_capacitance_f!r} "
        f"rleak={LATCH.leak_resistance_ohm!r} gain={LATCH.buffer_gain!r} vlo=0.0 vhi=5.0"
    )
    session.load(
        _netlist(
            "latches",
            ["latch", "latch_fast"],
            [
                # Trigger high until 10 ns, low until 30 ns, high again (logic levels only).
                "Bclk clk 0 V = ((time < 10n) || (time > 30n)) ? 5 : 0",
                "Bd d 0 V = (time < 5n) ? 2.5049 : ((time < 15n) ? 2.6 : 2.4)",
                f"XO d clk qo qbo latch_sh {params}",
                f"XF d clk qf qbf latch_sh_fast {params}",
            ],
        ),
        name="fast-latch",
    )
    out = session.tran(1e-10, 40e-9, max_step_s=5e-10, names=["time", "v(qo)", "v(qf)", "v(qbf)"])
    restored = buffer_v(out["v(qf)"], LATCH, 0.0, 5.0)
    np.testing.assert_allclose(restored, out["v(qo)"], rtol=0, atol=1e-6)
    # The complementary output restores to the complement (the direction latch reads qb).
    np.testing.assert_allclose(
        buffer_v(out["v(qbf)"], LATCH, 0.0, 5.0), 5.0 - out["v(qo)"], atol=1e-6
    )
    t, q = out["time"], out["v(qo)"]
    assert q[np.searchsorted(t, 4e-9)] < 2.5 + 0.2 * 2.5  # below the 60 % "up" reading
    assert q[np.searchsorted(t, 9e-9)] > 4.9  # tracked 2.6 V: restored high
    assert q[np.searchsorted(t, 29e-9)] > 4.9  # held while the data fell to 2.4 V
    assert q[-1] < 0.1  # tracking again


def test_oscillator_runs_as_the_board_oscillator(session):
    params = "r=15507.4 c=9.65e-10 fl=0.3285 fh=0.6712 vc0=1.7369 q0=0"
    session.load(
        _netlist(
            "oscillators",
            ["oscillator", "oscillator_fast"],
            [
                "Vosc vosc 0 DC 5",
                f"XO osco vosc 0 osc_relax {params}",
                f"XF oscf vosc 0 osc_relax_fast {params} vs=5.0",
            ],
        ),
        name="fast-oscillator",
    )
    period = 15507.4 * 9.65e-10 * (np.log((1 - 0.3285) / (1 - 0.6712)) + np.log(0.6712 / 0.3285))
    out = session.tran(
        period / 2000,
        2.5 * period,
        max_step_s=period / 2000,
        uic=True,
        names=["time", "v(osco)", "v(oscf)"],
    )
    t = out["time"]

    def crossings(v):
        up = np.flatnonzero((v[:-1] < 2.5) & (v[1:] >= 2.5))
        return t[up] + (2.5 - v[up]) / (v[up + 1] - v[up]) * (t[up + 1] - t[up])

    a, b = crossings(out["v(osco)"]), crossings(out["v(oscf)"])
    assert a.size >= 2 and a.size == b.size
    np.testing.assert_allclose(b, a, rtol=0, atol=1e-6 * period)
    assert np.diff(a).mean() == pytest.approx(period, rel=0.01)  # a real oscillation


def test_comparators_with_hysteresis_or_delay_keep_the_board_parts():
    from coupled.circuits.assembly import build_board
    from coupled.circuits.comparator import ComparatorModel
    from coupled.circuits.design import BoardDesign, draw_board_parameters
    from coupled.physics.catalogue import load_network

    net = load_network("experiment16")
    params = draw_board_parameters(net, tolerance=0.05, seed=0)
    for model, fused in (
        (ComparatorModel(), True),
        (ComparatorModel(hysteresis_v=1e-3), False),
        (ComparatorModel(delay_s=1e-8), False),
    ):
        board = build_board(net, params, BoardDesign(comparator=model))
        assert sense_fast.fusable(board) is fused
        netlist = engine_circuit([board], FastTiming(20e-9)).netlist.lower()
        instances = " ".join(x for x in netlist.splitlines() if x.startswith("x"))
        assert ("\nbfsa_0_t0 " in netlist) is fused
        assert (" diffamp_ina " in instances) is not fused
        assert (" comp_lm339 " in instances) is not fused


def test_fast_windows_use_the_fast_parts_and_golden_the_board_parts():
    config = TrainConfig(
        network="experiment16",
        rule="discrete",
        p=0.5,
        sigma_v=0.05,
        engine="circuit",
        engine_options={"phase_model": "formula"},
    )
    net = config.validate()
    cfg = config.resolved()
    engine = get_engine("circuit")
    engine.prepare(net, make_tasks(cfg, net), cfg)
    boards = engine._boards(0)
    released = engine_circuit(boards, FastTiming(20e-9, oscillators="released")).netlist.lower()
    held = engine_circuit(boards, FastTiming(20e-9)).netlist.lower()
    golden = engine_circuit(boards, GoldenTiming(50e-6, 1e-6)).netlist.lower()
    edges = len(boards[0].tap_elements)
    for fast in (released, held):
        instances = [line for line in fast.splitlines() if line.startswith("x")]
        for part, (name, _) in FAST_PARTS.items():
            if part == "osc_relax" and fast is held:
                continue
            assert any(f" {name} " in line for line in instances), name
            assert not any(f" {part} " in line for line in instances), part
            assert f" {name} " not in golden
            assert f" {part} " in golden
        assert sum(line.startswith(("bfsa_", "bfsb_")) for line in fast.splitlines()) == 2 * edges
        assert not any(" diffamp_ina " in line or " comp_lm339 " in line for line in instances)
    assert "\nbfsa_" not in golden
    # held: no oscillator parts and no presets, one source per edge on the waveform node
    assert not any(line.startswith("xosc_") for line in held.splitlines())
    assert sum(line.startswith("vhold_") for line in held.splitlines()) == edges
    assert "\nspv_" not in held and "\nspv_" in released and "\nvhold_" not in released


@pytest.mark.slow
def test_a_480_edge_board_runs_1000_steps_with_flat_memory():
    """The 500-edge goal of the circuit engine (square:16x16, default options, restarts every
    500 steps): no error, RSS within 4 MiB from step 500 to step 1000 (both the end of a
    transient, whose stored latch vectors are freed at the restart), edges move at about p."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_long_run.py"
    spec = importlib.util.spec_from_file_location("bench_long_run", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    config = TrainConfig(
        network="square:16x16",
        rule="discrete",
        p=0.5,
        sigma_v=0.05,
        steps=1000,
        engine="circuit",
    )
    net = config.validate()
    cfg = config.resolved()
    tasks = make_tasks(cfg, net)
    engine = get_engine("circuit")
    engine.prepare(net, tasks, cfg)
    from coupled.training.draws import DrawSource, initial_state

    state, fixed = initial_state(cfg, net.n_edges)
    source = DrawSource(cfg, net.n_edges, tasks[0].train_inputs_v.shape[0], fixed)
    moved = 0
    for step in range(1, 1001):
        state = engine.step(state, source.draws(step))
        moved += int(state.enabled.sum())
        if step == 500:
            start = bench.rss_mib()
    growth = bench.rss_mib() - start
    engine.close()
    assert growth < 4.0, growth
    assert 0.4 < moved / (1000 * net.n_edges) < 0.6


def test_fused_sensing_branches_give_the_board_chains_outputs(session):
    """Both branches of every edge of a spread board (5 % parts: gain errors and offsets in
    every stage, comparator offsets up to 0.05 V), fused and as the board's seven parts, side
    by side on the same sensed nodes: drops inside the swing, beyond it (drop stages clip) and
    at a decision threshold (the comparators' linear region, a few uV wide at the drops)."""
    from coupled.circuits.assembly import build_board
    from coupled.circuits.design import BoardDesign, draw_board_parameters
    from coupled.physics.catalogue import load_network

    net = load_network("experiment16")
    design = BoardDesign(mode="op")
    board = build_board(net, draw_board_parameters(net, tolerance=0.05, seed=3), design)
    edges = (0, 5, 11)
    wanted = tuple(f"{p}_{i} " for i in edges for p in sense_fast.REPLACED)
    chain = [line for line in board.netlist.splitlines() if line.upper().startswith(wanted)]
    assert len(chain) == 7 * len(edges)
    fused = [
        line
        for i in edges
        for line in sense_fast.fused_lines(board, i, lambda n: f"f{n}" if n[:3] == "cmp" else n)
    ]
    nodes = sorted(
        {board.free_node(int(v)) for i in edges for v in net.edges[i]}
        | {board.clamped_node(int(v)) for i in edges for v in net.edges[i]}
    )
    sources = [f"V_{n} {n} 0 DC 0" for n in nodes]
    session.load(
        _netlist(
            "fused sensing",
            ["diffamp", "comparator"],
            ["VREF vref 0 DC 2.5", *sources, *chain, *fused],
        ),
        name="fused-sensing",
    )
    keys = [f"v({c}{b}_{i})" for i in edges for b in "ab" for c in ("cmp", "fcmp")]
    rng = np.random.default_rng(7)
    worst_logic = 0.0
    for trial in range(30):
        scale = 4.0 if trial % 2 else 0.4  # odd trials: drops beyond the 2.45 V swing
        values = {
            f"V_{n}": float(v)
            for n, v in zip(nodes, rng.uniform(0, scale, len(nodes)), strict=True)
        }
        session.alter(values)
        v = session.op(keys)
        for i in edges:
            for b in "ab":
                worst_logic = max(worst_logic, abs(v[f"v(cmp{b}_{i})"] - v[f"v(fcmp{b}_{i})"]))
                assert min(abs(v[f"v(cmp{b}_{i})"] - 2.5), abs(v[f"v(fcmp{b}_{i})"] - 2.5)) > 2.4
    # bisect a clamped node of an edge to branch A's threshold: both in their linear region
    i, node = next(
        (i, board.clamped_node(int(e)))
        for i in edges
        for e in net.edges[i]
        if board.clamped_node(int(e)) != board.free_node(int(e))
    )
    values = {f"V_{n}": 1.0 for n in nodes}

    def output(volts: float) -> dict:
        values[f"V_{node}"] = volts
        session.alter(values)
        return session.op(keys)

    low, high = 0.9, 1.1
    rising = output(high)[f"v(cmpa_{i})"] > output(low)[f"v(cmpa_{i})"]
    for _ in range(60):
        v = output(0.5 * (low + high))
        if 0.5 < v[f"v(cmpa_{i})"] < 4.5:
            break
        if (v[f"v(cmpa_{i})"] > 2.5) == rising:
            high = 0.5 * (low + high)
        else:
            low = 0.5 * (low + high)
    assert 0.5 < v[f"v(cmpa_{i})"] < 4.5
    assert abs(v[f"v(fcmpa_{i})"] - v[f"v(cmpa_{i})"]) < 0.05
    assert worst_logic < 1e-9
