"""The report's plots of training runs (``coupled demo``'s ``training/`` folder): scaled error
against step and steps x p, the update-event raster, and the share of edges updated per step
against p. Each returns PNG bytes for :mod:`coupled.analysis.report` to embed."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from coupled.analysis.plotting import pyplot, readable_log_ticks

RASTER_STEPS = 200
"""Steps shown in the update-event raster."""


def _figure_png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    pyplot().close(fig)
    return buffer.getvalue()


def plot_training_curves(runs: dict) -> bytes:
    """Scaled test error (mean over tasks) against step and against steps x p, one line per run."""
    plt = pyplot()
    # One y axis for both panels (labelled once, on the left), laid out so that no label
    # reaches into the other panel.
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True, layout="constrained")
    for name, run in runs.items():
        mean = run["history"].groupby("step")[["scaled_error", "steps_x_p"]].mean()
        label = f"{name} ({run['run'].get('engine', '?')})"
        axes[0].plot(mean.index, mean["scaled_error"], label=label)
        axes[1].plot(mean["steps_x_p"], mean["scaled_error"], label=label)
    for ax, xlabel in zip(
        axes, ("training step (count)", "steps x p (expected updates per edge)"), strict=True
    ):
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("scaled error = error / error(t = 0)\n(dimensionless)")
    readable_log_ticks(axes[0].yaxis)
    axes[0].legend(fontsize=9)
    fig.suptitle("Training of the board (mean over tasks)")
    return _figure_png(fig)


def _with_events(runs: dict) -> dict:
    return {k: v for k, v in runs.items() if v["events"] is not None and len(v["events"])}


def raster_span(runs: dict, max_steps: int = RASTER_STEPS) -> str:
    """Which steps the event raster shows: ``"all N steps"`` or ``"the first M of N ..."``."""
    shown_steps, total_steps = 0, 0
    for run in _with_events(runs).values():
        ev = run["events"]
        steps = ev.loc[ev["task"] == ev["task"].min(), "step"]
        total_steps = max(total_steps, int(steps.nunique()))
        shown_steps = max(shown_steps, int(steps[steps <= max_steps].nunique()))
    if shown_steps >= total_steps:
        return f"all {total_steps} recorded steps"
    return f"the first {shown_steps} of {total_steps} recorded steps"


def plot_event_raster(runs: dict, max_steps: int = RASTER_STEPS) -> bytes:
    """Which edges updated at each step (first task of each run with events), and the share."""
    plt = pyplot()
    with_events = _with_events(runs)
    fig, axes = plt.subplots(
        len(with_events),
        2,
        figsize=(10, 2.8 * len(with_events)),
        squeeze=False,
        gridspec_kw={"width_ratios": [3, 2]},
        layout="constrained",  # panel titles clear of the row above
    )
    for row, (name, run) in enumerate(with_events.items()):
        ev = run["events"]
        ev = ev[(ev["task"] == ev["task"].min()) & (ev["step"] <= max_steps)]
        grid = ev.pivot(index="edge", columns="step", values="enabled").astype(float)
        p = float(run["run"].get("config", {}).get("p", np.nan))
        axes[row, 0].imshow(
            grid.to_numpy(),
            aspect="auto",
            cmap="Greys",
            vmin=0,
            vmax=1,
            interpolation="nearest",
            extent=(
                grid.columns.min() - 0.5,
                grid.columns.max() + 0.5,
                grid.index.max() + 0.5,
                grid.index.min() - 0.5,
            ),
        )
        axes[row, 0].set_ylabel(f"{name}\nedge (index)")
        axes[row, 0].yaxis.set_major_locator(pyplot().MaxNLocator(integer=True))
        share = grid.mean(axis=0)
        axes[row, 1].plot(share.index, share.to_numpy(), lw=0.8)
        axes[row, 1].axhline(p, color="C3")
        axes[row, 1].set_ylim(-0.05, 1.05)
        axes[row, 1].set_ylabel("share of edges updated")
        # the key as the panel's title: a legend box would cover the trace
        axes[row, 1].set_title(f"blue: share per step; red: requested p = {p:g}", fontsize=9)
    axes[-1, 0].set_xlabel("training step (count; black: edge updated)")
    axes[-1, 1].set_xlabel("training step (count)")
    shown = raster_span(runs, max_steps)
    fig.suptitle(f"Update events (LEDs of the board), first task of each run: {shown}")
    return _figure_png(fig)


def plot_share_against_p(summary: pd.DataFrame) -> bytes:
    """Mean share of edges updated per step against the requested p, with binomial spread."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.plot([0, 1], [0, 1], "k--", lw=0.8, label="share = p")
    ax.errorbar(
        summary["p"],
        summary["mean_share"],
        yerr=summary["std_share"],
        fmt="o",
        capsize=3,
        label="measured (+-1 sd over steps)",
    )
    ax.errorbar(
        summary["p"] + 0.02,
        summary["p"],
        yerr=summary["binomial_std"],
        fmt="none",
        ecolor="C3",
        capsize=3,
        label="independent edges: sqrt(p(1-p)/E)",
    )
    ax.set_xlabel("requested p (probability)")
    ax.set_ylabel("share of edges updated per step (fraction)")
    ax.set_xlim(0, 1.05)
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8, loc="upper left")  # the points lie on the diagonal
    return _figure_png(fig)
