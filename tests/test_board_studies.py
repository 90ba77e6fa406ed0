"""Figs. 4a-c, the regression and the drift claims on the 16-edge board (circuit engine) with
the board twin beside it, and the twin's error measured on the board's drawn pots."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from coupled.core.errors import UserError
from coupled.engines import get_engine
from coupled.physics import rules, solver
from coupled.physics.catalogue import load_network
from coupled.reproduction import boardpair, stats
from coupled.reproduction.base import reproduce
from coupled.training.config import TrainConfig
from coupled.training.draws import initial_state, make_tasks

BOARD = dict(network="experiment16", task="allostery", rule="discrete", p=0.5, tasks=3, seed=5)


def _prepared(engine: str, **extra):
    cfg = TrainConfig(engine=engine, engine_options={"tolerance": 0.05}, **{**BOARD, **extra})
    cfg = cfg.resolved()
    net = load_network(cfg.network)
    tasks = make_tasks(cfg, net)
    e = get_engine(engine)
    e.prepare(net, tasks, cfg)
    return e, cfg, net, tasks


def test_twin_reports_the_error_of_the_boards_drawn_pots():
    twin, cfg, net, tasks = _prepared("ideal", p_mode="oscillator", sigma_mode="board")
    circuit, *_ = _prepared("circuit", p_mode="oscillator", sigma_mode="board")
    plain, *_ = _prepared("ideal")
    try:
        taps = np.random.default_rng(1).integers(0, rules.N_TAPS, size=(3, net.n_edges))
        r = rules.taps_to_ohm(taps, cfg.r_min_ohm, cfg.r_max_ohm)
        x = np.stack([t.test_inputs_v for t in tasks])
        board = circuit.predict(r, x)
        np.testing.assert_allclose(twin.predict(r, x), board, rtol=0, atol=1e-9)
        # by hand: the free network at the free twin's drawn pots
        free_ohm = twin.twin.twin_resistances(taps)[0]
        t0 = tasks[0]
        volts = np.concatenate([x[0], np.zeros((x.shape[1], len(t0.grounds)))], axis=1)
        nodes = solver.solve(
            net,
            driven_nodes=list(t0.inputs) + list(t0.grounds),
            driven_voltages_v=volts,
            resistance_ohm=free_ohm[0],
        )
        np.testing.assert_allclose(board[0], nodes[:, list(t0.outputs)], atol=1e-9)
        # the nominal taps measure something else: the fix is not vacuous
        assert np.abs(plain.predict(r, x) - board).max() > 1e-3
    finally:
        circuit.close()


def test_paired_ratio_by_hand_and_seeded():
    row = stats.paired([1.0, 1.0, 2.0], [2.0, 8.0, 2.0], seed=3)
    assert row["ratio"] == pytest.approx((2 * 8 * 1) ** (1 / 3))
    assert row["wins"] == pytest.approx((1 + 1 + 0.5) / 3)
    assert row["ci_low"] <= row["ratio"] <= row["ci_high"]
    assert row == stats.paired([1.0, 1.0, 2.0], [2.0, 8.0, 2.0], seed=3)
    up = stats.paired(np.ones(20), np.full(20, 3.0))
    assert up["verdict"] == "holds" and up["ci_low"] == pytest.approx(3.0)
    assert stats.paired(np.full(20, 3.0), np.ones(20))["verdict"] == "contradicted"
    d = stats.paired_difference([0.1, 0.2, 0.3], [0.3, 0.2, 0.6])
    assert d["diff"] == pytest.approx(0.5 / 3) and d["wins"] == pytest.approx(2.5 / 3)


def test_tap_statistics_by_hand():
    # edge 0 rocks between two taps (still), edge 1 climbs one tap per step (moving)
    steps = 40
    taps = np.zeros((steps + 1, 1, 2), dtype=np.int16)
    taps[:, 0, 0] = 50 + (np.arange(steps + 1) % 2)
    taps[:, 0, 1] = 10 + np.arange(steps + 1)
    t = boardpair.tap_statistics(taps, p=1.0)
    assert t["still_share"].tolist() == [1.0, 0.0]
    assert t["tap_span"].tolist() == [1, 20]
    assert t["tap_end"].tolist() == [50, 50] and t["tap_start"].tolist() == [50, 10]


def test_fig4c_circuit_quick_has_the_twin_beside_it(tmp_path):
    result = reproduce("fig4c", tmp_path / "c", quick=True, engine="circuit", seed=3)
    final = result.tables["fig4c.csv"]
    assert set(final["engine"]) == {"circuit", "twin"}
    agreement = result.tables["fig4c_agreement.csv"]
    assert (agreement["decision_agree"] >= 0.99).all()
    wide = final.pivot_table(index=["p", "task"], columns="engine", values="final_scaled_error")
    assert len(wide) == 4 * 2
    # equal taps throughout give equal errors (the twin measures the board's pots)
    never = agreement["tasks_never_split"].sum()
    assert np.isclose(wide["circuit"], wide["twin"], rtol=1e-9).sum() >= never > 0
    paired = result.tables["fig4c_paired.csv"]
    assert {"ratio", "ci_low", "ci_high", "tasks", "seeds", "wins"} <= set(paired)
    assert (paired["ci_low"] <= paired["ratio"]).all() and (paired["tasks"] == 4).all()
    meta = json.loads((tmp_path / "c" / "fig4c.json").read_text())
    assert meta["engine"] == "circuit" and meta["seed"] == 3 and meta["version"]


def test_fig4ab_quick_typical_task_traces_and_stillness(tmp_path):
    result = reproduce("fig4ab", tmp_path / "ab", quick=True)  # circuit by default
    assert json.loads((tmp_path / "ab" / "fig4ab.json").read_text())["engine"] == "circuit"
    final = result.tables["fig4ab_final.csv"]
    curves, traces = result.tables["fig4a.csv"], result.tables["fig4b.csv"]
    for p, f in final[final["engine"] == "circuit"].groupby("p"):
        errors = f.set_index("task")["final_scaled_error"].sort_values()
        typical = errors.index[(len(errors) - 1) // 2]  # the median task, by hand
        assert set(curves[curves["p"] == p]["task"]) == {typical}
        assert set(traces[traces["p"] == p]["task"]) == {typical}
    assert set(traces["edge"]) == {0, 1, 2} and set(traces["engine"]) == {"circuit", "twin"}
    cfg = result.params
    np.testing.assert_allclose(
        traces["resistance_ohm"], rules.taps_to_ohm(traces["tap"].to_numpy(), 1000.0, 10000.0)
    )
    c = curves[curves["engine"] == "circuit"]
    np.testing.assert_allclose(c["steps_x_p"], c["step"] * c["p"])
    still = result.tables["fig4ab_stillness.csv"]
    assert set(still["quantity"]) == {"still_share", "tap_span"}
    assert len(still) == 2 * 2 * (len(cfg["p_values"]) - 1)
    taps = result.tables["fig4ab_taps.csv"]
    assert taps["still_share"].between(0, 1).all()


def test_fig4a_and_fig4b_name_their_table_first(tmp_path):
    a = reproduce("fig4a", tmp_path / "a", quick=True, engine="ideal")
    assert next(iter(a.tables)) == "fig4a.csv" and a.plot == "plot_fig4a"
    assert set(a.tables["fig4a.csv"]["engine"]) == {"twin"}
    with pytest.raises(UserError, match="circuit"):
        reproduce("fig4b", tmp_path / "b", quick=True, engine="spice")
    assert not (tmp_path / "b").exists()


def test_regression16_quick_pairs_over_tasks(tmp_path):
    result = reproduce("regression16", tmp_path / "r", quick=True)
    final = result.tables["regression16.csv"]
    assert set(final["engine"]) == {"circuit", "twin"} and len(final) == 2 * 2 * 3
    paired = result.tables["regression16_paired.csv"]
    for r in paired.itertuples():
        assert r.verdict == stats.verdict(r.ci_low, r.ci_high)
    assert any("no benefit" in line for line in result.summary)


def test_drift_quick_power_at_start_is_the_free_networks(tmp_path):
    result = reproduce("drift", tmp_path / "d", quick=True)  # the twin by default
    final = result.tables["drift.csv"]
    assert set(final["bias"]) == {"board", "none"} and set(final["engine"]) == {"twin"}
    # by hand: sum dV^2 / R of the free network at the free twin's drawn pots, initial taps
    from coupled.reproduction import board16
    from coupled.reproduction.base import Setup

    study = board16._items(board16.params("drift", True), Setup())[0].config
    cfg = boardpair.twin_config(study).resolved()
    net = load_network(cfg.network)
    tasks = make_tasks(cfg, net)
    twin = get_engine("ideal")
    twin.prepare(net, tasks, cfg)
    start, _ = initial_state(cfg, net.n_edges)
    free_ohm = twin.twin.twin_resistances(start.taps)[0]
    for t, task in enumerate(tasks):
        x = task.train_inputs_v
        volts = np.concatenate([x, np.zeros((x.shape[0], len(task.grounds)))], axis=1)
        nodes = solver.solve(
            net,
            driven_nodes=list(task.inputs) + list(task.grounds),
            driven_voltages_v=volts,
            resistance_ohm=free_ohm[t],
        )
        drops = solver.edge_drops(net, nodes)
        expected = (drops**2 / free_ohm[t]).sum(axis=-1).mean()
        measured = final.loc[final["task"] == t, "power_start_w"].to_numpy()
        np.testing.assert_allclose(measured, expected, rtol=1e-9)
    paired = result.tables["drift_paired.csv"]
    assert set(paired["quantity"]) == {"power_start_over_end", "none_over_board", "tap_drift"}
    # same task, same initial taps: the start power is the same at every p and bias
    assert (final.groupby("task")["power_start_w"].nunique() == 1).all()


def test_board_studies_are_not_report_pieces():
    from coupled.reporting.pieces import FIGURES

    assert not {"fig4a", "fig4b", "fig4ab", "regression16", "drift"} & set(FIGURES)


def test_split_tasks_changes_no_number():
    cfg = TrainConfig(engine="ideal", steps=20, log_every=5, **{**BOARD, "tasks": 4})
    whole = boardpair.run_pair(boardpair.PairItem(cfg, {"p": 0.5}))["history"]
    parts = [
        boardpair.run_pair(boardpair.PairItem(c, {"p": 0.5})) for c in boardpair.split_tasks(cfg, 3)
    ]
    joined = boardpair.join(parts)["history"]
    key = ["step", "task"]
    pd.testing.assert_frame_equal(
        whole.sort_values(key).reset_index(drop=True),
        joined.sort_values(key).reset_index(drop=True),
    )
