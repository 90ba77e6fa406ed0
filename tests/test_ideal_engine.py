"""The ideal engine and the batched sparse solve against the plain dense solver."""

from __future__ import annotations

import numpy as np
import pytest

from coupled.core.errors import UserError
from coupled.engines import available_engines, get_engine
from coupled.physics import rules, sensing
from coupled.physics.catalogue import load_network, random_geometric
from coupled.physics.elimination import plan_elimination, planned_solve, planned_system
from coupled.physics.solver import dirichlet_solve, edge_drops, laplacians, solve
from coupled.training.config import TrainConfig
from coupled.training.run import Run


def _dense_reference(net, g, mask, values):
    lap = laplacians(net, g)
    return dirichlet_solve(lap, mask, values)  # (K, X, N)


@pytest.mark.parametrize(
    "spec,slack,tail",
    [
        ("jammed143", 3, 24),
        ("jammed143", 0, 0),
        ("jammed143", 1, 64),
        ("rgg:40:0.3:2", 2, 5),
        ("square:5x6", 3, 10),
    ],
)
def test_planned_solve_equals_dense_solve(spec, slack, tail):
    net = load_network(spec)
    plan = plan_elimination(net, slack=slack, dense_tail=tail)
    rng = np.random.default_rng(7)
    k, n = 6, net.n_nodes
    g = 1.0 / rng.uniform(100, 1e4, (k, net.n_edges))
    mask = np.zeros((k, n), bool)
    for t in range(k):
        mask[t, rng.choice(n, 1 + t, replace=False)] = True
    values = rng.normal(size=(k, 3, n))
    want = _dense_reference(net, g, mask, values)
    driven_v = np.where(mask[:, None, :], values, 0.0)
    coupling = np.einsum("kij,kxj->kxi", laplacians(net, g), driven_v)
    rhs = np.where(mask[:, None, :], driven_v, -coupling).transpose(2, 1, 0)
    got = planned_solve(plan, planned_system(plan, g, mask), rhs).transpose(2, 1, 0)
    assert np.allclose(got, want, rtol=0, atol=1e-11)


def test_planned_solve_task_alone_is_bitwise_the_same():
    net = load_network("jammed143")
    plan = plan_elimination(net)
    rng = np.random.default_rng(1)
    g = 1.0 / rng.uniform(1e3, 1e4, (9, net.n_edges))
    mask = np.zeros((9, net.n_nodes), bool)
    mask[:, :3] = True
    rhs = rng.normal(size=(net.n_nodes, 4, 9))
    batch = planned_solve(plan, planned_system(plan, g, mask), rhs)
    alone = planned_solve(plan, planned_system(plan, g[4:5], mask[4:5]), rhs[:, :, 4:5].copy())
    assert np.array_equal(alone[:, :, 0], batch[:, :, 4])


def _prepared(config, network="square:4x5"):
    run = Run(TrainConfig(network=network, **config))
    return run.network, run.tasks, run.engine, run.state


def test_measure_matches_independent_free_and_clamped_solves():
    net, tasks, engine, state = _prepared(dict(tasks=3, eta=0.6, outputs=3, train_size=5))
    r = state.resistance_ohm
    index = np.array([[0, 4], [1, 1], [3, 2]])
    m = engine.measure(r, index)
    for t, task in enumerate(tasks):
        driven = list(task.inputs) + list(task.grounds)
        for j, ex in enumerate(index[t]):
            x = np.concatenate([task.train_inputs_v[ex], np.zeros(len(task.grounds))])
            free = solve(net, driven_nodes=driven, driven_voltages_v=x, resistance_ohm=r[t])
            vf = free[list(task.outputs)]
            vc = rules.clamp(vf, task.train_targets_v[ex], 0.6)
            clamped = solve(
                net,
                driven_nodes=driven + list(task.outputs),
                driven_voltages_v=np.concatenate([x, vc]),
                resistance_ohm=r[t],
            )
            assert np.allclose(m.free_output_v[t, j], vf, atol=1e-12)
            assert np.allclose(m.free_drop_v[t, j], edge_drops(net, free), atol=1e-12)
            assert np.allclose(m.clamped_drop_v[t, j], edge_drops(net, clamped), atol=1e-12)


def test_fast_contrast_equals_rule_on_measured_drops():
    net, tasks, engine, state = _prepared(dict(tasks=4, outputs=2, train_size=7))
    r = state.resistance_ohm
    mask = np.random.default_rng(0).random((4, 7)) < 0.6
    m = engine.measure(r, np.tile(np.arange(7), (4, 1)))
    want = rules.squared_current_contrast(m.free_drop_v, m.clamped_drop_v, r, mask)
    assert np.allclose(engine.contrast(r, mask), want, rtol=1e-10, atol=1e-12 * np.abs(want).max())


def test_predict_matches_solver():
    net, tasks, engine, state = _prepared(dict(tasks=2))
    r = state.resistance_ohm
    inputs = np.stack([t.test_inputs_v for t in tasks])
    got = engine.predict(r, inputs)
    for t, task in enumerate(tasks):
        volts = np.hstack([task.test_inputs_v, np.zeros((len(task.test_inputs_v), 1))])
        v = solve(
            net,
            driven_nodes=list(task.inputs) + list(task.grounds),
            driven_voltages_v=volts,
            resistance_ohm=r[t],
        )
        assert np.allclose(got[t], v[:, list(task.outputs)], atol=1e-12)


def test_predict_with_teacher_resistances_has_zero_error():
    net, tasks, engine, _ = _prepared(dict(tasks=3), network="jammed143")
    teacher = np.stack([t.teacher_resistance_ohm for t in tasks])
    inputs = np.stack([t.test_inputs_v for t in tasks])
    targets = np.stack([t.test_targets_v for t in tasks])
    assert np.abs(engine.predict(teacher, inputs) - targets).max() < 1e-12


def test_allostery_with_many_outputs_measures_correctly():
    net, tasks, engine, state = _prepared(
        dict(task="allostery", outputs=5, tasks=2, eta=1.0), network="jammed143"
    )
    m = engine.measure(state.resistance_ohm, np.zeros((2, 1), dtype=int))
    # with eta = 1 the clamped outputs sit exactly at the targets
    for t, task in enumerate(tasks):
        driven = list(task.inputs) + list(task.grounds) + list(task.outputs)
        volts = np.concatenate(
            [task.train_inputs_v[0], np.zeros(len(task.grounds)), task.train_targets_v[0]]
        )
        v = solve(
            net,
            driven_nodes=driven,
            driven_voltages_v=volts,
            resistance_ohm=state.resistance_ohm[t],
        )
        assert np.allclose(m.clamped_drop_v[t, 0], edge_drops(net, v), atol=1e-11)


def test_unknown_engine_lists_available():
    with pytest.raises(UserError, match=r"^engine 'warp'.*available: .*ideal"):
        get_engine("warp")


def test_unknown_engine_option_refused():
    with pytest.raises(UserError, match=r'^engine_options\["window_s"\]: unknown'):
        TrainConfig(network="square:3x3", engine_options={"window_s": 1e-3}).validate()
    # the board twin's options belong to the ideal engine and are checked
    with pytest.raises(UserError, match="tolerance"):
        TrainConfig(network="square:3x3", engine_options={"tolerance": 0.7}).validate()
    with pytest.raises(UserError, match=r'engine_options\["slack"\]=-1'):
        TrainConfig(network="square:3x3", engine_options={"slack": -1}).validate()


def test_registry_lists_engines_only_and_a_new_engine_is_one_entry(tmp_path, monkeypatch):
    import coupled.engines as engines
    from coupled.engines.base import Engine

    assert available_engines() == ("circuit", "ideal", "spice")
    for name in available_engines():
        assert issubclass(engines.engine_class(name), Engine)
    (tmp_path / "mirror_engine.py").write_text(
        "from coupled.engines.ideal import IdealEngine\n"
        "class MirrorEngine(IdealEngine):\n    name = 'mirror'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(engines.ENGINES, "mirror", ("mirror_engine", "MirrorEngine"))
    assert "mirror" in available_engines()
    assert get_engine("mirror").name == "mirror"


def test_random_geometric_network_engine_runs_discrete_step():
    net = random_geometric(30, 0.35, seed=1)
    run = Run(TrainConfig(network="rgg:30:0.35:1", rule="discrete", tasks=2, sigma_v=0.0))
    assert run.network.n_edges == net.n_edges
    engine, state = run.engine, run.state
    from coupled.physics.state import StepDraws

    draws = StepDraws(
        step=1,
        edge_mask=np.ones((2, net.n_edges), bool),
        example_mask=np.ones((2, 16), bool),
        example_index=np.array([3, 0]),
        sigma_v=np.zeros((2, net.n_edges)),
    )
    new = engine.step(state, draws)
    assert np.all(np.abs(new.taps - state.taps) <= 1)
    m = engine.measure(state.resistance_ohm, np.array([[3], [0]]))
    # The rule through the board's sensing stage: drops clipped at the drop stages' swing.
    h = sensing.SenseChain(run.config.sense_gain).half_swing_v
    free, clamped = (np.clip(d[:, 0], -h, h) for d in (m.free_drop_v, m.clamped_drop_v))
    want = rules.discrete_direction(free, clamped)
    assert np.array_equal(new.direction, want)
    assert np.array_equal(new.taps, np.clip(state.taps + want, 0, 127))
    assert np.allclose(new.resistance_ohm, rules.taps_to_ohm(new.taps))
