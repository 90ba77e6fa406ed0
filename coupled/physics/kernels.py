"""Compiled kernels of the ``ideal`` engine: one sparse LDL^T factorisation per task and step.

Contract. Every task of a batch lives on the same graph; its Dirichlet system (driven rows and
columns replaced by the identity, as in :func:`coupled.physics.solver.dirichlet_solve`) therefore
has the
graph's sparsity pattern whatever its driven nodes. :func:`plan_factorisation` fixes, once per
graph, a minimum-degree elimination order and the symbolic factor (the filled pattern, the
multiply-subtract pairs of the numeric factorisation, the links of the triangular solves). Each
kernel call then, per task: assembles the system from ``1 / resistance_ohm``, factorises it
numerically (``L D L^T``) and solves in one pass for the node voltages per volt on each input
(the free transfer) and per ampere injected at each output (the clamp response). The clamped
state is the free state plus the response to the output currents ``lambda`` that solve the O x O
Schur complement ``G lambda = V_C - V_F``, as described in :mod:`coupled.engines.ideal`.

Tasks are processed in blocks of ``W`` lanes (:func:`lanes`), the task innermost in every work
array, so that the compiler vectorises across tasks; the last block is padded with copies of the
last task and the padding is discarded. Every lane performs the same sequence of IEEE operations
(no fused multiply-add, no reassociation), so a task gives identical bits alone or in any batch,
at any position. Single-threaded: nothing depends on a thread count.

Shapes: K tasks, N nodes, E edges, X examples, k inputs, O outputs. The two entry points
(:mod:`coupled.physics.kernel_code`) are compiled by numba with ``cache=True`` (in
``coupled/physics/__pycache__``, or ``NUMBA_CACHE_DIR``): the first call after an install or an
edit of that module compiles for about 8-10 s, later processes load the cache in well under a second
(``benchmarks/bench_ideal.py`` measures both). Measured cost of :func:`continuous_step` on
``jammed143`` (64 nodes, 143 edges, 1883 multiply-subtract pairs per factorisation): about 2.0-2.4
us of CPU per task with 50-500 tasks per call.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from coupled.physics.kernel_code import _continuous_kernel, _response_kernel

if TYPE_CHECKING:
    from coupled.physics.networks import Network
    from coupled.physics.tasks import Task

MAX_LANES = 64
"""Most tasks per block: long inner loops amortise the index work of every sparse operation,
while a block's work arrays (a few hundred KiB at 64 nodes) stay in the L2 cache."""


def lanes(n_tasks: int, max_lanes: int | None = None) -> int:
    """Block width for ``n_tasks`` tasks: equal blocks of at most ``max_lanes``, a multiple of 8
    (the compiled loops handle 8 lanes per iteration; other widths leave a scalar remainder)."""
    most = MAX_LANES if max_lanes is None else max_lanes
    blocks = max(1, -(-n_tasks // most))
    return max(8, min(most, 8 * -(-n_tasks // (8 * blocks))))


@dataclass(frozen=True, eq=False)
class FactorPlan:
    """Symbolic ``L D L^T`` factorisation of one graph's Laplacian pattern.

    Entries of the filled symmetric pattern are numbered: diagonal ``v`` is entry ``v``, then the
    edges, then fill. Step ``s`` eliminates node ``order[s]``; its links (later neighbours
    ``link_node[j]``, entry ``link_entry[j]``) are ``link_ptr[s]:link_ptr[s + 1]``; its pairs
    ``pair_ptr[s]:pair_ptr[s + 1]`` do ``A[pair_target] -= L[pair_left] * A_v[pair_right]``
    (``pair_left`` an entry, ``pair_right`` a link position within the step).

    Attributes
    ----------
    n_nodes, n_edges, n_entries
        Sizes; ``n_entries`` counts the filled triangle including the diagonal.
    edges, edge_entry
        The graph's edges (E, 2) and the entry of each edge.
    order, link_ptr, link_node, link_entry, pair_ptr, pair_left, pair_right, pair_target
        The schedule (int64 arrays).
    """

    n_nodes: int
    n_edges: int
    n_entries: int
    edges: np.ndarray
    edge_entry: np.ndarray
    order: np.ndarray
    link_ptr: np.ndarray
    link_node: np.ndarray
    link_entry: np.ndarray
    pair_ptr: np.ndarray
    pair_left: np.ndarray
    pair_right: np.ndarray
    pair_target: np.ndarray

    @property
    def n_pairs(self) -> int:
        """Multiply-subtract pairs of one numeric factorisation (per task)."""
        return int(self.pair_target.size)

    @cached_property
    def arrays(self) -> tuple:
        """The schedule as the kernels take it."""
        most_links = int(np.diff(self.link_ptr).max(initial=1))
        return (
            self.edges,
            self.edge_entry,
            self.order,
            self.link_ptr,
            self.link_node,
            self.link_entry,
            self.pair_ptr,
            self.pair_left,
            self.pair_right,
            self.pair_target,
            self.n_entries,
            most_links,
        )


def plan_factorisation(network: Network) -> FactorPlan:
    """Minimum-degree order and symbolic factor of ``network``'s graph (roles ignored).

    Parameters
    ----------
    network
        The graph.

    Returns
    -------
    FactorPlan
    """
    n = network.n_nodes
    edges = np.asarray(network.edges, dtype=np.int64)
    adj: list[set[int]] = [set() for _ in range(n)]
    entry: dict[tuple[int, int], int] = {(i, i): i for i in range(n)}

    def key(i: int, j: int) -> int:
        return entry.setdefault((min(i, j), max(i, j)), len(entry))

    for a, b in edges.tolist():
        adj[a].add(b)
        adj[b].add(a)
    edge_entry = [key(a, b) for a, b in edges.tolist()]
    remaining = set(range(n))
    order, link_ptr, link_node, link_entry = [], [0], [], []
    pair_ptr, pair_left, pair_right, pair_target = [0], [], [], []
    while remaining:
        v = min(remaining, key=lambda u: (len(adj[u]), u))
        nbs = sorted(adj[v])
        order.append(v)
        link_node += nbs
        link_entry += [key(u, v) for u in nbs]
        for i, u in enumerate(nbs):
            for j in range(i, len(nbs)):
                pair_left.append(key(u, v))
                pair_right.append(j)
                pair_target.append(key(u, nbs[j]))
        link_ptr.append(len(link_node))
        pair_ptr.append(len(pair_target))
        for u in nbs:
            adj[u] |= adj[v]
            adj[u] -= {u, v}
        adj[v] = set()
        remaining.discard(v)
    as_int = lambda x: np.asarray(x, dtype=np.int64)  # noqa: E731
    return FactorPlan(
        n_nodes=n,
        n_edges=len(edges),
        n_entries=len(entry),
        edges=edges,
        edge_entry=as_int(edge_entry),
        order=as_int(order),
        link_ptr=as_int(link_ptr),
        link_node=as_int(link_node),
        link_entry=as_int(link_entry),
        pair_ptr=as_int(pair_ptr),
        pair_left=as_int(pair_left),
        pair_right=as_int(pair_right),
        pair_target=as_int(pair_target),
    )


@dataclass(frozen=True, eq=False)
class TaskArrays:
    """Node roles and training examples of a batch of tasks, in the kernels' layout.

    Attributes
    ----------
    driven
        Bool (K, N): inputs and grounds (the free state's driven nodes).
    inputs, outputs
        Node indices (K, k) and (K, O), int64.
    input_edge, input_node
        Per task and input, the edges to undriven neighbours and those neighbours (K, k, D),
        padded with -1: where an input's 1 V enters the right-hand side.
    train_inputs_v, train_targets_v
        Training examples (K, X, k) and their targets (K, X, O), volts.
    """

    driven: np.ndarray
    inputs: np.ndarray
    outputs: np.ndarray
    input_edge: np.ndarray
    input_node: np.ndarray
    train_inputs_v: np.ndarray
    train_targets_v: np.ndarray

    @classmethod
    def from_tasks(cls, tasks: list[Task], network: Network) -> TaskArrays:
        """From tasks on ``network`` that share k and O."""
        k_tasks = len(tasks)
        driven = np.zeros((k_tasks, network.n_nodes), dtype=bool)
        for t, task in enumerate(tasks):
            driven[t, list(task.inputs) + list(task.grounds)] = True
        inputs = np.array([t.inputs for t in tasks], dtype=np.int64).reshape(k_tasks, -1)
        links: list[list[list[tuple[int, int]]]] = [
            [
                [
                    (e, int(a + b - s))
                    for e, (a, b) in enumerate(network.edges.tolist())
                    if s in (a, b) and not driven[t, a + b - s]
                ]
                for s in row
            ]
            for t, row in enumerate(inputs.tolist())
        ]
        depth = max([len(x) for row in links for x in row], default=0) or 1
        input_edge = np.full(inputs.shape + (depth,), -1, dtype=np.int64)
        input_node = np.full(inputs.shape + (depth,), -1, dtype=np.int64)
        for t, row in enumerate(links):
            for j, pairs in enumerate(row):
                for d, (e, u) in enumerate(pairs):
                    input_edge[t, j, d], input_node[t, j, d] = e, u
        return cls(
            driven=driven,
            inputs=inputs,
            outputs=np.array([t.outputs for t in tasks], dtype=np.int64).reshape(k_tasks, -1),
            input_edge=input_edge,
            input_node=input_node,
            train_inputs_v=_f64(np.stack([t.train_inputs_v for t in tasks])),
            train_targets_v=_f64(np.stack([t.train_targets_v for t in tasks])),
        )

    @cached_property
    def roles(self) -> tuple:
        """The role arrays as the kernels take them."""
        return (self.driven, self.inputs, self.outputs, self.input_edge, self.input_node)


def _f64(array) -> np.ndarray:
    return np.ascontiguousarray(array, dtype=np.float64)


def node_response(plan: FactorPlan, tasks: TaskArrays, resistance_ohm: np.ndarray) -> np.ndarray:
    """Node voltages per volt on each input and per ampere into each output.

    Returns
    -------
    numpy.ndarray
        Shape (K, N, k + O): column ``j < k`` is the free state with input ``j`` at 1 V and the
        other driven nodes at 0 V; column ``k + o`` the voltages caused by 1 A injected at
        output ``o`` with every driven node at 0 V.
    """
    r = _f64(resistance_ohm)
    out = np.empty((r.shape[0], plan.n_nodes, tasks.inputs.shape[1] + tasks.outputs.shape[1]))
    w = lanes(r.shape[0])
    _response_kernel(plan.arrays, tasks.roles, r, _work(plan, tasks, w), out)
    return out


def continuous_step(
    plan: FactorPlan,
    tasks: TaskArrays,
    resistance_ohm: np.ndarray,
    example_mask: np.ndarray,
    edge_mask: np.ndarray,
    eta: float,
    gamma: float,
    r_min_ohm: float,
    r_max_ohm: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One continuous step (Eq. 1-3) of every task.

    Parameters
    ----------
    plan, tasks
        The graph's schedule and the batch.
    resistance_ohm
        Shape (K, E).
    example_mask, edge_mask
        The batch's examples (K, X) and the update bits (K, E), bool.
    eta, gamma, r_min_ohm, r_max_ohm
        Clamping factor, learning rate (ohm per ampere squared) and clipping bounds.

    Returns
    -------
    contrast_a2 : numpy.ndarray
        ``sum_j w_j [(I_C)^2 - (I_F)^2]`` over the batch (K, E), ampere squared.
    resistance_ohm : numpy.ndarray
        ``clip(R + where(edge_mask, gamma * contrast, 0), r_min_ohm, r_max_ohm)`` (K, E), as
        :func:`coupled.physics.rules.continuous_update`.
    direction : numpy.ndarray
        Sign of the applied change (K, E), int8.
    """
    r = _f64(resistance_ohm)
    contrast, new_r = np.empty_like(r), np.empty_like(r)
    direction = np.empty(r.shape, dtype=np.int8)
    work = _work(plan, tasks, lanes(r.shape[0]))
    _continuous_kernel(
        plan.arrays,
        tasks.roles,
        r,
        tasks.train_inputs_v,
        tasks.train_targets_v,
        np.ascontiguousarray(example_mask, dtype=bool),
        np.ascontiguousarray(edge_mask, dtype=bool),
        float(eta),
        float(gamma),
        float(r_min_ohm),
        float(r_max_ohm),
        work,
        contrast,
        new_r,
        direction,
    )
    return contrast, new_r, direction


def _work(plan: FactorPlan, tasks: TaskArrays, w: int) -> tuple:
    """The work arrays of one block (see the comment above the compiled parts)."""
    n, n_edges = plan.n_nodes, plan.n_edges
    k, n_out = tasks.inputs.shape[1], tasks.outputs.shape[1]
    return (
        np.empty((n_edges, w)),
        np.empty((n, w), dtype=np.bool_),
        np.empty((plan.n_entries, w)),
        np.empty((n, w)),
        np.empty((plan.arrays[11], w)),
        np.empty((n, k + n_out, w)),
        np.empty((n_out, k, w)),
        np.empty((n_out, n_out, w)),
    )
