"""Learning rules as pure functions of the state and the step's random draws.

Shapes: K tasks, X examples, E edges, O outputs. Voltages in volts, currents in ampere.

Continuous rule (paper Eq. 1-3)
    Clamp the outputs at ``V_C = V_F + eta (V_D - V_F)`` (:func:`clamp`), then
    ``dR_i = gamma * sum_j w_j [(I_ij^C)^2 - (I_ij^F)^2]`` over the examples ``j`` in the
    (mini-)batch (``w_j`` in {0, 1}: :func:`squared_current_contrast`), applied only where the
    edge's update bit ``theta_i`` is set, and clipped to ``[r_min_ohm, r_max_ohm]``
    (:func:`continuous_update`). ``gamma`` is in ohm per ampere squared; eta is not divided out.

Discrete rule (paper Eq. 10-11)
    Resistances sit on ``N_TAPS = 128`` taps spaced linearly from ``r_min_ohm`` (tap 0) to
    ``r_max_ohm`` (tap 127) (:func:`taps_to_ohm`). Each enabled edge moves exactly one tap in the
    direction ``s = +1`` if ``|dV_C| - |dV_F| + sigma > 0`` else ``-1`` (:func:`discrete_direction`)
    and saturates at the ends (:func:`discrete_update`). The comparator bias ``sigma`` is drawn
    by the training loop, uniform on ``[0, sigma_v]`` per edge per step (or once per comparator).
    The rule sees one example per step, because the board holds one clamped state at a time.

Defaults (``DEFAULT_*``): taps from 1 kOhm to 10 kOhm, an AD5220-class 10 kOhm potentiometer
(128 positions, up/down interface) in series with about 1 kOhm so that no edge becomes a short.
Continuous resistances are clipped to the same range. Voltage drops depend only on resistance
*ratios*, so the tap range sets the relative step size (0.7 % at the top, 7 % at the bottom); the
voltage scale (inputs 0 to 5 V by default, see :mod:`coupled.physics.tasks` for the measurements)
and the sense gain (:mod:`coupled.physics.sensing`: sigma acts on the drops as sigma / G) set
how strongly sigma competes with the contrastive signal.
"""

from __future__ import annotations

import numpy as np

N_TAPS = 128
"""Positions of the digital potentiometer (taps 0..127)."""
DEFAULT_R_MIN_OHM = 1000.0
"""Bottom of the resistance range: tap 0 and the continuous rule's lower clip (ohm)."""
DEFAULT_R_MAX_OHM = 10000.0
"""Top of the resistance range: tap 127 and the continuous rule's upper clip (ohm)."""
DEFAULT_SIGMA_V = 0.05
"""Comparator bias bound of the board: sigma ~ U[0, 0.05] V (paper)."""


def clamp(free_output_v: np.ndarray, desired_v: np.ndarray, eta: float) -> np.ndarray:
    """Clamped output voltages ``V_F + eta (V_D - V_F)`` (Eq. 1), any matching shapes."""
    return free_output_v + eta * (desired_v - free_output_v)


def squared_current_contrast(
    free_drop_v: np.ndarray,
    clamped_drop_v: np.ndarray,
    resistance_ohm: np.ndarray,
    example_mask: np.ndarray | None = None,
) -> np.ndarray:
    """Summed ``(I^C)^2 - (I^F)^2`` over the examples of the batch, ampere squared.

    Parameters
    ----------
    free_drop_v, clamped_drop_v
        Edge voltage drops of the free and clamped states, shape (K, X, E).
    resistance_ohm
        Shape (K, E).
    example_mask
        Shape (K, X), True for examples in the batch; ``None`` includes all.

    Returns
    -------
    numpy.ndarray
        Shape (K, E).
    """
    diff = clamped_drop_v**2 - free_drop_v**2
    if example_mask is not None:
        diff = np.where(np.asarray(example_mask, bool)[..., None], diff, 0.0)
    return diff.sum(axis=-2) / resistance_ohm**2


def continuous_update(
    resistance_ohm: np.ndarray,
    contrast_a2: np.ndarray,
    edge_mask: np.ndarray,
    gamma: float,
    r_min_ohm: float = DEFAULT_R_MIN_OHM,
    r_max_ohm: float = DEFAULT_R_MAX_OHM,
) -> np.ndarray:
    """New resistances after one continuous step (Eq. 2-3).

    Parameters
    ----------
    resistance_ohm
        Current resistances, shape (K, E).
    contrast_a2
        ``sum_j [(I^C)^2 - (I^F)^2]`` per edge, ampere squared (:func:`squared_current_contrast`).
    edge_mask
        Update bits theta, bool (K, E).
    gamma
        Learning rate, ohm per ampere squared.
    r_min_ohm, r_max_ohm
        Clipping bounds.

    Returns
    -------
    numpy.ndarray
        Shape (K, E); unchanged where ``edge_mask`` is False (apart from clipping).
    """
    step = np.where(edge_mask, gamma * contrast_a2, 0.0)
    return np.clip(resistance_ohm + step, r_min_ohm, r_max_ohm)


def discrete_direction(
    free_drop_v: np.ndarray, clamped_drop_v: np.ndarray, sigma_v: np.ndarray | float = 0.0
) -> np.ndarray:
    """Tap direction of Eq. 10: +1 where ``|dV_C| - |dV_F| + sigma > 0``, else -1 (int8)."""
    signal = np.abs(clamped_drop_v) - np.abs(free_drop_v) + sigma_v
    return np.where(signal > 0, 1, -1).astype(np.int8)


def discrete_update(
    taps: np.ndarray, direction: np.ndarray, edge_mask: np.ndarray, n_taps: int = N_TAPS
) -> np.ndarray:
    """Move every enabled edge one tap in its direction, saturating at 0 and ``n_taps - 1``.

    ``n_taps`` is the pot's tap count (128 for the default AD5220).
    """
    moved = np.asarray(taps, dtype=np.int64) + np.where(edge_mask, direction, 0)
    return np.clip(moved, 0, n_taps - 1)


def taps_to_ohm(
    taps: np.ndarray,
    r_min_ohm: float = DEFAULT_R_MIN_OHM,
    r_max_ohm: float = DEFAULT_R_MAX_OHM,
    n_taps: int = N_TAPS,
) -> np.ndarray:
    """Resistance of each tap: linear from ``r_min_ohm`` (tap 0) to ``r_max_ohm`` (tap
    ``n_taps - 1``, 127 for the default pot)."""
    return r_min_ohm + np.asarray(taps, dtype=float) * ((r_max_ohm - r_min_ohm) / (n_taps - 1))


def update_mask(uniform: np.ndarray, p: float, mode: str) -> np.ndarray:
    """Update (or batch-inclusion) bits from uniform draws along the last axis.

    ``mode="bernoulli"``: each bit set independently with probability ``p`` (``u < p``).
    ``mode="fixed"``: exactly ``round(p n)`` bits set (at least one), those with the smallest
    draws, i.e. a uniformly random subset.
    """
    if mode == "bernoulli":
        return uniform < p
    n = uniform.shape[-1]
    count = max(1, int(round(p * n)))
    if count >= n:
        return np.ones(uniform.shape, dtype=bool)
    ranks = np.argsort(np.argsort(uniform, axis=-1, kind="stable"), axis=-1, kind="stable")
    return ranks < count


def mean_squared_error(output_v: np.ndarray, desired_v: np.ndarray) -> np.ndarray:
    """Error of the paper: mean over examples of the sum over outputs of squared misses (V^2).

    Shapes (..., X, O) -> (...).
    """
    return np.mean(np.sum((output_v - desired_v) ** 2, axis=-1), axis=-1)
