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

Shapes: K tasks, N nodes, E edges, X examples, k inputs, O outputs. The two entry points are
compiled by numba with ``cache=True`` (in ``coupled/__pycache__``, or ``NUMBA_CACHE_DIR``): the
first call after an install or an edit of this file compiles for about 8-10 s, later processes
load the cache in well under a second (``benchmarks/bench_ideal.py`` measures both). Measured
cost of :func:`continuous_step` on ``jammed143`` (64 nodes, 143 edges, 1883 multiply-subtract
pairs per factorisation): about 2.0-2.4 us of CPU per task with 50-500 tasks per call.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

if TYPE_CHECKING:
    from coupled.physics.networks import Network
    from coupled.physics.tasks import Task

MAX_LANES = 64
"""Most tasks per block: long inner loops amortise the index work of every sparse operation,
while a block's work arrays (a few hundred KiB at 64 nodes) stay in the L2 cache."""

_KERNEL = {"cache": True, "error_model": "numpy"}
_HELPER = {"error_model": "numpy"}  # compiled into the kernels' cached code


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


# -- compiled parts -----------------------------------------------------------------------------
# Work arrays of a block of W lanes, tasks last: g (E, W) conductances, drv (N, W) driven bits,
# a (n_entries, W) system then factor, inv_d (N, W) 1 / D, tmp (most links, W) a pivot's column
# before scaling, b (N, C, W) right-hand sides then solutions (C = k + O), transfer (O, k, W) and
# inverse (O, O, W) the inverse Schur complement. The padding lanes repeat the last task.


@njit(**_HELPER)
def _block_solve(plan, roles, r, base, work):
    """Assemble, factorise and solve the tasks ``base .. base + W - 1`` into ``work``."""
    edges, edge_entry, order, link_ptr, link_node, link_entry = plan[:6]
    pair_ptr, pair_left, pair_right, pair_target = plan[6:10]
    driven, inputs, outputs, input_edge, input_node = roles
    g, drv, a, inv_d, tmp, b, transfer, inverse = work
    _assemble(edges, edge_entry, r, driven, base, g, drv, a)
    _right_hand_sides(inputs, outputs, input_edge, input_node, base, g, b)
    _factorise(
        order,
        link_ptr,
        link_node,
        link_entry,
        pair_ptr,
        pair_left,
        pair_right,
        pair_target,
        a,
        inv_d,
        tmp,
        b,
    )
    _back_substitute(order, link_ptr, link_node, link_entry, a, inv_d, b)
    _small_states(b, outputs, base, inputs.shape[1], transfer, inverse)


@njit(**_HELPER)
def _assemble(edges, edge_entry, r, driven, base, g, drv, a):
    """Conductances, driven bits and the Dirichlet system of the block."""
    n_tasks, n_edges = r.shape
    n, w = drv.shape
    for e in range(n_edges):
        for t in range(w):
            g[e, t] = 1.0 / r[min(base + t, n_tasks - 1), e]
    for v in range(n):
        for t in range(w):
            drv[v, t] = driven[min(base + t, n_tasks - 1), v]
    a[:] = 0.0
    for e in range(n_edges):
        p, q, ee = edges[e, 0], edges[e, 1], edge_entry[e]
        for t in range(w):
            a[p, t] += g[e, t]
        for t in range(w):
            a[q, t] += g[e, t]
        for t in range(w):
            a[ee, t] = 0.0 if drv[p, t] | drv[q, t] else -g[e, t]
    for v in range(n):
        for t in range(w):
            a[v, t] = 1.0 if drv[v, t] else a[v, t]


@njit(**_HELPER)
def _factorise(
    order,
    link_ptr,
    link_node,
    link_entry,
    pair_ptr,
    pair_left,
    pair_right,
    pair_target,
    a,
    inv_d,
    tmp,
    b,
):
    """Numeric L D L^T in place (D on the diagonal entries, 1 / D in inv_d, L on the others)
    and, pivot by pivot while L's column is hot, the forward substitution L y = b in b."""
    w, n_cols = a.shape[1], b.shape[1]
    for s in range(order.size):
        v = order[s]
        l0 = link_ptr[s]
        for t in range(w):
            inv_d[v, t] = 1.0 / a[v, t]
        for j in range(l0, link_ptr[s + 1]):
            ej, u = link_entry[j], link_node[j]
            for t in range(w):
                tmp[j - l0, t] = a[ej, t]
                a[ej, t] = a[ej, t] * inv_d[v, t]
            for c in range(n_cols):
                for t in range(w):
                    b[u, c, t] -= a[ej, t] * b[v, c, t]
        for i in range(pair_ptr[s], pair_ptr[s + 1]):
            tg, el, rr = pair_target[i], pair_left[i], pair_right[i]
            for t in range(w):
                a[tg, t] -= a[el, t] * tmp[rr, t]


@njit(**_HELPER)
def _right_hand_sides(inputs, outputs, input_edge, input_node, base, g, b):
    """Column j < k: input j at 1 V; column k + o: 1 A into output o."""
    w = b.shape[2]
    n_tasks, k = inputs.shape
    b[:] = 0.0
    for t in range(w):
        task = min(base + t, n_tasks - 1)
        for j in range(k):
            b[inputs[task, j], j, t] = 1.0
            for d in range(input_edge.shape[2]):
                e = input_edge[task, j, d]
                if e < 0:
                    break
                b[input_node[task, j, d], j, t] += g[e, t]
        for o in range(outputs.shape[1]):
            b[outputs[task, o], k + o, t] = 1.0


@njit(**_HELPER)
def _back_substitute(order, link_ptr, link_node, link_entry, a, inv_d, b):
    """Diagonal and backward substitution, D^-1 then L^-T, in place in ``b``."""
    n_cols, w = b.shape[1], b.shape[2]
    for s in range(order.size - 1, -1, -1):
        v = order[s]
        for c in range(n_cols):
            for t in range(w):
                b[v, c, t] = b[v, c, t] * inv_d[v, t]
        for j in range(link_ptr[s], link_ptr[s + 1]):
            u, ej = link_node[j], link_entry[j]
            for c in range(n_cols):
                for t in range(w):
                    b[v, c, t] -= a[ej, t] * b[u, c, t]


@njit(**_HELPER)
def _small_states(b, outputs, base, k, transfer, inverse):
    """The free transfer (O, k, W) and the inverse Schur complement (O, O, W)."""
    n_out, w = outputs.shape[1], b.shape[2]
    schur = np.empty((n_out, n_out, w))
    for t in range(w):
        task = min(base + t, outputs.shape[0] - 1)
        for o in range(n_out):
            node = outputs[task, o]
            for j in range(k):
                transfer[o, j, t] = b[node, j, t]
            for c in range(n_out):
                schur[o, c, t] = b[node, k + c, t]
                inverse[o, c, t] = 1.0 if o == c else 0.0
    for p in range(n_out):  # Gauss-Jordan without pivoting: G is symmetric positive definite
        for t in range(w):
            pivot = schur[p, p, t]
            for c in range(n_out):
                schur[p, c, t] = schur[p, c, t] / pivot
                inverse[p, c, t] = inverse[p, c, t] / pivot
        for row in range(n_out):
            if row != p:
                for t in range(w):
                    factor = schur[row, p, t]
                    for c in range(n_out):
                        schur[row, c, t] -= factor * schur[p, c, t]
                        inverse[row, c, t] -= factor * inverse[p, c, t]


@njit(**_HELPER)
def _clamp_currents(transfer, inverse, x, y, eta, free, current):
    """Free outputs (O, W) and clamp currents (O, W) for inputs x (k, W) and targets y (O, W)."""
    n_out, k, w = transfer.shape
    for o in range(n_out):
        for t in range(w):
            free[o, t] = 0.0
        for j in range(k):
            for t in range(w):
                free[o, t] += transfer[o, j, t] * x[j, t]
    for o in range(n_out):
        for t in range(w):
            current[o, t] = 0.0
        for c in range(n_out):
            for t in range(w):
                current[o, t] += inverse[o, c, t] * (eta * (y[c, t] - free[c, t]))


@njit(**_KERNEL)
def _response_kernel(plan, roles, r, work, out):
    b = work[5]
    w = b.shape[2]
    n_tasks = r.shape[0]
    for base in range(0, n_tasks, w):
        _block_solve(plan, roles, r, base, work)
        for t in range(min(w, n_tasks - base)):
            for v in range(b.shape[0]):
                for c in range(b.shape[1]):
                    out[base + t, v, c] = b[v, c, t]


@njit(**_KERNEL)
def _continuous_kernel(
    plan,
    roles,
    r,
    train_x,
    train_y,
    example_mask,
    edge_mask,
    eta,
    gamma,
    r_min,
    r_max,
    work,
    contrast,
    new_r,
    direction,
):
    transfer, inverse = work[6], work[7]
    w = transfer.shape[2]
    n_tasks, n_edges = r.shape
    n_out, k = transfer.shape[0], transfer.shape[1]
    m = np.empty((k, n_out, w))  # sum_j w_j x_j lambda_j^T
    q = np.empty((n_out, n_out, w))  # sum_j w_j lambda_j lambda_j^T
    total = np.empty((n_edges, w))
    for base in range(0, n_tasks, w):
        _block_solve(plan, roles, r, base, work)
        _batch_statistics(transfer, inverse, train_x, train_y, example_mask, eta, base, m, q)
        if k == 2 and n_out == 2:  # the regression tasks: one fused loop, the same arithmetic
            _contrast_sums_22(work[5], plan[0], m, q, total)
        else:
            _contrast_sums(work[5], plan[0], m, q, total)
        _update(r, work[0], total, edge_mask, gamma, r_min, r_max, base, contrast, new_r, direction)


@njit(**_HELPER)
def _batch_statistics(transfer, inverse, train_x, train_y, example_mask, eta, base, m, q):
    """m = sum_j w_j x_j lambda_j^T (k, O, W) and q = sum_j w_j lambda_j lambda_j^T (O, O, W)."""
    n_tasks, n_examples, k = train_x.shape
    n_out, w = q.shape[0], q.shape[2]
    x, y = np.empty((k, w)), np.empty((n_out, w))
    free, current = np.empty((n_out, w)), np.empty((n_out, w))
    inside = np.empty(w, dtype=np.bool_)
    m[:] = 0.0
    q[:] = 0.0
    for i in range(n_examples):
        for t in range(w):
            task = min(base + t, n_tasks - 1)
            inside[t] = example_mask[task, i]
            for j in range(k):
                x[j, t] = train_x[task, i, j]
            for c in range(n_out):
                y[c, t] = train_y[task, i, c]
        _clamp_currents(transfer, inverse, x, y, eta, free, current)
        for o in range(n_out):
            for j in range(k):
                for t in range(w):
                    m[j, o, t] += x[j, t] * current[o, t] if inside[t] else 0.0
            for c in range(n_out):
                for t in range(w):
                    q[o, c, t] += current[o, t] * current[c, t] if inside[t] else 0.0


@njit(**_HELPER)
def _contrast_sums(b, edges, m, q, total):
    """total (E, W) = sum_o dP_o (2 sum_j dF_j m_jo + sum_c dP_c q_oc), lanes innermost."""
    k, n_out = m.shape[0], m.shape[1]
    n_edges, w = total.shape
    drop = np.empty((k + n_out, w))
    inner = np.empty(w)
    for e in range(n_edges):
        p, pq = edges[e, 0], edges[e, 1]
        for c in range(k + n_out):
            for t in range(w):
                drop[c, t] = b[p, c, t] - b[pq, c, t]
        for t in range(w):
            total[e, t] = 0.0
        for o in range(n_out):
            for t in range(w):
                inner[t] = 0.0
            for j in range(k):
                for t in range(w):
                    inner[t] += drop[j, t] * m[j, o, t]
            for t in range(w):
                inner[t] = 2.0 * inner[t]
            for c in range(n_out):
                for t in range(w):
                    inner[t] += drop[k + c, t] * q[o, c, t]
            for t in range(w):
                total[e, t] += drop[k + o, t] * inner[t]


@njit(**_HELPER)
def _contrast_sums_22(b, edges, m, q, total):
    """:func:`_contrast_sums` for k = O = 2 in one loop, operation for operation the same."""
    n_edges, w = total.shape
    for e in range(n_edges):
        p, pq = edges[e, 0], edges[e, 1]
        for t in range(w):
            f0 = b[p, 0, t] - b[pq, 0, t]
            f1 = b[p, 1, t] - b[pq, 1, t]
            d0 = b[p, 2, t] - b[pq, 2, t]
            d1 = b[p, 3, t] - b[pq, 3, t]
            inner0 = 2.0 * ((0.0 + f0 * m[0, 0, t]) + f1 * m[1, 0, t])
            inner0 = (inner0 + d0 * q[0, 0, t]) + d1 * q[0, 1, t]
            inner1 = 2.0 * ((0.0 + f0 * m[0, 1, t]) + f1 * m[1, 1, t])
            inner1 = (inner1 + d0 * q[1, 0, t]) + d1 * q[1, 1, t]
            total[e, t] = (0.0 + d0 * inner0) + d1 * inner1


@njit(**_HELPER)
def _update(r, g, total, edge_mask, gamma, r_min, r_max, base, contrast, new_r, direction):
    """Contrast ``total / R^2``, clipped new resistances and the sign of the change."""
    n_tasks, n_edges = r.shape
    w = total.shape[1]
    for e in range(n_edges):
        for t in range(w):
            total[e, t] = total[e, t] * (g[e, t] * g[e, t])
    end = min(base + w, n_tasks)
    for task in range(base, end):
        for e in range(n_edges):
            contrast[task, e] = total[e, task - base]
    for task in range(base, end):  # as numpy.clip(r + where(mask, gamma * contrast, 0), ...)
        for e in range(n_edges):
            old = r[task, e]
            moved = old + (gamma * contrast[task, e] if edge_mask[task, e] else 0.0)
            moved = r_min if moved < r_min else moved
            moved = r_max if moved > r_max else moved
            new_r[task, e] = moved
            direction[task, e] = (moved > old) - (moved < old)
