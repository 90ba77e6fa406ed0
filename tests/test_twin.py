"""The board twin: its gate streams, its decision law and its agreement with the circuit engine."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from coupled.circuits.comparator import decide_up, effective_sigma_v
from coupled.circuits.oscillator import duty_above
from coupled.core.errors import UserError
from coupled.engines import get_engine
from coupled.engines.board.twin import BoardTwin, board_directions
from coupled.physics import rules
from coupled.physics.catalogue import load_network
from coupled.training.config import TrainConfig
from coupled.training.draws import DrawSource, initial_state, make_tasks


def _twin(p: float, jitter: float = 0.0, network: str = "jammed143") -> BoardTwin:
    config = TrainConfig(network=network, rule="discrete", p=p, p_mode="oscillator")
    options = {"tolerance": 0.05, "board_seed": 3, "phase_model": "formula", "jitter": jitter}
    return BoardTwin.from_options(load_network(network), config, {**_defaults(), **options})


def _defaults() -> dict:
    from coupled.engines.board.twin import BOARD_OPTIONS

    return dict(BOARD_OPTIONS)


def _gates(twin: BoardTwin, steps: int) -> np.ndarray:
    return np.array([twin.enables(n) for n in range(1, steps + 1)], dtype=float)  # (S, E)


def _closed_form(twin: BoardTwin, lags: np.ndarray, n_terms: int = 4000) -> np.ndarray:
    """Autocovariance (L, E) of a sampled rotation: an arc of length p_i sampled every
    delta_i of a turn, its phase diffusing by jitter * sqrt(T / period) per sample (rms).

    C_i(L) = sum_{k>=1} 2 (sin(pi k p_i) / (pi k))^2 cos(2 pi k L delta_i) exp(-2 pi^2 k^2 L s_i^2)
    """
    osc = twin.oscillators
    p = duty_above(osc, twin.bias_v, twin.design.vdd_v, twin.design.vss_v)  # (E,)
    delta = np.mod(twin.trigger_period_s / osc.period_s, 1.0)
    s2 = twin.jitter**2 * twin.trigger_period_s / osc.period_s
    k = np.arange(1, n_terms + 1)[:, None]
    weight = 2 * (np.sin(np.pi * k * p) / (np.pi * k)) ** 2  # (K, E)
    out = []
    for lag in lags:
        decay = np.exp(-2 * np.pi**2 * k**2 * lag * s2)
        out.append((weight * np.cos(2 * np.pi * k * lag * delta) * decay).sum(axis=0))
    return np.array(out)


def _measured(gates: np.ndarray, lags: np.ndarray) -> np.ndarray:
    centred = gates - gates.mean(axis=0)
    n = gates.shape[0]
    return np.array([(centred[:-lag] * centred[lag:]).sum(axis=0) / (n - lag) for lag in lags])


@pytest.mark.parametrize("p", [0.5, 0.2])
def test_share_of_enables_is_the_calibrated_p(p):
    twin = _twin(p)
    assert abs(_gates(twin, 3000).mean() - p) < 0.01


@pytest.mark.parametrize("p", [0.5, 0.2])
def test_autocorrelation_is_a_sampled_rotation(p):
    twin = _twin(p)
    lags = np.arange(1, 6)
    measured = _measured(_gates(twin, 6000), lags).mean(axis=1)
    predicted = _closed_form(twin, lags).mean(axis=1)
    np.testing.assert_allclose(measured, predicted, atol=0.004)
    # a rotation, not coin flips: the lag-1 covariance is far from 0
    assert abs(predicted[0]) > 0.05 * p * (1 - p)


def test_jitter_decorrelates_as_predicted():
    plain, jittered = _twin(0.5), _twin(0.5, jitter=0.05)
    lags = np.arange(1, 9)
    measured = _measured(_gates(jittered, 8000), lags)  # (L, E)
    predicted = _closed_form(jittered, lags)
    # edge by edge within the estimate's noise (rms about p (1 - p) / sqrt(N) = 0.003)
    assert np.sqrt(np.mean((measured - predicted) ** 2)) < 0.005
    assert np.abs(measured - predicted).max() < 0.02
    # the memory of the rotation fades with the lag, as the diffusion predicts
    still = np.abs(_closed_form(plain, lags)).mean(axis=1)
    faded = np.abs(predicted).mean(axis=1)
    assert np.all(faded[3:] < 0.7 * still[3:])
    assert np.abs(measured).mean(axis=1)[-1] < 0.7 * still[-1]
    # the share of enables does not change, and the jitter stream leaves the board untouched
    assert abs(_gates(jittered, 3000).mean() - 0.5) < 0.01
    np.testing.assert_array_equal(plain.parameters.offset_a_v, jittered.parameters.offset_a_v)
    np.testing.assert_array_equal(plain.enables(0), jittered.enables(0))


def test_decision_law_is_the_boards_on_drops_of_both_signs():
    twin = _twin(0.5)
    rng = np.random.default_rng(1)
    free = rng.normal(0, 0.2, size=(400, twin.n_edges))
    clamped = free + rng.normal(0, 0.05, size=free.shape)
    clamped[::7] = -clamped[::7]
    # ideal amplifiers (no input offsets, no gain error): the comparator offsets act as o / G
    pa = dataclasses.replace(
        twin.parameters,
        amp_offset_v=np.zeros_like(twin.parameters.amp_offset_v),
        amp_gain_error=np.zeros_like(twin.parameters.amp_gain_error),
    )
    twin = dataclasses.replace(twin, parameters=pa)
    g = twin.design.sense_gain
    got = twin.directions(free, clamped)
    up = decide_up(clamped, free, pa.offset_a_v / g, pa.offset_b_v / g)
    np.testing.assert_array_equal(got, np.where(up, 1, -1))
    assert got.dtype == np.int8 and (got == 1).any() and (got == -1).any()
    # outside the corner |x| + |y| < max offset it is the rule with the effective sigma
    sigma = effective_sigma_v(clamped, free, pa.offset_a_v / g, pa.offset_b_v / g)
    outside = np.abs(clamped) + np.abs(free) > np.maximum(pa.offset_a_v, pa.offset_b_v) / g
    rule = rules.discrete_direction(free, clamped, sigma)
    np.testing.assert_array_equal(got[outside], rule[outside])
    np.testing.assert_array_equal(
        board_directions(free, clamped, 0.0, 0.0), np.where(np.abs(clamped) > np.abs(free), 1, -1)
    )


def test_twin_resistances_differ_by_part_spread():
    twin = _twin(0.5)
    taps = np.full(twin.n_edges, 64)
    free, clamped = twin.twin_resistances(taps)
    nominal = rules.taps_to_ohm(taps)
    assert np.all(np.abs(free / nominal - 1) < 0.06) and np.any(free != clamped)


def test_bad_jitter_is_a_user_error():
    with pytest.raises(UserError, match="jitter"):
        TrainConfig(engine="ideal", engine_options={"jitter": -0.1}).validate()
    bad = r'engine_options\["jitter"\] 1\.5: must be a number in \[0, 1\]'
    with pytest.raises(UserError, match=bad):
        TrainConfig(engine="circuit", engine_options={"jitter": 1.5}).validate()
    # the circuit engine takes the same option (its fast windows apply the same walk)
    TrainConfig(engine="circuit", engine_options={"jitter": 0.1}).validate()


def _compare(network: str, p: float, steps: int, **extra) -> tuple[float, list]:
    """Share of edge-steps where the ideal twin and the circuit take the same enable and
    direction, both stepped from the circuit's state (so one difference does not carry on)."""
    base = dict(network=network, rule="discrete", p=p, p_mode="oscillator", steps=steps)
    base["sigma_mode"] = "board"
    opts = {"tolerance": 0.05, **extra}
    cfg_c = TrainConfig(engine="circuit", engine_options=opts, **base).resolved()
    cfg_i = TrainConfig(engine="ideal", engine_options=opts, **base).resolved()
    net = load_network(network)
    tasks = make_tasks(cfg_c, net)
    state, fixed = initial_state(cfg_c, net.n_edges)
    source = DrawSource(cfg_c, net.n_edges, tasks[0].train_inputs_v.shape[0], fixed)
    circuit, ideal = get_engine("circuit"), get_engine("ideal")
    circuit.prepare(net, tasks, cfg_c)
    ideal.prepare(net, tasks, cfg_i)
    same, total, differ = 0, 0, []
    try:
        for n in range(1, steps + 1):
            draws = source.draws(n)
            a, b = circuit.step(state, draws), ideal.step(state, draws)
            equal = (a.enabled == b.enabled) & (a.direction == b.direction)
            same, total = same + int(equal.sum()), total + equal.size
            differ += [(n, int(e)) for e in np.nonzero(~equal[0])[0]]
            state = a
    finally:
        circuit.close()
    return same / total, differ


@pytest.mark.parametrize("p", [0.5, 0.2])
def test_ideal_twin_takes_the_circuits_decisions(p):
    share, differ = _compare("experiment16", p, 30)
    assert share >= 0.99, differ


def test_circuit_engine_takes_the_twins_jittered_enables():
    """With a large jitter the circuit's fast windows and the twin walk the same phases."""
    share, differ = _compare("experiment16", 0.5, 30, jitter=0.05)
    assert share >= 0.99, differ
    plain, jittered = _twin(0.5, 0.0, "experiment16"), _twin(0.5, 0.05, "experiment16")
    moved = [np.any(plain.enables(n) != jittered.enables(n)) for n in range(1, 31)]
    assert sum(moved) >= 10  # the walk changes the gates, so agreement above is not trivial


@pytest.mark.slow
@pytest.mark.parametrize("p", [0.5, 0.2])
@pytest.mark.parametrize(("network", "steps"), [("experiment16", 500), ("jammed143", 100)])
def test_ideal_twin_takes_the_circuits_decisions_long(network, steps, p):
    share, differ = _compare(network, p, steps)
    assert share >= 0.99, differ


def _train(out, engine: str, *extra: str) -> int:
    from coupled.cli.main import main

    args = ["train", "--network", "experiment16", "--rule", "discrete", "--p", "0.5"]
    args += ["--p-mode", "oscillator", "--sigma-mode", "board", "--steps", "60"]
    args += ["--engine", engine, "--tolerance", "0.05", "--record-events", "csv"]
    return main([*args, "--out", str(out), *extra])


def test_event_tables_of_ideal_twin_and_circuit_agree(tmp_path):
    import pandas as pd

    assert _train(tmp_path / "c", "circuit") == 0
    assert _train(tmp_path / "i", "ideal") == 0
    a = pd.read_csv(tmp_path / "c" / "update_events.csv")
    b = pd.read_csv(tmp_path / "i" / "update_events.csv")
    assert len(a) == len(b) == 60 * 16
    same = (a[["enabled", "direction"]].to_numpy() == b[["enabled", "direction"]].to_numpy()).all(1)
    assert same.mean() >= 0.99
    assert 0.4 < b["enabled"].mean() < 0.6


def test_cli_jitter_and_board_seed_reach_the_twin(tmp_path, capsys):
    import json

    out = tmp_path / "j"
    extra = ["--jitter", "0.02", "--board-seed", "4", "--engine-option", "phase_model=formula"]
    assert _train(out, "ideal", *extra) == 0
    options = json.loads((out / "run.json").read_text())["config"]["engine_options"]
    assert options["jitter"] == 0.02 and options["board_seed"] == 4
    assert _train(tmp_path / "bad", "ideal", "--jitter", "2") == 2
    assert "jitter" in capsys.readouterr().err and not (tmp_path / "bad").exists()


def test_gates_study_tabulates_every_mode(tmp_path):
    from coupled.reproduction import gates
    from coupled.reproduction.base import Setup

    prm = gates.GatesParams(panels=("fig4c",), p_values=(0.5, 1.0), tasks=2, steps_x_p=40)
    gates.check("gates", prm, Setup())
    result = gates.compute("gates", prm, Setup())
    summary = result.tables["gates_summary.csv"]
    assert len(summary) == len(gates.GATES) * len(gates.OFFSETS) * 2
    assert set(summary["gates"]) == set(gates.GATES) and (summary["advantage"] > 0).all()
    # at p = 1 every gate mode enables every edge: same offsets mode, same error
    sync = summary[summary["p"] == 1.0].set_index(["gates", "offsets"])["mean"]
    assert sync[("oscillator", "board")] == sync[("oscillator+jitter", "board")]
    with pytest.raises(UserError, match="ideal or spice"):
        gates.check("gates", prm, Setup(engine="circuit"))


def test_spice_twin_takes_the_ideal_twins_decisions():
    base = dict(network="experiment16", rule="discrete", p=0.5, p_mode="oscillator", steps=20)
    cfg = TrainConfig(sigma_mode="board", engine_options={"tolerance": 0.05}, **base).resolved()
    net = load_network("experiment16")
    tasks = make_tasks(cfg, net)
    state, fixed = initial_state(cfg, net.n_edges)
    source = DrawSource(cfg, net.n_edges, tasks[0].train_inputs_v.shape[0], fixed)
    spice, ideal = get_engine("spice"), get_engine("ideal")
    spice.prepare(net, tasks, cfg)
    ideal.prepare(net, tasks, cfg)
    try:
        for n in range(1, 21):
            draws = source.draws(n)
            a, b = spice.step(state, draws), ideal.step(state, draws)
            np.testing.assert_array_equal(a.enabled, b.enabled)
            np.testing.assert_array_equal(a.direction, b.direction)
            state = b
    finally:
        spice.close()
