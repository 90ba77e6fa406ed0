"""The compiled (numba) parts of :mod:`coupled.physics.kernels`: assembly, LDL^T, solves, updates.

Private to the kernels module, which holds the plans and the Python entry points. Only the two
entry points (``_response_kernel``, ``_continuous_kernel``) are cached on disk; the helpers are
compiled into them. Every lane performs the same sequence of IEEE operations (no fused
multiply-add, no reassociation), so a task gives identical bits alone or in any batch.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_KERNEL = {"cache": True, "error_model": "numpy"}
_HELPER = {"error_model": "numpy"}  # compiled into the kernels' cached code

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
