"""The compiled kernels against dense numpy solves, physical laws and themselves in any batch."""

from __future__ import annotations

import numpy as np
import pytest

from coupled.core.errors import UserError
from coupled.engines import get_engine
from coupled.physics import kernel_code, kernels, rules
from coupled.physics.catalogue import load_network
from coupled.physics.solver import dirichlet_solve, edge_drops, laplacians
from coupled.training.config import TrainConfig
from coupled.training.draws import make_tasks
from coupled.training.run import train

# (network, task kind, outputs): regression (k = O = 2, the fused path) and allostery (k = O = 3
# with one ground, or O = 1), on the paper's networks and random graphs.
CASES = [
    ("jammed143", "regression", 2),
    ("experiment16", "regression", 2),
    ("jammed143", "allostery", 3),
    ("rgg:40:0.3:2", "regression", 2),
    ("rgg:30:0.35:7", "allostery", 1),
    ("square:5x6", "allostery", 4),
]


def _batch(spec, kind, outputs, tasks=5, seed=3, **kw):
    cfg = TrainConfig(network=spec, task=kind, outputs=outputs, tasks=tasks, seed=seed, **kw)
    cfg = cfg.resolved()
    net = load_network(spec)
    task_list = make_tasks(cfg, net)
    rng = np.random.default_rng(seed)
    r = rng.uniform(cfg.r_min_ohm, cfg.r_max_ohm, (tasks, net.n_edges))
    return net, task_list, kernels.plan_factorisation(net), r


def _dense_states(net, task, r, x, y, eta):
    """Free and clamped node voltages of one example by two independent dense solves."""
    lap = laplacians(net, 1.0 / r)
    driven = list(task.inputs) + list(task.grounds)
    values = np.zeros(net.n_nodes)
    values[list(task.inputs)] = x
    mask = np.zeros(net.n_nodes, bool)
    mask[driven] = True
    free = dirichlet_solve(lap, mask, values[None])[0]
    outputs = list(task.outputs)
    values[outputs] = rules.clamp(free[outputs], y, eta)
    mask[outputs] = True
    clamped = dirichlet_solve(lap, mask, values[None])[0]
    return free, clamped


@pytest.mark.parametrize("spec,kind,outputs", CASES)
def test_node_response_equals_dense_solves(spec, kind, outputs):
    net, tasks, plan, r = _batch(spec, kind, outputs)
    arrays = kernels.TaskArrays.from_tasks(tasks, net)
    got = kernels.node_response(plan, arrays, r)  # (K, N, k + O)
    for t, task in enumerate(tasks):
        lap = laplacians(net, 1.0 / r[t])
        driven = np.zeros(net.n_nodes, bool)
        driven[list(task.inputs) + list(task.grounds)] = True
        unit = np.eye(net.n_nodes)[list(task.inputs)]  # input j at 1 V, other driven nodes 0 V
        want_in = dirichlet_solve(lap, driven, unit).T
        free = ~driven  # 1 A into each output, driven nodes at 0 V: L_ff v_f = e_o
        want_out = np.zeros((net.n_nodes, len(task.outputs)))
        unit_out = np.eye(net.n_nodes)[np.ix_(free, list(task.outputs))]
        want_out[free] = np.linalg.solve(lap[np.ix_(free, free)], unit_out)
        want = np.hstack([want_in, want_out])
        assert np.allclose(got[t], want, rtol=1e-10, atol=1e-10 * np.abs(want).max())


@pytest.mark.parametrize("spec,kind,outputs", CASES)
def test_free_and_clamped_states_equal_dense_solves(spec, kind, outputs):
    net, tasks, plan, r = _batch(spec, kind, outputs, eta=0.7)
    engine = get_engine("ideal")
    cfg = TrainConfig(network=spec, task=kind, outputs=outputs, tasks=len(tasks), eta=0.7)
    engine.prepare(net, tasks, cfg.resolved())
    n_train = tasks[0].train_inputs_v.shape[0]
    index = np.random.default_rng(1).integers(0, n_train, (len(tasks), 3))
    m = engine.measure(r, index)
    for t, task in enumerate(tasks):
        for j, ex in enumerate(index[t]):
            free, clamped = _dense_states(
                net, task, r[t], task.train_inputs_v[ex], task.train_targets_v[ex], 0.7
            )
            scale = np.abs(edge_drops(net, free)).max()
            assert np.allclose(
                m.free_drop_v[t, j], edge_drops(net, free), rtol=1e-10, atol=1e-10 * scale
            )
            assert np.allclose(
                m.clamped_drop_v[t, j], edge_drops(net, clamped), rtol=1e-10, atol=1e-10 * scale
            )
            assert np.allclose(m.free_output_v[t, j], free[list(task.outputs)], rtol=1e-10)


@pytest.mark.parametrize("spec,kind,outputs", CASES)
def test_continuous_step_contrast_equals_rule_on_dense_states(spec, kind, outputs):
    net, tasks, plan, r = _batch(spec, kind, outputs, eta=0.5)
    arrays = kernels.TaskArrays.from_tasks(tasks, net)
    rng = np.random.default_rng(5)
    n_train = tasks[0].train_inputs_v.shape[0]
    mask = rng.random((len(tasks), n_train)) < 0.6
    contrast = kernels.continuous_step(
        plan, arrays, r, mask, np.ones(r.shape, bool), 0.5, 1.0, 0.0, np.inf
    )[0]
    for t, task in enumerate(tasks):
        examples = zip(task.train_inputs_v, task.train_targets_v, strict=True)
        drops = [
            [edge_drops(net, s) for s in _dense_states(net, task, r[t], x, y, 0.5)]
            for x, y in examples
        ]
        free = np.array([d[0] for d in drops])[None]
        clamped = np.array([d[1] for d in drops])[None]
        want = rules.squared_current_contrast(free, clamped, r[t][None], mask[t][None])[0]
        # Rounding floor from the squared currents themselves (a batch may hold no example).
        floor = 1e-12 * (np.abs(free).max() / r[t].min()) ** 2 * n_train
        assert np.allclose(contrast[t], want, rtol=1e-9, atol=floor)


def test_update_is_the_rule_applied_to_the_contrast_bit_for_bit():
    net, tasks, plan, r = _batch("jammed143", "regression", 2, tasks=9)
    arrays = kernels.TaskArrays.from_tasks(tasks, net)
    rng = np.random.default_rng(2)
    r[0, :5] = [1000.0, 10000.0, 1000.0, 10000.0, 5000.0]  # at and near the clip bounds
    edge_mask = rng.random(r.shape) < 0.5
    example_mask = rng.random((9, 16)) < 0.5
    gamma = 3e6  # large steps, so that some resistances hit the bounds
    contrast, new_r, direction = kernels.continuous_step(
        plan, arrays, r, example_mask, edge_mask, 1.0, gamma, 1000.0, 10000.0
    )
    want = rules.continuous_update(r, contrast, edge_mask, gamma, 1000.0, 10000.0)
    assert np.array_equal(new_r, want)
    assert np.array_equal(direction, np.sign(want - r).astype(np.int8))
    assert direction.dtype == np.int8
    assert np.any(new_r == 1000.0) and np.any(new_r == 10000.0)
    assert np.all(new_r[~edge_mask] == r[~edge_mask])


def test_power_contrast_law():
    """sum_i R_i * contrast_i = P_C - P_F per example: the clamped state costs more power."""
    net, tasks, plan, r = _batch("jammed143", "regression", 2, tasks=3)
    arrays = kernels.TaskArrays.from_tasks(tasks, net)
    for j in range(3):
        one = np.zeros((3, 16), bool)
        one[:, j] = True
        contrast = kernels.continuous_step(
            plan, arrays, r, one, np.zeros(r.shape, bool), 1.0, 1.0, 0.0, np.inf
        )[0]
        for t, task in enumerate(tasks):
            free, clamped = _dense_states(
                net, task, r[t], task.train_inputs_v[j], task.train_targets_v[j], 1.0
            )
            p_f = np.sum(edge_drops(net, free) ** 2 / r[t])
            p_c = np.sum(edge_drops(net, clamped) ** 2 / r[t])
            assert p_c >= p_f
            assert np.isclose(np.sum(contrast[t] * r[t]), p_c - p_f, rtol=1e-9)


@pytest.mark.parametrize("spec,kind,outputs", [CASES[0], CASES[2]])
def test_batch_equals_single_tasks_bit_for_bit(spec, kind, outputs):
    # 150 tasks: three blocks of 56 lanes (the last one padded); single tasks use 8 lanes
    net, tasks, plan, r = _batch(spec, kind, outputs, tasks=150, seed=11)
    rng = np.random.default_rng(4)
    example_mask = rng.random((150, 16)) < 0.5
    edge_mask = rng.random(r.shape) < 0.5
    args = (0.8, 2e4, 1000.0, 10000.0)
    batch = kernels.continuous_step(
        plan, kernels.TaskArrays.from_tasks(tasks, net), r, example_mask, edge_mask, *args
    )
    nodes = kernels.node_response(plan, kernels.TaskArrays.from_tasks(tasks, net), r)
    for t in (0, 3, 55, 56, 111, 149):
        alone = kernels.continuous_step(
            plan,
            kernels.TaskArrays.from_tasks([tasks[t]], net),
            r[t : t + 1],
            example_mask[t : t + 1],
            edge_mask[t : t + 1],
            *args,
        )
        for got, want in zip(alone, batch, strict=True):
            assert np.array_equal(got[0], want[t])
        single = kernels.node_response(
            plan, kernels.TaskArrays.from_tasks([tasks[t]], net), r[t : t + 1]
        )
        assert np.array_equal(single[0], nodes[t])
    # any order and any batch size: the reversed first 37 tasks
    order = np.arange(36, -1, -1)
    part = kernels.continuous_step(
        plan,
        kernels.TaskArrays.from_tasks([tasks[i] for i in order], net),
        r[order],
        example_mask[order],
        edge_mask[order],
        *args,
    )
    for got, want in zip(part, batch, strict=True):
        assert np.array_equal(got, want[order])


def test_fused_contrast_sums_equal_the_general_loop_bit_for_bit():
    rng = np.random.default_rng(8)
    net = load_network("jammed143")
    w = 12
    b = rng.normal(size=(net.n_nodes, 4, w))
    m, q = rng.normal(size=(2, 2, w)), rng.normal(size=(2, 2, w))
    general, fused = np.empty((net.n_edges, w)), np.empty((net.n_edges, w))
    kernel_code._contrast_sums(b, net.edges, m, q, general)
    kernel_code._contrast_sums_22(b, net.edges, m, q, fused)
    assert np.array_equal(general, fused)


def test_lanes_blocks():
    assert kernels.lanes(1) == 8
    assert kernels.lanes(50) == 56
    assert kernels.lanes(64) == 64
    assert kernels.lanes(150) == 56  # three blocks
    assert kernels.lanes(500) == 64
    for k in range(1, 300, 7):
        w = kernels.lanes(k)
        assert w % 8 == 0 and 8 <= w <= kernels.MAX_LANES
        assert -(-k // w) == -(-k // kernels.MAX_LANES)  # as few blocks as the widest lanes


def test_plan_factorisation_fill_and_order():
    net = load_network("jammed143")
    plan = kernels.plan_factorisation(net)
    assert sorted(plan.order.tolist()) == list(range(net.n_nodes))
    assert plan.link_ptr[-1] == plan.link_node.size == plan.n_entries - net.n_nodes
    # every link goes to a node eliminated later; every graph edge is an entry
    position = np.empty(net.n_nodes, int)
    position[plan.order] = np.arange(net.n_nodes)
    for s in range(net.n_nodes):
        links = plan.link_node[plan.link_ptr[s] : plan.link_ptr[s + 1]]
        assert np.all(position[links] > s)
    assert len(set(plan.edge_entry.tolist())) == net.n_edges
    assert plan.n_pairs < 2500  # minimum degree keeps the fill small on the 64-node packing


def test_compiled_and_planned_engines_agree():
    base = dict(
        network="jammed143",
        tasks=3,
        steps=30,
        p=0.5,
        batch_fraction=0.5,
        log_every=10,
        checkpoint_every=0,
    )
    compiled = train(TrainConfig(**base))
    planned = train(TrainConfig(**base, engine_options={"solver": "planned"}))
    assert np.allclose(compiled.state.resistance_ohm, planned.state.resistance_ohm, rtol=1e-10)
    assert np.allclose(compiled.history["error"], planned.history["error"], rtol=1e-8)
    discrete = dict(base, rule="discrete", sigma_v=0.0, batch_fraction=1.0)
    a = train(TrainConfig(**discrete))
    b = train(TrainConfig(**discrete, engine_options={"solver": "planned"}))
    assert np.array_equal(a.state.taps, b.state.taps)


def test_unknown_solver_refused():
    bad = r"""engine_options\["solver"\]='fast': must be one of compiled, planned"""
    with pytest.raises(UserError, match=bad):
        TrainConfig(network="square:3x3", engine_options={"solver": "fast"}).validate()
