"""Paired comparisons of final errors across p: geometric-mean ratio with a seeded bootstrap.

The same task (seed, task index, initial taps) trained at a smaller p (``low``) and a larger p
(``high``) gives one ratio ``high / low``; over all pairs:

``ratio``
    Geometric mean of the pair ratios (above 1: the smaller p ends lower).
``ci_low``, ``ci_high``
    95 % percentile bootstrap interval of that geometric mean (pairs resampled, seeded).
``tasks``, ``seeds``
    Number of pairs and of distinct seeds.
``wins``
    Share of pairs where the smaller p ends lower (ties count one half).
``verdict``
    ``holds`` (interval above 1), ``contradicted`` (below 1), ``not resolved`` (spans 1).

A small stand-in kept to these column names so a shared helper can replace it.
"""

from __future__ import annotations

import numpy as np

PAIRED_COLUMNS = ("ratio", "ci_low", "ci_high", "tasks", "seeds", "wins", "verdict")
RESAMPLES = 4000
CONFIDENCE = 0.95


def verdict(ci_low: float, ci_high: float) -> str:
    """``holds`` if the interval is above 1, ``contradicted`` below 1, else ``not resolved``."""
    if ci_low > 1.0:
        return "holds"
    if ci_high < 1.0:
        return "contradicted"
    return "not resolved"


def paired(
    low: np.ndarray,
    high: np.ndarray,
    seeds: np.ndarray | None = None,
    *,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> dict:
    """Paired comparison of positive values ``low[i]`` and ``high[i]`` of the same task.

    Parameters
    ----------
    low, high
        Values (errors, powers) at the smaller and at the larger p, element ``i`` from task i.
    seeds
        Seed of each pair (only counted); ``None``: one seed.
    seed
        Seed of the bootstrap.
    resamples
        Bootstrap resamples.

    Returns
    -------
    dict
        The :data:`PAIRED_COLUMNS`.
    """
    lo = np.asarray(low, dtype=float).ravel()
    hi = np.asarray(high, dtype=float).ravel()
    tiny = np.finfo(float).tiny
    logs = np.log(np.maximum(hi, tiny)) - np.log(np.maximum(lo, tiny))
    n = logs.size
    wins = float(np.mean(np.where(lo < hi, 1.0, np.where(lo == hi, 0.5, 0.0)))) if n else np.nan
    if n == 0:
        ci = (np.nan, np.nan)
    elif n == 1:
        ci = (float(np.exp(logs[0])),) * 2
    else:
        rng = np.random.default_rng(seed)
        means = logs[rng.integers(0, n, size=(resamples, n))].mean(axis=1)
        tail = (1.0 - CONFIDENCE) / 2.0
        ci = tuple(float(np.exp(q)) for q in np.quantile(means, [tail, 1.0 - tail]))
    ratio = float(np.exp(logs.mean())) if n else np.nan
    return {
        "ratio": ratio,
        "ci_low": ci[0],
        "ci_high": ci[1],
        "tasks": int(n),
        "seeds": 1 if seeds is None else int(len(np.unique(seeds))),
        "wins": wins,
        "verdict": verdict(*ci) if n else "not resolved",
    }


def paired_difference(
    low: np.ndarray,
    high: np.ndarray,
    seeds: np.ndarray | None = None,
    *,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> dict:
    """Mean paired difference ``high - low`` with a seeded percentile bootstrap interval.

    For quantities that may be zero (shares): ``diff``, ``ci_low``, ``ci_high``, ``tasks``,
    ``seeds`` and ``wins`` (share of pairs with ``high > low``, ties one half).
    """
    lo = np.asarray(low, dtype=float).ravel()
    hi = np.asarray(high, dtype=float).ravel()
    d = hi - lo
    n = d.size
    if n > 1:
        rng = np.random.default_rng(seed)
        means = d[rng.integers(0, n, size=(resamples, n))].mean(axis=1)
        tail = (1.0 - CONFIDENCE) / 2.0
        ci = tuple(float(q) for q in np.quantile(means, [tail, 1.0 - tail]))
    else:
        ci = (float(d.mean()),) * 2 if n else (np.nan, np.nan)
    return {
        "diff": float(d.mean()) if n else np.nan,
        "ci_low": ci[0],
        "ci_high": ci[1],
        "tasks": int(n),
        "seeds": 1 if seeds is None else int(len(np.unique(seeds))),
        "wins": float(np.mean(np.where(hi > lo, 1.0, np.where(hi == lo, 0.5, 0.0))))
        if n
        else np.nan,
    }


def describe(row: dict) -> str:
    """``ratio (CI a-b), smaller p lower in w % of n tasks: verdict``."""
    return (
        f"{row['ratio']:.3g}x (95 % CI {row['ci_low']:.3g}-{row['ci_high']:.3g}), smaller p lower "
        f"in {row['wins']:.0%} of {row['tasks']} tasks: {row['verdict']}"
    )


__all__ = ["PAIRED_COLUMNS", "describe", "paired", "paired_difference", "verdict"]
