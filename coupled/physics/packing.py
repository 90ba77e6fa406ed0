"""Jammed packings of bidisperse soft disks and their contact networks.

The group's simulated networks are contact networks of 2D jammed packings: disks in a periodic
square box of side ``L``, half of diameter ``d`` and half of diameter ``1.4 d`` (the usual
bidisperse mixture that does not crystallise), interacting by a harmonic repulsion

    U = sum over overlapping pairs (eps / 2) (1 - r_ij / sigma_ij)^2,   sigma_ij = (d_i + d_j) / 2,

with ``r_ij`` the minimum-image distance. A packing is made by placing the disks uniformly at
random (from an explicit ``numpy.random.Generator``) in the box whose side gives the requested
packing fraction ``phi`` and minimising ``U`` with FIRE (Bitzek et al., PRL 97, 170201, 2006;
with the FIRE 2.0 step-back of Guenole et al., 2020). Slightly above jamming (phi about 0.84 for
this mixture) the minimum has ``U > 0``; the contact network joins every pair of disks that still
overlap.

Contract
--------
- Units: the small diameter is the unit of length, ``eps = 1`` the unit of energy, disk mass 1.
- Disk ``i`` is small for ``i < n_disks // 2`` and large otherwise (:func:`bidisperse_diameters`).
- Everything is deterministic given the generator: plain element-wise numpy arithmetic, no BLAS.
- :func:`contact_network` refuses (``UserError``) a packing whose contacts are ambiguous (an
  overlap or a gap smaller than ``contact_tol``), that has rattlers (a disk with fewer than three
  contacts, the minimum for a mechanically stable disk in 2D) or whose contacts do not connect
  all disks; rattlers are never removed, so the node count stays ``n_disks``.
- ``scripts/make_jammed143.py`` fixes the seed and packing fraction of the built-in ``jammed143``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from coupled.core.errors import UserError
from coupled.core.options import check_whole
from coupled.physics.networks import DEFAULT_RESISTANCE_OHM, Network

DIAMETER_RATIO = 1.4
"""Large-to-small diameter ratio of the bidisperse mixture."""

MIN_CONTACTS = 3
"""Fewest contacts of a disk that is not a rattler (d + 1 in d = 2 dimensions)."""


@dataclass(frozen=True)
class FireConfig:
    """Settings of the FIRE minimiser (time in units of sqrt(mass d^2 / eps)).

    Parameters
    ----------
    force_tol
        Stop when the largest force component is below this (units eps / d).
    max_iterations
        Give up (``UserError``) after this many MD steps.
    dt_initial, dt_max
        Initial and largest time step.
    n_min
        Steps with positive power before the step grows.
    f_inc, f_dec
        Time-step growth and cut factors.
    alpha_start, f_alpha
        Initial velocity-mixing weight and its decay factor.
    """

    force_tol: float = 1e-13
    max_iterations: int = 200_000
    dt_initial: float = 0.05
    dt_max: float = 0.5
    n_min: int = 5
    f_inc: float = 1.1
    f_dec: float = 0.5
    alpha_start: float = 0.1
    f_alpha: float = 0.99


@dataclass(frozen=True)
class Packing:
    """A minimised packing of disks in a periodic square box.

    Parameters
    ----------
    positions
        Disk centres, shape (N, 2), wrapped into ``[0, box_size)``.
    diameters
        Disk diameters, shape (N,).
    box_size
        Side of the periodic box.
    energy
        Harmonic energy at the minimum (units of eps).
    max_force
        Largest force component left at the end of the minimisation (eps / d).
    n_iterations
        MD steps that FIRE took.
    """

    positions: np.ndarray
    diameters: np.ndarray
    box_size: float
    energy: float
    max_force: float
    n_iterations: int

    @property
    def packing_fraction(self) -> float:
        """Area of the disks over the area of the box."""
        return float(np.pi / 4 * np.sum(self.diameters**2) / self.box_size**2)


def bidisperse_diameters(n_disks: int, diameter_ratio: float = DIAMETER_RATIO) -> np.ndarray:
    """Diameters of a 50/50 mixture: ``n_disks // 2`` of diameter 1, the rest ``diameter_ratio``.

    Parameters
    ----------
    n_disks
        Number of disks, at least 2.
    diameter_ratio
        Large-to-small diameter ratio, at least 1.

    Returns
    -------
    numpy.ndarray
        Shape (n_disks,), small disks first.
    """
    n_disks = check_whole("n_disks", n_disks, 2)
    if not np.isfinite(diameter_ratio) or diameter_ratio < 1:
        raise UserError(f"diameter_ratio {diameter_ratio!r}: must be a finite number >= 1")
    diameters = np.ones(n_disks)
    diameters[n_disks // 2 :] = float(diameter_ratio)
    return diameters


def box_size_for(diameters: np.ndarray, packing_fraction: float) -> float:
    """Side of the square box in which ``diameters`` fill the fraction ``packing_fraction``.

    Parameters
    ----------
    diameters
        Disk diameters, shape (N,).
    packing_fraction
        Wanted area fraction, in (0, 1).

    Returns
    -------
    float
        Box side, in the unit of the diameters.
    """
    if not 0 < packing_fraction < 1:
        raise UserError(f"packing_fraction {packing_fraction!r}: must be in (0, 1)")
    return float(np.sqrt(np.pi / 4 * np.sum(np.asarray(diameters) ** 2) / packing_fraction))


def _pair_geometry(
    positions: np.ndarray, diameters: np.ndarray, box_size: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Minimum-image separations (N, N, 2), distances (N, N) and contact distances (N, N)."""
    delta = positions[:, None, :] - positions[None, :, :]
    delta -= box_size * np.round(delta / box_size)
    distance = np.sqrt(delta[..., 0] ** 2 + delta[..., 1] ** 2)
    sigma = (diameters[:, None] + diameters[None, :]) / 2
    return delta, distance, sigma


def energy_forces(
    positions: np.ndarray, diameters: np.ndarray, box_size: float
) -> tuple[float, np.ndarray]:
    """Harmonic energy and the force on every disk.

    Parameters
    ----------
    positions
        Disk centres, shape (N, 2).
    diameters
        Disk diameters, shape (N,).
    box_size
        Side of the periodic box (minimum-image convention; needs ``box_size > 2 max(d)``).

    Returns
    -------
    energy : float
        ``sum over pairs (1/2) (1 - r/sigma)^2`` for ``r < sigma`` (units of eps).
    forces : numpy.ndarray
        ``-grad U``, shape (N, 2).
    """
    delta, distance, sigma = _pair_geometry(positions, diameters, box_size)
    np.fill_diagonal(distance, np.inf)
    overlap = np.maximum(1.0 - distance / sigma, 0.0)
    energy = 0.25 * float(np.sum(overlap**2))  # each pair counted twice
    magnitude = overlap / (sigma * distance)  # |F| / r, zero where no overlap
    forces = np.stack(
        [np.sum(magnitude * delta[..., 0], axis=1), np.sum(magnitude * delta[..., 1], axis=1)],
        axis=1,
    )
    return energy, forces


def fire_minimise(
    positions: np.ndarray,
    diameters: np.ndarray,
    box_size: float,
    config: FireConfig = FireConfig(),  # noqa: B008 - frozen, immutable default
) -> Packing:
    """Minimise the harmonic energy with FIRE.

    Parameters
    ----------
    positions
        Starting disk centres, shape (N, 2).
    diameters
        Disk diameters, shape (N,).
    box_size
        Side of the periodic box.
    config
        Minimiser settings.

    Returns
    -------
    Packing
        The relaxed packing (positions wrapped into the box).

    Raises
    ------
    UserError
        If the largest force is still above ``config.force_tol`` after ``config.max_iterations``.
    """
    x = np.array(positions, dtype=float)
    d = np.asarray(diameters, dtype=float)
    if box_size <= 2 * d.max():
        raise UserError(f"box_size {box_size!r}: must exceed twice the largest diameter")
    v = np.zeros_like(x)
    dt, alpha, n_positive = config.dt_initial, config.alpha_start, 0
    energy, force = energy_forces(x, d, box_size)
    n_steps = 0
    while n_steps < config.max_iterations and np.max(np.abs(force)) >= config.force_tol:
        n_steps += 1
        power = float(np.sum(force * v))
        if power > 0:
            n_positive += 1
            if n_positive > config.n_min:
                dt = min(dt * config.f_inc, config.dt_max)
                alpha *= config.f_alpha
        else:
            n_positive = 0
            dt *= config.f_dec
            alpha = config.alpha_start
            x -= 0.5 * dt * v  # step back half a step (FIRE 2.0)
            v[:] = 0.0
        v += dt * force  # semi-implicit Euler, unit mass
        force_norm = np.sqrt(np.sum(force**2))
        if force_norm > 0:
            v = (1 - alpha) * v + alpha * np.sqrt(np.sum(v**2)) / force_norm * force
        x += dt * v
        energy, force = energy_forces(x, d, box_size)
    max_force = float(np.max(np.abs(force)))
    if max_force >= config.force_tol:
        raise UserError(
            f"FIRE did not converge: largest force {max_force:.3g} after "
            f"{config.max_iterations} steps; allowed below force_tol {config.force_tol:g}"
        )
    return Packing(
        positions=np.mod(x, box_size),
        diameters=d.copy(),
        box_size=float(box_size),
        energy=energy,
        max_force=max_force,
        n_iterations=n_steps,
    )


def random_packing(
    n_disks: int,
    packing_fraction: float,
    rng: np.random.Generator,
    diameter_ratio: float = DIAMETER_RATIO,
    config: FireConfig = FireConfig(),  # noqa: B008 - frozen, immutable default
) -> Packing:
    """Place bidisperse disks uniformly at random at ``packing_fraction`` and minimise.

    Parameters
    ----------
    n_disks
        Number of disks (half small, half large).
    packing_fraction
        Area fraction, in (0, 1); jamming is near 0.84 for this mixture.
    rng
        Source of the random initial positions (the only randomness).
    diameter_ratio
        Large-to-small diameter ratio.
    config
        FIRE settings.

    Returns
    -------
    Packing
        The relaxed packing.
    """
    diameters = bidisperse_diameters(n_disks, diameter_ratio)
    box_size = box_size_for(diameters, packing_fraction)
    start = rng.random((int(n_disks), 2)) * box_size
    return fire_minimise(start, diameters, box_size, config)


def contacts(packing: Packing) -> tuple[np.ndarray, float]:
    """Overlapping pairs and how clearly they are separated from the non-overlapping ones.

    Parameters
    ----------
    packing
        A packing.

    Returns
    -------
    edges : numpy.ndarray
        Shape (E, 2), pairs ``i < j`` whose minimum-image distance is below their contact
        distance, in lexicographic order.
    margin : float
        Smallest ``|1 - r/sigma|`` over all pairs: how far the closest call is from touching.
    """
    _, distance, sigma = _pair_geometry(packing.positions, packing.diameters, packing.box_size)
    i, j = np.triu_indices(len(packing.diameters), k=1)
    ratio = distance[i, j] / sigma[i, j]
    touching = ratio < 1.0
    edges = np.stack([i[touching], j[touching]], axis=1)
    return edges, float(np.min(np.abs(1.0 - ratio)))


def contact_network(
    packing: Packing,
    contact_tol: float = 1e-8,
    resistance_ohm: float = DEFAULT_RESISTANCE_OHM,
    name: str = "packing",
) -> Network:
    """The contact network of a packing without rattlers.

    Parameters
    ----------
    packing
        A minimised packing.
    contact_tol
        Every pair must overlap, or miss, by more than this fraction of its contact distance.
    resistance_ohm
        Resistance given to every edge.
    name
        Network label.

    Returns
    -------
    Network
        Nodes are the disks (positions kept, ``box_size`` set); edges the overlapping pairs.

    Raises
    ------
    UserError
        If a contact is ambiguous, a disk has fewer than three contacts (a rattler), or the
        contacts do not connect all disks.
    """
    edges, margin = contacts(packing)
    n = len(packing.diameters)
    if margin <= contact_tol:
        raise UserError(
            f"packing: a pair is within {margin:.3g} of touching; contacts must be clear by "
            f"more than contact_tol {contact_tol:g}"
        )
    degree = np.bincount(edges.ravel(), minlength=n)
    if np.any(degree < MIN_CONTACTS):
        rattler = int(np.flatnonzero(degree < MIN_CONTACTS)[0])
        raise UserError(
            f"packing: disk {rattler} has {degree[rattler]} contacts (a rattler); every disk "
            f"needs at least {MIN_CONTACTS}"
        )
    graph = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    n_parts = connected_components(graph, directed=False)[0]
    if n_parts > 1:
        raise UserError(f"packing: contact network has {n_parts} parts; it must be connected")
    return Network(
        n_nodes=n,
        edges=edges,
        resistance_ohm=np.full(len(edges), resistance_ohm),
        positions=packing.positions,
        name=name,
        box_size=packing.box_size,
    )
