"""``sense-gain``: the design answer, final scaled error against the board's sense gain G.

Discrete rule on the default physical board (inputs 0-5 V, sigma ~ U[0, 0.05] V at the
comparators, :mod:`coupled.physics.sensing`), ideal engine, equal steps x p for every p (as
Fig. 4), for G from 1 to 200 (log spaced) and p = 1, 0.5, 0.2, on two panels:
``experiment16`` allostery (Fig. 4c's task) and ``jammed143`` regression (Fig. 4e's).

It answers from which gain the board learns (the final error stops falling with G) and from
which gain desynchronisation helps as in Fig. 4 (p < 1 ends below p = 1). Below that gain the
bias sigma / G swamps the contrastive signal and the taps drift upward (``taps_at_top``).

Output ``sense_gain.csv``: one row per (panel, G, p, task) with ``network``, ``task_kind``,
``sense_gain``, ``seed``, ``p``, ``task``, ``final_scaled_error``, ``last_scaled_error``,
``initial_error_v2``, ``steps``, ``taps_at_top``; ``sense_gain_summary.csv``: mean, median,
standard error per (network, sense_gain, p) over the pooled seeds (three by default:
``--seed S`` runs S, S + 1, S + 2; ``--quick`` one) and, against the largest p, the paired
``ratio``, ``ci_low``, ``ci_high``, ``seeds``, ``wins`` and ``verdict``
(:mod:`coupled.core.paired`). The default G = 40 was chosen on seed 0; ``--seed 1`` rechecks
it on seeds 1-3 (README).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from coupled.core import paired
from coupled.core.errors import UserError
from coupled.reproduction import fig4
from coupled.reproduction.base import FigureResult, Setup, params_dict, run_conditions

GAINS = (1.0, 2.0, 5.0, 10.0, 20.0, 40.0, 100.0, 200.0)
PANELS = (("experiment16", "allostery", 10), ("jammed143", "regression", 4))
"""(network, task kind, tasks per condition)."""


@dataclass(frozen=True)
class SenseGainParams:
    """Parameters of the sense-gain study."""

    gains: tuple[float, ...] = GAINS
    p_values: tuple[float, ...] = (0.2, 0.5, 1.0)
    panels: tuple[tuple[str, str, int], ...] = PANELS
    steps_x_p: int = 2000
    samples: int = 100
    tail_fraction: float = 0.1
    seeds: int = paired.MIN_SEEDS
    """Seeds pooled: ``--seed S`` runs S, S + 1, ..., S + seeds - 1."""


QUICK = SenseGainParams(
    gains=(1.0, 10.0, 40.0),
    p_values=(0.5, 1.0),
    panels=(("experiment16", "allostery", 4), ("jammed143", "regression", 2)),
    steps_x_p=200,
    samples=20,
    seeds=1,
)


def params(name: str, quick: bool) -> SenseGainParams:
    """Default or quick parameters."""
    return QUICK if quick else SenseGainParams()


def _fig4_params(prm: SenseGainParams, network: str, kind: str, tasks: int, gain: float):
    base = fig4.DEFAULTS["fig4c" if kind == "allostery" else "fig4e"]
    return replace(
        base,
        network=network,
        task=kind,
        tasks=tasks,
        p_values=prm.p_values,
        steps_x_p=prm.steps_x_p,
        samples=prm.samples,
        tail_fraction=prm.tail_fraction,
        sense_gain=float(gain),
    )


def _configs(prm: SenseGainParams, base_setup: Setup):
    out = []
    for setup in fig4.seed_setups(prm.seeds, base_setup):
        out += _seed_configs(prm, setup)
    return out


def _seed_configs(prm: SenseGainParams, setup: Setup):
    out = []
    for network, kind, tasks in prm.panels:
        for gain in prm.gains:
            sub = _fig4_params(prm, network, kind, tasks, gain)
            for p in prm.p_values:
                out.append(fig4.config(sub, setup, p, sub.outputs[0]))
    return out


def check(name: str, prm: SenseGainParams, setup: Setup) -> None:
    """Validate every run (``UserError``)."""
    if not prm.gains or not prm.p_values or not prm.panels:
        raise UserError(f"{name}: needs at least one gain, one p and one panel")
    if not isinstance(prm.seeds, int) or prm.seeds < 1:
        raise UserError(f"{name}: seeds {prm.seeds!r}: must be a whole number >= 1")
    for cfg in _configs(prm, setup):
        cfg.validate()


def holds_from(summary: pd.DataFrame, p_low: float) -> str:
    """From which gain ``p_low`` ends lower than the largest p (paired verdict "holds") at that
    gain and every larger one, with each gain's ratio and interval."""
    rows = summary[np.isclose(summary["p"], p_low)].sort_values("sense_gain")
    held = rows["verdict"].to_numpy() == paired.HOLDS
    tail = np.flatnonzero(~held)
    first = 0 if not tail.size else tail[-1] + 1
    start = f"G = {rows['sense_gain'].iloc[first]:g}" if first < len(rows) else "no gain"
    cells = "; ".join(
        f"G={r.sense_gain:g}: {r.ratio:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}] {r.verdict}"
        for r in rows.itertuples()
    )
    return (
        f"p={p_low:g} lower than p={rows['p_high'].iloc[0]:g} (paired, geometric-mean ratio "
        f"[{paired.CONFIDENCE:.0%} CI]) holds from {start} on: {cells}"
    )


def compute(name: str, prm: SenseGainParams, setup: Setup) -> FigureResult:
    """Train every (panel, G, p) and tabulate."""
    configs = _configs(prm, setup)
    parts = run_conditions(
        fig4._final, [(c, prm.tail_fraction) for c in configs], setup, label=name
    )
    for cfg, part in zip(configs, parts, strict=True):
        part.insert(0, "sense_gain", cfg.sense_gain)
        part.insert(0, "task_kind", cfg.task)
        part.insert(0, "network", cfg.network)
    table = pd.concat(parts, ignore_index=True).drop(columns="outputs")
    keys = ["network", "sense_gain", "p"]
    g = table.groupby(keys)["final_scaled_error"]
    summary = pd.DataFrame(
        {
            "tasks": g.size(),
            "mean": g.mean(),
            "median": g.median(),
            "sem": g.std(ddof=1) / np.sqrt(g.size()),
            "taps_at_top": table.groupby(keys)["taps_at_top"].mean(),
        }
    ).reset_index()
    if len(prm.p_values) > 1:
        summary = fig4.with_intervals(summary, table, ["network", "sense_gain"])
    seeds = sorted(table["seed"].unique())
    lines = [
        f"{name}: discrete rule, ideal engine, board 0-5 V, sigma ~ U[0, 0.05] V at the "
        f"comparators, equal steps x p = {prm.steps_x_p}, seeds "
        f"{', '.join(str(s) for s in seeds)} pooled; mean final scaled error per G and p"
    ]
    for network in summary["network"].unique():
        s = summary[summary["network"] == network]
        pivot = s.pivot(index="sense_gain", columns="p", values="mean")
        for gain, row in pivot.iterrows():
            cells = ", ".join(f"p={p:g}: {v:.3g}" for p, v in row.items())
            lines.append(f"{network} G={gain:g}: {cells}")
        low, sync = pivot.columns.min(), pivot.columns.max()
        helps = pivot.index[(pivot[low] < 0.5 * pivot[sync]).to_numpy()]
        gains = ", ".join(f"{g:g}" for g in pivot.index)
        lines.append(
            f"{network}: p={low:g} ends at least 2x below p={sync:g} (means) from G = "
            f"{helps.min():g}"
            if len(helps)
            else f"{network}: p={low:g} ends at least 2x below p={sync:g} (means) at none of "
            f"the gains (G = {gains})"
        )
        if "verdict" in s:
            lines.append(f"{network}: " + holds_from(s, low))
    return FigureResult(
        name=name,
        tables={"sense_gain.csv": table, "sense_gain_summary.csv": summary},
        documents={},
        summary=tuple(lines),
        params=params_dict(prm),
        base_config={
            **configs[0].resolved().to_dict(),
            "varied": ["network", "task", "sense_gain", "p", "steps"]
            + (["seed"] if prm.seeds > 1 else []),
        },
        plot="plot_sense_gain",
    )
