"""Figures of one's own training runs: ``coupled plot`` and the ``training.png`` of a run.

:func:`plot_training` overlays the runs in the folders ``coupled train --out`` writes
(:func:`result_figure` the same for :class:`coupled.TrainResult` objects, ``result.plot()``): the
scaled error (mean over tasks) against step and against steps x p and, for runs with a
``resistance_history.parquet`` (columns ``step``, ``task``, ``edge``, ``resistance_ohm``,
``tap``), the taps (or, without taps, the resistances) of the recorded edges against step.
matplotlib is imported lazily with the Agg backend.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from coupled.analysis.plotting import pyplot, readable_log_ticks, save_png
from coupled.core.errors import ParameterError, UserError

RESISTANCE_HISTORY = "resistance_history.parquet"
"""Recorded edges of a run: ``step``, ``task``, ``edge``, ``resistance_ohm``, ``tap``."""
FIGURE_SUFFIXES = (".png", ".pdf", ".svg")
"""File types ``--out`` may name."""
MAX_EDGE_LINES = 24
"""Most edges drawn per run in the resistance panel (the first ones recorded)."""


def read_run(run_dir: Path) -> dict:
    """The history, ``run.json`` and resistance history (or None) of a training run folder.

    Raises
    ------
    UserError
        For a folder that does not exist or holds no ``history.csv``.
    """
    folder = Path(run_dir)
    if not folder.is_dir():
        raise UserError(f"run folder {str(folder)!r}: does not exist or is not a folder")
    history_file = folder / "history.csv"
    if not history_file.exists():
        raise UserError(
            f"run folder {str(folder)!r}: no history.csv; give folders written by "
            "'coupled train --out'"
        )
    history = pd.read_csv(history_file)
    missing = [c for c in ("step", "task", "scaled_error") if c not in history]
    if missing:
        raise UserError(f"{history_file}: no column {missing[0]!r}")
    try:
        run = json.loads((folder / "run.json").read_text())
    except (OSError, ValueError):
        run = {}
    resistances = None
    if (folder / RESISTANCE_HISTORY).exists():
        resistances = pd.read_parquet(folder / RESISTANCE_HISTORY)
    return {"name": folder.name, "history": history, "run": run, "resistances": resistances}


def _label(run: dict) -> str:
    cfg = run["run"].get("config", {})
    engine = run["run"].get("engine", cfg.get("engine", "?"))
    p = cfg.get("p")
    return f"{run['name']} ({engine}" + (f", p = {p:g})" if isinstance(p, int | float) else ")")


def plot_training(run_dirs: list[Path], out_file: Path) -> Path:
    """Draw the training of one or more runs into ``out_file`` (PNG, PDF or SVG).

    Parameters
    ----------
    run_dirs
        Folders written by ``coupled train --out`` (``history.csv``, ``run.json`` and,
        optionally, ``resistance_history.parquet``).
    out_file
        The figure file; written atomically, with the runs' configs in its metadata (PNG).

    Returns
    -------
    Path
        ``out_file``.

    Raises
    ------
    UserError
        For no folders, a folder without ``history.csv`` or an unsupported file type; nothing
        is written then.
    """
    out = Path(out_file)
    if out.suffix.lower() not in FIGURE_SUFFIXES:
        raise ParameterError(
            f"{{out_file}} {str(out)!r}: unsupported figure type; use {', '.join(FIGURE_SUFFIXES)}",
            "out_file",
        )
    if not run_dirs:
        raise UserError("no run folder given; name at least one folder of 'coupled train --out'")
    runs = [read_run(Path(d)) for d in run_dirs]
    fig = training_figure(runs)
    meta = {r["name"]: r["run"].get("config", {}) for r in runs}
    if out.suffix.lower() == ".png":
        return save_png(fig, out, meta)
    from coupled.core.io import atomic_write

    atomic_write(out, lambda p: fig.savefig(p, format=out.suffix.lower()[1:]))
    pyplot().close(fig)
    return out


def result_run(result) -> dict:
    """A :class:`coupled.TrainResult` as :func:`read_run` gives a run folder (the recorded
    resistances come from its folder, if it has one)."""
    folder = result.out_dir
    resistances = None
    if folder is not None and (Path(folder) / RESISTANCE_HISTORY).exists():
        resistances = pd.read_parquet(Path(folder) / RESISTANCE_HISTORY)
    config = result.config
    name = Path(folder).name if folder is not None else config.network_label
    return {
        "name": name,
        "history": result.history,
        "run": {"config": config.to_dict(), "engine": config.engine},
        "resistances": resistances,
    }


def result_figure(results: list):
    """The figure of ``coupled plot`` for :class:`coupled.TrainResult` objects (what
    ``TrainResult.plot()`` returns): a matplotlib ``Figure``, not saved.

    The environment's backend is kept (never switched to Agg) and, if it is a module such as a
    notebook's inline backend, loaded, so that it registers how figures display (it does so
    only when its module loads, which pyplot does at its first figure): in a notebook the
    figure shows as the cell's value. The figure itself is not registered with pyplot, so it
    shows once and is freed with its last reference.
    """
    import importlib

    import matplotlib

    backend = matplotlib.get_backend()
    if backend.startswith("module://"):
        importlib.import_module(backend.removeprefix("module://"))
    return training_figure([result_run(r) for r in results])


def training_figure(runs: list[dict]):
    """Draw runs (as :func:`read_run` returns them) into a new matplotlib ``Figure`` (not
    registered with pyplot; any backend): the scaled error against step and steps x p and, for
    runs with recorded edges, their taps."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    with_r = [r for r in runs if r["resistances"] is not None and len(r["resistances"])]
    panels = 3 if with_r else 2
    fig = Figure(figsize=(5 * panels, 4))
    axes = fig.subplots(1, panels, squeeze=False)[0]
    for colour, run in zip(_colours(len(runs)), runs, strict=True):
        h = run["history"]
        mean = h.groupby("step")["scaled_error"].mean()
        label = _label(run)
        axes[0].plot(mean.index, mean.to_numpy(), color=colour, label=label)
        if "steps_x_p" in h:
            sx = h.groupby("step")["steps_x_p"].mean()
            axes[1].plot(sx.to_numpy(), mean.to_numpy(), color=colour, label=label)
    for ax, xlabel in zip(
        axes[:2], ("training step (count)", "steps x p (expected updates per edge)"), strict=True
    ):
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("scaled error = error / error(t = 0) (dimensionless)")
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        readable_log_ticks(ax.yaxis)
    axes[0].legend(fontsize=7)
    axes[0].set_title("mean over tasks")
    if with_r:
        _resistance_panel(axes[2], with_r, runs)
    fig.suptitle(f"Training of {len(runs)} run(s)")
    fig.tight_layout()
    return fig


def _resistance_panel(ax, with_r: list[dict], runs: list[dict]) -> None:
    colours = dict(zip([r["name"] for r in runs], _colours(len(runs)), strict=True))
    use_taps = all(
        "tap" in r["resistances"] and r["resistances"]["tap"].notna().all() for r in with_r
    )
    column = "tap" if use_taps else "resistance_ohm"
    shown = 0
    for run in with_r:
        table = run["resistances"]
        table = table[table["task"] == table["task"].min()]
        edges = sorted(table["edge"].unique())[:MAX_EDGE_LINES]
        for k, edge in enumerate(edges):
            rows = table[table["edge"] == edge].sort_values("step")
            ax.plot(
                rows["step"],
                rows[column],
                color=colours[run["name"]],
                lw=0.8,
                alpha=0.7,
                label=_label(run) if k == 0 else None,
            )
        shown = max(shown, len(edges))
    ax.set_xlabel("training step (count)")
    ax.set_ylabel("tap (position)" if use_taps else "resistance (ohm)")
    ax.set_title(f"recorded edges (up to {shown} per run, first task)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)


def _colours(n: int):
    from matplotlib import colormaps

    return colormaps["viridis"]([0.0] if n <= 1 else [0.9 * k / (n - 1) for k in range(n)])
