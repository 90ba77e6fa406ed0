"""Figures of ``coupled reproduce``: the paper's Fig. 1, 2a/2b and 4c/4d/4e from their tables.

Each function takes the :class:`coupled.reproduction.FigureResult` of its figure, the PNG path and
the meta data (config, seed, version) to embed in the PNG's ``Description``; it draws only what
the tables hold (no computation beyond means and fitted lines already in the result).
matplotlib is imported inside the functions with the Agg backend, so importing this module is
cheap and needs no display.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from coupled.analysis.plotting import pyplot, readable_log_ticks, save_png

if TYPE_CHECKING:
    from coupled.reproduction.base import FigureResult


def board_text(name: str, cfg: dict) -> str:
    """The board figure ``name`` ran on (supply, inputs, sense gain G, comparator bias sigma).

    ``cfg`` is the figure's training configuration (``FigureResult.base_config``, the
    ``train_config`` of its JSON): the discrete rule states G and sigma; the continuous rule has
    no comparators; ``sense-gain`` varies G; the temporal study runs the oscillators alone.
    """
    if "supply_v" in cfg and "rule" not in cfg:
        return f"{cfg['supply_v']:g} V oscillators and enable comparators (no sensing stage)"
    inputs = f"inputs {cfg.get('input_min_v', 0):g}-{cfg.get('input_max_v', 0):g} V"
    if cfg.get("rule") == "continuous":
        return f"5 V supply, {inputs}, continuous rule (no comparators, no sense gain)"
    gain = "G varied" if name == "sense-gain" else f"G = {cfg.get('sense_gain', 0):g}"
    sigma = f"sigma ~ U[0, {cfg.get('sigma_v', 0):g}] V at the comparators"
    return f"5 V board, {inputs}, {gain}, {sigma}"


def _caption(fig, result: FigureResult) -> None:
    """The board, as a line under the figure."""
    text = board_text(result.name, result.base_config)
    fig.text(0.5, 0.005, text, ha="center", va="bottom", fontsize=8, color="0.3")
    fig.tight_layout(rect=(0, 0.04, 1, 1))


def _colours(n: int):
    plt = pyplot()
    return plt.get_cmap("viridis")(np.linspace(0.0, 0.9, max(n, 1)))


def plot_fig1(result: FigureResult, path: str | Path, meta: dict | None = None) -> Path:
    """Scaled test error against steps x p (task mean, 10-90 % band), final-error ranges.

    Parameters
    ----------
    result
        Output of :func:`coupled.reproduction.fig1.compute`.
    path
        PNG to write (atomically).
    meta
        Config, seed and version to embed.
    """
    plt = pyplot()
    table, summary = result.tables["fig1.csv"], result.tables["fig1_summary.csv"]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [2, 1]})
    data = table[table["step"] > 0]
    ps = sorted(data["p"].unique())
    for colour, p in zip(_colours(len(ps)), ps, strict=True):
        g = data[data["p"] == p].groupby("steps_x_p")["scaled_error"]
        x = g.mean().index.to_numpy()
        ax.fill_between(x, g.quantile(0.1), g.quantile(0.9), color=colour, alpha=0.12, lw=0)
        ax.plot(x, g.mean(), color=colour, lw=1.3, label=f"p = {p:g}")
        row = summary[summary["p"] == p].iloc[0]
        ax.errorbar(
            [row["final_steps_x_p"]],
            [row["final_mean"]],
            yerr=[[row["final_mean"] - row["final_min"]], [row["final_max"] - row["final_mean"]]],
            color=colour,
            capsize=3,
            lw=1,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training steps x p (expected updates per edge)")
    ax.set_ylabel("scaled test error\n= error / error(t = 0) (dimensionless)")
    ax.set_title(f"Fig. 1: {int(summary['tasks'].iloc[0])} regression tasks, 143 edges")
    ax.legend(fontsize=7, ncol=2)
    ax2.errorbar(
        summary["p"],
        summary["final_mean"],
        yerr=[
            summary["final_mean"] - summary["final_min"],
            summary["final_max"] - summary["final_mean"],
        ],
        fmt="o",
        capsize=3,
        color="k",
    )
    ax2.set_yscale("log")
    ax2.set_xlabel("update probability p (probability)")
    ax2.set_ylabel("final scaled test error\n(dimensionless; mean, range)")
    ax2.set_title(f"after {int(summary['final_step'].max())} steps")
    for a in (ax, ax2):
        readable_log_ticks(a.yaxis)
    fig.tight_layout()
    _caption(fig, result)
    return save_png(fig, path, meta)


def plot_fig2(result: FigureResult, path: str | Path, meta: dict | None = None) -> Path:
    """Mean distance from the p = b = 1 solution against 1 - x with fitted power laws, and the
    same divided by each series' prefactor (the collapse).
    """
    plt = pyplot()
    table = result.tables[f"{result.name}.csv"]
    fits = result.documents[f"{result.name}_fit.json"]["fits"]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    labels = {"p": "desynchronised (b = 1)", "b": "mini-batch (p = 1)", "p=b": "p = b"}
    markers = {"p": "o", "b": "s", "p=b": "^"}
    for colour, (series, fit) in zip(_colours(len(fits)), fits.items(), strict=True):
        rows = table[table["series"] == series]
        g = rows.groupby("one_minus")["distance_ohm"]
        x, mean = g.mean().index.to_numpy(), g.mean().to_numpy()
        sem = (g.std(ddof=1) / np.sqrt(g.size())).to_numpy()
        line = np.geomspace(x.min(), x.max(), 50)
        a, alpha = fit["prefactor_ohm"], fit["exponent"]
        ax.errorbar(
            x,
            mean,
            yerr=sem,
            fmt=markers.get(series, "o"),
            color=colour,
            capsize=2,
            label=f"{labels.get(series, series)}: exponent {alpha:.2f}",
        )
        ax.plot(line, a * line**alpha, color=colour, lw=1)
        ax2.plot(x, mean / a, markers.get(series, "o"), color=colour, label=series)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("1 - p   or   1 - b (dimensionless)")
    ax.set_ylabel("distance |R - R(p=b=1)| (ohm)")
    ax.set_title(f"Fig. {result.name[3:]}: 16 edges, {table['task'].nunique()} tasks")
    ax.legend(fontsize=7)
    grid = np.geomspace(table["one_minus"].min(), table["one_minus"].max(), 50)
    mean_alpha = np.nanmean([f["exponent"] for f in fits.values()])
    ax2.plot(grid, grid**mean_alpha, "k--", lw=0.8, label=f"(1 - x)^{mean_alpha:.2f}")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("1 - x, x = p or b (dimensionless)")
    ax2.set_ylabel("distance / fitted prefactor (dimensionless)")
    ax2.set_title("effective rates matched (collapse)")
    ax2.legend(fontsize=7)
    ticker = plt.matplotlib.ticker
    xs = sorted(table["one_minus"].unique())
    for a in (ax, ax2):
        a.xaxis.set_minor_formatter(ticker.NullFormatter())
        a.set_xticks(xs, [f"{x:.3g}" for x in xs], fontsize=7)
    for a in (ax, ax2):
        readable_log_ticks(a.yaxis)
    fig.tight_layout()
    _caption(fig, result)
    return save_png(fig, path, meta)


def plot_fig4(result: FigureResult, path: str | Path, meta: dict | None = None) -> Path:
    """Final scaled error against p (4c, 4e: tasks as dots, mean +- standard error, median) or
    against the number of outputs O, one curve per p (4d).
    """
    plt = pyplot()
    table = result.tables[f"{result.name}.csv"]
    summary = result.tables[f"{result.name}_summary.csv"]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    if "outputs" in summary:
        ps = sorted(summary["p"].unique())
        for colour, p in zip(_colours(len(ps)), ps, strict=True):
            s = summary[summary["p"] == p]
            ax.errorbar(
                s["outputs"],
                s["mean"],
                yerr=s["sem"],
                fmt="o-",
                color=colour,
                capsize=3,
                label=f"p = {p:g}",
            )
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(summary["outputs"].unique()))
        ax.get_xaxis().set_major_formatter(pyplot().matplotlib.ticker.ScalarFormatter())
        ax.set_xlabel("number of outputs O (count; O inputs, O/2 grounds)")
    else:
        jitter = np.random.default_rng(0).uniform(-0.012, 0.012, len(table))
        ax.plot(
            table["p"] + jitter, table["final_scaled_error"], ".", color="0.7", ms=4, label="tasks"
        )
        ax.errorbar(
            summary["p"],
            summary["mean"],
            yerr=summary["sem"],
            fmt="o-",
            color="k",
            capsize=3,
            label="mean +- s.e.",
        )
        ax.plot(
            summary["p"], summary["median"], "s--", color="tab:blue", ms=4, lw=0.8, label="median"
        )
        ax.set_xlabel("update probability p (probability)")
    ax.set_yscale("log")
    kind = "test error" if "regression" in str(result.params.get("task")) else "error"
    ax.set_ylabel(f"final scaled {kind} (dimensionless)")
    readable_log_ticks(ax.yaxis)
    ax.set_title(f"Fig. {result.name[3:]}: {result.params.get('network')}, discrete rule")
    ax.legend(fontsize=7)
    fig.tight_layout()
    _caption(fig, result)
    return save_png(fig, path, meta)


def plot_sense_gain(result: FigureResult, path: str | Path, meta: dict | None = None) -> Path:
    """Final scaled error against the sense gain G, one panel per network, one curve per p."""
    plt = pyplot()
    summary = result.tables["sense_gain_summary.csv"]
    networks = list(summary["network"].unique())
    fig, axes = plt.subplots(1, len(networks), figsize=(5 * len(networks), 4), squeeze=False)
    for ax, network in zip(axes[0], networks, strict=True):
        s = summary[summary["network"] == network]
        ps = sorted(s["p"].unique())
        for colour, p in zip(_colours(len(ps)), ps, strict=True):
            c = s[s["p"] == p]
            ax.errorbar(
                c["sense_gain"],
                c["mean"],
                yerr=c["sem"],
                fmt="o-",
                color=colour,
                capsize=3,
                label=f"p = {p:g}",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("sense gain G (V/V)")
        ax.set_ylabel("final scaled error")
        ax.set_title(f"{network}: 5 V board, inputs 0-5 V, sigma U[0, 0.05] V", fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    _caption(fig, result)
    return save_png(fig, path, meta)


def plot_gates(result: FigureResult, path: str | Path, meta: dict | None = None) -> Path:
    """Final scaled error against p per panel (4c, 4e), one curve per gates/offsets mode."""
    plt = pyplot()
    summary = result.tables["gates_summary.csv"]
    panels = list(dict.fromkeys(summary["panel"]))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    modes = list(dict.fromkeys(zip(summary["gates"], summary["offsets"], strict=True)))
    for ax, panel in zip(axes[0], panels, strict=True):
        for colour, (gate, offsets) in zip(_colours(len(modes)), modes, strict=True):
            s = summary[
                (summary["panel"] == panel)
                & (summary["gates"] == gate)
                & (summary["offsets"] == offsets)
            ]
            style = "o-" if offsets == "step" else "s--"
            ax.errorbar(
                s["p"],
                s["mean"],
                yerr=s["sem"],
                fmt=style,
                color=colour,
                capsize=3,
                label=f"{gate} / {offsets}",
            )
        ax.set_yscale("log")
        ax.set_xlabel("update probability p")
        ax.set_ylabel("final scaled error (mean +- s.e.)")
        ax.set_title(f"{panel}: gates / offsets")
        ax.legend(fontsize=7)
    fig.tight_layout()
    _caption(fig, result)
    return save_png(fig, path, meta)


def plot_clockless(result: FigureResult, path: str | Path, meta: dict | None = None) -> Path:
    """Final scaled error against the ratio of firing to example period, self vs clocked."""
    plt = pyplot()
    summary = result.tables["clockless_summary.csv"]
    networks = list(dict.fromkeys(summary["network"]))
    fig, axes = plt.subplots(1, len(networks), figsize=(5 * len(networks), 4), squeeze=False)
    styles = {
        "global": ("o-", "tab:blue", "clocked (global trigger)"),
        "self": ("s--", "tab:red", "self-triggered (no clock)"),
    }
    for ax, network in zip(axes[0], networks, strict=True):
        for trigger, (fmt, colour, label) in styles.items():
            s = summary[(summary["network"] == network) & (summary["trigger"] == trigger)]
            s = s.sort_values("ratio")
            ax.errorbar(
                s["ratio"],
                s["mean"],
                yerr=s["sem"],
                fmt=fmt,
                color=colour,
                capsize=3,
                label=label,
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("mean firing period / example period (= 1 / p)")
        ax.set_ylabel("final scaled error (mean +- s.e.)")
        ax.set_title(f"{network}: equal updates per edge", fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return save_png(fig, path, meta)


def plot_offsets(result: FigureResult, path: str | Path, meta: dict | None = None) -> Path:
    """Share of diverged tasks (95 % interval) and geometric mean (history and as the board
    measures it on its free twin) per decision model and p."""
    plt = pyplot()
    summary = result.tables["offsets_summary.csv"]
    models = list(dict.fromkeys(summary["model"]))
    p_values = sorted(summary["p"].unique())
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
    width = 0.8 / len(p_values)
    where = np.arange(len(models))
    for k, (colour, p) in enumerate(zip(_colours(len(p_values)), p_values, strict=True)):
        s = summary[summary["p"] == p].set_index("model").loc[models]
        x = where + (k - (len(p_values) - 1) / 2) * width
        share = s["share_diverged"].to_numpy()
        ax.bar(x, share, width, color=colour, label=f"p = {p:g}")
        ax.errorbar(
            x,
            share,
            yerr=[share - s["share_ci_low"], s["share_ci_high"] - share],
            fmt="none",
            color="k",
            capsize=2,
        )
        geo = s["geo_mean"].to_numpy()
        ax2.errorbar(
            x,
            geo,
            yerr=[geo - s["geo_ci_low"], s["geo_ci_high"] - geo],
            fmt="o",
            color=colour,
            capsize=3,
            label=f"p = {p:g}, history",
        )
        board = s["board_geo_mean"].to_numpy()
        ax2.errorbar(
            x + width / 3,
            board,
            yerr=[board - s["board_geo_ci_low"], s["board_geo_ci_high"] - board],
            fmt="o",
            mfc="white",
            color=colour,
            capsize=3,
            label=f"p = {p:g}, as the board measures",
        )
    for a in (ax, ax2):
        a.set_xticks(where)
        a.set_xticklabels(models, rotation=30, ha="right", fontsize=8)
        a.legend(fontsize=8)
    ax.set_ylabel("share of tasks diverged (final scaled error > 1)")
    ax.set_title("diverged tasks, 95 % Clopper-Pearson interval")
    ax2.set_yscale("log")
    ax2.set_ylabel("geometric mean scaled error")
    ax2.set_title("geometric mean, 95 % bootstrap interval")
    fig.tight_layout()
    _caption(fig, result)
    return save_png(fig, path, meta)


def draw_figure(result: FigureResult, path: str | Path, meta: dict | None = None) -> Path:
    """Draw a reproduced figure with the plot its result names (``result.plot``)."""
    return globals()[result.plot](result, path, meta)


def plot_temporal(result: FigureResult, path: str | Path, meta: dict | None = None) -> Path:
    """Enable autocorrelation against lag (default T, one curve per jitter), lag-1
    autocorrelation and mean |Pearson r| between edges against the trigger period."""
    plt = pyplot()
    table, summary = result.tables["temporal.csv"], result.tables["temporal_summary.csv"]
    phase, s_phase = table[table["events"] == "phase"], summary[summary["events"] == "phase"]
    periods = sorted(s_phase["trigger_period_s"].unique())
    t_ref = 50e-6 if 50e-6 in periods else periods[-1]
    jitters = sorted(s_phase["jitter"].unique())
    # Two rows at the page's width (about 1100 px): the lag plot on top with its legend
    # beside it, the two trigger-period plots below; every label at 9 pt or more.
    fig = plt.figure(figsize=(11, 8.5))
    grid = fig.add_gridspec(2, 2)
    ax = fig.add_subplot(grid[0, :])
    ax2, ax3 = fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])
    for colour, j in zip(_colours(len(jitters)), jitters, strict=True):
        rows = phase[(phase["jitter"] == j) & (phase["trigger_period_s"] == t_ref)]
        ax.plot(rows["lag"], rows["mean_autocorrelation"], "o-", color=colour, label=f"{j:g}")
        s = s_phase[s_phase["jitter"] == j]
        x = s["trigger_period_s"] * 1e6
        ax2.plot(x, s["lag1_autocorrelation"], "o-", color=colour, label=f"jitter {j:g}")
        ax3.plot(x, s["mean_abs_pearson"], "o-", color=colour, label=f"jitter {j:g}")
    zero = phase[(phase["jitter"] == 0.0) & (phase["trigger_period_s"] == t_ref)]
    if len(zero):
        ax.plot(zero["lag"], zero["formula_autocorrelation"], "k:", label="rotation formula")
    transient = table[table["events"] == "transient"]
    same = table[table["events"] == "phase (cross-check)"]
    if len(same):
        edges = "same edges and triggers"
        ax.plot(same["lag"], same["mean_autocorrelation"], "k+", label=f"phase model, {edges}")
    if len(transient):
        ax.plot(
            transient["lag"], transient["mean_autocorrelation"], "rx", label="ngspice (jitter 0)"
        )
    null = float(s_phase["null_std"].iloc[0])
    ax.axhspan(-2 * null, 2 * null, color="0.85", lw=0, label="Bernoulli +-2 s.d.")
    ax.set_xlabel("lag (triggers)")
    ax.set_ylabel("enable autocorrelation r_k (mean over edges)")
    ax.set_title(f"T = {t_ref * 1e6:g} us; legend: jitter (rms per cycle)", fontsize=10)
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    ax2.axhline(0.0, color="0.6", lw=0.8)
    ax2.set_xscale("log")
    ax2.set_xlabel("trigger period T (us)")
    ax2.set_ylabel("lag-1 autocorrelation (mean over edges)")
    ax3.plot(
        s_phase["trigger_period_s"] * 1e6, s_phase["null_mean_abs_pearson"], "k:", label="null"
    )
    ax3.set_xscale("log")
    for a in (ax2, ax3):
        a.set_xticks([t * 1e6 for t in periods])
        a.set_xticklabels([f"{t * 1e6:g}" for t in periods])
        a.minorticks_off()
    ax3.set_xlabel("trigger period T (us)")
    ax3.set_ylabel("mean |Pearson r| between edges")
    ax2.legend(fontsize=9)
    ax3.legend(fontsize=9)
    cfg = result.base_config
    fig.suptitle(
        f"{cfg['network']}: 5 V oscillator board, {cfg['tolerance']:g} spread, p = "
        f"{cfg['p']:g} (bias {cfg['bias_v']:.3f} V), board seed {cfg['board_seed']}",
        fontsize=11,
    )
    fig.tight_layout()
    _caption(fig, result)
    return save_png(fig, path, meta)


def plot_fig4_board(result: FigureResult, path: str | Path, meta: dict | None = None) -> Path:
    """Final scaled error against p at circuit level and on the twin: tasks as dots, geometric
    mean and median per engine."""
    plt = pyplot()
    table = result.tables[f"{result.name}.csv"]
    summary = result.tables[f"{result.name}_summary.csv"]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    styles = {"circuit": ("o-", "k", -0.01), "twin": ("s--", "tab:red", 0.01)}
    for engine, (fmt, colour, shift) in styles.items():
        t, s = table[table["engine"] == engine], summary[summary["engine"] == engine]
        if s.empty:
            continue
        ax.plot(t["p"] + shift, t["final_scaled_error"], ".", color=colour, alpha=0.3, ms=4)
        ax.plot(s["p"], s["geomean"], fmt, color=colour, label=f"{engine}: geometric mean")
        ax.plot(
            s["p"], s["median"], fmt[0] + ":", color=colour, ms=3, lw=0.8, label=f"{engine}: median"
        )
    ax.set_yscale("log")
    ax.set_xlabel("update probability p (probability)")
    ax.set_ylabel("final scaled error (dimensionless)")
    readable_log_ticks(ax.yaxis)
    ax.set_title(f"Fig. {result.name[3:]} at circuit level: the board and its twin")
    ax.legend(fontsize=7)
    fig.tight_layout()
    _caption(fig, result)
    return save_png(fig, path, meta)


def plot_board16(result: FigureResult, path: str | Path, meta: dict | None = None) -> Path:
    """``regression16``: final scaled test error against p (circuit and twin); ``drift``: power
    of the free network at the start and end of training against p, with and without the
    comparator offsets."""
    plt = pyplot()
    table = result.tables[f"{result.name}.csv"]
    summary = result.tables[f"{result.name}_summary.csv"]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    colours = {"circuit": "k", "twin": "tab:red"}
    if result.name == "drift":
        for (bias, engine), s in summary.groupby(["bias", "engine"], sort=False):
            fmt = "o-" if bias == "board" else "s--"
            colour = colours.get(engine, "0.5")
            ax.plot(
                s["p"],
                1e3 * s["power_end_w"],
                fmt,
                color=colour,
                label=f"{engine}, offsets {bias}: end",
            )
        start = summary.groupby("p")["power_start_w"].mean()
        ax.plot(start.index, 1e3 * start.to_numpy(), ":", color="0.5", label="start")
        ax.set_ylabel("power of the free network at the training example (mW)")
    else:
        for engine, s in summary.groupby("engine", sort=False):
            t = table[table["engine"] == engine]
            colour = colours.get(engine, "0.5")
            ax.plot(t["p"], t["final_scaled_error"], ".", color=colour, alpha=0.3, ms=4)
            ax.plot(s["p"], s["geomean"], "o-", color=colour, label=f"{engine}: geometric mean")
        ax.set_yscale("log")
        readable_log_ticks(ax.yaxis)
        ax.set_ylabel("final scaled test error (dimensionless)")
    ax.set_xlabel("update probability p (probability)")
    ax.set_title(f"{result.name}: experiment16 board")
    ax.legend(fontsize=7)
    fig.tight_layout()
    _caption(fig, result)
    return save_png(fig, path, meta)


def _fig4a_axes(ax, result: FigureResult) -> None:
    curves = result.tables["fig4a.csv"]
    engine = "circuit" if "circuit" in set(curves["engine"]) else "twin"
    c = curves[curves["engine"] == engine]
    ps = sorted(c["p"].unique())
    for colour, p in zip(_colours(len(ps)), ps, strict=True):
        s = c[c["p"] == p]
        ax.plot(s["steps_x_p"], s["scaled_error"], color=colour, alpha=0.3, lw=0.8)
        task = int(s["task"].iloc[0])
        ax.plot(
            s["steps_x_p"],
            s["smoothed_scaled_error"],
            color=colour,
            label=f"p = {p:g} (task {task})",
        )
    ax.set_yscale("log")
    readable_log_ticks(ax.yaxis)
    ax.set_xlabel("steps x p (expected updates per edge)")
    ax.set_ylabel("scaled error (dimensionless)")
    ax.set_title(f"(a) typical (median) task per p, {engine}: raw (faded), smoothed", fontsize=9)
    ax.legend(fontsize=7)


def _fig4b_axes(ax, result: FigureResult) -> None:
    traces = result.tables["fig4b.csv"]
    engine = "circuit" if "circuit" in set(traces["engine"]) else "twin"
    t = traces[traces["engine"] == engine]
    ps = sorted(t["p"].unique())
    styles = ["-", "--", ":"]
    for colour, p in zip(_colours(len(ps)), ps, strict=True):
        s = t[t["p"] == p]
        for style, (_edge, e) in zip(styles * 8, s.groupby("edge"), strict=False):
            label = f"p = {p:g}" if style == "-" else None
            ax.plot(
                e["steps_x_p"], e["resistance_ohm"] / 1e3, style, color=colour, lw=0.9, label=label
            )
    ax.set_xlabel("steps x p (expected updates per edge)")
    ax.set_ylabel("resistance (kOhm, nominal tap value)")
    ax.set_title(f"(b) three edges of the same tasks, {engine}", fontsize=9)
    ax.legend(fontsize=7)


def plot_fig4a(result: FigureResult, path: str | Path, meta: dict | None = None) -> Path:
    """Fig. 4a: one typical scaled-error curve per p (raw and smoothed) against steps x p."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    _fig4a_axes(ax, result)
    fig.tight_layout()
    _caption(fig, result)
    return save_png(fig, path, meta)


def plot_fig4b(result: FigureResult, path: str | Path, meta: dict | None = None) -> Path:
    """Fig. 4b: three resistor traces per p (the typical tasks of 4a) against steps x p."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    _fig4b_axes(ax, result)
    fig.tight_layout()
    _caption(fig, result)
    return save_png(fig, path, meta)


def plot_fig4ab(result: FigureResult, path: str | Path, meta: dict | None = None) -> Path:
    """Figs. 4a and 4b side by side."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    _fig4a_axes(axes[0], result)
    _fig4b_axes(axes[1], result)
    fig.tight_layout()
    _caption(fig, result)
    return save_png(fig, path, meta)
