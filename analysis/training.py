"""Figures of one's own training runs: error curves and the resistances of recorded edges.

:func:`plot_training` reads run folders written by ``coupled train --out`` (``history.csv``,
``run.json`` and, with ``--record-resistance-every``, ``resistance_history.parquet``) and draws
one PNG: mean scaled test error against step and against steps x p (one curve per run, the
spread over tasks shaded), and, where recorded, the taps (discrete rule) or resistances of up to
eight edges of the first task of each run against step. ``coupled train --out`` writes it as
``training.png``; ``coupled plot RUN_DIR ... --out FILE`` overlays several runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.plotting import pyplot, readable_log_ticks, save_png
from coupled.core.errors import UserError

EDGES_SHOWN = 8
"""Edges per run in the resistance panel."""


def load_run(folder: str | Path) -> dict:
    """The tables of one run folder; ``UserError`` naming the folder if it holds no run."""
    path = Path(folder)
    try:
        history = pd.read_csv(path / "history.csv")
    except (OSError, ValueError) as exc:
        raise UserError(
            f"{path}: not a finished training run (no readable history.csv: {exc})"
        ) from None
    run = json.loads((path / "run.json").read_text()) if (path / "run.json").exists() else {}
    res_path = path / "resistance_history.parquet"
    resistance = pd.read_parquet(res_path) if res_path.exists() else None
    return {"path": path, "history": history, "run": run, "resistance": resistance}


def _label(run: dict) -> str:
    cfg = run["run"].get("config", {})
    parts = [run["path"].name]
    if cfg:
        parts.append(f"{cfg.get('engine', '?')}, p = {cfg.get('p', '?')}")
    return " - ".join(parts)


def plot_training(run_dirs: list[Path], out_file: Path) -> Path:
    """Draw the runs in ``run_dirs`` into ``out_file`` (PNG); returns its path."""
    runs = [load_run(d) for d in run_dirs]
    if not runs:
        raise UserError("plot: no run folders given")
    with_r = [r for r in runs if r["resistance"] is not None]
    plt = pyplot()
    n = 3 if with_r else 2
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 4.2), constrained_layout=True)
    for run in runs:
        h = run["history"]
        grouped = h.groupby("step")["scaled_error"]
        steps = grouped.mean().index.to_numpy()
        mean, low, high = grouped.mean(), grouped.min(), grouped.max()
        p = float(run["run"].get("config", {}).get("p", 1.0))
        (line,) = axes[0].plot(steps, mean, label=_label(run))
        axes[1].plot(steps * p, mean, color=line.get_color())
        if len(h["task"].unique()) > 1:
            axes[0].fill_between(steps, low, high, color=line.get_color(), alpha=0.15, lw=0)
    for ax, xlabel in ((axes[0], "step"), (axes[1], "steps x p (expected updates per edge)")):
        ax.set_xlabel(xlabel)
        ax.set_ylabel("scaled test error (error / error at step 0)")
        ax.set_yscale("log")
        readable_log_ticks(ax.yaxis)
        ax.grid(alpha=0.3)
    axes[0].set_title("mean over tasks (shaded: min to max)")
    axes[1].set_title("against steps x p: equal updates per edge")
    axes[0].legend(fontsize=8)
    if with_r:
        ax = axes[2]
        for run in with_r:
            table = run["resistance"]
            first = table[table["task"] == table["task"].min()]
            discrete = bool((first["tap"] >= 0).all())
            column = "tap" if discrete else "resistance_ohm"
            for edge in sorted(first["edge"].unique())[:EDGES_SHOWN]:
                rows = first[first["edge"] == edge]
                ax.plot(rows["step"], rows[column], lw=1, label=f"edge {edge}")
            ax.set_ylabel("tap (0-127)" if discrete else "resistance (ohm)")
        ax.set_xlabel("step")
        ax.set_title(f"first task, up to {EDGES_SHOWN} edges of {with_r[0]['path'].name}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
    meta = {
        "runs": [str(r["path"]) for r in runs],
        "configs": [r["run"].get("config") for r in runs],
        "versions": sorted({str(r["run"].get("version")) for r in runs}),
    }
    return save_png(fig, out_file, meta)


def final_errors(run_dirs: list[Path]) -> pd.DataFrame:
    """Final mean scaled test error of each run (``run``, ``final_scaled_error``)."""
    rows = []
    for d in run_dirs:
        h = load_run(d)["history"]
        last = h[h["step"] == h["step"].max()]
        rows.append({"run": str(d), "final_scaled_error": float(np.mean(last["scaled_error"]))})
    return pd.DataFrame(rows)
