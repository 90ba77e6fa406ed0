"""``gates``: Figs. 4c and 4e with the board's gates and offsets instead of coin flips and sigma.

The paper's desynchronisation is a fresh coin flip per edge and step (``--p-mode bernoulli``)
and its comparator bias a fresh sigma per edge and step (``--sigma-mode step``). A board has
neither: each edge's enable is its oscillator sampled at the trigger (a rotation in time,
``--p-mode oscillator``, optionally with period jitter) and each comparator has one fixed offset
(``--sigma-mode board``, the two-comparator + XOR law). This study reruns panels 4c
(``experiment16`` allostery) and 4e (``jammed143`` regression) with the settings of
:mod:`coupled.reproduction.fig4` (equal steps x p, inputs 0-1000 V, offsets / sigma up to
0.05 V) for every combination of

gates ``coin`` (Bernoulli), ``oscillator``, ``oscillator+jitter`` (``jitter`` = 0.05 of a period
per cycle) and offsets ``step`` (per-step sigma), ``board`` (fixed comparator offsets),

on one board drawn with 5 % part spread (``board_seed`` 0, the fitted phase model). Every mode
but ``coin``/``step`` runs on the board twin, so it also has the twins' part spread; compare gates
at equal offsets mode. Outputs: ``gates.csv`` (one row per panel, gates, offsets, p, task) and
``gates_summary.csv`` (mean, median, standard error; ``advantage``: mean at p = 1 over mean at
the lowest p of the same panel and modes; the paired ``ratio``, ``ci_low``, ``ci_high``,
``wins`` and ``verdict`` of every p against p = 1, :mod:`coupled.core.paired`; one seed).

Measured (full size, seed 0; mean final scaled error, ratio p = 1 / p = 0.2): 4c coin/step
0.0026 at p = 0.2, 0.051 at p = 1 (19x); every twin mode 0.021-0.028 for every p (1.0-1.2x:
coin/board 1.12x, oscillator/board 1.17x, oscillator+jitter/board 1.11x). 4e coin/step 2.6x;
coin/board 1.63x, oscillator/board 1.68x, oscillator+jitter/board 2.56x, oscillator/step 2.54x.
At equal offsets the oscillator's rotation helps as much as coin flips; the twins' part spread
and the fixed offsets, not the gates, take most of the advantage away.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from coupled.core.errors import ParameterError
from coupled.reproduction import fig4
from coupled.reproduction.base import FigureResult, Setup, params_dict, run_conditions

GATES = {"coin": ("bernoulli", 0.0), "oscillator": ("oscillator", 0.0)}
JITTER = 0.05
"""Period jitter of the ``oscillator+jitter`` gates, rms fraction of a period per cycle."""
GATES["oscillator+jitter"] = ("oscillator", JITTER)
OFFSETS = ("step", "board")
TOLERANCE = 0.05


@dataclass(frozen=True)
class GatesParams:
    """Panels (``fig4c``, ``fig4e``), their Fig. 4 parameters and the values of p."""

    panels: tuple[str, ...] = ("fig4c", "fig4e")
    p_values: tuple[float, ...] = (0.2, 0.5, 1.0)
    quick: bool = False
    tasks: int | None = None
    steps_x_p: int | None = None


def params(name: str, quick: bool) -> GatesParams:
    """Full: the Fig. 4 panel sizes at p = 0.2, 0.5, 1; quick: 4 tasks, 300 steps x p."""
    if quick:
        return GatesParams(p_values=(0.5, 1.0), quick=True, tasks=4, steps_x_p=300)
    return GatesParams()


def _panel(prm: GatesParams, panel: str) -> fig4.Fig4Params:
    base = fig4.params(panel, False)
    changes = {"p_values": prm.p_values}
    if prm.tasks is not None:
        changes["tasks"] = prm.tasks
    if prm.steps_x_p is not None:
        changes["steps_x_p"] = prm.steps_x_p
    return replace(base, **changes)


def _configs(prm: GatesParams, setup: Setup) -> list[tuple[dict, object]]:
    items = []
    for panel in prm.panels:
        fp = _panel(prm, panel)
        for gate, (p_mode, jitter) in GATES.items():
            for offsets in OFFSETS:
                for p in prm.p_values:
                    cfg = fig4.config(fp, setup, p, fp.outputs[0])
                    options = {}
                    if p_mode == "oscillator" or offsets == "board":
                        options = {"tolerance": TOLERANCE, "jitter": jitter}
                    cfg = replace(cfg, p_mode=p_mode, sigma_mode=offsets, engine_options=options)
                    label = {"panel": panel, "gates": gate, "offsets": offsets}
                    items.append((label, cfg))
    return items


def check(name: str, prm: GatesParams, setup: Setup) -> None:
    """Validate every run (``UserError``); the study needs an engine with the board twin."""
    if setup.engine not in ("ideal", "spice"):
        raise ParameterError(
            f"{{engine}} {setup.engine}: the gates study runs on ideal or spice", "engine"
        )
    for _, cfg in _configs(prm, setup):
        cfg.validate()


def _final(item) -> pd.DataFrame:
    label, cfg = item
    table = fig4._final((cfg, 0.1)).drop(columns="outputs")
    for key, value in reversed(label.items()):
        table.insert(0, key, value)
    return table


def compute(name: str, prm: GatesParams, setup: Setup) -> FigureResult:
    """Train every condition; tabulate final errors and the advantage of desynchronisation."""
    items = _configs(prm, setup)
    table = pd.concat(run_conditions(_final, items, setup, label=name), ignore_index=True)
    keys = ["panel", "gates", "offsets"]
    summary = fig4.summary_table(table, [*keys, "p"])
    low, sync = min(prm.p_values), max(prm.p_values)
    means = summary.set_index([*keys, "p"])["mean"]
    summary["advantage"] = [
        means[(r.panel, r.gates, r.offsets, sync)] / means[(r.panel, r.gates, r.offsets, low)]
        for r in summary.itertuples()
    ]
    summary = fig4.with_intervals(summary, table, keys)
    paired_low = summary[summary["p"] == low].set_index(keys)
    lines = [
        f"{name}: Figs. 4c/4e (equal steps x p) with coin vs oscillator gates (jitter "
        f"{JITTER}) and per-step sigma vs board offsets; board of {TOLERANCE:.0%} spread"
    ]
    for (panel, gate, offsets), s in summary.groupby(keys, sort=False):
        per_p = ", ".join(f"p={r.p:g}: {r.mean:.3g}" for r in s.itertuples())
        r = paired_low.loc[(panel, gate, offsets)]
        lines.append(
            f"{panel} {gate}/{offsets}: mean final scaled error {per_p}; p={low:g} is "
            f"{s['advantage'].iloc[0]:.3g}x below p={sync:g} (means); paired geometric-mean "
            f"ratio {r['ratio']:.3g} [{r['ci_low']:.3g}, {r['ci_high']:.3g}], lower in "
            f"{r['wins']:.0%} of the tasks: {r['verdict']}"
        )
    return FigureResult(
        name=name,
        tables={"gates.csv": table, "gates_summary.csv": summary},
        documents={},
        summary=tuple(lines),
        params=params_dict(prm),
        base_config={**items[0][1].resolved().to_dict(), "varied": ["p", "steps", "modes"]},
        plot="plot_gates",
    )
