"""The exact (numpy) solver against hand-solved circuits and the laws of resistor networks.

Expectations come from formulas derived here (divider, series/parallel reduction, Thevenin for
the Wheatstone bridge), Kirchhoff's current law evaluated edge by edge, Tellegen's theorem,
Thomson's principle of minimum power, the maximum principle, linearity and explicit loops over
the batch axes.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coupled.core.errors import UserError
from coupled.physics.catalogue import experiment16, jammed143, square_lattice
from coupled.physics.networks import Network
from coupled.physics.solver import (
    dirichlet_solve,
    edge_currents,
    edge_drops,
    kcl_residual_a,
    laplacians,
    power_w,
    solve,
)


def circuit(n_nodes: int, edges: list[tuple[int, int]], resistance_ohm: list[float]) -> Network:
    return Network(n_nodes=n_nodes, edges=np.array(edges), resistance_ohm=resistance_ohm)


def injected_a(network: Network, node_v: np.ndarray, resistance_ohm: np.ndarray) -> np.ndarray:
    """Current each node pushes into the network, summed edge by edge (ampere, shape (..., N))."""
    current = edge_currents(network, node_v, resistance_ohm)
    out = np.zeros(current.shape[:-1] + (network.n_nodes,))
    np.add.at(out, (..., network.edges[:, 0]), current)
    np.add.at(out, (..., network.edges[:, 1]), -current)
    return out


def random_case(network: Network, seed: int, n_driven: int = 4, n_examples: int = 3):
    rng = np.random.default_rng(seed)
    r = rng.uniform(100.0, 10_000.0, network.n_edges)
    driven = rng.choice(network.n_nodes, n_driven, replace=False)
    volts = rng.uniform(-5.0, 5.0, (n_examples, n_driven))
    return r, driven, volts


# -- hand-solved circuits -----------------------------------------------------------------------


def test_voltage_divider():
    # 0 --R1-- 1 --R2-- 2, V0 = 4 V, V2 = 0: V1 = 4 R2 / (R1 + R2) = 3 V, I = 4 / 4k = 1 mA
    net = circuit(3, [(0, 1), (1, 2)], [1000.0, 3000.0])
    v = solve(net, {0: 4.0, 2: 0.0})
    assert v == pytest.approx([4.0, 3.0, 0.0], abs=1e-12)
    assert edge_currents(net, v, net.resistance_ohm) == pytest.approx([1e-3, 1e-3])
    assert power_w(net, v, net.resistance_ohm) == pytest.approx(4.0 * 1e-3)


def test_series_parallel():
    # 0 --R1-- 1, then 1 --R2-- 2 in parallel with 1 --R3-- 3 --R4-- 2; V0 = 10 V, V2 = 0.
    r1, r2, r3, r4 = 470.0, 2200.0, 1000.0, 1500.0
    net = circuit(4, [(0, 1), (1, 2), (1, 3), (3, 2)], [r1, r2, r3, r4])
    r_par = r2 * (r3 + r4) / (r2 + r3 + r4)
    v1 = 10.0 * r_par / (r1 + r_par)
    v3 = v1 * r4 / (r3 + r4)
    v = solve(net, {0: 10.0, 2: 0.0})
    assert v == pytest.approx([10.0, v1, 0.0, v3], rel=1e-12)
    i = edge_currents(net, v, net.resistance_ohm)
    assert i[0] == pytest.approx(10.0 / (r1 + r_par), rel=1e-12)  # the source current
    assert i[0] == pytest.approx(i[1] + i[2], rel=1e-12)  # it splits at node 1
    assert i[2] == pytest.approx(i[3], rel=1e-12)  # series branch


WHEATSTONE = [(0, 1), (1, 3), (0, 2), (2, 3), (1, 2)]  # A=0 top, B=1, D=2, C=3 bottom; R5: B-D


@pytest.mark.parametrize(
    "r1, r2, r3, r4, r5",
    [
        (1000.0, 2000.0, 1500.0, 3000.0, 500.0),  # balanced: R1/R2 = R3/R4
        (1000.0, 2000.0, 3000.0, 1500.0, 500.0),  # unbalanced
        (120.0, 7000.0, 330.0, 47.0, 10_000.0),  # unbalanced, wide spread
    ],
)
def test_wheatstone_bridge(r1, r2, r3, r4, r5):
    vs = 9.0
    net = circuit(4, WHEATSTONE, [r1, r2, r3, r4, r5])
    v = solve(net, {0: vs, 3: 0.0})
    # Thevenin seen by R5: open-circuit voltages of the two dividers, source shorted
    vb_open, vd_open = vs * r2 / (r1 + r2), vs * r4 / (r3 + r4)
    r_th = r1 * r2 / (r1 + r2) + r3 * r4 / (r3 + r4)
    i5 = (vb_open - vd_open) / (r_th + r5)
    assert edge_currents(net, v, net.resistance_ohm)[4] == pytest.approx(i5, rel=1e-10, abs=1e-15)
    assert v[1] == pytest.approx(vb_open - i5 * r1 * r2 / (r1 + r2), rel=1e-12)
    assert v[2] == pytest.approx(vd_open + i5 * r3 * r4 / (r3 + r4), rel=1e-12)
    if r1 / r2 == r3 / r4:
        assert abs(v[1] - v[2]) < 1e-12


# -- physical laws ------------------------------------------------------------------------------


@pytest.mark.parametrize("network", [experiment16(), jammed143(), square_lattice(5, 7)])
def test_kcl_at_undriven_nodes_and_charge_conservation(network):
    r, driven, volts = random_case(network, 1)
    v = solve(network, driven_nodes=driven, driven_voltages_v=volts, resistance_ohm=r)
    free = np.setdiff1d(np.arange(network.n_nodes), driven)
    net_current = injected_a(network, v, r)
    scale = np.max(np.abs(net_current))
    assert scale > 1e-4
    assert np.max(np.abs(net_current[:, free])) < 1e-12 * scale
    assert np.allclose(net_current.sum(axis=1), 0.0, atol=1e-13 * scale)  # no charge is lost
    assert np.allclose(kcl_residual_a(network, v, r), net_current, rtol=0, atol=1e-13 * scale)


@pytest.mark.parametrize("network", [experiment16(), jammed143()])
def test_power_and_tellegen(network):
    r, driven, volts = random_case(network, 2, n_examples=5)
    v = solve(network, driven_nodes=driven, driven_voltages_v=volts, resistance_ohm=r)
    p = power_w(network, v, r)
    assert np.all(p > 0)
    current = edge_currents(network, v, r)
    assert p == pytest.approx(np.sum(current**2 * r, axis=-1), rel=1e-12)
    # Tellegen: sum over edges of drop x current = sum over driven nodes of V x injected current
    delivered = np.sum(volts * injected_a(network, v, r)[:, driven], axis=-1)
    assert np.sum(edge_drops(network, v) * current, axis=-1) == pytest.approx(delivered, rel=1e-10)
    # maximum principle: free nodes lie between the extreme driven voltages
    assert np.all(v.min(axis=-1) >= volts.min(axis=-1) - 1e-12)
    assert np.all(v.max(axis=-1) <= volts.max(axis=-1) + 1e-12)


def test_equal_drive_gives_no_power():
    net = jammed143()
    v = solve(net, {0: 2.5, 10: 2.5, 20: 2.5})
    assert np.allclose(v, 2.5, rtol=0, atol=1e-12)
    assert power_w(net, v, net.resistance_ohm) < 1e-20


def test_principle_of_minimum_power():
    net = jammed143()
    r, driven, volts = random_case(net, 3, n_examples=1)
    v = solve(net, driven_nodes=driven, driven_voltages_v=volts[0], resistance_ohm=r)
    p0 = power_w(net, v, r)
    free = np.setdiff1d(np.arange(net.n_nodes), driven)
    rng = np.random.default_rng(4)
    for _ in range(50):
        direction = np.zeros(net.n_nodes)
        direction[free] = rng.standard_normal(free.size)
        assert power_w(net, v + 1e-3 * direction, r) > p0
        # stationary: the change is second order in the step
        rise = [power_w(net, v + h * direction, r) - p0 for h in (1e-2, 2e-2)]
        assert rise[1] / rise[0] == pytest.approx(4.0, rel=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6))
def test_property_laws_on_random_lattices(seed, n_driven):
    rng = np.random.default_rng(seed)
    net = square_lattice(int(rng.integers(1, 5)) + 1, int(rng.integers(2, 6)))
    n_driven = min(n_driven, net.n_nodes)
    r = np.exp(rng.uniform(np.log(10.0), np.log(1e6), net.n_edges))
    driven = rng.choice(net.n_nodes, n_driven, replace=False)
    volts = rng.uniform(-10, 10, n_driven)
    v = solve(net, driven_nodes=driven, driven_voltages_v=volts, resistance_ohm=r)
    assert v[driven] == pytest.approx(volts, abs=1e-12)
    assert np.all(v >= volts.min() - 1e-9) and np.all(v <= volts.max() + 1e-9)
    inj = injected_a(net, v, r)
    free = np.setdiff1d(np.arange(net.n_nodes), driven)
    scale = np.max(np.abs(volts)) / r.min()  # largest possible edge current
    assert np.all(np.abs(inj[free]) <= 1e-10 * scale)
    assert np.sum(inj) == pytest.approx(0.0, abs=1e-10 * scale)
    if n_driven == 1:
        assert np.allclose(v, volts[0], rtol=1e-9, atol=0)  # nothing flows
    tellegen = np.dot(volts, inj[driven])
    assert power_w(net, v, r) == pytest.approx(tellegen, rel=1e-9, abs=1e-10 * scale * 10)


# -- linearity and batching ---------------------------------------------------------------------


def test_superposition_and_scaling():
    net = jammed143()
    r, driven, volts = random_case(net, 5, n_examples=2)
    solve_v = lambda x: solve(net, driven_nodes=driven, driven_voltages_v=x, resistance_ohm=r)  # noqa: E731
    a, b = volts
    assert solve_v(a + b) == pytest.approx(solve_v(a) + solve_v(b), abs=1e-12)
    assert solve_v(-2.5 * a) == pytest.approx(-2.5 * solve_v(a), abs=1e-12)
    assert solve_v(a + 1.0) == pytest.approx(solve_v(a) + 1.0, abs=1e-12)  # gauge shift
    # scaling every resistance leaves voltages unchanged
    scaled = solve(net, driven_nodes=driven, driven_voltages_v=a, resistance_ohm=7.0 * r)
    assert scaled == pytest.approx(solve_v(a), abs=1e-12)


def test_batch_of_tasks_and_examples_equals_looping():
    net = experiment16()
    rng = np.random.default_rng(6)
    k, x = 4, 5
    r = rng.uniform(500.0, 5000.0, (k, net.n_edges))
    mask = np.zeros((k, net.n_nodes), dtype=bool)
    for task in range(k):  # each task drives its own set of nodes
        mask[task, rng.choice(net.n_nodes, 3 + task % 2, replace=False)] = True
    drive = rng.uniform(-3.0, 3.0, (k, x, net.n_nodes))
    batched = dirichlet_solve(laplacians(net, 1.0 / r), mask, drive)
    assert batched.shape == (k, x, net.n_nodes)
    for task in range(k):
        nodes = np.flatnonzero(mask[task])
        single = solve(
            net, driven_nodes=nodes, driven_voltages_v=drive[task][:, nodes], resistance_ohm=r[task]
        )
        assert batched[task] == pytest.approx(single, abs=1e-12)
        for example in range(x):
            lap = net.laplacian(1.0 / r[task])
            one = dirichlet_solve(lap, mask[task], drive[task, example : example + 1])
            assert batched[task, example] == pytest.approx(one[0], abs=1e-12)


def test_laplacians_batch():
    net = experiment16()
    g = np.random.default_rng(7).uniform(1e-4, 1e-2, (3, net.n_edges))
    lap = laplacians(net, g)
    assert lap.shape == (3, 9, 9)
    for k in range(3):
        assert np.allclose(lap[k], net.laplacian(g[k]))
        assert np.allclose(lap[k].sum(axis=1), 0.0)
        assert np.allclose(lap[k], lap[k].T)


def test_drive_by_name_and_single_example_shapes():
    net = experiment16()
    v = solve(net, {"I1": 1.0, "I2": -1.0, "G3": 0.0})
    assert v.shape == (9,)
    assert v[net.node("I1")] == 1.0 and v[net.node("G3")] == 0.0
    many = solve(net, driven_nodes=["I1", "I2"], driven_voltages_v=np.array([[1.0, 0.0]] * 3))
    assert many.shape == (3, 9)


# -- errors -------------------------------------------------------------------------------------


def test_part_without_a_driven_node_is_an_error():
    net = square_lattice(3, 4)
    rng = np.random.default_rng(8)
    a, b = net.edges.T
    cut = (a % 4 == 1) & (b % 4 == 2)  # the horizontal edges between columns 1 and 2
    mask = np.zeros(net.n_nodes, dtype=bool)
    mask[[0, 4]] = True  # both driven nodes in columns 0-1
    for _ in range(20):
        g = rng.uniform(0.1, 3.0, net.n_edges)
        g[cut] = 0.0
        with pytest.raises(UserError, match="reaches no driven node"):
            dirichlet_solve(laplacians(net, g), mask, np.ones((2, net.n_nodes)))
    g[cut] = 1e-3  # reconnected: fine, and the far side follows the drive
    v = dirichlet_solve(laplacians(net, g), mask, np.full((1, net.n_nodes), 2.0))
    assert np.allclose(v, 2.0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"drive": {}}, "at least one node must be driven"),
        ({}, "give drive= or both driven_nodes= and driven_voltages_v="),
        ({"drive": {"I1": 1.0, 0: 2.0}}, r"a node is driven twice: \[0, 0\]"),
        ({"drive": {"I1": np.nan}}, "driving voltages must be finite"),
        ({"drive": {"X9": 1.0}}, "unknown node 'X9'"),
        ({"drive": {12: 1.0}}, "node 12 out of range 0..8"),
        (
            {"driven_nodes": [0, 1], "driven_voltages_v": np.ones(3)},
            "3 voltages given for 2 driven",
        ),
        ({"drive": {0: 1.0}, "resistance_ohm": np.zeros(16)}, "resistance_ohm.* positive finite"),
        ({"drive": {0: 1.0}, "resistance_ohm": np.full(16, np.inf)}, "resistance_ohm.* positive"),
        ({"drive": {0: 1.0}, "resistance_ohm": np.ones(15)}, "15 resistances given for 16 edges"),
    ],
)
def test_solve_input_errors(kwargs, message):
    with pytest.raises(UserError, match=message):
        solve(experiment16(), **kwargs)
