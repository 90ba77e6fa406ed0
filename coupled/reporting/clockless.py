"""The paper's conjecture on clockless boards, as a row of the report's claims table.

The paper's outlook: "edges with entirely self-triggered updates should also function well".
Measured by ``coupled reproduce clockless`` (:mod:`coupled.reproduction.clockless`): per network
and ratio of mean firing period to example period, the mean final scaled error of the
self-triggered board over the clocked board's at equal updates per edge. Agrees if every
ratio of means is at most :data:`CLOCKLESS_FACTOR`.
"""

from __future__ import annotations

import pandas as pd

CLOCKLESS_FACTOR = 2.0
"""Largest self-triggered / clocked ratio of mean final errors that counts as "functions well"."""
CLAIM = "Edges with entirely self-triggered updates also function well (no global clock)"
PAPER = "conjecture of the paper's outlook; not simulated there"
CRITERION = (
    f"mean final scaled error of the self-triggered board at most {CLOCKLESS_FACTOR:g}x the "
    "clocked board's at equal updates per edge, for every network and ratio"
)


def self_over_global(table: pd.DataFrame) -> pd.Series:
    """Mean final scaled error, self-triggered over clocked, per (network, ratio)."""
    means = table.groupby(["network", "ratio", "trigger"])["final_scaled_error"].mean()
    wide = means.unstack("trigger")
    return wide["self"] / wide["global"]


def claim_clockless(fig: dict) -> dict:
    """The claims-table row (columns of :data:`coupled.reporting.claims.CLAIM_COLUMNS`)."""
    row = {
        "claim": CLAIM,
        "figure": "clockless",
        "paper_value": PAPER,
        "measured_value": "not measured",
        "agrees": "not measured",
        "evidence": "",
        "criterion": CRITERION,
    }
    if not fig:
        return row
    ratios = self_over_global(fig["table"])
    parts = [
        f"{network} ratio {ratio:g}: {value:.3g}x" for (network, ratio), value in ratios.items()
    ]
    n = fig["table"].groupby("network")["task"].nunique()
    tasks = ", ".join(f"{k}: {v} tasks" for k, v in n.items())
    row["measured_value"] = f"self / clocked {'; '.join(parts)} ({tasks})"
    row["agrees"] = "yes" if bool((ratios <= CLOCKLESS_FACTOR).all()) else "no"
    return row
