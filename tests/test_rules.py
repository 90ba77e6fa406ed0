"""Learning rules against hand calculations, the gradient of the cost and the hardware logic."""

from __future__ import annotations

import numpy as np
import pytest

from coupled.physics import rules
from coupled.physics.catalogue import experiment16, square_lattice
from coupled.physics.solver import edge_drops, power_w, solve


def _states(net, r, inputs, outputs, grounds, x, clamp_v=None):
    driven = list(inputs) + list(grounds)
    values = list(x) + [0.0] * len(grounds)
    if clamp_v is not None:
        driven += list(outputs)
        values += list(clamp_v)
    return solve(net, driven_nodes=driven, driven_voltages_v=np.array(values), resistance_ohm=r)


def test_clamp_is_eq1():
    free, desired = np.array([1.0, 2.0]), np.array([3.0, 0.0])
    assert np.allclose(rules.clamp(free, desired, 0.25), [1.5, 1.5])
    assert np.allclose(rules.clamp(free, desired, 1.0), desired)


def test_continuous_update_hand_example():
    r = np.array([[100.0, 200.0, 300.0]])
    free = np.array([[[1.0, 1.0, 1.0]]])
    clamped = np.array([[[2.0, 1.0, 0.0]]])
    contrast = rules.squared_current_contrast(free, clamped, r)
    assert np.allclose(contrast, [[3.0 / 100.0**2, 0.0, -1.0 / 300.0**2]])
    mask = np.array([[True, True, False]])
    new = rules.continuous_update(r, contrast, mask, gamma=1e4, r_min_ohm=50, r_max_ohm=500)
    assert np.allclose(new, [[103.0, 200.0, 300.0]])  # edge 2 would shrink but is not enabled
    clipped = rules.continuous_update(r, contrast, mask, gamma=1e4, r_min_ohm=50, r_max_ohm=102)
    assert np.allclose(clipped, [[102.0, 102.0, 102.0]])


def test_batch_mask_sums_only_included_examples():
    rng = np.random.default_rng(0)
    free, clamped = rng.normal(size=(2, 2, 4, 5))
    r = rng.uniform(1, 2, size=(2, 5))
    mask = np.array([[True, False, True, False], [False, False, False, True]])
    got = rules.squared_current_contrast(free, clamped, r, mask)
    want = np.stack(
        [((clamped[k, mask[k]] ** 2 - free[k, mask[k]] ** 2).sum(0)) / r[k] ** 2 for k in range(2)]
    )
    assert np.allclose(got, want)


def _weighted_cost_setup():
    net = square_lattice(3, 4)
    rng = np.random.default_rng(3)
    r0 = rng.uniform(1000, 5000, net.n_edges)
    inputs, outputs, grounds = (0, 11), (5, 6), (3,)
    x = np.array([1.0, 2.5])
    desired = np.array([1.2, 1.9])
    return net, r0, inputs, outputs, grounds, x, desired


def _clamp_stiffness(net, r, inputs, outputs, grounds, x):
    """M with P(clamped at V_F + d) - P(free) = d^T M d, by polarisation of powers."""
    free_v = _states(net, r, inputs, outputs, grounds, x)
    vf = free_v[list(outputs)]
    p_free = power_w(net, free_v, r)

    def extra(d):
        v = _states(net, r, inputs, outputs, grounds, x, vf + d)
        return power_w(net, v, r) - p_free

    o = len(outputs)
    eye = np.eye(o)
    m = np.empty((o, o))
    for i in range(o):
        for j in range(o):
            m[i, j] = (extra(eye[i] + eye[j]) - extra(eye[i]) - extra(eye[j])) / 2
    return m


def test_gradient_check_small_eta():
    """As eta -> 0, dR / eta -> -gamma * grad_R of the clamp-weighted cost (finite differences).

    The cost is C(R) = (V_D - V_F(R))^T M (V_D - V_F(R)), with M the clamp stiffness of the
    starting state (the power the clamps add per squared volt); with one output M is a number and
    the update points along the gradient of the plain squared error.
    """
    net, r0, inputs, outputs, grounds, x, desired = _weighted_cost_setup()
    gamma = 1e6  # ohm per ampere squared: updates of about 1e-7 ohm at eta = 1e-4
    m0 = _clamp_stiffness(net, r0, inputs, outputs, grounds, x)

    def cost(r):
        vf = _states(net, r, inputs, outputs, grounds, x)[list(outputs)]
        miss = desired - vf
        return miss @ m0 @ miss

    grad = np.empty(net.n_edges)
    for i in range(net.n_edges):
        h = 1e-3 * r0[i]
        up, down = r0.copy(), r0.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (cost(up) - cost(down)) / (2 * h)

    def update_over_eta(eta):
        free_v = _states(net, r0, inputs, outputs, grounds, x)
        vc = rules.clamp(free_v[list(outputs)], desired, eta)
        clamped_v = _states(net, r0, inputs, outputs, grounds, x, vc)
        contrast = rules.squared_current_contrast(
            edge_drops(net, free_v)[None, None], edge_drops(net, clamped_v)[None, None], r0[None]
        )
        mask = np.ones((1, net.n_edges), bool)
        return (rules.continuous_update(r0[None], contrast, mask, gamma, 0, 1e12)[0] - r0) / eta

    scale = gamma * np.abs(grad).max()
    err_coarse = np.abs(update_over_eta(1e-2) + gamma * grad).max() / scale
    err_fine = np.abs(update_over_eta(1e-4) + gamma * grad).max() / scale
    assert err_fine < 1e-3
    assert err_fine < err_coarse / 10  # the discrepancy is O(eta)


def test_single_output_update_follows_plain_error_gradient():
    net = experiment16()
    rng = np.random.default_rng(5)
    r0 = rng.uniform(1000, 3000, net.n_edges)
    inputs, outputs, grounds, x, desired = (0, 1), (2,), (4,), np.array([1.0, 3.0]), [2.5]

    def error(r):
        vf = _states(net, r, inputs, outputs, grounds, x)[list(outputs)]
        return float(np.sum((vf - desired) ** 2))

    grad = np.array(
        [(error(r0 + h) - error(r0 - h)) / (2 * 1e-2) for h in np.eye(net.n_edges) * 1e-2]
    )
    free_v = _states(net, r0, inputs, outputs, grounds, x)
    clamped_v = _states(
        net, r0, inputs, outputs, grounds, x, rules.clamp(free_v[[2]], desired, 1e-5)
    )
    contrast = rules.squared_current_contrast(
        edge_drops(net, free_v)[None, None], edge_drops(net, clamped_v)[None, None], r0[None]
    )[0]
    cosine = -contrast @ grad / (np.linalg.norm(contrast) * np.linalg.norm(grad))
    assert cosine > 0.9999


def test_discrete_direction_matches_comparators_and_xor():
    """|x| > |y| exactly when [x > y] XNOR [x > -y] (the board's two comparators and XOR)."""
    rng = np.random.default_rng(1)
    clamped, free = rng.normal(size=(2, 1000))
    direction = rules.discrete_direction(free, clamped, 0.0)
    xnor = (clamped > free) == (clamped > -free)
    assert np.array_equal(direction == 1, xnor)
    assert set(np.unique(direction)) == {-1, 1}  # never "no change"


def test_discrete_bias_tips_ties_upward():
    free = np.array([1.0, 1.0, 1.0, -0.5])
    clamped = np.array([1.0, 1.02, 0.98, 0.47])
    assert rules.discrete_direction(free, clamped, 0.0).tolist() == [-1, 1, -1, -1]
    assert rules.discrete_direction(free, clamped, 0.05).tolist() == [1, 1, 1, 1]


def test_discrete_update_moves_one_tap_and_saturates():
    taps = np.array([0, 0, 5, 127, 127, 64])
    direction = np.array([-1, 1, -1, 1, -1, 1], dtype=np.int8)
    enabled = np.array([True, True, True, True, True, False])
    new = rules.discrete_update(taps, direction, enabled)
    assert new.tolist() == [0, 1, 4, 127, 126, 64]
    assert np.all(np.abs(new - taps) <= 1)


def test_discrete_drift_upward_with_bias():
    """With no contrast at all, a positive bias moves every tap up until it saturates."""
    taps = np.arange(0, 128, 8)
    zero = np.zeros(taps.size)
    sigma = np.random.default_rng(0).uniform(0, 0.05, size=(200, taps.size))
    for s in sigma:
        taps = rules.discrete_update(
            taps, rules.discrete_direction(zero, zero, s), np.ones(taps.size, bool)
        )
    assert np.all(taps == rules.N_TAPS - 1)


def test_taps_to_ohm_is_linear_between_ends():
    r = rules.taps_to_ohm(np.array([0, 127, 63]), 1000.0, 11160.0)
    assert r[0] == 1000.0 and r[1] == pytest.approx(11160.0)
    assert r[2] == pytest.approx(1000.0 + 63 * 80.0)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_update_mask_shares(p):
    u = np.random.default_rng(2).random((400, 143))
    bern = rules.update_mask(u, p, "bernoulli")
    assert abs(bern.mean() - p) < 4 * np.sqrt(p * (1 - p) / bern.size)
    fixed = rules.update_mask(u, p, "fixed")
    assert np.all(fixed.sum(axis=1) == round(p * 143))


def test_update_mask_fixed_is_uniform_over_edges():
    u = np.random.default_rng(4).random((4000, 10))
    fixed = rules.update_mask(u, 0.3, "fixed")
    assert np.allclose(fixed.mean(axis=0), 0.3, atol=0.03)


def test_mean_squared_error():
    out = np.array([[[1.0, 2.0], [0.0, 0.0]]])
    want = np.array([[[0.0, 0.0], [1.0, 1.0]]])
    assert rules.mean_squared_error(out, want).tolist() == [(5.0 + 2.0) / 2]
