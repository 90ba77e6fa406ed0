"""Exact node voltages of resistor networks with driven nodes (numpy, batched).

Kirchhoff's current law on a network with conductances ``g`` reads ``L v = i`` with ``L`` the
weighted Laplacian. Driven nodes (inputs, grounds, clamped outputs) are Dirichlet boundary
conditions: their rows and columns are replaced by the identity and their known voltages moved
to the right-hand side, which leaves a symmetric positive-definite system for the remaining
nodes. Everything is batched: ``K`` conductance vectors (tasks) times ``X`` driving patterns
(examples) in one ``numpy.linalg.solve`` call.

Shapes: N nodes, E edges, K resistance vectors, X examples, D driven nodes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from coupled.core.errors import UserError
from coupled.physics.networks import Network


def laplacians(network: Network, conductance_s: np.ndarray) -> np.ndarray:
    """Weighted Laplacians for a batch of conductance vectors.

    Parameters
    ----------
    network
        The graph (its own resistances are ignored).
    conductance_s
        Edge conductances in siemens, shape (E,) or (K, E).

    Returns
    -------
    numpy.ndarray
        Shape (N, N) or (K, N, N).
    """
    g = np.asarray(conductance_s, dtype=float)
    d = network.incidence()
    return (d.T * g[..., None, :]) @ d


FLOATING_TOL = 1e-3
"""Deviation from 1 V, with every driven node at 1 V, that marks a node as unconnected."""


def dirichlet_solve(
    laplacian: np.ndarray,
    driven_mask: np.ndarray,
    driven_v: np.ndarray,
    *,
    check_connected: bool = True,
) -> np.ndarray:
    """Solve KCL with Dirichlet nodes for a batch.

    Parameters
    ----------
    laplacian
        Shape (K, N, N) (or (N, N)).
    driven_mask
        Boolean, shape (K, N) (or (N,)): True where the node voltage is imposed.
    driven_v
        Imposed voltages in volts, shape (K, X, N) (or (X, N)); entries at free nodes are ignored.
    check_connected
        Verify that every node reaches a driven node (one extra example per task, about 10 us
        per call at N = 9 to 64). Callers that guarantee it (a validated, connected ``Network``
        with positive finite resistances and at least one driven node) may skip it.

    Returns
    -------
    numpy.ndarray
        Node voltages in volts, same shape as ``driven_v``.

    Raises
    ------
    UserError
        If ``check_connected`` and some node is not connected to a driven node through finite,
        non-zero conductances (its voltage would be undefined). The check solves one extra
        example, every driven node at 1 V, whose exact solution is 1 V everywhere; LAPACK alone
        does not flag such parts reliably (rounding leaves tiny non-zero pivots and the
        floating nodes come out at 0 V).
    """
    lap = np.asarray(laplacian, dtype=float)
    mask = np.asarray(driven_mask, dtype=bool)
    values = np.where(mask[..., None, :], np.asarray(driven_v, dtype=float), 0.0)
    free = ~mask
    system = lap * (free[..., :, None] & free[..., None, :])
    n = lap.shape[-1]
    diag = np.arange(n)
    system[..., diag, diag] += mask
    if check_connected:  # one extra example, every driven node at 1 V (solution: 1 V everywhere)
        probe = np.broadcast_to(mask[..., None, :], values.shape[:-2] + (1, n))
        values = np.concatenate([values, probe], axis=-2)
    rhs = -(lap @ np.swapaxes(values, -1, -2))
    rhs = np.where(mask[..., :, None], np.swapaxes(values, -1, -2), rhs)
    message = (
        "singular network: {} reaches no driven node through finite, non-zero "
        "conductances (every connected part needs at least one input or ground)"
    )
    try:
        solution = np.linalg.solve(system, rhs)
    except np.linalg.LinAlgError:
        raise UserError(message.format("some node")) from None
    if not check_connected:
        return np.swapaxes(solution, -1, -2)
    check = solution[..., -1]
    if not np.all(np.abs(check - 1.0) <= FLOATING_TOL):
        floating = ~(np.abs(check - 1.0) <= FLOATING_TOL)
        raise UserError(message.format(f"node {np.argwhere(floating)[0][-1]}"))
    return np.swapaxes(solution[..., :-1], -1, -2)


def solve(
    network: Network,
    drive: Mapping[int | str, float] | None = None,
    *,
    driven_nodes: Sequence[int] | None = None,
    driven_voltages_v: np.ndarray | None = None,
    resistance_ohm: np.ndarray | None = None,
) -> np.ndarray:
    """Node voltages of one network, for one or many driving patterns.

    Give either ``drive`` (a mapping node -> volts, nodes by index or name) or
    ``driven_nodes`` with ``driven_voltages_v`` of shape (D,) or (X, D).

    Returns
    -------
    numpy.ndarray
        Node voltages in volts, shape (N,) or (X, N) in the network's node order.
    """
    nodes, volts = drive_arrays(network, drive, driven_nodes, driven_voltages_v)
    single = volts.ndim == 1
    volts = np.atleast_2d(volts)
    r = (
        network.resistance_ohm
        if resistance_ohm is None
        else checked_resistance(network, resistance_ohm)
    )
    mask = np.zeros(network.n_nodes, dtype=bool)
    mask[nodes] = True
    full = np.zeros((volts.shape[0], network.n_nodes))
    full[:, nodes] = volts
    v = dirichlet_solve(laplacians(network, 1.0 / r), mask, full)
    return v[0] if single else v


def checked_resistance(network: Network, resistance_ohm: np.ndarray) -> np.ndarray:
    """``resistance_ohm`` as a float array of shape (E,), or ``UserError`` naming the bad value."""
    r = np.asarray(resistance_ohm, dtype=float)
    if r.shape != (network.n_edges,):
        raise UserError(f"{r.size} resistances given for {network.n_edges} edges: one per edge")
    bad = np.flatnonzero(~np.isfinite(r) | (r <= 0))
    if bad.size:
        raise UserError(
            f"resistance_ohm[{bad[0]}] = {r[bad[0]]} must be a positive finite number of ohm"
        )
    return r


def drive_arrays(
    network: Network,
    drive: Mapping[int | str, float] | None,
    driven_nodes: Sequence[int] | None,
    driven_voltages_v: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Driven node indices and voltages from ``drive`` or ``driven_nodes`` + voltages, checked."""
    if drive is not None:
        nodes = np.array([network.node(k) for k in drive], dtype=int)
        volts = np.array([float(v) for v in drive.values()])
    else:
        if driven_nodes is None or driven_voltages_v is None:
            raise UserError("give drive= or both driven_nodes= and driven_voltages_v=")
        nodes = np.array([network.node(k) for k in driven_nodes], dtype=int)
        volts = np.asarray(driven_voltages_v, dtype=float)
    if nodes.size == 0:
        raise UserError("at least one node must be driven (an input or a ground)")
    if len(set(nodes.tolist())) != nodes.size:
        raise UserError(f"a node is driven twice: {nodes.tolist()}")
    if volts.shape[-1] != nodes.size:
        raise UserError(f"{volts.shape[-1]} voltages given for {nodes.size} driven nodes")
    if not np.all(np.isfinite(volts)):
        raise UserError("driving voltages must be finite numbers of volts")
    return nodes, volts


def edge_drops(network: Network, node_v: np.ndarray) -> np.ndarray:
    """Edge voltage drops ``V(a_i) - V(b_i)`` in volts, shape (..., E)."""
    v = np.asarray(node_v)
    return v[..., network.edges[:, 0]] - v[..., network.edges[:, 1]]


def edge_currents(network: Network, node_v: np.ndarray, resistance_ohm: np.ndarray) -> np.ndarray:
    """Edge currents from ``a_i`` to ``b_i`` in ampere, shape (..., E)."""
    return edge_drops(network, node_v) / np.asarray(resistance_ohm)


def power_w(network: Network, node_v: np.ndarray, resistance_ohm: np.ndarray) -> np.ndarray:
    """Power dissipated in the network, ``sum_i dV_i^2 / R_i``, in watt, shape (...)."""
    drops = edge_drops(network, node_v)
    return np.sum(drops**2 / np.asarray(resistance_ohm), axis=-1)


def kcl_residual_a(network: Network, node_v: np.ndarray, resistance_ohm: np.ndarray) -> np.ndarray:
    """Net current into each node (ampere), shape (..., N); zero at undriven nodes."""
    lap = laplacians(network, 1.0 / np.asarray(resistance_ohm, float))
    return np.asarray(node_v) @ lap.T
