"""Batched sparse elimination with a shared schedule: many tasks on one graph at once.

Many tasks on one graph differ only in their conductances and in which nodes are driven. With
driven rows and columns replaced by the identity (as in ``dirichlet_solve``) every task's system
has the sparsity pattern of the graph, so one symbolic elimination serves all of them. The
schedule eliminates, round after round, an independent set of low-degree nodes: nodes of one
round do not touch each other, so a round is a handful of vectorised numpy operations over all
tasks at once (gather, multiply, sorted segment sums). Tasks are the last, contiguous axis of
every work array (long inner loops), and every task's arithmetic is the same sequence of
operations whatever the batch, so a task gives bit-identical results alone or in any batch.

Build the schedule with :func:`plan_elimination`; assemble with :func:`planned_system`; solve
with :func:`planned_solve`. The ``ideal`` engine uses it where the compiled kernels do not apply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from coupled.physics.networks import Network


@dataclass(frozen=True, eq=False)
class _Round:
    pivots: np.ndarray  # (r,) nodes eliminated in this round
    pivot_entry: np.ndarray  # (r,) entry index of each pivot's diagonal
    nb_node: np.ndarray  # (q,) neighbour u of each (pivot, neighbour) link
    nb_pivot: np.ndarray  # (q,) position (0..r-1) of the link's pivot
    nb_entry: np.ndarray  # (q,) entry index of (u, v)
    pair_first: np.ndarray  # (s,) link index of u in the pair update A_uw -= l_uv A_vw
    pair_second_entry: np.ndarray  # (s,) entry index of (v, w); pairs sorted by target
    pair_targets: np.ndarray  # (t,) unique target entries (u, w)
    pair_sum: sp.csr_matrix  # (t, s) sums the pair products of each target
    rhs_sources: np.ndarray  # (q,) pivot node of each link
    rhs_targets: np.ndarray  # (m,) unique neighbour nodes
    rhs_sum: sp.csr_matrix  # (m, q) sums the link contributions of each neighbour
    back_sum: sp.csr_matrix  # (r, q) sums the link contributions of each pivot


@dataclass(frozen=True, eq=False)
class EliminationPlan:
    """Symbolic elimination schedule of one graph, shared by every batch of tasks on it.

    Build it with :func:`plan_elimination`; solve with :func:`planned_solve`.

    Attributes
    ----------
    n_nodes, n_edges
        Size of the graph.
    n_entries
        Stored entries of the filled upper triangle (diagonal first, then edges, then fill).
    tail_nodes
        Nodes left after the rounds; their Schur complement is solved as one dense system.
    edge_entry
        Entry index of each edge's off-diagonal, shape (E,).
    rounds
        The elimination rounds (internal).
    """

    n_nodes: int
    n_edges: int
    n_entries: int
    edges: np.ndarray
    edge_entry: np.ndarray
    rounds: tuple[_Round, ...]
    tail_nodes: np.ndarray  # (m,) nodes solved densely after the rounds
    tail_entries: np.ndarray  # (m, m) entry index of each pair of tail nodes
    incidence_t: sp.csr_matrix  # (N, E) signed incidence transposed
    abs_incidence_t: sp.csr_matrix  # (N, E) unsigned

    @property
    def n_pairs(self) -> int:
        """Multiply-add pairs per factorisation (the arithmetic cost per task)."""
        return int(sum(r.pair_first.size for r in self.rounds))


def plan_elimination(network: Network, slack: int = 1, dense_tail: int = 20) -> EliminationPlan:
    """Plan the elimination of ``network``'s nodes in rounds of independent low-degree nodes.

    Parameters
    ----------
    network
        The graph (resistances and roles are ignored).
    slack
        A round takes nodes whose current degree is at most the minimum degree plus ``slack``:
        larger values mean fewer rounds (less Python overhead) but more fill (more arithmetic).
    dense_tail
        Stop the rounds when at most this many nodes remain (they have become nearly a clique)
        and solve their Schur complement with one batched dense LAPACK solve.

    Returns
    -------
    EliminationPlan
    """
    n = network.n_nodes
    edges = network.edges
    adj: list[set[int]] = [set() for _ in range(n)]
    for a, b in edges.tolist():
        adj[a].add(b)
        adj[b].add(a)
    entry: dict[tuple[int, int], int] = {(i, i): i for i in range(n)}
    for a, b in edges.tolist():
        entry[(min(a, b), max(a, b))] = len(entry)

    def key(i: int, j: int) -> int:
        k = (min(i, j), max(i, j))
        if k not in entry:
            entry[k] = len(entry)
        return entry[k]

    remaining = set(range(n))
    rounds = []
    while len(remaining) > dense_tail:
        degree = {v: len(adj[v]) for v in remaining}
        lowest = min(degree.values())
        chosen: list[int] = []
        blocked: set[int] = set()
        for v in sorted(remaining, key=lambda u: (degree[u], u)):
            if degree[v] > lowest + slack:
                break
            if v not in blocked:
                chosen.append(v)
                blocked |= adj[v] | {v}
        nb_node, nb_pivot, nb_entry, first, second, target = [], [], [], [], [], []
        link_of: dict[tuple[int, int], int] = {}
        for pos, v in enumerate(chosen):
            for u in sorted(adj[v]):
                link_of[(v, u)] = len(nb_node)
                nb_node.append(u)
                nb_pivot.append(pos)
                nb_entry.append(key(u, v))
        for v in chosen:
            nbs = sorted(adj[v])
            for i, u in enumerate(nbs):
                for w in nbs[i:]:
                    first.append(link_of[(v, u)])
                    second.append(key(v, w))
                    target.append(key(u, w))
            for u in nbs:
                adj[u] |= adj[v]
                adj[u] -= {u, v}
            adj[v] = set()
            remaining.discard(v)
        rounds.append(_round(chosen, nb_node, nb_pivot, nb_entry, first, second, target))
    tail = np.array(sorted(remaining), dtype=np.int64)
    tail_entries = np.array([[key(i, j) for j in tail.tolist()] for i in tail.tolist()])
    n_edges = network.n_edges
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([np.arange(n_edges)] * 2)
    signs = np.concatenate([np.ones(n_edges), -np.ones(n_edges)])
    return EliminationPlan(
        n_nodes=n,
        n_edges=n_edges,
        n_entries=len(entry),
        edges=edges,
        edge_entry=np.array([entry[(min(a, b), max(a, b))] for a, b in edges.tolist()]),
        rounds=tuple(rounds),
        tail_nodes=tail,
        tail_entries=tail_entries.reshape(tail.size, tail.size),
        incidence_t=sp.csr_matrix((signs, (rows, cols)), shape=(n, n_edges)),
        abs_incidence_t=sp.csr_matrix((np.abs(signs), (rows, cols)), shape=(n, n_edges)),
    )


def _summer(keys: list[int] | np.ndarray, n_keys: int | None = None):
    """Unique keys and the 0/1 matrix that sums the rows belonging to each (sparse, C speed)."""
    keys = np.asarray(keys, dtype=np.int64)
    if n_keys is None:
        unique, index = np.unique(keys, return_inverse=True)
    else:
        unique, index = np.arange(n_keys), keys
    matrix = sp.csr_matrix(
        (np.ones(keys.size), (index, np.arange(keys.size))), shape=(unique.size, keys.size)
    )
    return unique, matrix


def _round(chosen, nb_node, nb_pivot, nb_entry, first, second, target) -> _Round:
    as_int = lambda x: np.asarray(x, dtype=np.int64)  # noqa: E731
    pair_targets, pair_sum = _summer(target)
    rhs_targets, rhs_sum = _summer(nb_node)
    return _Round(
        pivots=as_int(chosen),
        pivot_entry=as_int(chosen),
        nb_node=as_int(nb_node),
        nb_pivot=as_int(nb_pivot),
        nb_entry=as_int(nb_entry),
        pair_first=as_int(first),
        pair_second_entry=as_int(second),
        pair_targets=pair_targets,
        pair_sum=pair_sum,
        rhs_sources=as_int(chosen)[as_int(nb_pivot)] if nb_node else as_int([]),
        rhs_targets=rhs_targets,
        rhs_sum=rhs_sum,
        back_sum=_summer(nb_pivot, len(chosen))[1],
    )


def planned_system(
    plan: EliminationPlan, conductance_s: np.ndarray, driven_mask: np.ndarray
) -> np.ndarray:
    """Entries of the Dirichlet systems of a batch, shape (n_entries, K), tasks last.

    ``conductance_s`` has shape (K, E), ``driven_mask`` shape (K, N) (True where the node voltage
    is imposed). Driven rows and columns become the identity, as in :func:`dirichlet_solve`.
    """
    g = np.ascontiguousarray(np.asarray(conductance_s, dtype=float).T)  # (E, K)
    driven = np.asarray(driven_mask, dtype=bool).T  # (N, K)
    entries = np.zeros((plan.n_entries, g.shape[1]))
    free_edge = ~(driven[plan.edges[:, 0]] | driven[plan.edges[:, 1]])
    entries[plan.edge_entry] = np.where(free_edge, -g, 0.0)
    entries[: plan.n_nodes] = np.where(driven, 1.0, plan.abs_incidence_t @ g)
    return entries


def planned_solve(plan: EliminationPlan, entries: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve a batch of systems built by :func:`planned_system`.

    Parameters
    ----------
    plan
        The graph's schedule.
    entries
        System entries, shape (n_entries, K); not modified.
    rhs
        Right-hand sides, shape (N, C, K): imposed voltages at driven nodes, net injected current
        (minus the coupling to driven neighbours) at the others.

    Returns
    -------
    numpy.ndarray
        Node voltages, shape (N, C, K).
    """
    a = entries.copy()
    b = np.array(rhs, dtype=float, copy=True)
    c, k = b.shape[1], b.shape[2]
    for r in plan.rounds:
        pivot = a[r.pivot_entry]  # (r, K)
        link = a[r.nb_entry] / pivot[r.nb_pivot]  # l_uv, (q, K)
        if r.pair_first.size:
            products = link[r.pair_first] * a[r.pair_second_entry]
            a[r.pair_targets] -= r.pair_sum @ products
        if r.nb_node.size:
            contrib = link[:, None, :] * b[r.rhs_sources]  # (q, C, K)
            b[r.rhs_targets] -= (r.rhs_sum @ contrib.reshape(len(contrib), -1)).reshape(-1, c, k)
    x = np.empty_like(b)
    tail = plan.tail_nodes
    if tail.size:
        system = np.moveaxis(a[plan.tail_entries], 2, 0)  # (K, m, m)
        x[tail] = np.moveaxis(np.linalg.solve(system, np.moveaxis(b[tail], 2, 0)), 0, 2)
    for r in reversed(plan.rounds):
        value = b[r.pivots]
        if r.nb_node.size:
            contrib = a[r.nb_entry][:, None, :] * x[r.nb_node]
            value -= (r.back_sum @ contrib.reshape(len(contrib), -1)).reshape(-1, c, k)
        x[r.pivots] = value / a[r.pivot_entry][:, None, :]
    return x
