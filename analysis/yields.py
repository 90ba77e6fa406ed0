"""Figure of a yield study (``coupled yield``): against each part class's tolerance (x0, x1, x2),
the yield with its 95 % interval (left) and the median over boards of the paired ratio of the
final scaled error to the nominal board's (right)."""

from __future__ import annotations

from pathlib import Path

from coupled.analysis.plotting import pyplot, save_png

MULTIPLIERS = {"ideal": 0.0, "nominal": 1.0, "doubled": 2.0}


def plot_yield(summary: dict, budget, tolerances: dict, path: str | Path) -> Path:
    """Yield (with its 95 % interval) at 0, 1 and 2 times each class's tolerance."""
    plt = pyplot()
    fig, (ax, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    classes = list(dict.fromkeys(budget["part_class"])) if len(budget) else []
    for i, part_class in enumerate(classes):
        rows = budget[budget["part_class"] == part_class].set_index("change")
        xs, ys, lo, hi = [], [], [], []
        for change, factor in MULTIPLIERS.items():
            if change == "nominal":
                y, low, high = summary["yield"], summary["ci_low"], summary["ci_high"]
            elif change in rows.index:
                y, low, high = (rows.loc[change, k] for k in ("yield", "ci_low", "ci_high"))
            else:
                continue
            xs.append(factor + (i - len(classes) / 2) * 0.015)
            ys.append(y)
            lo.append(y - low)
            hi.append(high - y)
        t = tolerances[part_class]
        label = f"{part_class} ({t.limit:g} {t.unit})"
        ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=2, lw=1, label=label)
        ratio = [rows.loc[c, "median_error_ratio"] if c in rows.index else 1.0 for c in MULTIPLIERS]
        right.plot(list(MULTIPLIERS.values()), ratio, marker="o", lw=1, label=part_class)
    if not classes:
        ax.errorbar(
            [1.0],
            [summary["yield"]],
            yerr=[[summary["yield"] - summary["ci_low"]], [summary["ci_high"] - summary["yield"]]],
            marker="o",
        )
    ax.set_xticks([0, 1, 2], ["ideal (x0)", "datasheet (x1)", "doubled (x2)"])
    ax.set_xlabel("tolerance of one part class (others at their datasheet values)")
    ax.set_ylabel(f"yield: share of boards with scaled error <= {summary['target_error']:g}")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=7, frameon=False, loc="lower left")
    ax.set_title(f"{summary['boards']} boards, 95 % Clopper-Pearson intervals", fontsize=9)
    right.set_xticks([0, 1, 2], ["ideal (x0)", "datasheet (x1)", "doubled (x2)"])
    right.axhline(1.0, color="grey", lw=0.8, ls="--")
    right.set_ylabel("median over boards: final scaled error / nominal board's")
    right.set_title("paired effect on the error (same boards, same draws)", fontsize=9)
    fig.tight_layout()
    return save_png(fig, path, {"summary": summary})
