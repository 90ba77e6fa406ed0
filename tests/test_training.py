"""The training loop: validation, determinism, batching, draws, resume, output files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from coupled.core.errors import UserError
from coupled.core.version import __version__
from coupled.physics import rules
from coupled.physics.catalogue import load_network
from coupled.physics.solver import edge_drops, solve
from coupled.training.config import HISTORY_COLUMNS, TrainConfig
from coupled.training.draws import make_tasks
from coupled.training.run import train, train_many

SMALL = dict(network="square:4x4", steps=40, log_every=10, checkpoint_every=0)


def _cfg(**kw) -> TrainConfig:
    return TrainConfig(**{**SMALL, **kw})


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("p", 0.0, r"p 0.0: must be in \(0, 1\]"),
        ("p", 1.5, r"p 1.5"),
        ("eta", 0.0, r"eta 0.0"),
        ("eta", 1.01, r"eta 1.01"),
        ("batch_fraction", 0.0, r"batch_fraction"),
        ("gamma", 0.0, r"gamma"),
        ("sigma_v", -0.1, r"sigma_v"),
        ("steps", 0, r"steps 0: must be at least 1"),
        ("steps", -5, r"steps -5"),
        ("steps", 2.5, r"steps 2.5: must be a whole number"),
        ("tasks", 0, r"tasks 0"),
        ("outputs", 20, r"only 16 nodes"),
        ("engine", "warp", r"engine 'warp': unknown engine; available: .*ideal"),
        ("rule", "hebbian", r"rule 'hebbian'"),
        ("p_mode", "sometimes", r"p_mode"),
        ("r_max_ohm", 500.0, r"r_max_ohm"),
        ("input_max_v", -1.0, r"input_max_v"),
        ("network", "nowhere.txt", r"network 'nowhere.txt'"),
        ("record_events", "xml", r"record_events"),
    ],
)
def test_validate_names_bad_value(field, value, message):
    with pytest.raises(UserError, match=message) as caught:
        _cfg(**{field: value}).validate()
    assert "--" not in str(caught.value)  # the Python API names parameters, not flags


def test_discrete_rule_refuses_batch_fraction():
    with pytest.raises(UserError, match="batch_fraction 0.5: the discrete rule"):
        _cfg(rule="discrete", batch_fraction=0.5).validate()


def test_from_dict_round_trip_and_unknown_key():
    cfg = _cfg(p=0.3, engine_options={"slack": 2})
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(UserError, match="config key 'learning_rate': unknown"):
        TrainConfig.from_dict({**cfg.to_dict(), "learning_rate": 1})
    with pytest.raises(UserError, match="p 2"):
        TrainConfig.from_dict({**cfg.to_dict(), "p": 2})


def test_history_columns_and_scaled_error():
    result = train(_cfg(tasks=2))
    h = result.history
    assert list(h.columns) == list(HISTORY_COLUMNS)
    assert sorted(h["step"].unique()) == [0, 10, 20, 30, 40]
    assert np.allclose(h[h.step == 0]["scaled_error"], 1.0)
    first = h[h.step == 0].set_index("task")["error"]
    last = h[h.step == 40].set_index("task")
    assert np.allclose(last["scaled_error"], last["error"] / first)
    assert np.allclose(h["steps_x_p"], h["step"] * 1.0)


def test_seed_reproduces_bit_for_bit_and_other_seed_differs():
    a = train(_cfg(tasks=2, p=0.5, batch_fraction=0.5, seed=4))
    b = train(_cfg(tasks=2, p=0.5, batch_fraction=0.5, seed=4))
    c = train(_cfg(tasks=2, p=0.5, batch_fraction=0.5, seed=5))
    assert np.array_equal(a.state.resistance_ohm, b.state.resistance_ohm)
    pd.testing.assert_frame_equal(a.history, b.history, check_exact=True)
    assert not np.array_equal(a.state.resistance_ohm, c.state.resistance_ohm)


@pytest.mark.parametrize("rule", ["continuous", "discrete"])
def test_batched_tasks_equal_separate_runs(rule):
    kw = dict(rule=rule, p=0.6, seed=9, network="jammed143", steps=30)
    batch = train(_cfg(tasks=3, **kw))
    for t in range(3):
        alone = train(_cfg(tasks=1, first_task=t, **kw))
        assert np.array_equal(alone.state.resistance_ohm[0], batch.state.resistance_ohm[t])
        h = batch.history[batch.history.task == t].reset_index(drop=True)
        pd.testing.assert_frame_equal(alone.history, h, check_exact=True)


def test_full_batch_synchronous_run_equals_plain_gradient_loop():
    """p = 1, b = 1: no randomness after the start; equals a hand-written loop on the solver."""
    cfg = _cfg(network="square:3x4", steps=15, gamma=5e8, eta=0.5, train_size=4, seed=2)
    result = train(cfg)
    net = load_network(cfg.network)
    task = make_tasks(cfg.resolved(), net)[0]
    from coupled.training.draws import initial_state

    r = initial_state(cfg.resolved(), net.n_edges)[0].resistance_ohm[0]
    driven = list(task.inputs) + list(task.grounds)
    for _ in range(cfg.steps):
        total = np.zeros(net.n_edges)
        for x, y in zip(task.train_inputs_v, task.train_targets_v, strict=True):
            volts = np.concatenate([x, [0.0]])
            free = solve(net, driven_nodes=driven, driven_voltages_v=volts, resistance_ohm=r)
            vc = free[list(task.outputs)] + 0.5 * (y - free[list(task.outputs)])
            clamped = solve(
                net,
                driven_nodes=driven + list(task.outputs),
                driven_voltages_v=np.concatenate([volts, vc]),
                resistance_ohm=r,
            )
            total += (edge_drops(net, clamped) ** 2 - edge_drops(net, free) ** 2) / r**2
        r = np.clip(r + 5e8 * total, cfg.r_min_ohm, cfg.r_max_ohm)
    assert np.allclose(result.state.resistance_ohm[0], r, rtol=1e-10)
    assert result.history["scaled_error"].iloc[-1] < 1.0


@pytest.mark.parametrize("mode", ["bernoulli", "fixed"])
def test_share_of_updated_edges_is_p(mode):
    result = train(
        _cfg(network="jammed143", tasks=2, steps=200, p=0.3, p_mode=mode, record_events="parquet")
    )
    ev = result.events
    assert len(ev) == 2 * 200 * 143
    per_step = ev.groupby(["task", "step"])["enabled"].sum()
    if mode == "fixed":
        assert set(per_step) == {round(0.3 * 143)}
    else:
        share = ev["enabled"].mean()
        assert abs(share - 0.3) < 4 * np.sqrt(0.3 * 0.7 / len(ev))
        assert per_step.std() > 0


def test_events_direction_matches_resistance_changes():
    result = train(_cfg(tasks=1, steps=5, p=0.5, record_events="csv", log_every=1))
    ev = result.events
    assert list(ev.columns) == ["step", "task", "edge", "enabled", "direction"]
    assert (ev.loc[~ev.enabled, "direction"] == 0).all()


def test_fixed_batch_size_changes_learning():
    full = train(_cfg(steps=5))
    mini = train(_cfg(steps=5, batch_fraction=0.25, batch_mode="fixed"))
    assert not np.array_equal(full.state.resistance_ohm, mini.state.resistance_ohm)


def test_discrete_taps_drift_up_with_large_bias():
    base = dict(rule="discrete", network="jammed143", steps=150, tasks=2)
    drift = train(_cfg(sigma_v=1000.0, **base))  # far above every contrast (inputs <= 200 V)
    assert np.all(drift.state.taps == rules.N_TAPS - 1)
    none = train(_cfg(sigma_v=0.0, **base))
    assert none.state.taps.mean() < 120


def test_discrete_fixed_comparator_bias_is_reproducible():
    kw = dict(rule="discrete", sigma_mode="fixed", sigma_v=0.05, steps=20, seed=3)
    a, b = train(_cfg(**kw)), train(_cfg(**kw))
    assert np.array_equal(a.state.taps, b.state.taps)


def test_continuous_regression_learns():
    result = train(_cfg(network="jammed143", tasks=3, steps=400, log_every=400))
    last = result.history[result.history.step == 400]
    assert last["scaled_error"].mean() < 0.5


def test_allostery_learns_discrete():
    result = train(
        _cfg(
            network="jammed143",
            task="allostery",
            rule="discrete",
            sigma_v=0.0,
            tasks=3,
            steps=300,
            log_every=300,
        )
    )
    last = result.history[result.history.step == 300]
    assert last["scaled_error"].mean() < 0.5


@pytest.mark.parametrize("rule", ["continuous", "discrete"])
def test_resume_equals_uninterrupted(tmp_path, rule):
    kw = dict(
        rule=rule,
        network="jammed143",
        tasks=2,
        steps=150,
        p=0.5,
        log_every=20,
        checkpoint_every=45,
        record_events="parquet",
    )
    whole = train(_cfg(**kw), tmp_path / "whole")
    part = tmp_path / "part"
    stopped = train(_cfg(**kw), part, stop_at=100)
    assert stopped.state.step == 100
    assert (part / "checkpoint.npz").exists() and not (part / "history.csv").exists()
    resumed = train(_cfg(**kw), part, resume=True)
    for name in ("history.csv", "final_state.json"):
        assert (part / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()
    pd.testing.assert_frame_equal(resumed.events, whole.events, check_exact=True)
    assert not (part / "checkpoint.npz").exists()


def test_resume_of_finished_run_returns_it(tmp_path):
    first = train(_cfg(), tmp_path)
    again = train(_cfg(), tmp_path, resume=True)
    assert np.array_equal(first.state.resistance_ohm, again.state.resistance_ohm)
    pd.testing.assert_frame_equal(first.history, again.history)


def test_resume_with_other_options_refused(tmp_path):
    train(_cfg(checkpoint_every=10), tmp_path, stop_at=25)
    with pytest.raises(UserError, match=r"made with p 1.0 \(now 0.5\)"):
        train(_cfg(checkpoint_every=10, p=0.5), tmp_path, resume=True)


def test_output_files(tmp_path):
    result = train(_cfg(rule="discrete", tasks=2, record_events="csv"), tmp_path)
    final = json.loads((tmp_path / "final_state.json").read_text())
    assert final["version"] == __version__ and final["seed"] == 0
    assert final["config"] == result.config.to_dict()
    assert np.array_equal(final["taps"], result.state.taps)
    assert np.allclose(final["resistance_ohm"], result.state.resistance_ohm)
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["engine"] == "ideal" and run["version"] == __version__ and run["wall_time_s"] > 0
    assert list(pd.read_csv(tmp_path / "history.csv").columns) == list(HISTORY_COLUMNS)
    assert len(pd.read_csv(tmp_path / "update_events.csv")) == 2 * 40 * 24


def test_existing_folder_refused_then_overwritten(tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(UserError, match="not empty"):
        train(_cfg(), tmp_path)
    assert (tmp_path / "keep.txt").exists()
    train(_cfg(), tmp_path, overwrite=True)
    assert not (tmp_path / "keep.txt").exists() and (tmp_path / "history.csv").exists()


def test_bad_config_creates_nothing(tmp_path):
    out = tmp_path / "new"
    with pytest.raises(UserError):
        train(_cfg(p=0.0), out)
    assert not out.exists()


def test_train_many_equals_separate_runs(tmp_path):
    configs = [
        _cfg(network="jammed143", tasks=2, p=p, seed=s, steps=30)
        for p, s in ((1.0, 0), (0.3, 0), (0.6, 7))
    ]
    batch = train_many(configs, [tmp_path / str(i) for i in range(3)])
    for i, cfg in enumerate(configs):
        alone = train(cfg, tmp_path / f"alone{i}")
        assert np.array_equal(alone.state.resistance_ohm, batch[i].state.resistance_ohm)
        pd.testing.assert_frame_equal(alone.history, batch[i].history, check_exact=True)
        for name in ("history.csv", "final_state.json"):
            assert (tmp_path / str(i) / name).read_bytes() == (
                tmp_path / f"alone{i}" / name
            ).read_bytes()


def test_train_many_refuses_runs_that_differ_in_structure():
    with pytest.raises(UserError, match="runs differ in eta"):
        train_many([_cfg(), _cfg(eta=0.5)])


def test_resume_of_a_finished_run_checks_its_options(tmp_path):
    train(_cfg(), tmp_path)
    with pytest.raises(UserError, match=r"with p 1.0 \(now 0.7\), seed 0 \(now 3\)"):
        train(_cfg(p=0.7, seed=3), tmp_path, resume=True)


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_resume_of_no_run_is_refused_with_a_hint(tmp_path, make):
    out = tmp_path / "run"
    if make == "empty":
        out.mkdir()
    with pytest.raises(UserError, match=r"no run there.*without resume=True"):
        train(_cfg(), out, resume=True)
    assert not out.exists() or not any(out.iterdir())


def test_interrupt_checkpoints_the_last_finished_step_and_resume_is_exact(tmp_path):
    from coupled.core.errors import Interrupted
    from coupled.engines.ideal import IdealEngine

    cfg = _cfg(steps=60, checkpoint_every=0)
    whole = train(cfg)
    calls = {"n": 0}
    original = IdealEngine.step

    def interrupted_at_37(self, state, draws):
        calls["n"] += 1
        if calls["n"] == 37:
            raise KeyboardInterrupt
        return original(self, state, draws)

    IdealEngine.step = interrupted_at_37
    try:
        with pytest.raises(Interrupted, match="interrupted at step 36; checkpoint at step 36"):
            train(cfg, tmp_path)
    finally:
        IdealEngine.step = original
    assert (tmp_path / "checkpoint.npz").exists()
    again = train(cfg, tmp_path, resume=True)
    np.testing.assert_array_equal(whole.state.resistance_ohm, again.state.resistance_ohm)
    pd.testing.assert_frame_equal(whole.history, again.history)


def test_run_object_steps_like_train_and_closes_its_engine():
    from coupled.training.run import Run

    cfg = _cfg(steps=40)
    whole = train(cfg)
    with Run(cfg) as run:
        run.steps(25)
        run.step()
        state = run.steps(14)
        errors = run.errors()
        m = run.measure()
    assert state.step == 40
    np.testing.assert_array_equal(state.resistance_ohm, whole.state.resistance_ohm)
    last = whole.history[whole.history["step"] == 40]["error"].to_numpy()
    np.testing.assert_allclose(errors["error"], last)
    k, x = len(run.tasks), run.tasks[0].train_inputs_v.shape[0]
    assert m.free_drop_v.shape == (k, x, run.network.n_edges)


def test_history_has_about_200_rows_without_log_every_and_records_resistances(tmp_path):
    cfg = _cfg(steps=1000, log_every=None, p=0.5, record_resistance_every=250)
    result = train(cfg, tmp_path)
    steps = result.history["step"].unique()
    assert 150 <= len(steps) <= 260 and steps[-1] == 1000
    table = pd.read_parquet(tmp_path / "resistance_history.parquet")
    assert list(table.columns) == ["step", "task", "edge", "resistance_ohm", "tap"]
    assert sorted(table["step"].unique()) == [0, 250, 500, 750, 1000]
    last = table[table["step"] == 1000].sort_values(["task", "edge"])
    np.testing.assert_array_equal(
        last["resistance_ohm"].to_numpy(), result.state.resistance_ohm.ravel()
    )
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["updated_share"] == pytest.approx(cfg.p, abs=0.05)
