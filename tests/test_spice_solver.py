"""ngspice network solves against the numpy solver, hand-solved circuits and Kirchhoff's laws."""

from __future__ import annotations

import numpy as np
import pytest

from coupled.core.errors import UserError
from coupled.physics.catalogue import experiment16, random_geometric, square_lattice
from coupled.physics.networks import Network
from coupled.physics.solver import solve
from coupled.spice.network import SpiceNetworkSolver, smoke_test, spice_solve
from coupled.spice.session import get_session

TOLERANCE_V = 1e-9


def _random_case(network: Network, seed: int, n_driven: int, n_examples: int):
    rng = np.random.default_rng(seed)
    resistance_ohm = 10 ** rng.uniform(2, 5, network.n_edges)  # 100 Ohm .. 100 kOhm
    driven = rng.choice(network.n_nodes, size=n_driven, replace=False)
    volts = rng.uniform(-5, 5, (n_examples, n_driven))
    return resistance_ohm, driven.tolist(), volts


NETWORKS = [
    pytest.param(lambda: random_geometric(10, 0.5, seed=3), id="rgg10"),
    pytest.param(lambda: square_lattice(6, 8), id="square48"),
    pytest.param(lambda: random_geometric(120, 0.15, seed=5), id="rgg120"),
    pytest.param(lambda: random_geometric(300, 0.1, seed=7), id="rgg300"),
]


@pytest.mark.parametrize("make", NETWORKS)
def test_op_and_dc_paths_agree_with_numpy(make):
    network = make()
    r, driven, volts = _random_case(network, network.n_nodes, n_driven=4, n_examples=40)
    expected = solve(network, driven_nodes=driven, driven_voltages_v=volts, resistance_ohm=r)
    with SpiceNetworkSolver(network, driven) as solver:
        by_op = solver.solve_op(volts[:3], r)
        by_dc = solver.solve_sweep(volts, r)
    np.testing.assert_allclose(by_op, expected[:3], rtol=0, atol=TOLERANCE_V)
    np.testing.assert_allclose(by_dc, expected, rtol=0, atol=TOLERANCE_V)


def test_divider_by_hand():
    network = Network(n_nodes=3, edges=np.array([[0, 1], [1, 2]]), resistance_ohm=[1e3, 3e3])
    node_v = spice_solve(network, {0: 2.0, 2: 0.0})
    assert node_v[1] == pytest.approx(2.0 * 3e3 / 4e3, abs=1e-12)
    smoke_test()


def _bridge(r_ohm):
    # top (0) at 1 V, bottom (3) at 0 V, left (1), right (2); edges: top-left, left-bottom,
    # top-right, right-bottom, left-right (the bridge).
    edges = np.array([[0, 1], [1, 3], [0, 2], [2, 3], [1, 2]])
    return Network(n_nodes=4, edges=edges, resistance_ohm=r_ohm)


def test_wheatstone_bridge_by_hand():
    # KCL with R = 1k, 2k, 2k, 1k, 1k gives V(left) = 4/7 V, V(right) = 3/7 V.
    network = _bridge([1e3, 2e3, 2e3, 1e3, 1e3])
    solver = SpiceNetworkSolver(network, [0, 3])
    node_v, current_a = solver.solve_with_currents(np.array([1.0, 0.0]))
    np.testing.assert_allclose(node_v, [1.0, 4 / 7, 3 / 7, 0.0], atol=1e-12)
    # Source current = current through the bridge's two top resistors.
    top_a = (1 - 4 / 7) / 1e3 + (1 - 3 / 7) / 2e3
    np.testing.assert_allclose(current_a, [top_a, -top_a], atol=1e-15)
    # A balanced bridge carries no current across.
    node_v = solver.solve(np.array([1.0, 0.0]), resistance_ohm=np.array([1e3, 2e3, 1e3, 2e3, 5e3]))
    assert node_v[1] - node_v[2] == pytest.approx(0.0, abs=1e-12)
    solver.close()


@pytest.mark.parametrize("path", ["op", "dc"])
def test_currents_obey_kirchhoff(path):
    network = random_geometric(40, 0.3, seed=11)
    r, driven, volts = _random_case(network, 1, n_driven=3, n_examples=5)
    with SpiceNetworkSolver(network, driven) as solver:
        node_v, current_a = solver.solve_with_currents(volts, r, path=path)
    # Net current leaving each node through the resistors (Laplacian times V) equals the
    # injected source current at driven nodes and zero elsewhere.
    injected = node_v @ network.laplacian(1.0 / r).T
    np.testing.assert_allclose(injected[:, driven], current_a, atol=1e-12)
    np.testing.assert_allclose(np.delete(injected, driven, axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(current_a.sum(axis=1), 0.0, atol=1e-12)


def test_changing_resistances_and_drives_between_calls():
    """Alter a few values, reload for many: every call must see the latest R and drive."""
    network = random_geometric(30, 0.35, seed=2)
    r, driven, volts = _random_case(network, 2, n_driven=3, n_examples=6)
    rng = np.random.default_rng(9)
    with SpiceNetworkSolver(network, driven, chunk_size=4) as solver:
        for step in range(6):
            if step % 2:
                r = r.copy()
                r[rng.choice(network.n_edges, 2, replace=False)] *= 1.5  # few: alter
            else:
                r = r * rng.uniform(0.5, 2.0, network.n_edges)  # all: reload
            expected = solve(
                network, driven_nodes=driven, driven_voltages_v=volts, resistance_ohm=r
            )
            np.testing.assert_allclose(solver.solve_sweep(volts, r), expected, atol=TOLERANCE_V)
            np.testing.assert_allclose(solver.solve_op(volts[step], r), expected[step], atol=1e-9)
        volts = volts + 0.25  # new drives: the sweep circuits are rebuilt
        expected = solve(network, driven_nodes=driven, driven_voltages_v=volts, resistance_ohm=r)
        np.testing.assert_allclose(solver.solve_sweep(volts, r), expected, atol=TOLERANCE_V)


def test_two_solvers_share_the_session():
    network = experiment16()
    r = np.linspace(500.0, 5000.0, network.n_edges)
    free = SpiceNetworkSolver(network, ["I1", "I2", "G1"])
    clamped = SpiceNetworkSolver(network, ["I1", "I2", "G1", "O1", "O2"])
    drive_free = np.array([1.0, -0.5, 0.0])
    drive_clamped = np.array([1.0, -0.5, 0.0, 0.3, 0.2])
    for _ in range(3):
        v_free = free.solve(drive_free, r)
        v_clamped = clamped.solve(drive_clamped, r)
    nodes_free = [network.node(n) for n in ("I1", "I2", "G1")]
    nodes_clamped = nodes_free + [network.node("O1"), network.node("O2")]
    np.testing.assert_allclose(
        v_free,
        solve(network, driven_nodes=nodes_free, driven_voltages_v=drive_free, resistance_ohm=r),
        atol=TOLERANCE_V,
    )
    np.testing.assert_allclose(
        v_clamped,
        solve(
            network, driven_nodes=nodes_clamped, driven_voltages_v=drive_clamped, resistance_ohm=r
        ),
        atol=TOLERANCE_V,
    )
    free.close()
    clamped.close()
    assert not any(name.startswith(("solver",)) for name in get_session().circuits)


def test_spice_solve_matches_solve_signature_and_shapes():
    network = experiment16()
    drive = {"I1": 1.0, "I2": -0.5, "G1": 0.0}
    one = spice_solve(network, drive)
    assert one.shape == (network.n_nodes,)
    np.testing.assert_allclose(one, solve(network, drive), atol=TOLERANCE_V)
    volts = np.array([[1.0, 0.0], [0.5, -0.5], [2.0, 1.0]])
    many = spice_solve(network, driven_nodes=[0, 4], driven_voltages_v=volts)
    assert many.shape == (3, network.n_nodes)
    np.testing.assert_allclose(
        many, solve(network, driven_nodes=[0, 4], driven_voltages_v=volts), atol=TOLERANCE_V
    )


def test_single_example_sweep():
    network = square_lattice(3, 3)
    with SpiceNetworkSolver(network, [0, 8]) as solver:
        node_v = solver.solve_sweep(np.array([[1.0, 0.0]]))
    np.testing.assert_allclose(node_v[0], solve(network, {0: 1.0, 8: 0.0}), atol=TOLERANCE_V)
    assert node_v[0][4] == pytest.approx(0.5, abs=1e-12)  # centre of a symmetric lattice


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"driven_voltages_v": np.ones(3)}, "need \\(D,\\) or \\(X, D\\)"),
        ({"driven_voltages_v": np.array([1.0, np.nan])}, "finite"),
        ({"driven_voltages_v": np.ones(2), "resistance_ohm": -np.ones(16)}, "positive finite"),
        ({"driven_voltages_v": np.ones(2), "resistance_ohm": np.ones(3)}, "one per edge"),
    ],
)
def test_bad_input_is_a_user_error(kwargs, message):
    solver = SpiceNetworkSolver(experiment16(), ["I1", "I2"])
    with pytest.raises(UserError, match=message):
        solver.solve(**kwargs)


def test_bad_driven_nodes_are_user_errors():
    with pytest.raises(UserError, match="driven twice"):
        SpiceNetworkSolver(experiment16(), [0, "I1"])
    with pytest.raises(UserError, match="unknown node"):
        SpiceNetworkSolver(experiment16(), ["X7"])
    with pytest.raises(UserError, match="at least one node"):
        SpiceNetworkSolver(experiment16(), [])


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def test_training_like_updates_keep_memory_nearly_flat():
    """Every resistance changes at every step (as in synchronous training): the solver must
    reload rather than alter, since ngspice keeps ~240 bytes per alter statement."""
    network = random_geometric(64, 0.2, seed=1)  # ~230 edges
    r, driven, volts = _random_case(network, 3, n_driven=4, n_examples=1)
    rng = np.random.default_rng(0)
    with SpiceNetworkSolver(network, driven) as solver:
        for _ in range(50):
            solver.solve(volts[0], r * rng.uniform(0.9, 1.1, network.n_edges))
        before = _rss_mib()
        for _ in range(400):
            r_step = r * rng.uniform(0.9, 1.1, network.n_edges)
            node_v = solver.solve(volts[0], r_step)
    growth = _rss_mib() - before
    expected = solve(
        network, driven_nodes=driven, driven_voltages_v=volts[0], resistance_ohm=r_step
    )
    np.testing.assert_allclose(node_v, expected, atol=TOLERANCE_V)
    # Altering all ~230 resistors per step would keep ~55 KB per step, 22 MB here.
    assert growth < 5.0, f"RSS grew by {growth:.1f} MiB over 400 steps"
