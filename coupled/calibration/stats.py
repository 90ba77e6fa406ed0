"""Calibration statistics: correlation of update events, p against bias, comparator bias.

Pure data in, tidy tables and plain dicts out (the events come from
``coupled/engines/board/events.py``):

* :func:`pearson_matrix` and :func:`correlation_summary`: the Pearson correlation of update
  events between pairs of edges (at the bias that gives p = 0.5), with the null expectation for
  independent trains and the paper's value :data:`PAPER_PEARSON`;
* :func:`p_against_bias`: the share of triggers at which each edge's enable output is high, mean
  and spread over edges, against the phase model's duty;
* :func:`effective_comparator_bias` and :func:`effective_bias_summary`: the effective comparator
  bias of the direction cells, measured by a dc sweep of each edge's comparators and XOR cell in
  the process's ngspice session, and its distribution against the paper's U[0, 0.05] V.

Malformed inputs raise :class:`coupled.core.errors.UserError`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from coupled.circuits.oscillator import DEFAULT_SUPPLY_V
from coupled.core.errors import UserError

RESOLUTION_V = 1e-6
"""Resolution of the measured comparator thresholds (V) used when counting them in a range."""
PAPER_PEARSON = 0.01
"""Pearson correlation between pairs of edges at p = 0.5 measured on the paper's board."""


# --- statistics --------------------------------------------------------------------------------


def pearson_matrix(events: np.ndarray) -> np.ndarray:
    """Pearson correlation between the event trains of every pair of edges.

    Parameters
    ----------
    events
        Shape (n_triggers, E), booleans or numbers: one train per edge.

    Returns
    -------
    numpy.ndarray
        (E, E), ones on the diagonal; NaN in the rows and columns of constant trains (an edge
        that always or never fires has no defined correlation).
    """
    x = np.asarray(events, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2:
        raise UserError(f"events: need shape (n_triggers >= 2, edges), got {x.shape}")
    centred = x - x.mean(axis=0)
    norm = np.sqrt(np.sum(centred**2, axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (centred.T @ centred) / np.outer(norm, norm)
    constant = norm <= 1e-12 * math.sqrt(x.shape[0])
    r[constant, :] = np.nan
    r[:, constant] = np.nan
    np.fill_diagonal(r, np.where(constant, np.nan, 1.0))
    return np.clip(r, -1.0, 1.0)


AUTOCORRELATION_LAGS = 10
"""Lags (in triggers) of each edge's enable autocorrelation."""


def autocorrelation(events: np.ndarray, lags: int = AUTOCORRELATION_LAGS) -> np.ndarray:
    """Autocorrelation in time of each edge's event train at lags 1..``lags``.

    ``r_k = mean((x_n - m)(x_{n+k} - m)) / var(x)`` per edge, with the train's own mean ``m``
    and variance; NaN for a constant train. A Bernoulli stream gives about 0 at every lag; a
    deterministic oscillator sampled at a fixed trigger period (a rotation) does not.

    Parameters
    ----------
    events
        Shape (n_triggers, E).
    lags
        Largest lag, at least 1 and below ``n_triggers``.

    Returns
    -------
    numpy.ndarray
        Shape (E, lags).
    """
    x = np.asarray(events, dtype=float)
    n = x.shape[0]
    if not 1 <= lags < n:
        raise UserError(f"autocorrelation lags {lags!r}: need 1 <= lags < {n} triggers")
    d = x - x.mean(axis=0)
    var = (d**2).mean(axis=0)
    out = np.empty((x.shape[1], lags))
    with np.errstate(invalid="ignore", divide="ignore"):
        for k in range(1, lags + 1):
            out[:, k - 1] = (d[:-k] * d[k:]).mean(axis=0) / var
    out[var == 0] = np.nan
    return out


def rotation_autocorrelation(rotation: float, p: float, lags: int) -> np.ndarray:
    """Autocorrelation at lags 1..``lags`` of ``x_n = [frac(n * rotation + phase) < p]``.

    Two arcs of length ``p`` shifted by ``d = frac(k * rotation)`` overlap by
    ``max(0, p - d) + max(0, p + d - 1)``, so ``r_k = (overlap - p^2) / (p (1 - p))`` (the
    limit of many triggers for an irrational rotation).
    """
    d = np.mod(np.arange(1, lags + 1) * float(rotation), 1.0)
    overlap = np.maximum(0.0, p - d) + np.maximum(0.0, p + d - 1.0)
    return (overlap - p * p) / (p * (1.0 - p))


def autocorrelation_summary(events: np.ndarray, lags: int = AUTOCORRELATION_LAGS) -> dict:
    """Mean over edges of each lag's autocorrelation, and the null spread ``1/sqrt(n)``."""
    r = autocorrelation(events, lags)
    return {
        "lags": list(range(1, lags + 1)),
        "mean_autocorrelation": [float(v) for v in np.nanmean(r, axis=0)],
        "mean_abs_autocorrelation": [float(v) for v in np.nanmean(np.abs(r), axis=0)],
        "null_std": 1.0 / math.sqrt(np.asarray(events).shape[0]),
    }


def correlation_summary(matrix: np.ndarray, n_triggers: int) -> dict:
    """Mean and largest |r| over distinct pairs, with the null expectation for n triggers.

    For independent trains ``r`` is about normal with standard deviation ``1/sqrt(n)``, so the
    null mean of ``|r|`` is ``sqrt(2 / (pi n))``.
    """
    e = matrix.shape[0]
    upper = matrix[np.triu_indices(e, k=1)]
    finite = np.abs(upper[np.isfinite(upper)])
    return {
        "mean_abs_pearson": float(finite.mean()) if finite.size else float("nan"),
        "median_abs_pearson": float(np.median(finite)) if finite.size else float("nan"),
        "max_abs_pearson": float(finite.max()) if finite.size else float("nan"),
        "mean_pearson": float(upper[np.isfinite(upper)].mean()) if finite.size else float("nan"),
        "n_pairs": int(finite.size),
        "n_constant_edges": int(np.sum(~np.isfinite(np.diag(matrix)))),
        "n_triggers": int(n_triggers),
        "null_mean_abs_pearson": math.sqrt(2.0 / (math.pi * n_triggers)),
        "null_std_pearson": 1.0 / math.sqrt(n_triggers),
        "paper_pearson": PAPER_PEARSON,
    }


# --- effective comparator bias -----------------------------------------------------------------

QUADRANTS = (("++", 1, 1), ("--", -1, -1), ("+-", 1, -1), ("-+", -1, 1))
"""(label, sign of dV_C, sign of dV_F) of the four branches of the direction logic."""


def effective_comparator_bias(
    offset_a_v: np.ndarray,
    offset_b_v: np.ndarray,
    *,
    model=None,
    vdd_v: float = DEFAULT_SUPPLY_V,
    vss_v: float = 0.0,
    drop_v: float = 0.5,
    sweep_v: float = 0.1,
    step_v: float = 2e-4,
) -> pd.DataFrame:
    """Each edge's decision threshold in ``|dV_C| - |dV_F|``, by a dc sweep of its cell.

    Every edge's two decision comparators (``comp_lm339`` with its drawn offsets) and XOR gate
    (``xor_74hc86``) are built four times, once per sign branch of (dV_C, dV_F), with
    ``|dV_F| = drop_v`` and ``|dV_C| = drop_v + d``. A dc sweep of ``d`` over
    ``[-sweep_v, sweep_v]`` (step ``step_v``) finds where the direction (XNOR = up) turns on;
    a second sweep, each cell shifted to its coarse threshold, resolves it to ``step_v / 100``.
    The rule ``|dV_C| - |dV_F| + sigma > 0`` then gives ``sigma = -d*``.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``edge``, ``branch`` (``"++"`` ...), ``sign_clamped``, ``sign_free``,
        ``offset_a_v``, ``offset_b_v``, ``sigma_v`` (measured; NaN if no single switch in the
        sweep), ``sigma_formula_v`` (``coupled.circuits.comparator.effective_sigma_v``).
    """
    from coupled.circuits import comparator

    oa = np.atleast_1d(np.asarray(offset_a_v, dtype=float))
    ob = np.atleast_1d(np.asarray(offset_b_v, dtype=float))
    if oa.shape != ob.shape or oa.ndim != 1:
        raise UserError("offsets: offset_a_v and offset_b_v need one value per edge each")
    model = comparator.ComparatorModel() if model is None else model
    bench = (oa, ob, model, vdd_v, vss_v, drop_v)
    coarse = _threshold_sweep(bench, np.zeros(4 * oa.size), sweep_v, step_v)
    fine = _threshold_sweep(bench, np.nan_to_num(coarse), 2 * step_v, step_v / 100)
    threshold = np.where(np.isfinite(coarse), fine, np.nan)
    rows = []
    for k, (edge, (label, sx, sy)) in enumerate((e, q) for e in range(oa.size) for q in QUADRANTS):
        formula = comparator.effective_sigma_v(sx * drop_v, sy * drop_v, oa[edge], ob[edge])
        rows.append(
            {
                "edge": edge,
                "branch": label,
                "sign_clamped": sx,
                "sign_free": sy,
                "offset_a_v": float(oa[edge]),
                "offset_b_v": float(ob[edge]),
                "sigma_v": -float(threshold[k]),
                "sigma_formula_v": float(formula),
            }
        )
    return pd.DataFrame(rows)


def _threshold_sweep(bench: tuple, centre_v: np.ndarray, half_v: float, step_v: float):
    """Switching points d* of every cell for ``d`` swept over ``centre +- half`` (NaN if none)."""
    from coupled.circuits import comparator, xor
    from coupled.circuits.library import inline_library, library_file
    from coupled.spice.session import get_session

    oa, ob, model, vdd_v, vss_v, drop_v = bench
    lines = [
        "* effective comparator bias: decision cells of every edge",
        inline_library([library_file(comparator.LIBRARY), library_file(xor.LIBRARY)]),
        "Vd d 0 0",
    ]
    names = []
    for k, (edge, (_label, sx, sy)) in enumerate((e, q) for e in range(oa.size) for q in QUADRANTS):
        tag = f"{edge}_{'pm'[sx < 0]}{'pm'[sy < 0]}"
        lines += [
            f"Bx{tag} 0 x{tag} I = {sx}*({drop_v!r} + {float(centre_v[k])!r} + v(d))",
            f"Rx{tag} x{tag} 0 1",
            f"Vy{tag} y{tag} 0 {sy * drop_v!r}",
            f"Vn{tag} n{tag} 0 {-sy * drop_v!r}",
            comparator.comparator_instance(
                name=f"XCMPA_{tag}",
                inp=f"x{tag}",
                inn=f"y{tag}",
                out=f"a{tag}",
                offset_v=oa[edge],
                model=model,
                low_v=vss_v,
                high_v=vdd_v,
            ),
            comparator.comparator_instance(
                name=f"XCMPB_{tag}",
                inp=f"x{tag}",
                inn=f"n{tag}",
                out=f"b{tag}",
                offset_v=ob[edge],
                model=model,
                low_v=vss_v,
                high_v=vdd_v,
            ),
            xor.xor_instance(
                name=f"XXOR_{tag}",
                a=f"a{tag}",
                b=f"b{tag}",
                out=f"o{tag}",
                low_v=vss_v,
                high_v=vdd_v,
            ),
        ]
        names.append(f"v(o{tag})")
    session = get_session()
    session.load("\n".join(lines) + "\n.end\n", name="effective_bias")
    try:
        data = session.dc("vd", -half_v, half_v, step_v, names=["v-sweep", *names])
    finally:
        session.remove("effective_bias")
    d = data["v-sweep"]
    mid = 0.5 * (vdd_v + vss_v)
    found = np.full(len(names), np.nan)
    for k, name in enumerate(names):
        up = mid - data[name]  # XNOR: positive when the tap goes up
        on = np.flatnonzero((up[:-1] <= 0) & (up[1:] > 0))
        if on.size == 1 and up[0] <= 0 < up[-1]:
            i = on[0]
            found[k] = centre_v[k] + d[i] - up[i] * (d[i + 1] - d[i]) / (up[i + 1] - up[i])
    return found


def effective_bias_summary(table: pd.DataFrame, paper_high_v: float = 0.05) -> dict:
    """Distribution of the measured sigma against the paper's U[0, ``paper_high_v``] V.

    Reported for all branches and for the branches with a positive clamped drop (where the
    offsets act as the paper's upward bias); includes the Kolmogorov-Smirnov distance to the
    uniform law and the largest difference from the offset formula.
    """
    from scipy import stats

    def describe(values: np.ndarray) -> dict:
        values = values[np.isfinite(values)]
        if values.size == 0:
            return {"n": 0}
        ks = stats.kstest(values, "uniform", args=(0.0, paper_high_v))
        return {
            "n": int(values.size),
            "mean_v": float(values.mean()),
            "std_v": float(values.std()),
            "min_v": float(values.min()),
            "max_v": float(values.max()),
            "share_in_paper_range": float(
                np.mean((values >= -RESOLUTION_V) & (values <= paper_high_v + RESOLUTION_V))
            ),
            "ks_statistic_vs_paper": float(ks.statistic),
            "ks_pvalue_vs_paper": float(ks.pvalue),
        }

    sigma = table["sigma_v"].to_numpy()
    positive = table["sign_clamped"].to_numpy() > 0
    return {
        "paper_law": f"U[0, {paper_high_v:g}] V",
        "all_branches": describe(sigma),
        "positive_clamped_drop": describe(sigma[positive]),
        "negative_clamped_drop": describe(sigma[~positive]),
        "negative_clamped_drop_flipped": describe(-sigma[~positive]),
        "max_abs_error_vs_formula_v": float(
            np.nanmax(np.abs(sigma - table["sigma_formula_v"].to_numpy()))
        ),
        "n_unresolved": int(np.sum(~np.isfinite(sigma))),
    }
