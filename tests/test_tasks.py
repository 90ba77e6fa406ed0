"""Tasks: node roles, value ranges, realisable targets, seeded draws."""

from __future__ import annotations

import numpy as np
import pytest

from coupled.core.errors import UserError
from coupled.physics.catalogue import experiment16, load_network, square_lattice
from coupled.physics.solver import solve
from coupled.physics.tasks import check_counts, default_counts, make_task, network_roles


def _rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("outputs,expected", [(1, (1, 1)), (2, (2, 1)), (5, (5, 2)), (8, (8, 4))])
def test_allostery_counts_follow_fig4d(outputs, expected):
    assert default_counts("allostery", outputs) == expected


def test_regression_roles_disjoint_and_ranges():
    net = load_network("jammed143")
    task = make_task(
        net, "regression", 2, 3, 1, _rng(), train_size=10, test_size=7, input_range_v=(0.5, 2.0)
    )
    nodes = task.inputs + task.outputs + task.grounds
    assert len(set(nodes)) == 6 and all(0 <= v < net.n_nodes for v in nodes)
    assert task.train_inputs_v.shape == (10, 2) and task.test_inputs_v.shape == (7, 2)
    assert task.train_targets_v.shape == (10, 3) and task.test_targets_v.shape == (7, 3)
    for x in (task.train_inputs_v, task.test_inputs_v):
        assert x.min() >= 0.5 and x.max() <= 2.0
    # outputs lie between the lowest and highest driven voltage (maximum principle)
    assert task.train_targets_v.min() >= 0.0 and task.train_targets_v.max() <= 2.0
    assert not task.train_inputs_v.flags.writeable


def test_targets_are_the_teachers_free_outputs():
    """Targets are realisable: the teacher network reproduces them exactly."""
    net = square_lattice(4, 4)
    task = make_task(net, "regression", 2, 2, 1, _rng(3), train_size=5, test_size=4)
    r = task.teacher_resistance_ohm
    assert r.min() >= 1000.0 and r.max() <= 10000.0
    driven = list(task.inputs) + list(task.grounds)
    for x, y in (
        (task.train_inputs_v, task.train_targets_v),
        (task.test_inputs_v, task.test_targets_v),
    ):
        volts = np.hstack([x, np.zeros((len(x), 1))])
        v = solve(net, driven_nodes=driven, driven_voltages_v=volts, resistance_ohm=r)
        assert np.allclose(v[:, list(task.outputs)], y, atol=1e-12)


def test_regression_map_is_linear():
    net = square_lattice(4, 4)
    task = make_task(net, "regression", 2, 2, 1, _rng(8), train_size=6, test_size=3)
    x = np.vstack([task.train_inputs_v, task.test_inputs_v])
    y = np.vstack([task.train_targets_v, task.test_targets_v])
    transfer, *_ = np.linalg.lstsq(x, y, rcond=None)
    assert np.allclose(x @ transfer, y, atol=1e-12)


def test_allostery_is_one_example_shared_by_train_and_test():
    net = load_network("jammed143")
    task = make_task(net, "allostery", 4, 4, 2, _rng(1), train_size=99, test_size=99)
    assert task.train_inputs_v.shape == (1, 4)
    assert np.array_equal(task.train_inputs_v, task.test_inputs_v)
    assert np.array_equal(task.train_targets_v, task.test_targets_v)


def test_same_generator_state_same_task_other_seed_other_task():
    net = load_network("jammed143")
    a = make_task(net, "regression", 2, 2, 1, _rng(5))
    b = make_task(net, "regression", 2, 2, 1, _rng(5))
    c = make_task(net, "regression", 2, 2, 1, _rng(6))
    assert a.to_dict() == b.to_dict()
    assert a.to_dict() != c.to_dict()


def test_given_roles_are_used():
    net = experiment16()
    roles = ((0, 1), (2, 3), (4,))
    task = make_task(net, "regression", 2, 2, 1, _rng(), roles=roles)
    assert (task.inputs, task.outputs, task.grounds) == roles


def test_network_roles_checked_against_counts():
    net = experiment16().with_roles(inputs=(0, 1), outputs=(2, 3), grounds=(4,))
    assert network_roles(net, 2, 2, 1) == ((0, 1), (2, 3), (4,))
    with pytest.raises(UserError, match="defines 2 inputs"):
        network_roles(net, 2, 3, 1)
    # experiment16's G1..G5 are hidden nodes: the error says so and names the counts to give
    with pytest.raises(UserError) as error:
        network_roles(experiment16(), 2, 2, 1)
    text = str(error.value)
    assert "G1..G5 are hidden nodes, not grounds" in text
    assert "inputs 2 outputs 2 grounds 0" in text and "--" not in text
    assert network_roles(experiment16(), 2, 2, 0) == ((0, 1), (2, 3), ())


def test_too_many_roles_refused_with_the_numbers():
    net = experiment16()
    with pytest.raises(UserError, match=r"= 10 nodes.*only 9 nodes"):
        check_counts(net, 4, 4, 2)
    with pytest.raises(UserError, match="^outputs 0"):
        check_counts(net, 2, 0, 1)
    check_counts(net, 4, 4, 1)  # exactly full is allowed


def test_unknown_kind_refused():
    with pytest.raises(UserError, match="^task 'sorting'"):
        make_task(experiment16(), "sorting", 2, 2, 1, _rng())
