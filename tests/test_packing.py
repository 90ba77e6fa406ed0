"""The packing generator and the shipped jammed143 network.

Independent expectations: finite-difference gradients of the energy, hand-computed two-disk
overlaps, Newton's third law, force balance and local stability at a minimum, and a brute-force
recount of the contacts of the shipped file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from coupled.core.errors import UserError
from coupled.physics.catalogue import jammed143
from coupled.physics.packing import (
    FireConfig,
    Packing,
    bidisperse_diameters,
    box_size_for,
    contact_network,
    contacts,
    energy_forces,
    fire_minimise,
    random_packing,
)

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "coupled" / "data" / "jammed143.txt"


def packing_of(positions, diameters, box_size: float) -> Packing:
    d = np.asarray(diameters, float)
    return Packing(np.asarray(positions, float), d, box_size, 0.0, 0.0, 0)


def test_two_disks_by_hand():
    # unit disks 0.8 apart: overlap 1 - 0.8 = 0.2, U = 0.2^2 / 2, |F| = 0.2 / sigma
    energy, forces = energy_forces(np.array([[1.0, 1.0], [1.8, 1.0]]), np.ones(2), 10.0)
    assert energy == pytest.approx(0.02)
    assert forces == pytest.approx(np.array([[-0.2, 0.0], [0.2, 0.0]]))
    # sigma = (1 + 1.4) / 2 = 1.2 at distance 0.9 (3-4-5 triangle): overlap 0.25, |F| = 0.25/1.2
    energy, forces = energy_forces(np.array([[0.0, 0.0], [0.54, 0.72]]), np.array([1.0, 1.4]), 10.0)
    assert energy == pytest.approx(0.5 * 0.25**2)
    assert forces[1] == pytest.approx(0.25 / 1.2 * np.array([0.6, 0.8]))


def test_minimum_image_across_the_boundary():
    # 0.2 and 9.6 in a box of 10 are 0.6 apart through the wall
    positions = np.array([[0.2, 5.0], [9.6, 5.0]])
    energy, forces = energy_forces(positions, np.ones(2), 10.0)
    assert energy == pytest.approx(0.5 * 0.4**2)
    assert forces[0] == pytest.approx([0.4, 0.0])  # pushed away from the wall image at -0.4
    edges, margin = contacts(packing_of(positions, np.ones(2), 10.0))
    assert edges.tolist() == [[0, 1]] and margin == pytest.approx(0.4)


def test_disks_apart_have_no_energy():
    energy, forces = energy_forces(np.array([[1.0, 1.0], [2.5, 1.0]]), np.ones(2), 10.0)
    assert energy == 0.0 and np.all(forces == 0.0)


def test_forces_are_minus_the_energy_gradient_and_sum_to_zero():
    rng = np.random.default_rng(3)
    diameters = bidisperse_diameters(20)
    box = box_size_for(diameters, 0.9)
    x = rng.random((20, 2)) * box
    energy, forces = energy_forces(x, diameters, box)
    assert energy > 0
    h = 1e-6
    numeric = np.zeros_like(x)
    for i in range(20):
        for k in range(2):
            up, down = x.copy(), x.copy()
            up[i, k] += h
            down[i, k] -= h
            numeric[i, k] = -(
                energy_forces(up, diameters, box)[0] - energy_forces(down, diameters, box)[0]
            ) / (2 * h)
    assert np.allclose(forces, numeric, atol=1e-7)
    assert np.allclose(forces.sum(axis=0), 0.0, atol=1e-12)  # Newton's third law


def test_bidisperse_mixture_and_box():
    d = bidisperse_diameters(64)
    assert np.sum(d == 1.0) == 32 and np.sum(d == 1.4) == 32 and np.all(d[:32] == 1.0)
    box = box_size_for(d, 0.85)
    assert np.pi / 4 * np.sum(d**2) / box**2 == pytest.approx(0.85)
    with pytest.raises(UserError, match="packing_fraction 1.2: must be in"):
        box_size_for(d, 1.2)
    with pytest.raises(UserError, match="n_disks 1: must be a whole number >= 2"):
        bidisperse_diameters(1)
    with pytest.raises(UserError, match="diameter_ratio 0.5: must be a finite number >= 1"):
        bidisperse_diameters(4, 0.5)


def test_fire_relaxes_a_dilute_packing_to_zero_energy():
    packing = random_packing(32, 0.5, np.random.default_rng(0))
    assert packing.energy < 1e-20
    assert packing.packing_fraction == pytest.approx(0.5)


def test_fire_finds_a_stable_minimum_above_jamming():
    rng = np.random.default_rng(11)
    packing = random_packing(32, 0.88, rng)
    assert packing.energy > 1e-4  # jammed: overlaps remain
    energy, forces = energy_forces(packing.positions, packing.diameters, packing.box_size)
    assert np.max(np.abs(forces)) < FireConfig().force_tol
    assert energy == pytest.approx(packing.energy, rel=1e-12)
    assert np.all((packing.positions >= 0) & (packing.positions < packing.box_size))
    for _ in range(20):  # a local minimum: small displacements raise the energy
        kick = 1e-4 * rng.standard_normal(packing.positions.shape)
        kicked = packing.positions + kick
        assert energy_forces(kicked, packing.diameters, packing.box_size)[0] > energy


def test_fire_gives_up_with_a_user_error():
    with pytest.raises(UserError, match="FIRE did not converge: largest force .* after 3 steps"):
        random_packing(32, 0.88, np.random.default_rng(0), config=FireConfig(max_iterations=3))
    with pytest.raises(UserError, match="must exceed twice the largest diameter"):
        fire_minimise(np.zeros((2, 2)), np.ones(2), 1.5)


def test_seeded_determinism():
    a = random_packing(32, 0.86, np.random.default_rng(5))
    b = random_packing(32, 0.86, np.random.default_rng(5))
    c = random_packing(32, 0.86, np.random.default_rng(6))
    assert np.array_equal(a.positions, b.positions) and a.energy == b.energy
    assert not np.array_equal(a.positions, c.positions)


def _square_cluster(corner: tuple[float, float]) -> list[list[float]]:
    x, y = corner
    return [[x, y], [x + 0.5, y], [x, y + 0.5], [x + 0.5, y + 0.5]]  # all 6 pairs overlap


def test_contact_network_of_a_hand_built_packing():
    net = contact_network(packing_of(_square_cluster((1, 1)), np.ones(4), 10.0), name="k4")
    assert net.n_edges == 6 and net.box_size == 10.0 and net.name == "k4"
    assert net.edges.tolist() == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]


def test_contact_network_refuses_rattlers_islands_and_near_touches():
    with pytest.raises(UserError, match="disk 4 has 0 contacts \\(a rattler\\)"):
        contact_network(packing_of(_square_cluster((1, 1)) + [[6, 6]], np.ones(5), 10.0))
    with pytest.raises(UserError, match="disk 4 has 1 contacts"):
        contact_network(packing_of(_square_cluster((1, 1)) + [[2.4, 1.5]], np.ones(5), 10.0))
    islands = _square_cluster((1, 1)) + _square_cluster((6, 6))
    with pytest.raises(UserError, match="contact network has 2 parts; it must be connected"):
        contact_network(packing_of(islands, np.ones(8), 10.0))
    touching = _square_cluster((1, 1)) + [[2.5 + 1e-12, 1.0]]
    with pytest.raises(UserError, match="within 1e-12 of touching"):
        contact_network(packing_of(touching, np.ones(5), 10.0))


def test_shipped_file_is_the_contact_network_of_a_force_balanced_packing():
    net = jammed143()
    diameters = bidisperse_diameters(64)
    packing = packing_of(net.positions, diameters, net.box_size)
    edges, margin = contacts(packing)  # brute-force recount from the file's positions
    assert np.array_equal(edges, net.edges)
    assert margin > 1e-6  # no near-touches: rounding in the file cannot flip a contact
    assert packing.packing_fraction == pytest.approx(0.858, abs=1e-9)
    _, forces = energy_forces(net.positions, diameters, net.box_size)
    assert np.max(np.abs(forces)) < 1e-8  # a minimum up to the 1e-10 rounding of positions
    assert np.all(net.degree() >= 3)


def test_script_regenerates_the_file_byte_for_byte(tmp_path):
    out = tmp_path / "jammed143.txt"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_jammed143.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "64 nodes, 143 edges" in result.stdout
    assert out.read_bytes() == SHIPPED.read_bytes()
