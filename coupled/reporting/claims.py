"""The paper's claims and how each is measured here: one criterion per claim.

Each claim has one criterion (:func:`evaluate_claims`; the thresholds are constants of this
module and are printed in the report). The report's claims table and the verdict lines beside
each figure both come from the row computed here (:func:`claim_lines`), so they cannot disagree.
Each row also says how strong the evidence is (``evidence``): ``full (...)`` for the paper-size
pieces, ``indicative (quick: N tasks, M steps)`` for the reduced ones; a quick verdict is never
shown as a plain "yes". ``paper_value`` states what the paper reports without its sample sizes;
the sizes measured here are in ``measured_value`` and ``evidence``.

1. Fig. 1 collapse: mean scaled test error per p interpolated at equal steps x p (quarter points
   of the range every p covers); the largest max/min ratio across p; agrees if at most
   :data:`COLLAPSE_FACTOR`.
2. Fig. 2a (and 2b, fixed counts) one power law: exponents of the mean distance against
   ``1 - x`` fitted in log-log for every series of the figure (``1 - p`` at b = 1, ``1 - b``
   at p = 1 and, where present, p = b); agrees if every fit has R^2 >= :data:`FIT_R2_MIN` and
   the exponents span at most :data:`EXPONENT_TOLERANCE` (the tolerance
   ``coupled reproduce fig2a`` states).
3. Pearson correlation of update events at p = 0.5: agrees if the mean |r| over edge pairs is at
   most :data:`PEARSON_ORDER` (order 0.01); n and the null ``1/sqrt(n)`` are shown.
4. p set by the bias: agrees if p falls with the bias (rises of at most three binomial standard
   errors) and spans at least ``[P_SPAN_LOW, P_SPAN_HIGH]``.
5./6. Fig. 4c / 4e: paired comparison of the smallest p with p = 1 over every task of every
   seed of the piece (:mod:`coupled.core.paired`): verdict "holds" if the bootstrap interval of
   the geometric-mean ratio error(p = 1) / error(smallest p) lies above 1, "contradicted" below,
   "not resolved" if it contains 1. ``agrees`` keeps the paper's protocol: the mean final scaled
   error at the smallest p below the mean at p = 1, over the tasks of the first seed.
7. Fig. 4d: the same paired ratio per O; holds if the interval at the largest O lies below the
   interval at the O of the largest ratio (:func:`coupled.reproduction.fig4.fading`).
   ``agrees`` (the paper's protocol): advantage = mean final error at p = 1 / mean at the
   smallest p, per O, exceeds 1 at the smallest O and is smaller at the largest O.
8. The outlook's conjecture on self-triggered edges (:mod:`coupled.reporting.clockless`).

Verdicts (column ``verdict``): orderings in p as above, with ``ratio``, ``ci_low``, ``ci_high``,
``tasks``, ``seeds`` and ``wins`` (share of tasks where the smaller p ends lower); the other
claims "holds" or "contradicted" by their criterion (``agrees``). A reduced (quick) piece never
contradicts: where its criterion or interval does not show the claim, the verdict reads
"not resolved at this size" with the command of the full run.
"""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from coupled.core import paired
from coupled.core.errors import UserError
from coupled.reporting.clockless import claim_clockless

if TYPE_CHECKING:
    from coupled.reporting.pieces import ReportData

COLLAPSE_FACTOR = 2.0
"""Fig. 1 collapses if the mean errors of all p at equal steps x p agree within this factor."""
FIT_R2_MIN = 0.8
"""Fig. 2: smallest R^2 of a log-log fit that counts as a power law."""
EXPONENT_TOLERANCE = 0.15
"""Fig. 2: largest difference of the exponents in 1 - p and 1 - b that counts as the same."""
PEARSON_ORDER = 0.03
"""Largest mean |r| between edges' update events that counts as "of order 0.01"."""
P_SPAN_LOW, P_SPAN_HIGH = 0.1, 0.9
"""p against the bias must reach at most the first and at least the second value."""
STAT_COLUMNS = ("ratio", "ci_low", "ci_high", "tasks", "seeds", "wins")
"""The paired comparison behind a verdict on an ordering in p (empty for other claims)."""
CLAIM_COLUMNS = (
    "claim",
    "figure",
    "paper_value",
    "measured_value",
    "verdict",
    *STAT_COLUMNS,
    "agrees",
    "evidence",
    "criterion",
)
NOT_MEASURED = "not measured"
"""``agrees``, ``verdict`` (and ``measured_value``) of a claim without data."""
NOT_RESOLVED_AT_SIZE = "not resolved at this size"
"""Verdict of a reduced piece whose criterion or interval does not show the claim."""
FULL_COMMANDS = {"calibration": "coupled calibrate --out DIR"}
"""The command of a piece's full-size run (default ``coupled reproduce <figure> --out DIR``)."""


# --- claims ------------------------------------------------------------------------------------


def _claim(claim, figure, paper, measured, agrees, criterion, stats=None) -> dict:
    """One claims row; ``stats`` (a :class:`~coupled.core.paired.PairedComparison` or a dict
    with :data:`STAT_COLUMNS` and ``verdict``) for claims on an ordering in p."""
    shown = NOT_MEASURED if agrees is None else ("yes" if agrees else "no")
    if stats is not None and not isinstance(stats, dict):
        stats = stats.to_dict()
    if stats is not None:
        word = stats["verdict"]
    else:
        word = NOT_MEASURED if agrees is None else (paired.HOLDS if agrees else paired.CONTRADICTED)
    return {
        "claim": claim,
        "figure": figure,
        "paper_value": paper,
        "measured_value": measured,
        "verdict": word,
        **{c: (stats or {}).get(c, math.nan) for c in STAT_COLUMNS},
        "agrees": shown,
        "evidence": "",
        "criterion": criterion,
    }


def complete(row: dict) -> dict:
    """A row made elsewhere (:mod:`coupled.reporting.clockless`) with every column: the
    verdict from ``agrees`` and empty paired statistics where it has none."""
    out = {**row}
    for column in STAT_COLUMNS:
        out.setdefault(column, math.nan)
    if "verdict" not in out:
        agrees = out.get("agrees", NOT_MEASURED)
        out["verdict"] = {"yes": paired.HOLDS, "no": paired.CONTRADICTED}.get(agrees, NOT_MEASURED)
    return out


def full_command(figure: str) -> str:
    """The command that runs ``figure`` (or the calibration) at full size."""
    return FULL_COMMANDS.get(figure, f"coupled reproduce {figure} --out DIR")


def sized_verdict(row: dict) -> str:
    """The verdict of a row once its evidence is known: a reduced (indicative) piece whose
    verdict is not "holds" reads "not resolved at this size (full run: <command>)"."""
    word, strength = str(row["verdict"]), str(row.get("evidence", "") or "")
    if strength.startswith("indicative") and word in (paired.NOT_RESOLVED, paired.CONTRADICTED):
        return f"{NOT_RESOLVED_AT_SIZE} (full run: {full_command(str(row['figure']))})"
    return word


def evidence(piece: dict, figure: str, quick: bool) -> str:
    """How strong a piece's verdict is: ``"full (...)"`` or ``"indicative (quick: ...)"``.

    Parameters
    ----------
    piece
        The loaded piece (a figure: ``table`` and ``json``; the calibration: ``correlation``
        and ``p_table``).
    figure
        The piece's name (``"calibration"`` or a figure).
    quick
        Whether the report asked for quick pieces (used when the piece does not record it).

    Returns
    -------
    str
        Empty for a piece without data.
    """
    if not piece:
        return ""
    if figure == "calibration":
        corr = piece.get("correlation", {})
        table = piece.get("p_table")
        sizes = []
        if "n_triggers" in corr:
            sizes.append(f"{int(corr['n_triggers'])} triggers at p = 0.5")
        if table is not None and "n_triggers" in table:
            sizes.append(f"{int(table['n_triggers'].iloc[0])} per bias point")
        kind = "quick" if quick else "full"
    else:
        meta = piece.get("json", {}).get(figure, {})
        recorded = meta.get("quick", meta.get("config", {}).get("quick"))
        kind = "quick" if (quick if recorded is None else bool(recorded)) else "full"
        table, params = piece.get("table"), meta.get("params", {})
        sizes = []
        if table is not None and "task" in table:
            sizes.append(f"{table['task'].nunique()} tasks")
        if table is not None and "seed" in table and table["seed"].nunique() > 1:
            sizes.append(f"{table['seed'].nunique()} seeds")
        if "steps" in params:
            sizes.append(f"{params['steps']} steps")
        elif "steps_x_p" in params:
            sizes.append(f"steps x p = {params['steps_x_p']}")
    shown = ", ".join(sizes)
    if kind == "quick":
        return f"indicative (quick: {shown})" if shown else "indicative (quick)"
    return f"full ({shown})" if shown else "full"


def shown_verdict(row: dict | pd.Series) -> str:
    """The verdict as the page shows it: ``yes``/``no`` for full pieces, ``yes, indicative
    (quick: ...)`` for quick ones, ``not measured``."""
    agrees, strength = str(row["agrees"]), str(row.get("evidence", "") or "")
    if agrees in ("yes", "no") and strength.startswith("indicative"):
        return f"{agrees}, {strength}"
    return agrees


def interval_text(row: dict | pd.Series) -> str:
    """``"ratio R (95% CI a-b), smaller p lower in W% of N tasks, S seeds"`` or ``""``."""
    try:
        ratio, low, high = (float(row[c]) for c in ("ratio", "ci_low", "ci_high"))
    except (KeyError, TypeError, ValueError):
        return ""
    if not all(math.isfinite(x) for x in (ratio, low, high)):
        return ""
    return (
        f"ratio {ratio:.3g} ({paired.CONFIDENCE:.0%} CI {low:.3g}-{high:.3g}), smaller p lower "
        f"in {float(row['wins']):.0%} of {int(row['tasks'])} tasks, {int(row['seeds'])} seeds"
    )


def claim_lines(claims: pd.DataFrame | None, figure: str) -> list[str]:
    """The verdict lines shown beside ``figure``: one per claims-table row of that figure."""
    if claims is None or not len(claims):
        return []
    lines = []
    for _, row in claims[claims["figure"] == figure].iterrows():
        word = str(row.get("verdict", "") or "")
        interval = interval_text(row)
        if interval:
            word += f" ({interval})"
        lines.append(
            f"claim: {row['claim']} - criterion: {row['criterion']} - measured: "
            f"{row['measured_value']} - verdict: {word} - paper's protocol: {shown_verdict(row)}"
        )
    return lines


def collapse_ratio(table: pd.DataFrame, quantiles=(0.25, 0.5, 0.75, 1.0)) -> dict:
    """Spread across p of the mean scaled error at equal steps x p (Fig. 1).

    Parameters
    ----------
    table
        Tidy ``p``, ``task``, ``steps_x_p``, ``scaled_error``.
    quantiles
        Points of the steps x p range that every p covers.

    Returns
    -------
    dict
        ``ratio`` (largest max/min across p), ``at_steps_x_p``, ``grid``, ``ratios``, ``n_p``.
    """
    curves = table.groupby(["p", "steps_x_p"])["scaled_error"].mean().reset_index()
    reach = curves.groupby("p")["steps_x_p"].max().min()
    grid = reach * np.asarray(quantiles, dtype=float)
    values = np.array(
        [
            np.interp(grid, c["steps_x_p"].to_numpy(), c["scaled_error"].to_numpy())
            for _, c in curves.sort_values("steps_x_p").groupby("p")
        ]
    )
    ratios = values.max(axis=0) / values.min(axis=0)
    worst = int(np.argmax(ratios))
    return {
        "ratio": float(ratios[worst]),
        "at_steps_x_p": float(grid[worst]),
        "grid": grid.tolist(),
        "ratios": ratios.tolist(),
        "n_p": int(values.shape[0]),
    }


def power_law_fit(x: np.ndarray, y: np.ndarray) -> dict:
    """Fit ``y = A x^k`` in log-log (``coupled.reproduction.fig2.fit_power_law``) plus its R^2.

    Returns ``exponent``, ``exponent_stderr``, ``prefactor``, ``points`` and ``r2`` (of the
    fit in log-log; NaN with fewer than two usable points).
    """
    from coupled.reproduction.fig2 import fit_power_law

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    fit = fit_power_law(x, y)
    keep = (x > 0) & (y > 0)
    ly = np.log(y[keep])
    residual = ly - np.log(fit["prefactor"]) - fit["exponent"] * np.log(x[keep])
    total = float(np.sum((ly - ly.mean()) ** 2)) if ly.size else 0.0
    r2 = 1.0 - float(np.sum(residual**2)) / total if total > 0 else math.nan
    return {**fit, "r2": r2}


def fig2_exponents(table: pd.DataFrame) -> dict:
    """Power-law fits of the mean distance against ``1 - x``, one per series of Fig. 2.

    ``table`` needs ``p``, ``b`` (or ``batch_fraction``) and ``distance`` (or
    ``distance_ohm``); rows with p = b = 1 are the reference and are left out. The series are
    ``p`` (b = 1, against ``1 - p``), ``b`` (p = 1, against ``1 - b``) and ``p=b`` (both
    equal, where present).
    """
    t = table.rename(columns={"batch_fraction": "b", "distance_ohm": "distance"})
    missing = [c for c in ("p", "b", "distance") if c not in t]
    if missing:
        raise UserError(f"fig2a.csv: no column {missing[0]!r}")
    mean = t.groupby(["p", "b"])["distance"].mean().reset_index()
    along_p = mean[(mean["b"] == 1.0) & (mean["p"] < 1.0)]
    along_b = mean[(mean["p"] == 1.0) & (mean["b"] < 1.0)]
    both = mean[(mean["p"] == mean["b"]) & (mean["p"] < 1.0)]
    fits = {
        "p": power_law_fit(1.0 - along_p["p"], along_p["distance"]),
        "b": power_law_fit(1.0 - along_b["b"], along_b["distance"]),
    }
    if len(both) >= 2:
        fits["p=b"] = power_law_fit(1.0 - both["p"], both["distance"])
    return fits


def _final_by_p(table: pd.DataFrame) -> pd.Series:
    return table.groupby("p")["final_scaled_error"].mean().sort_index()


def first_seed(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of the table's first seed (all rows of a table without ``seed``): the paper's
    protocol averages over one set of tasks."""
    if "seed" not in table:
        return table
    return table[table["seed"] == table["seed"].min()]


def desync_advantage(table: pd.DataFrame) -> dict:
    """Mean final scaled error at p = 1 and at the smallest p, and their ratio (Fig. 4c/4e)."""
    means = _final_by_p(table)
    if 1.0 not in means.index or means.size < 2:
        raise UserError("table: needs p = 1 and at least one p < 1")
    low = float(means.index.min())
    return {
        "p_low": low,
        "error_low": float(means[low]),
        "error_sync": float(means[1.0]),
        "ratio": float(means[1.0] / means[low]),
        "means": means.to_dict(),
    }


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def claim_fig1(fig: dict) -> dict:
    """Claim 1 (Fig. 1): error against steps x p collapses for all p."""
    paper = "curves of scaled error against steps x p collapse for p = 0.1 to 1"
    crit = f"max/min across p of the mean scaled error at equal steps x p <= {COLLAPSE_FACTOR:g}"
    if not fig:
        return _claim(
            "Error against steps x p collapses for all p", "fig1", paper, NOT_MEASURED, None, crit
        )
    c = collapse_ratio(fig["table"])
    measured = (
        f"largest max/min ratio {_fmt(c['ratio'])} across {c['n_p']} values of p "
        f"(at steps x p = {_fmt(c['at_steps_x_p'])})"
    )
    return _claim(
        "Error against steps x p collapses for all p",
        "fig1",
        paper,
        measured,
        c["ratio"] <= COLLAPSE_FACTOR,
        crit,
    )


def claim_fig2(fig: dict, figure: str = "fig2a") -> dict:
    """Claim 2 (Fig. 2a; Fig. 2b with fixed counts): one power law in 1 - p and in 1 - b."""
    paper = "distance to the synchronous full-batch solution: the same power law in 1-p and 1-b"
    name = "Distance from the synchronous full-batch solution: one power law in 1-p and 1-b"
    if figure == "fig2b":
        paper = "as Fig. 2a with a fixed number of edges updated / examples per step"
        name += " (fixed counts)"
    crit = (
        f"every series' log-log fit R^2 >= {FIT_R2_MIN:g} and the exponents span at most "
        f"{EXPONENT_TOLERANCE:g}"
    )
    if not fig:
        return _claim(name, figure, paper, NOT_MEASURED, None, crit)
    fits = fig2_exponents(fig["table"])
    exponents = [f["exponent"] for f in fits.values()]
    r2 = min(f["r2"] for f in fits.values())
    span = max(exponents) - min(exponents)
    what = {"p": "1-p", "b": "1-b", "p=b": "1-p at p = b"}
    measured = (
        "; ".join(
            f"exponent {_fmt(f['exponent'])} in {what[s]} (R^2 {_fmt(f['r2'])})"
            for s, f in fits.items()
        )
        + f"; span {_fmt(span)}; {fits['p']['points']} points each"
    )
    ok = bool(r2 >= FIT_R2_MIN and span <= EXPONENT_TOLERANCE)
    return _claim(name, figure, paper, measured, ok if math.isfinite(r2) else None, crit)


def claim_pearson(cal: dict) -> dict:
    """Claim 3: Pearson correlation of update events between edges at p = 0.5."""
    paper = "about 0.01 between pairs of edges at p = 0.5"
    crit = f"mean |r| over edge pairs <= {PEARSON_ORDER:g}"
    corr = cal.get("correlation", {}) if cal else {}
    name = "Update events of different edges are uncorrelated (p = 0.5)"
    if "mean_abs_pearson" not in corr:
        return _claim(name, "calibration", paper, NOT_MEASURED, None, crit)
    n = int(corr["n_triggers"])
    measured = (
        f"mean |r| {corr['mean_abs_pearson']:.4f}, max {corr['max_abs_pearson']:.3f} over "
        f"{corr['n_pairs']} pairs, n = {n} triggers (null 1/sqrt(n) = "
        f"{1 / math.sqrt(n):.4f}); measured p {corr['p']:.3f}"
    )
    return _claim(
        name, "calibration", paper, measured, corr["mean_abs_pearson"] <= PEARSON_ORDER, crit
    )


def bias_monotone(table: pd.DataFrame) -> dict:
    """Whether p falls with the bias within sampling noise, and the span of p."""
    t = table.sort_values("bias_v")
    p = t["p"].to_numpy()
    n = float(t["n_triggers"].iloc[0] * t["n_edges"].iloc[0])
    noise = 3.0 * np.sqrt(np.maximum(p[:-1] * (1 - p[:-1]), 1.0 / n) / n)
    rises = np.diff(p)
    return {
        "monotone": bool(np.all(rises <= noise)),
        "largest_rise": float(max(rises.max(), 0)),
        "p_max": float(p.max()),
        "p_min": float(p.min()),
        "bias_low_v": float(t["bias_v"].iloc[0]),
        "bias_high_v": float(t["bias_v"].iloc[-1]),
    }


def claim_bias(cal: dict) -> dict:
    """Claim 4: p set by the global bias, monotone, low to high p."""
    paper = "a wide range of p selected by the global bias voltage"
    crit = (
        f"p falls with the bias (rises <= 3 binomial s.e.) and spans "
        f"[{P_SPAN_LOW:g}, {P_SPAN_HIGH:g}]"
    )
    name = "p is set by the global bias voltage, monotonically, from low to high p"
    if not cal:
        return _claim(name, "calibration", paper, NOT_MEASURED, None, crit)
    m = bias_monotone(cal["p_table"])
    measured = (
        f"p from {m['p_max']:.3f} to {m['p_min']:.3f} over bias {m['bias_low_v']:.2f}-"
        f"{m['bias_high_v']:.2f} V; {'monotone' if m['monotone'] else 'not monotone'} "
        f"(largest rise {m['largest_rise']:.3f})"
    )
    ok = m["monotone"] and m["p_min"] <= P_SPAN_LOW and m["p_max"] >= P_SPAN_HIGH
    return _claim(name, "calibration", paper, measured, ok, crit)


def claim_fig4(fig: dict, figure: str) -> dict:
    """Claims 5 and 6 (Fig. 4c, 4e): desynchronisation lowers the final error."""
    what = {
        "fig4c": ("allosteric tasks, 16 edges", "allosteric tasks (experiment)"),
        "fig4e": ("2-in-2-out regression, 143 edges", "regression tasks (simulation)"),
    }
    label, tasks = what[figure]
    name = f"Desynchronisation lowers the final error ({label})"
    paper = f"final scaled error falls as p decreases; {tasks}"
    crit = (
        "verdict: paired geometric-mean ratio error(p = 1) / error(smallest p) over tasks and "
        f"seeds, {paired.CONFIDENCE:.0%} bootstrap interval above 1; paper's protocol: mean final "
        "scaled error at the smallest p < mean at p = 1"
    )
    if not fig:
        return _claim(name, figure, paper, NOT_MEASURED, None, crit)
    table = fig["table"]
    one = first_seed(table)
    a = desync_advantage(one)
    n = one["task"].nunique()
    stats = _paired_or_none(table, a["p_low"])
    measured = (
        (f"paired: {stats.describe()}; " if stats is not None else "paired: too few tasks; ")
        + "paper's protocol: mean final scaled error "
        f"{_fmt(a['error_sync'])} at p = 1, {_fmt(a['error_low'])} at p = {a['p_low']:g} "
        f"(ratio {_fmt(a['ratio'])}; {n} tasks)"
    )
    return _claim(
        name,
        figure,
        paper,
        measured,
        a["error_low"] < a["error_sync"],
        crit,
        stats if stats is not None else {"verdict": paired.NOT_RESOLVED},
    )


def _paired_or_none(table: pd.DataFrame, p_low: float) -> paired.PairedComparison | None:
    try:
        return paired.compare_table(table, p_low, 1.0)
    except UserError:
        return None


def claim_fig4d(fig: dict) -> dict:
    """Claim 7 (Fig. 4d): the advantage fades as the number of outputs grows."""
    name = "The advantage of desynchronisation fades as the number of outputs O grows"
    paper = "curves of different p collapse as O grows"
    crit = (
        "verdict: paired geometric-mean ratio error(p = 1) / error(smallest p) per O; its "
        f"{paired.CONFIDENCE:.0%} interval at the largest O below the interval at the O of the "
        "largest ratio; paper's protocol: advantage (mean error at p = 1 / mean at the smallest "
        "p) > 1 at the smallest O and smaller at the largest O"
    )
    if not fig:
        return _claim(name, "fig4d", paper, NOT_MEASURED, None, crit)
    table = fig["table"]
    one = first_seed(table)
    per_o = {int(o): desync_advantage(t)["ratio"] for o, t in one.groupby("outputs")}
    outs = sorted(per_o)
    n = one["task"].nunique() if "task" in one else 0
    measured = "paper's protocol: advantage " + ", ".join(
        f"{_fmt(per_o[o])} at O = {o}" for o in outs
    )
    measured += f" ({n} tasks per point)" if n else ""
    ok = len(outs) >= 2 and per_o[outs[0]] > 1.0 and per_o[outs[-1]] < per_o[outs[0]]
    stats = {"verdict": paired.NOT_RESOLVED}
    try:
        from coupled.reproduction.fig4 import fading

        f = fading(table)
    except UserError:
        measured = "paired: too few tasks; " + measured
    else:
        cells = ", ".join(
            f"O = {o}: {r.ratio:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}]"
            for o, r in f["per_o"].items()
        )
        measured = f"paired ratio [CI] {cells}; largest at O = {f['peak']}; " + measured
        stats = {**f["largest"].to_dict(), "verdict": f["verdict"]}
    return _claim(name, "fig4d", paper, measured, ok, crit, stats)


def evaluate_claims(data: ReportData) -> pd.DataFrame:
    """The claims table (:data:`CLAIM_COLUMNS`), one row per claim of the paper.

    A piece that is absent, or whose table lacks what a measure needs, gives the row
    ``agrees = "not measured"`` with the reason in ``measured_value``.
    """
    figs, cal = data.figures, data.calibration
    checks = [
        (claim_fig1, figs.get("fig1")),
        (claim_fig2, figs.get("fig2a")),
        (partial(claim_fig2, figure="fig2b"), figs.get("fig2b")),
        (claim_pearson, cal),
        (claim_bias, cal),
        (partial(claim_fig4, figure="fig4c"), figs.get("fig4c")),
        (partial(claim_fig4, figure="fig4e"), figs.get("fig4e")),
        (claim_fig4d, figs.get("fig4d")),
        (claim_clockless, figs.get("clockless")),
    ]
    absent = {p.name: p.reason for p in data.pieces if p.action in ("missing", "failed")}
    rows = []
    for make, piece in checks:
        try:
            row = make(piece or {})
        except (UserError, KeyError, ValueError, IndexError) as exc:
            row = {**make({}), "measured_value": f"{NOT_MEASURED} ({type(exc).__name__}: {exc})"}
        row = complete(row)
        if row["measured_value"] == NOT_MEASURED:
            why = absent.get(row["figure"], "no results in this folder")
            row["measured_value"] = f"{NOT_MEASURED} ({why})"
        if row["agrees"] != NOT_MEASURED:
            row["evidence"] = evidence(piece or {}, row["figure"], data.config.quick)
        else:
            row["verdict"] = NOT_MEASURED
        row["verdict"] = sized_verdict(row)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))
