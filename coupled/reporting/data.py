"""Data of ``coupled report``: gather every piece, evaluate the claims, summarise the runs.

The pieces (:mod:`coupled.reporting.pieces`) are reused or run, loaded and judged by the claims
(:mod:`coupled.reporting.claims`); this module ties them into one :class:`ReportData` and the
content of ``report.json``. Names of both modules are importable from here too.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from coupled.core.errors import UserError
from coupled.core.version import __version__
from coupled.reporting.claims import evaluate_claims
from coupled.reporting.pieces import (
    CALIBRATION,
    CHECK_BOARD,
    FIGURES,
    PIECES,
    TRAINING,
    YOUR_BOARD,
    Drawers,
    ReportConfig,
    ReportData,
    ensure_piece,
    load_calibration_piece,
    load_check_board_piece,
    load_figure_piece,
    load_training_runs,
)
from coupled.reporting.your_board import load_your_board, your_board_digest

# --- gathering -----------------------------------------------------------------------------------


def gather(
    config: ReportConfig,
    out_dir: str | Path,
    *,
    pieces: tuple[str, ...] = PIECES,
    log: Callable[[str], None] | None = None,
    drawers: Drawers | None = None,
) -> ReportData:
    """Reuse or run every piece under ``out_dir``, load them and evaluate the claims.

    Parameters
    ----------
    config
        The report's settings.
    out_dir
        The report folder (must exist).
    pieces
        Which pieces to reuse or run (default all of :data:`PIECES`).
    log
        Callable taking one line of progress text.
    drawers
        How pieces that are run get their figures (see :class:`Drawers`).

    Returns
    -------
    ReportData
    """
    say = log or (lambda text: None)
    out = Path(out_dir)
    started = time.perf_counter()
    unknown = [p for p in pieces if p not in PIECES]
    if unknown:
        raise UserError(f"piece {unknown[0]!r}: unknown; choose from {', '.join(PIECES)}")
    statuses = tuple(ensure_piece(name, out, config, say, drawers) for name in pieces)
    figures = {f: load_figure_piece(out / f, f) for f in FIGURES}
    data = ReportData(
        config=config,
        out_dir=out,
        pieces=statuses,
        calibration=load_calibration_piece(out / CALIBRATION),
        figures={k: v for k, v in figures.items() if v},
        training=load_training_runs(out / TRAINING),
        board_check=load_check_board_piece(out / CHECK_BOARD),
        your_board=load_your_board(out / YOUR_BOARD, config.network, config.seed),
    )
    claims = evaluate_claims(data)
    return ReportData(
        config=config,
        out_dir=out,
        pieces=statuses,
        calibration=data.calibration,
        figures=data.figures,
        training=data.training,
        claims=claims,
        board_check=data.board_check,
        your_board=data.your_board,
        wall_time_s=time.perf_counter() - started,
    )


# --- demo runs ---------------------------------------------------------------------------------


def event_summary(events: pd.DataFrame, p: float) -> dict:
    """Share of edges enabled per step against the requested p (one task's events).

    Returns the mean and spread of the per-step share, the binomial spread expected for
    independent edges ``sqrt(p (1 - p) / E)``, and the per-edge shares' range.
    """
    per_step = events.groupby("step")["enabled"].mean()
    per_edge = events.groupby("edge")["enabled"].mean()
    e = int(events["edge"].nunique())
    return {
        "p": float(p),
        "mean_share": float(per_step.mean()),
        "std_share": float(per_step.std()),
        "binomial_std": math.sqrt(p * (1 - p) / e),
        "n_steps": int(per_step.size),
        "n_edges": e,
        "edge_share_min": float(per_edge.min()),
        "edge_share_max": float(per_edge.max()),
    }


def training_summary(runs: dict) -> pd.DataFrame:
    """One row per demo run: engine, p, steps, final scaled error, event statistics."""
    rows = []
    for name, run in runs.items():
        cfg = run["run"].get("config", {})
        h = run["history"]
        last = h[h["step"] == h["step"].max()]
        row = {
            "run": name,
            "engine": run["run"].get("engine", ""),
            "p": cfg.get("p", math.nan),
            "steps": int(h["step"].max()),
            "final_scaled_error": float(last["scaled_error"].mean()),
            "wall_time_s": run["run"].get("wall_time_s", math.nan),
        }
        if run["events"] is not None and len(run["events"]):
            first = run["events"][run["events"]["task"] == run["events"]["task"].min()]
            s = event_summary(first, float(row["p"]))
            row.update({k: s[k] for k in ("mean_share", "std_share", "binomial_std")})
        rows.append(row)
    return pd.DataFrame(rows)


def report_record(data: ReportData) -> dict:
    """Plain content of ``report.json``: config, seed, version, pieces, claims, summaries."""
    cal = data.calibration
    return {
        "config": data.config.to_dict(),
        "seed": data.config.seed,
        "version": __version__,
        "pieces": [asdict(p) for p in data.pieces],
        "claims": []
        if data.claims is None  # empty statistics of a claim are null, not NaN
        else data.claims.astype(object).where(data.claims.notna(), None).to_dict("records"),
        "calibration": {k: cal[k] for k in ("correlation", "effective_bias") if k in cal},
        "training": training_summary(data.training).to_dict(orient="records"),
        "check_board": {
            "summary": data.board_check.get("record", {}).get("summary"),
            **data.board_check.get("digest", {}),
        }
        if data.board_check
        else {},
        "your_board": your_board_digest(data.your_board),
        "wall_time_s": data.wall_time_s,
    }
