"""Figure of one edge around one training step (``coupled waveforms``).

Panels, shared time axis in microseconds relative to the step's trigger instant (where the
engine reads the latches): the global trigger; the edge's oscillator against the global bias;
the enable comparator and its latch; both sense stages about the mid-supply reference; both
decision comparators; the XOR and the direction latch. Thresholds are drawn dashed: the logic
threshold of the enable latch, the direction latch's "up" threshold and the reference. The title
names the engine's decision and the tap before and after.
"""

from __future__ import annotations

from pathlib import Path

from coupled.analysis.plotting import pyplot, save_png

PANELS = (
    (("trig",), "trigger (V)", None),
    (("osc", "bias"), "oscillator, bias (V)", None),
    (("en", "enl"), "enable, latch (V)", "logic"),
    (("sena", "senb"), "sense A, B (V)", "reference"),
    (("cmpa", "cmpb"), "comparators (V)", "logic"),
    (("xor", "dir"), "XOR, direction latch (V)", "direction"),
)


def plot_step_edge(result, step: int, edge: int, path: str | Path) -> Path:
    """Draw ``edge`` around ``step`` of a :class:`coupled.calibration.waveforms.StepWaveforms`."""
    plt = pyplot()
    table = result.table
    sub = table[(table["step"] == step) & ((table["edge"] == edge) | (table["edge"] == -1))]
    rows = result.decisions[(result.decisions["step"] == step) & (result.decisions["edge"] == edge)]
    decision = rows.iloc[0] if len(rows) else None  # a self-triggered edge may not fire
    t0 = result.trigger_times_s[step] if decision is None else float(decision["time_s"])
    fig, axes = plt.subplots(len(PANELS), 1, figsize=(7, 9), sharex=True)
    for ax, (signals, label, threshold) in zip(axes, PANELS, strict=True):
        for signal in signals:
            s = sub[sub["signal"] == signal]
            ax.plot((s["time_s"] - t0) * 1e6, s["voltage_v"], label=signal, lw=1)
        if threshold is not None:
            ax.axhline(result.thresholds_v[threshold], ls="--", color="grey", lw=0.8)
        ax.axvline(0.0, color="black", lw=0.6, alpha=0.5)
        ax.set_ylabel(label, fontsize=8)
        ax.legend(loc="upper left", fontsize=7, frameon=False)
    axes[-1].set_xlabel("time from the trigger instant (the edge's firing when self-triggered), us")
    if decision is None:
        title = f"step {step}, edge {edge}: did not fire in this example period"
    else:
        moved = "moves" if decision["enabled"] else "holds"
        way = "up" if decision["direction"] > 0 else "down"
        title = (
            f"step {step}, edge {edge}: enabled {bool(decision['enabled'])}, direction {way}; "
            f"tap {decision['tap_before']} -> {decision['tap_after']} ({moved})"
        )
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    meta = {"step": int(step), "edge": int(edge), "config": result.config.to_dict()}
    return save_png(fig, path, meta)
