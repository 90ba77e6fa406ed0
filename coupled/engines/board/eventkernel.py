"""The compiled (numba) event loop of :mod:`coupled.engines.board.eventtwin`.

One call runs one example period of one batch: for each task, each firing in time order reads
the free twin's outputs and the firing edge's drops from ``M_f b_f``, holds the clamped twin's
outputs at ``V_F + eta (V_D - V_F)``, reads its drops from ``M_c b_c``, decides by the board's
law (sensing stages, comparators with their offsets, XOR; the arithmetic of
:func:`coupled.engines.board.twin.board_directions` term by term) or by the rule with sigma, and
moves the tap; a moved tap updates both inverses by Sherman-Morrison. The inverses are first
computed afresh from the taps (Gauss-Jordan with partial pivoting). Compiled with
``cache=True`` (first call after an install compiles for a few seconds).
"""

from __future__ import annotations

import numpy as np
from numba import njit

LAW_BOARD = 0
"""Decide by the board's comparators and offsets (``--sigma-mode board``)."""
LAW_SIGMA = 1
"""Decide by the rule ``|dV_C| - |dV_F| + sigma > 0`` with the step's sigma."""


@njit(error_model="numpy")
def _stage(gain, offset, u, low, high, ref):
    return min(max(gain * (u + offset) + ref, low), high) - ref


@njit(error_model="numpy")
def _rank_one(m, k, u, w, free_u, free_w, dg, mc, am):
    n = m.shape[1]
    for i in range(n):
        mc[i] = m[k, i, u] * free_u - m[k, i, w] * free_w
        am[i] = m[k, u, i] - m[k, w, i]
    scale = dg / (1.0 + dg * (mc[u] - mc[w]))
    for i in range(n):
        factor = scale * mc[i]
        if factor != 0.0:
            for j in range(n):
                m[k, i, j] -= factor * am[j]


@njit(error_model="numpy")
def _row_dot(m, k, row, b):
    acc = 0.0
    for j in range(b.shape[1]):
        acc += m[k, row, j] * b[k, j]
    return acc


@njit(error_model="numpy")
def _invert_dirichlet(m, k, edges, g, undriven, work):
    """``m[k] = A^{-1}``: the Laplacian of conductances ``g[k]`` (E,), driven rows identity;
    Gauss-Jordan elimination with partial pivoting on ``work`` (N, N)."""
    n = work.shape[0]
    for i in range(n):
        for j in range(n):
            work[i, j] = 0.0
            m[k, i, j] = 1.0 if i == j else 0.0
    for e in range(edges.shape[0]):
        u, w = edges[e, 0], edges[e, 1]
        work[u, u] += g[k, e]
        work[w, w] += g[k, e]
        work[u, w] -= g[k, e]
        work[w, u] -= g[k, e]
    for i in range(n):
        if undriven[k, i] == 0.0:
            for j in range(n):
                work[i, j] = 0.0
            work[i, i] = 1.0
    for col in range(n):
        pivot = col
        for r in range(col + 1, n):
            if abs(work[r, col]) > abs(work[pivot, col]):
                pivot = r
        if pivot != col:
            for j in range(n):
                work[col, j], work[pivot, j] = work[pivot, j], work[col, j]
                m[k, col, j], m[k, pivot, j] = m[k, pivot, j], m[k, col, j]
        scale = 1.0 / work[col, col]
        for j in range(n):
            work[col, j] *= scale
            m[k, col, j] *= scale
        for r in range(n):
            factor = work[r, col]
            if r != col and factor != 0.0:
                for j in range(n):
                    work[r, j] -= factor * work[col, j]
                    m[k, r, j] -= factor * m[k, col, j]


@njit(cache=True, error_model="numpy")
def period_kernel(
    m_f, m_c, b_f, b_c, outputs, targets, eta, edges, undriven_f, undriven_c, fired,
    taps, g_free, g_clamped, law, gains, offsets, swing, offset_a, offset_b, sigma, directions,
    invert,
):  # fmt: skip
    """One example period. ``m_f``/``m_c`` (K, N, N): set here to the twins' inverses at
    ``taps`` (K, E) if ``invert``, else given; then updated firing by firing. ``taps`` and
    ``b_c`` are updated in place, ``directions`` (K, n) written; ``swing`` is (low, high,
    reference) of the amplifiers (V)."""
    k_tasks, n = m_f.shape[0], m_f.shape[1]
    n_taps = g_free.shape[1]
    low, high, ref = swing[0], swing[1], swing[2]
    mc = np.empty(n)
    am = np.empty(n)
    work = np.empty((n, n))
    g = np.empty((k_tasks, edges.shape[0]))
    for k in range(k_tasks):
        if invert:
            for e in range(edges.shape[0]):
                g[k, e] = g_free[e, taps[k, e]]
            _invert_dirichlet(m_f, k, edges, g, undriven_f, work)
            for e in range(edges.shape[0]):
                g[k, e] = g_clamped[e, taps[k, e]]
            _invert_dirichlet(m_c, k, edges, g, undriven_c, work)
        for j in range(fired.shape[0]):
            e = fired[j]
            u, w = edges[e, 0], edges[e, 1]
            for o in range(outputs.shape[1]):
                node = outputs[k, o]
                vo = _row_dot(m_f, k, node, b_f)
                b_c[k, node] = vo + eta * (targets[k, o] - vo)
            fd = _row_dot(m_f, k, u, b_f) - _row_dot(m_f, k, w, b_f)
            cd = _row_dot(m_c, k, u, b_c) - _row_dot(m_c, k, w, b_c)
            if law == LAW_BOARD:
                a_f = _stage(gains[0, e], offsets[0, e], fd, low, high, ref)
                a_c = _stage(gains[1, e], offsets[1, e], cd, low, high, ref)
                a_n = _stage(gains[2, e], offsets[2, e], -fd, low, high, ref)
                s_a = _stage(gains[3, e], offsets[3, e], a_c - a_f, low, high, ref)
                s_b = _stage(gains[4, e], offsets[4, e], a_c - a_n, low, high, ref)
                up = (s_a + offset_a[e] > 0) == (s_b + offset_b[e] > 0)
            else:
                up = abs(cd) - abs(fd) + sigma[k, e] > 0
            d = 1 if up else -1
            directions[k, j] = d
            old = taps[k, e]
            new = min(max(old + d, 0), n_taps - 1)
            if new != old:
                _rank_one(
                    m_f, k, u, w, undriven_f[k, u], undriven_f[k, w],
                    g_free[e, new] - g_free[e, old], mc, am,
                )  # fmt: skip
                _rank_one(
                    m_c, k, u, w, undriven_c[k, u], undriven_c[k, w],
                    g_clamped[e, new] - g_clamped[e, old], mc, am,
                )  # fmt: skip
                taps[k, e] = new
