"""Verdicts on an ordering in p from paired comparisons across tasks and seeds.

A claim such as "desynchronisation lowers the final error" compares the same task (same seed,
same task index, same initial taps) trained at a smaller and at a larger p. Each pair gives one
error ratio ``error(p_high) / error(p_low)``; over all pairs of all seeds this module reports

``ratio``
    The geometric mean of the pair ratios, ``exp(mean(log(error_high / error_low)))``: above 1
    when the smaller p ends lower (the same direction as the paper's "x times lower").
``ci_low``, ``ci_high``
    A bootstrap confidence interval of that geometric mean (BCa, :func:`scipy.stats.bootstrap`,
    resampling the pairs; seeded, so the same input and seed give the same interval).
``tasks``, ``seeds``
    Number of pairs and of distinct seeds pooled.
``wins``
    Share of pairs where the smaller p ends lower (ties count one half).
``verdict``
    ``"holds"`` if ``ci_low > 1``, ``"contradicted"`` if ``ci_high < 1``, else ``"not resolved"``
    (the interval contains 1); always ``"not resolved"`` below :data:`MIN_PAIRS` pairs.

Pairs of different seeds are independent draws of tasks from the same generator, so they are
pooled and resampled together. Nothing here knows about training; tables come in tidy form
(one row per seed, task and p).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from coupled.core.errors import UserError

HOLDS = "holds"
NOT_RESOLVED = "not resolved"
CONTRADICTED = "contradicted"
VERDICTS = (HOLDS, NOT_RESOLVED, CONTRADICTED)
CONFIDENCE = 0.95
"""Confidence level of the intervals."""
RESAMPLES = 4000
"""Bootstrap resamples."""
MIN_PAIRS = 5
"""Fewer pairs give no verdict ("not resolved"): a bootstrap of so few ratios cannot resolve
an ordering (with 5 pairs, all won, a sign test gives 1/32)."""
MIN_SEEDS = 3
"""Seeds a verdict on an ordering in p must pool (the reproductions' default where they judge)."""
PAIRED_COLUMNS = ("ratio", "ci_low", "ci_high", "tasks", "seeds", "wins", "verdict")


@dataclass(frozen=True)
class PairedComparison:
    """One paired comparison of a smaller p against a larger p (see the module docstring)."""

    ratio: float
    ci_low: float
    ci_high: float
    tasks: int
    seeds: int
    wins: float
    verdict: str
    p_low: float = math.nan
    p_high: float = math.nan
    confidence: float = CONFIDENCE

    def to_dict(self) -> dict:
        """Plain values (for CSV rows and JSON)."""
        return asdict(self)

    def describe(self) -> str:
        """One line: ratio, interval, wins, sample sizes and the verdict."""
        where = ""
        if math.isfinite(self.p_low) and math.isfinite(self.p_high):
            where = f"p = {self.p_low:g} against p = {self.p_high:g}: "
        return (
            f"{where}geometric-mean error ratio {self.ratio:.3g} "
            f"({self.confidence:.0%} CI {self.ci_low:.3g}-{self.ci_high:.3g}), smaller p lower "
            f"in {self.wins:.0%} of {self.tasks} tasks over {self.seeds} "
            f"seed{'s' if self.seeds != 1 else ''}: {self.verdict}"
        )


def verdict(ci_low: float, ci_high: float) -> str:
    """``"holds"`` (interval above 1), ``"contradicted"`` (below 1) or ``"not resolved"``."""
    if ci_low > 1.0:
        return HOLDS
    if ci_high < 1.0:
        return CONTRADICTED
    return NOT_RESOLVED


def _checked(values, name: str) -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    bad = x[~(np.isfinite(x) & (x > 0))]
    if bad.size:
        raise UserError(f"{name}: error {float(bad[0])!r} is not a positive finite number")
    return x


def compare(
    error_low,
    error_high,
    seeds: Sequence | np.ndarray | None = None,
    *,
    seed: int = 0,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    p_low: float = math.nan,
    p_high: float = math.nan,
) -> PairedComparison:
    """Paired comparison of errors at a smaller p (``error_low``) and a larger p (``error_high``).

    Parameters
    ----------
    error_low, error_high
        Positive errors, element ``i`` of both from the same task.
    seeds
        The seed of each pair (only counted); ``None``: one seed.
    seed
        Seed of the bootstrap resampling.
    confidence
        Confidence level of the interval, in (0, 1).
    resamples
        Bootstrap resamples.
    p_low, p_high
        The two values of p (recorded only).

    Returns
    -------
    PairedComparison

    Raises
    ------
    UserError
        For unequal lengths, fewer than two pairs, or an error that is not positive and finite.
    """
    low = _checked(error_low, "smaller p")
    high = _checked(error_high, "larger p")
    if low.size != high.size:
        raise UserError(f"paired errors: {low.size} at the smaller p, {high.size} at the larger")
    if low.size < 2:
        raise UserError(f"paired errors: {low.size} pairs; need at least 2")
    if not 0.0 < confidence < 1.0:
        raise UserError(f"confidence {confidence!r}: must be in (0, 1)")
    log_ratio = np.log(high) - np.log(low)
    centre = float(np.mean(log_ratio))
    if np.ptp(log_ratio) <= 1e-12 * max(1.0, abs(centre)):
        lo = hi = centre  # every pair the same ratio: no spread to resample
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ci = stats.bootstrap(
                (log_ratio,),
                np.mean,
                confidence_level=confidence,
                n_resamples=int(resamples),
                method="BCa",
                random_state=np.random.default_rng(seed),
            ).confidence_interval
        lo, hi = float(ci.low), float(ci.high)
        if not (math.isfinite(lo) and math.isfinite(hi)):  # BCa undefined: fall back
            lo, hi = (float(q) for q in np.quantile(log_ratio, [0.0, 1.0]))
    wins = float(np.mean((low < high) + 0.5 * (low == high)))
    n_seeds = 1 if seeds is None else int(pd.Series(np.asarray(seeds).ravel()).nunique())
    ci_low, ci_high = math.exp(lo), math.exp(hi)
    return PairedComparison(
        ratio=math.exp(centre),
        ci_low=ci_low,
        ci_high=ci_high,
        tasks=int(low.size),
        seeds=n_seeds,
        wins=wins,
        verdict=verdict(ci_low, ci_high) if low.size >= MIN_PAIRS else NOT_RESOLVED,
        p_low=float(p_low),
        p_high=float(p_high),
        confidence=float(confidence),
    )


def paired_frame(
    table: pd.DataFrame,
    p_low: float,
    p_high: float,
    *,
    value: str = "final_scaled_error",
    keys: Sequence[str] = ("seed", "task"),
) -> pd.DataFrame:
    """The pairs of ``table`` at ``p_low`` and ``p_high``: columns ``keys``, ``low``, ``high``.

    A table without a ``seed`` column is one seed. Only tasks present at both p are paired;
    the pairs come sorted by ``keys``, so the row order of ``table`` does not matter.
    """
    t = table if "seed" in table or "seed" not in keys else table.assign(seed=0)
    for column in ("p", value, *keys):
        if column not in t:
            raise UserError(f"paired comparison: table has no column {column!r}")
    keys = list(keys)
    low = t[np.isclose(t["p"], p_low)].set_index(keys)[value].rename("low")
    high = t[np.isclose(t["p"], p_high)].set_index(keys)[value].rename("high")
    for p, part in ((p_low, low), (p_high, high)):
        if part.empty:
            raise UserError(f"paired comparison: no rows at p = {p:g}")
        if part.index.has_duplicates:
            raise UserError(f"paired comparison: repeated {'/'.join(keys)} at p = {p:g}")
    return pd.concat([low, high], axis=1, join="inner").sort_index().reset_index()


def compare_table(
    table: pd.DataFrame,
    p_low: float | None = None,
    p_high: float | None = None,
    *,
    value: str = "final_scaled_error",
    seed: int = 0,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
) -> PairedComparison:
    """Paired comparison of a tidy table (``seed`` (optional), ``task``, ``p``, ``value``).

    Parameters
    ----------
    table
        One row per seed, task and p.
    p_low, p_high
        The two values of p compared; default the smallest and the largest in the table.
    value
        The error column.
    seed, confidence, resamples
        As :func:`compare`.

    Returns
    -------
    PairedComparison
    """
    if "p" not in table:
        raise UserError("paired comparison: table has no column 'p'")
    p_low = float(table["p"].min()) if p_low is None else float(p_low)
    p_high = float(table["p"].max()) if p_high is None else float(p_high)
    if not p_low < p_high:
        raise UserError(f"paired comparison: p {p_low:g} is not smaller than {p_high:g}")
    pairs = paired_frame(table, p_low, p_high, value=value)
    return compare(
        pairs["low"],
        pairs["high"],
        pairs["seed"],
        seed=seed,
        confidence=confidence,
        resamples=resamples,
        p_low=p_low,
        p_high=p_high,
    )


def compare_each_p(
    table: pd.DataFrame,
    by: Sequence[str] = (),
    *,
    value: str = "final_scaled_error",
    seed: int = 0,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
) -> pd.DataFrame:
    """Every p against the largest p of its group: one row per group and smaller p.

    Parameters
    ----------
    table
        Tidy ``seed`` (optional), ``task``, ``p``, ``value`` and the columns ``by``.
    by
        Columns that define the groups (``()``: the whole table is one group).
    value, seed, confidence, resamples
        As :func:`compare_table`.

    Returns
    -------
    pandas.DataFrame
        Columns ``by``, ``p``, ``p_high`` and :data:`PAIRED_COLUMNS`; a group with one p gives
        no rows.
    """
    by = list(by)
    groups = table.groupby(by) if by else [((), table)]
    rows = []
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        ps = np.sort(part["p"].unique())
        for p in ps[:-1]:
            r = compare_table(
                part,
                float(p),
                float(ps[-1]),
                value=value,
                seed=seed,
                confidence=confidence,
                resamples=resamples,
            )
            row = dict(zip(by, key, strict=True))
            row.update({"p": float(p), "p_high": float(ps[-1])})
            row.update({c: getattr(r, c) for c in PAIRED_COLUMNS})
            rows.append(row)
    return pd.DataFrame(rows, columns=[*by, "p", "p_high", *PAIRED_COLUMNS])


__all__ = [
    "CONFIDENCE",
    "CONTRADICTED",
    "HOLDS",
    "MIN_PAIRS",
    "MIN_SEEDS",
    "NOT_RESOLVED",
    "PAIRED_COLUMNS",
    "PairedComparison",
    "RESAMPLES",
    "VERDICTS",
    "compare",
    "compare_each_p",
    "compare_table",
    "paired_frame",
    "verdict",
]
