"""Fig. 4c at circuit level: the board trained by the ``circuit`` engine, its twin beside it.

``coupled reproduce fig4c --engine circuit`` runs the panel of :mod:`coupled.reproduction.fig4`
(25 two-input, two-output allosteric tasks on ``experiment16``, the paper's p values, equal
steps x p) on the learning board in ngspice (5 % part spread, ``board_seed`` 0, its bias set
for each p from the board's phase-model calibration), in lockstep with the board twin of the
``ideal`` engine on the same board and draws (:mod:`coupled.reproduction.boardpair`). Runs are
cut into chunks of ``chunk_tasks`` tasks (per-task streams: the numbers do not depend on it) and
run on ``--workers`` processes.

Outputs: ``fig4c.csv`` (one row per engine, p and task: ``final_scaled_error``,
``last_scaled_error``, ``initial_error_v2``, ``steps``, ``taps_at_top``, ``power_start_w``,
``power_end_w``), ``fig4c_summary.csv`` (per engine and p: mean, median, geometric mean,
standard error, ``diverged`` = tasks above 1), ``fig4c_paired.csv`` (per engine, every p
against p = 1 paired over tasks: ``ratio``, ``ci_low``, ``ci_high``, ``tasks``, ``seeds``,
``wins``, ``verdict``; :mod:`coupled.reproduction.stats`), ``fig4c_agreement.csv`` (per p:
share of equal decisions of twin and circuit from the circuit's state, tasks whose taps never
split), ``fig4c_taps.csv`` (per p, engine and task: ``still_share``, ``tap_span``,
``tap_drift`` of :func:`coupled.reproduction.boardpair.stillness`), PNG.

Measured (seed 77, 2-core machine; README "What the reproduction shows"): at circuit level,
25 tasks, p = 0.2 and 1, steps x p = 500 (``scripts/board_subset.py``): geometric means 0.00067
and 0.00098, paired ratio 1.47x (95 % CI 0.90-2.46), not resolved; the twin takes the circuit's
decision on 100 % of 1.2 million edge-steps, equal final errors in 50 of 50 runs. The twin at
full size (``drift``'s ``board`` rows): p = 0.1, 0.2 not resolved against p = 1 (0.94x, 0.76x),
p = 0.4-0.8 contradicted (0.38x-0.48x).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from coupled.physics import rules
from coupled.reproduction import boardpair
from coupled.reproduction.base import FigureResult, Setup, params_dict, run_conditions
from coupled.reproduction.stats import describe

CHUNK_TASKS = 13
"""Tasks per circuit run (one ngspice circuit holds one board per task)."""
QUICK_CIRCUIT = {"tasks": 4, "steps_x_p": 40}
"""``--quick`` at circuit level: 4 tasks, steps x p = 40 (p = 0.25 and 1, as the quick panel)."""
TOLERANCE = 0.05
"""Part spread of the simulated board (the circuit engine's default)."""


def items(prm, setup: Setup, config_of, chunk: int = CHUNK_TASKS) -> list[boardpair.PairItem]:
    """One :class:`~coupled.reproduction.boardpair.PairItem` per p and chunk of tasks."""
    out = []
    for p in prm.p_values:
        cfg = config_of(prm, setup, p)
        cfg = replace(cfg, engine_options={"tolerance": TOLERANCE, **cfg.engine_options})
        for part in boardpair.split_tasks(cfg, chunk):
            out.append(boardpair.PairItem(part, {"p": float(p)}))
    return out


def finals(tables: dict[str, pd.DataFrame], fraction: float) -> pd.DataFrame:
    """Final errors per engine, p and task with the share of taps at the top."""
    final = boardpair.final_table(tables["history"], ["p"], fraction)
    top = (
        tables["taps"]
        .assign(at_top=lambda t: t["tap_end"] >= rules.N_TAPS - 1)
        .groupby(["p", "engine", "task"])["at_top"]
        .mean()
        .rename("taps_at_top")
        .reset_index()
    )
    return final.merge(top, on=["p", "engine", "task"])


def verdict_lines(paired: pd.DataFrame, summary: pd.DataFrame) -> list[str]:
    """One line per engine: per p the geometric mean and diverged tasks; the paired verdict."""
    lines = []
    for engine, s in summary.groupby("engine", sort=False):
        per_p = "; ".join(
            f"p={r.p:g}: {r.geomean:.3g} ({r.diverged} of {r.tasks} above 1)"
            for r in s.itertuples()
        )
        lines.append(f"{engine}: geometric mean of the final scaled error per p: {per_p}")
        for r in paired[paired["engine"] == engine].to_dict("records"):
            lines.append(f"{engine}: p={r['p_low']:g} against p={r['p_high']:g}: " + describe(r))
    return lines


def agreement_line(agreement: pd.DataFrame) -> str:
    """The share of equal decisions per p and the tasks that never split."""
    return "decisions of twin and circuit from the circuit's state: " + "; ".join(
        f"p={r.p:g}: {r.decision_agree:.4%} equal ({r.tasks_never_split} of {r.tasks} tasks "
        f"with equal taps throughout)"
        for r in agreement.itertuples()
    )


def equal_line(final: pd.DataFrame) -> list[str]:
    """How many runs end with the same final error on the circuit and on the twin."""
    same = final.pivot_table(index=["p", "task"], columns="engine", values="final_scaled_error")
    if "circuit" not in same or "twin" not in same:
        return []
    equal = int(np.isclose(same["circuit"], same["twin"], rtol=1e-9, atol=0).sum())
    return [f"final errors equal (circuit and twin) in {equal} of {len(same)} runs"]


def compute(name: str, prm, setup: Setup, config_of) -> FigureResult:
    """Fig. 4c on the board (circuit engine) with its twin beside it.

    ``config_of(prm, setup, p)`` is the panel's training configuration at ``p``
    (:func:`coupled.reproduction.fig4.config`).
    """
    work = items(prm, setup, config_of)
    tables = boardpair.join(run_conditions(boardpair.run_pair, work, setup, label=name))
    final = finals(tables, prm.tail_fraction)
    summary = boardpair.summary_by(final, ["engine", "p"])
    paired = boardpair.paired_against(final, ["engine"], seed=setup.seed)
    agreement = (
        boardpair.agreement_summary(tables["agreement"], ["p"])
        if not tables["agreement"].empty
        else pd.DataFrame()
    )
    still = boardpair.stillness(tables["taps"], ["p"])
    lines = [
        f"{name} at circuit level: {prm.tasks} allosteric tasks on {prm.network}, equal steps x "
        f"p = {prm.steps_x_p}, board of {TOLERANCE:.0%} spread (board seed 0), one seed, "
        + (
            "trained by the circuit engine with the twin beside it"
            if setup.engine == "circuit"
            else "the twin alone"
        )
        + " (twin: ideal engine, --p-mode oscillator --sigma-mode board, same board and draws); "
        "final = mean scaled error over the last "
        f"{prm.tail_fraction:.0%} of each run",
        *verdict_lines(paired, summary),
    ]
    if not agreement.empty:
        lines.append(agreement_line(agreement))
    lines += equal_line(final)
    return FigureResult(
        name=name,
        tables={
            f"{name}.csv": final,
            f"{name}_summary.csv": summary,
            f"{name}_paired.csv": paired,
            f"{name}_taps.csv": still,
            **({f"{name}_agreement.csv": agreement} if not agreement.empty else {}),
        },
        documents={},
        summary=tuple(lines),
        params=params_dict(prm),
        base_config={
            **boardpair.board_config(work[0].config).resolved().to_dict(),
            "varied": ["p", "steps", "log_every", "first_task", "tasks"],
            "twin_engine": "ideal",
        },
        plot="plot_fig4_board",
    )


__all__ = [
    "CHUNK_TASKS",
    "QUICK_CIRCUIT",
    "TOLERANCE",
    "compute",
    "finals",
    "items",
    "verdict_lines",
]
