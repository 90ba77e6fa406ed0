"""Figures of ``coupled calibrate``: p against the bias, event correlations, comparator bias.

matplotlib is imported inside each function with the Agg backend, so importing this module is
cheap and needs no display. Each PNG carries the run's config, seed and version in its
``Description`` metadata.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from coupled.analysis.plotting import pyplot, save_png


def plot_p_against_bias(table: pd.DataFrame, path: str | Path, meta: dict | None = None) -> Path:
    """p (mean over edges, band of +-1 spread across edges) against the bias, with the
    phase-model prediction.

    Parameters
    ----------
    table
        :func:`coupled.calibration.p_against_bias` output.
    path
        PNG file to write (atomically).
    meta
        Config, seed and version to embed.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    bias, p, std = table["bias_v"], table["p"], table["p_std"]
    ax.fill_between(bias, p - std, p + std, alpha=0.25, label="spread across edges (1 sd)")
    ax.plot(bias, p, "o-", label=f"circuit, {int(table['n_triggers'].iloc[0])} triggers/point")
    if "p_formula" in table:
        ax.plot(bias, table["p_formula"], "k--", lw=1, label="phase model (time share)")
    ax.axhline(0.5, color="grey", lw=0.5)
    ax.set_xlabel("global bias voltage (V)")
    ax.set_ylabel("update probability p (probability)")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_png(fig, path, meta)
    plt.close(fig)
    return Path(path)


def plot_correlation_histogram(
    matrix: np.ndarray, summary: dict, path: str | Path, meta: dict | None = None
) -> Path:
    """Histogram of the pairwise Pearson correlations, with the null spread and the paper's 0.01."""
    plt = pyplot()
    e = matrix.shape[0]
    values = matrix[np.triu_indices(e, k=1)]
    values = values[np.isfinite(values)]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.hist(values, bins=max(10, min(60, values.size // 5 or 10)), color="C0", alpha=0.8)
    null = summary.get("null_std_pearson")
    if null:
        for sign in (-1, 1):
            ax.axvline(sign * null, color="grey", ls="--", lw=1)
    for sign in (-1, 1):
        ax.axvline(sign * summary.get("paper_pearson", 0.01), color="C3", ls=":", lw=1)
    ax.set_xlabel("Pearson r of update events, pairs of edges (dimensionless)")
    ax.set_ylabel("pairs of edges (count)")
    ax.set_title(
        f"p = {summary.get('p', float('nan')):.3f}, n = {summary.get('n_triggers')}, "
        f"mean |r| = {summary.get('mean_abs_pearson', float('nan')):.4f}",
        fontsize=9,
    )
    ax.text(
        0.02,
        0.95,
        "grey: null 1/sqrt(n); red: paper 0.01",
        transform=ax.transAxes,
        fontsize=7,
        va="top",
    )
    fig.tight_layout()
    save_png(fig, path, meta)
    plt.close(fig)
    return Path(path)


def plot_effective_bias(
    table: pd.DataFrame, path: str | Path, meta: dict | None = None, paper_high_v: float = 0.05
) -> Path:
    """Histogram of the measured effective comparator bias per branch against U[0, 0.05] V."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    sigma = table["sigma_v"].to_numpy()
    positive = table["sign_clamped"].to_numpy() > 0
    bins = np.linspace(-1.2 * paper_high_v, 1.2 * paper_high_v, 49)
    ax.hist(sigma[positive], bins=bins, alpha=0.7, label="dV_C > 0 branches")
    ax.hist(sigma[~positive], bins=bins, alpha=0.7, label="dV_C < 0 branches")
    n_half = max(1, int(positive.sum()))
    density = n_half * (bins[1] - bins[0]) / paper_high_v
    ax.plot(
        [0, 0, paper_high_v, paper_high_v],
        [0, density, density, 0],
        "k--",
        lw=1,
        label=f"paper U[0, {paper_high_v:g}] V",
    )
    ax.set_xlabel("effective comparator bias sigma (V)")
    ax.set_ylabel("edge branches (count)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_png(fig, path, meta)
    plt.close(fig)
    return Path(path)


def draw_calibration(result, out: str | Path) -> list[Path]:
    """Every figure of a calibration (a :class:`coupled.calibration.run.CalibrationResult`)."""
    out = Path(out)
    config = result.config
    from coupled.core.version import __version__

    meta = {"config": config.to_dict(), "seed": config.seed, "version": __version__}
    paths = [
        plot_p_against_bias(result.p_table, out / "p_vs_bias.png", meta),
        plot_correlation_histogram(
            result.matrix, result.correlation, out / "correlation_hist.png", meta
        ),
    ]
    if result.effective_bias is not None:
        paths.append(plot_effective_bias(result.effective_bias, out / "effective_bias.png", meta))
    return paths
