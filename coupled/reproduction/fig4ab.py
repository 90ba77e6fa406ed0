"""Figs. 4a and 4b at circuit level: error curves and resistor traces of the 16-edge board.

``coupled reproduce fig4a|fig4b|fig4ab`` (one computation; ``--engine circuit`` by default,
``--engine ideal`` runs the board twin alone): two-input, two-output allosteric tasks on
``experiment16`` trained on the learning board (circuit engine, 5 % part spread, board seed 0)
at p = 0.1, 0.5 and 1 for equal steps x p, with the board twin in lockstep
(:mod:`coupled.reproduction.boardpair`).

4a
    Per p one *typical* task: the task whose final scaled error (on the first engine, circuit
    or twin) is the median of the tasks at that p (the lower middle one for an even count).
    Its raw scaled error and a smoothed one (running mean over ``smooth`` logged points,
    centred) against steps x p.
4b
    The taps of three edges (``trace_edges``: the network's first three, I1-G1, G1-O1, I1-O1)
    of the same typical task per p, as resistances (nominal tap values) against steps x p.
    As numbers, for every task and edge in the last half of each run (the paper: "for p = 1
    the system may find a local minimum and remain there"): ``still_share``, the share of
    windows of 10 expected updates (10 / p steps) after which the tap is within one position of
    where it was, and ``tap_span``, its range (positions). ``fig4ab_stillness.csv`` pairs every
    p with p = 1 over tasks: mean difference ``diff`` = value at p = 1 minus value at p, with a
    seeded bootstrap interval (``ci_low``, ``ci_high``), ``tasks``, ``seeds`` and ``wins``
    (share of tasks where the value at p = 1 is the larger).

Outputs: ``fig4a.csv`` (engine, p, task, step, steps_x_p, scaled_error, smoothed_scaled_error),
``fig4b.csv`` (engine, p, task, edge, step, steps_x_p, tap, resistance_ohm),
``fig4ab_final.csv`` (per engine, p and task, as ``fig4c.csv``), ``fig4ab_taps.csv`` (per p,
engine and task: still_share, tap_span, tap_drift), ``fig4ab_stillness.csv``,
``fig4ab_agreement.csv``, PNG. The first table is the one the name asks for.

Measured (twin, seed 77, full size): ``still_share`` 1.00 at p = 1 against 0.87 at p = 0.1
and 0.5 (paired difference +0.13, 95 % CI +0.08 to +0.18, 10 of 10 tasks), ``tap_span`` 0.4
against 6.3 positions: the paper's explanation holds. At circuit level (the Fig. 4c board run,
25 tasks, p = 0.2 and 1, steps x p = 500): 0.9999 against 0.80 (+0.20, CI +0.14 to +0.25).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from coupled.core.errors import UserError
from coupled.reproduction import boardpair, fig4, fig4board
from coupled.reproduction.base import FigureResult, Setup, params_dict, run_conditions
from coupled.reproduction.stats import paired_difference

DEFAULT_ENGINE = "circuit"
"""Figs. 4a and 4b are measurements on the board: the circuit engine unless told otherwise."""
ENGINES = ("circuit", "ideal")


@dataclass(frozen=True)
class Fig4abParams:
    """Sizes of Figs. 4a/4b (the board and the rule are Fig. 4c's)."""

    tasks: int = 10
    p_values: tuple[float, ...] = (0.1, 0.5, 1.0)
    steps_x_p: int = 2000
    samples: int = 400
    trace_points: int = 400
    trace_edges: tuple[int, ...] = (0, 1, 2)
    smooth: int = 15
    tail_fraction: float = 0.1
    chunk_tasks: int = 10


def params(name: str, quick: bool) -> Fig4abParams:
    """Full: 10 tasks at p = 0.1, 0.5, 1 and steps x p = 2000; quick: 3 tasks, 40."""
    if quick:
        return Fig4abParams(
            tasks=3,
            p_values=(0.25, 0.5, 1.0),
            steps_x_p=40,
            samples=40,
            trace_points=40,
            smooth=5,
        )
    return Fig4abParams()


def _panel(prm: Fig4abParams) -> fig4.Fig4Params:
    return replace(
        fig4.params("fig4c", False),
        tasks=prm.tasks,
        p_values=prm.p_values,
        steps_x_p=prm.steps_x_p,
        samples=prm.samples,
        tail_fraction=prm.tail_fraction,
    )


def _config(panel: fig4.Fig4Params, setup: Setup, p: float):
    return fig4.config(panel, setup, p, panel.outputs[0])


def check(name: str, prm: Fig4abParams, setup: Setup) -> None:
    """Validate every run; the board studies run on ``circuit`` (with the twin) or ``ideal``."""
    if setup.engine not in ENGINES:
        raise UserError(
            f"--engine {setup.engine}: {name} runs on circuit (the board, twin beside it) or "
            "ideal (the twin alone)"
        )
    if not set(prm.trace_edges) <= set(range(16)):
        raise UserError(f"{name}: trace edges {prm.trace_edges}: experiment16 has edges 0-15")
    for item in fig4board.items(_panel(prm), setup, _config, prm.chunk_tasks):
        item.config.validate()


def typical_tasks(final: pd.DataFrame, engine: str) -> dict[float, int]:
    """Per p the task whose final scaled error on ``engine`` is the (lower) median."""
    out = {}
    for p, f in final[final["engine"] == engine].groupby("p"):
        ranked = f.sort_values(["final_scaled_error", "task"]).reset_index(drop=True)
        out[float(p)] = int(ranked.loc[(len(ranked) - 1) // 2, "task"])
    return out


def compute(name: str, prm: Fig4abParams, setup: Setup) -> FigureResult:
    """Train every p on the board (and twin), pick the typical task, tabulate 4a and 4b."""
    panel = _panel(prm)
    work = [
        boardpair.PairItem(i.config, i.labels, trace_points=prm.trace_points)
        for i in fig4board.items(panel, setup, _config, prm.chunk_tasks)
    ]
    tables = boardpair.join(run_conditions(boardpair.run_pair, work, setup, label=name))
    final = fig4board.finals(tables, prm.tail_fraction)
    first = "circuit" if setup.engine == "circuit" else "twin"
    typical = typical_tasks(final, first)
    history = tables["history"]
    curves = []
    for p, task in typical.items():
        h = history[(history["p"] == p) & (history["task"] == task)].sort_values("step")
        for _, c in h.groupby("engine", sort=False):
            smooth = c["scaled_error"].rolling(prm.smooth, center=True, min_periods=1).mean()
            curves.append(
                c[["engine", "p", "task", "step", "steps_x_p", "scaled_error"]].assign(
                    smoothed_scaled_error=smooth.to_numpy()
                )
            )
    traces = tables["traces"]
    chosen = traces["p"].map(typical) == traces["task"]
    mask = traces["edge"].isin(prm.trace_edges) & chosen
    still = boardpair.stillness(tables["taps"], ["p"])
    stillness = _stillness_pairs(still, setup.seed)
    agreement = (
        boardpair.agreement_summary(tables["agreement"], ["p"])
        if not tables["agreement"].empty
        else pd.DataFrame()
    )
    summary_lines = _lines(name, prm, final, typical, still, stillness, agreement, first)
    fig4a = pd.concat(curves, ignore_index=True)
    fig4b = traces[mask].reset_index(drop=True)
    ordered = {"fig4a.csv": fig4a, "fig4b.csv": fig4b}
    if name == "fig4b":
        ordered = {"fig4b.csv": fig4b, "fig4a.csv": fig4a}
    ordered.update(
        {
            "fig4ab_final.csv": final,
            "fig4ab_taps.csv": still,
            "fig4ab_stillness.csv": stillness,
        }
    )
    if not agreement.empty:
        ordered["fig4ab_agreement.csv"] = agreement
    return FigureResult(
        name=name,
        tables=ordered,
        documents={
            "fig4ab_typical.json": {
                "typical_task_per_p": {str(k): v for k, v in typical.items()},
                "chosen_on": first,
                "rule": "median task by final scaled error",
            }
        },
        summary=tuple(summary_lines),
        params=params_dict(prm),
        base_config={
            **boardpair.board_config(work[0].config).resolved().to_dict(),
            "varied": ["p", "steps", "log_every", "first_task", "tasks"],
            "twin_engine": "ideal",
        },
        plot={"fig4a": "plot_fig4a", "fig4b": "plot_fig4b"}.get(name, "plot_fig4ab"),
    )


def _stillness_pairs(still: pd.DataFrame, seed: int) -> pd.DataFrame:
    rows = []
    for engine, s in still.groupby("engine", sort=False):
        high = s["p"].max()
        for column in ("still_share", "tap_span"):
            wide = s.pivot_table(index="task", columns="p", values=column)
            for low in sorted(wide.columns):
                if low == high:
                    continue
                stats = paired_difference(wide[low], wide[high], seed=seed)
                rows.append(
                    {"engine": engine, "quantity": column, "p_low": low, "p_high": high, **stats}
                )
    return pd.DataFrame(rows)


def _lines(name, prm, final, typical, still, stillness, agreement, first) -> list[str]:
    lines = [
        f"{name}: {prm.tasks} allosteric tasks on experiment16 at p = "
        + ", ".join(f"{p:g}" for p in prm.p_values)
        + f", equal steps x p = {prm.steps_x_p}; board of {fig4board.TOLERANCE:.0%} spread "
        f"trained by the {'circuit engine, twin beside it' if first == 'circuit' else 'twin'}; "
        f"typical task per p = the median task by final scaled error on the {first}: "
        + ", ".join(f"p={p:g}: task {t}" for p, t in typical.items())
    ]
    means = still.groupby(["engine", "p"])[["still_share", "tap_span"]].mean()
    for engine in dict.fromkeys(still["engine"]):
        m = means.loc[engine]
        lines.append(
            f"{engine}: last half, share of 10-update windows with the tap within one position "
            "/ tap range (positions), mean over tasks and edges: "
            + "; ".join(f"p={p:g}: {r.still_share:.2f} / {r.tap_span:.1f}" for p, r in m.iterrows())
        )
        for r in stillness[stillness["engine"] == engine].to_dict("records"):
            lines.append(
                f"{engine}: {r['quantity']} at p={r['p_high']:g} minus p={r['p_low']:g}: "
                f"{r['diff']:+.3g} (95 % CI {r['ci_low']:+.3g} to {r['ci_high']:+.3g}; "
                f"larger at p=1 in {r['wins']:.0%} of {r['tasks']} tasks)"
            )
    lines.append(
        "paper's explanation (synchronous learning finds a minimum and stays there): "
        + _explanation(stillness, first)
    )
    if not agreement.empty:
        lines.append(fig4board.agreement_line(agreement))
    summary = boardpair.summary_by(final, ["engine", "p"])
    for engine, s in summary.groupby("engine", sort=False):
        lines.append(
            f"{engine}: final scaled error, geometric mean / median per p: "
            + "; ".join(f"p={r.p:g}: {r.geomean:.3g} / {r.median:.3g}" for r in s.itertuples())
        )
    return lines


def _explanation(stillness: pd.DataFrame, engine: str) -> str:
    s = stillness[(stillness["engine"] == engine) & (stillness["quantity"] == "still_share")]
    if s.empty:
        return "not measured"
    parts = []
    for r in s.itertuples():
        if r.ci_low > 0:
            verdict = "holds"
        elif r.ci_high < 0:
            verdict = "contradicted"
        else:
            verdict = "not resolved"
        parts.append(f"p=1 against p={r.p_low:g}: {verdict}")
    return "; ".join(parts) + f" ({engine}, still_share paired over tasks)"


__all__ = ["DEFAULT_ENGINE", "Fig4abParams", "check", "compute", "params", "typical_tasks"]
