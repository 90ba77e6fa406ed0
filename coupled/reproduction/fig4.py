"""Fig. 4c, 4d, 4e: the discrete rule (Eq. 10-11) learns better when desynchronised.

Rule: 128 taps linear from 1 to 10 kOhm, every enabled edge moves one tap in the direction of
``|dV_C| - |dV_F| + sigma``, sigma ~ U[0, 0.05] V drawn per edge and step (the paper's value),
eta = 1, one training example shown per step, update bits Bernoulli(p). Roles: drawn per task
from the seed (``roles="random"``, the paper's protocol; experiment16's declared I1 I2 / O1 O2
are not used here).

``fig4c``  allostery, 2 inputs, 2 outputs, 1 ground, ``experiment16``, 25 tasks, final scaled
           error against p.
``fig4d``  allostery with O outputs, O inputs and max(1, O // 2) grounds on ``jammed143``,
           20 tasks per (O, p), O = 1, 2, 4, 8, 16, 24, p = 0.2, 0.5, 1.
``fig4e``  regression, 2 inputs, 2 outputs, 1 ground, 16 training and 64 test examples,
           ``jammed143``, 10 tasks, final scaled *test* error against p.

Comparison at equal steps x p (the choice made here): every p is trained for
``steps_x_p / p`` steps, so every run makes the same expected number of tap moves per edge. The
paper plots its Fig. 4a against steps x p and states that moderate desynchronisation "slows the
learning process proportionately", i.e. runs are compared after equal learning effort. The same
tasks and initial taps are used for every p (per-task random streams), so the comparison is
paired. "Final" scaled error: the mean of the logged scaled error over the last tenth of the run
(100 log points per run), which removes the step-to-step jitter of the taps; the error at the
last step alone is also written (``last_scaled_error``).

Board. The figures run on the default physical board: 5 V supply, inputs 0-5 V, sense gain
G = 40, sigma ~ U[0, 0.05] V at the comparators (so sigma / G on the drops,
:mod:`coupled.physics.sensing`); every figure and its report heading state it.

Where the conclusions hold on that board (full size, ideal engine; means and medians over tasks
of the final scaled error, p_min against p = 1):

Pooled (default: seeds 0, 1, 2; paired geometric-mean ratio p = 1 / p = 0.1, 95 % CI, share
of tasks p = 0.1 wins): 4c 4.37 (3.11-6.07), 84 % of 75 tasks, holds; 4e 1.66 (1.44-1.95),
90 % of 30 tasks, holds. Per seed (the paper's protocol, means over one seed's tasks):

- 4c holds: seed 0 medians 5.6e-5 against 2.5e-4 (4.5x), means 0.063 against 0.147 (2.3x; one
  task ends at 1.5 for every p and dominates the means); seeds 1, 2: means 3.5x, 4.5x, medians
  4.4x, 12.6x. Every p < 1 ends about equally low; neither statistic is monotone in p on seed 0.
- 4e holds weakly: means 1.6x, 2.0x, 1.15x lower at p = 0.1 (seeds 0, 1, 2), medians 2.2x,
  1.7x, 1.7x; 69-76 % of the taps end at the top.
- 4d holds for O >= 4 (seed 0, p = 0.2 against p = 1): 1.3x at O = 1, 20x at O = 2, 24x at
  O = 4, 19x at O = 8, 1.3x at O = 16, 1.2x at O = 24, where the p curves collapse within
  1.5x; the advantage first grows from O = 1 to 4. Medians fade more slowly (4.8x, 8.0x, 29x,
  18x, 9.6x, 4.8x for O = 1 ... 24): the means at large O are set by a few tasks that do not
  learn at any p.

Earlier, before the sensing stage existed, the figures ran at 0-1000 V with unity gain (which
decides as 0-5 V at G = 200): 4c 29x, 5.6x, 69x lower means at p = 0.1 (seeds 0, 1, 2), 4e 4.3x,
5.1x, 6.7x, and 4d 83x at O = 4 falling to 2.9x at O = 24 (p = 0.2). At 0-5 V with unity gain
the bias swamps learning (taps pile up at 127, the final error no longer depends on p).

Verdicts. Each panel pools three seeds by default (``--seed S``: S, S + 1, S + 2; ``--quick``
one) and judges its ordering in p on paired comparisons (:mod:`coupled.core.paired`): the
geometric-mean ratio of the final error at p = 1 over the error at a smaller p, the same task at
both, with a bootstrap 95 % interval and the share of tasks where the smaller p ends lower;
"holds" if the interval lies above 1, "contradicted" below, "not resolved" if it contains 1.
The paper's protocol (means over tasks) is printed beside it.

Outputs: ``<name>.csv`` (one row per seed, condition and task: ``seed``, ``p``, ``outputs``
(4d), ``task``, ``final_scaled_error``, ``last_scaled_error``, ``initial_error_v2``, ``steps``,
``taps_at_top``), ``<name>_summary.csv`` (per condition over all seeds: ``tasks``, ``mean``,
``median``, ``sem``, ``taps_at_top`` and, against the largest p, ``p_high``, ``ratio``,
``ci_low``, ``ci_high``, ``seeds``, ``wins``, ``verdict``), PNG.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from coupled.core import paired
from coupled.core.errors import UserError
from coupled.physics import rules, sensing
from coupled.reproduction.base import FigureResult, Setup, params_dict, run_conditions, tail_mean
from coupled.training.config import TrainConfig
from coupled.training.run import train

P_VALUES = (0.1, 0.2, 0.4, 0.6, 0.8, 1.0)


@dataclass(frozen=True)
class Fig4Params:
    """Parameters of one Fig. 4 panel (see :func:`params` for the defaults per panel)."""

    network: str = "experiment16"
    task: str = "allostery"
    tasks: int = 25
    p_values: tuple[float, ...] = P_VALUES
    outputs: tuple[int, ...] = (2,)
    steps_x_p: int = 2000
    samples: int = 100
    tail_fraction: float = 0.1
    sigma_v: float = rules.DEFAULT_SIGMA_V
    sigma_mode: str = "step"
    eta: float = 1.0
    input_min_v: float = 0.0
    input_max_v: float = 5.0
    sense_gain: float = sensing.DEFAULT_SENSE_GAIN
    r_min_ohm: float = rules.DEFAULT_R_MIN_OHM
    r_max_ohm: float = rules.DEFAULT_R_MAX_OHM
    train_size: int = 16
    test_size: int = 64
    seeds: int = paired.MIN_SEEDS
    """Seeds pooled: ``--seed S`` runs S, S + 1, ..., S + seeds - 1 (each its own tasks)."""


DEFAULTS = {
    "fig4c": Fig4Params(),
    "fig4d": Fig4Params(
        network="jammed143", tasks=20, p_values=(0.2, 0.5, 1.0), outputs=(1, 2, 4, 8, 16, 24)
    ),
    "fig4e": Fig4Params(network="jammed143", task="regression", tasks=10),
}
QUICK = {
    "fig4c": replace(DEFAULTS["fig4c"], tasks=6, p_values=(0.25, 1.0), steps_x_p=300, seeds=1),
    "fig4d": replace(
        DEFAULTS["fig4d"],
        tasks=4,
        p_values=(0.5, 1.0),
        outputs=(1, 2, 4),
        steps_x_p=200,
        samples=20,
        seeds=1,
    ),
    "fig4e": replace(DEFAULTS["fig4e"], tasks=4, p_values=(0.5, 1.0), steps_x_p=300, seeds=1),
}


def params(name: str, quick: bool) -> Fig4Params:
    """Default (paper-size) or quick parameters of panel ``name``."""
    return (QUICK if quick else DEFAULTS)[name]


def steps_for(prm: Fig4Params, p: float) -> int:
    """Steps of a run at update probability ``p``: equal steps x p for every p."""
    return max(1, int(round(prm.steps_x_p / p)))


def config(prm: Fig4Params, setup: Setup, p: float, outputs: int) -> TrainConfig:
    """The run of one (p, O)."""
    steps = steps_for(prm, p)
    return TrainConfig(
        network=prm.network,
        task=prm.task,
        outputs=int(outputs),
        roles="random",  # the paper's protocol: roles drawn per task from the seed
        rule="discrete",
        engine=setup.engine,
        p=float(p),
        p_mode="bernoulli",
        steps=steps,
        tasks=prm.tasks,
        seed=setup.seed,
        eta=prm.eta,
        sigma_v=prm.sigma_v,
        sigma_mode=prm.sigma_mode,
        r_min_ohm=prm.r_min_ohm,
        r_max_ohm=prm.r_max_ohm,
        input_min_v=prm.input_min_v,
        input_max_v=prm.input_max_v,
        sense_gain=prm.sense_gain,
        train_size=prm.train_size,
        test_size=prm.test_size,
        log_every=max(1, steps // prm.samples),
        checkpoint_every=0,
    )


def _conditions(prm: Fig4Params) -> list[tuple[int, float]]:
    return [(o, p) for o in prm.outputs for p in prm.p_values]


def seed_setups(prm: Fig4Params | int, setup: Setup) -> list[Setup]:
    """One setup per pooled seed: ``setup.seed``, ``setup.seed + 1``, ... (``prm.seeds``)."""
    n = prm if isinstance(prm, int) else prm.seeds
    return [replace(setup, seed=setup.seed + i) for i in range(n)]


def check(name: str, prm: Fig4Params, setup: Setup) -> None:
    """Validate every run (``UserError``)."""
    if not prm.p_values or not prm.outputs:
        raise UserError(f"{name}: needs at least one p and one number of outputs")
    if not 0.0 <= prm.tail_fraction < 1.0:
        raise UserError(f"{name}: tail fraction {prm.tail_fraction}: must be in [0, 1)")
    if not isinstance(prm.seeds, int) or prm.seeds < 1:
        raise UserError(f"{name}: seeds {prm.seeds!r}: must be a whole number >= 1")
    for o, p in _conditions(prm):
        config(prm, setup, p, o).validate()


def _final(item: tuple[TrainConfig, float]) -> pd.DataFrame:
    """Worker: per-task final (tail-mean over ``fraction``) and last scaled error of one run."""
    cfg, fraction = item
    result = train(cfg)
    h = result.history
    tail = tail_mean(h, cfg.steps, fraction)
    last = h[h["step"] == result.state.step].set_index("task")["scaled_error"]
    first = h[h["step"] == 0].set_index("task")["error"]
    top = (result.state.taps >= cfg.n_taps - 1).mean(axis=1)
    tasks = tail.index.to_numpy()
    return pd.DataFrame(
        {
            "seed": cfg.seed,
            "p": cfg.p,
            "outputs": cfg.outputs,
            "task": tasks,
            "final_scaled_error": tail.to_numpy(),
            "last_scaled_error": last.loc[tasks].to_numpy(),
            "initial_error_v2": first.loc[tasks].to_numpy(),
            "steps": cfg.steps,
            "taps_at_top": top,
        }
    )


def summary_table(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Mean, median, standard error and task count of the final scaled error per condition."""
    g = table.groupby(keys)["final_scaled_error"]
    out = pd.DataFrame(
        {
            "tasks": g.size(),
            "mean": g.mean(),
            "median": g.median(),
            "sem": g.std(ddof=1) / np.sqrt(g.size()),
            "taps_at_top": table.groupby(keys)["taps_at_top"].mean(),
        }
    )
    return out.reset_index()


INTERVAL_COLUMNS = ("p_high", "ratio", "ci_low", "ci_high", "seeds", "wins", "verdict")
"""Columns a summary gains where it judges an ordering in p (:func:`with_intervals`)."""


def with_intervals(summary: pd.DataFrame, table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """``summary`` with every p's paired comparison against the largest p of its group.

    Adds :data:`INTERVAL_COLUMNS` (:func:`coupled.core.paired.compare_each_p`: geometric-mean
    ratio error(p_high) / error(p) over the tasks of every seed, its bootstrap interval, the
    share of tasks where p ends lower, the verdict); empty at the largest p itself.
    """
    pairs = paired.compare_each_p(table, by).drop(columns="tasks")
    out = summary.merge(pairs, on=[*by, "p"], how="left")
    return out.astype({"seeds": "Int64"})


def _per_p_lines(summary: pd.DataFrame) -> list[str]:
    return [
        "final scaled error per p (mean / median over tasks; share of taps at the top): "
        + "; ".join(
            f"p={r.p:g}: {r.mean:.3g} / {r.median:.3g}; {r.taps_at_top:.0%}"
            for r in summary.itertuples()
        )
    ]


def _monotone(values: np.ndarray) -> bool:
    return bool(np.all(np.diff(values) >= 0))


def paired_line(table: pd.DataFrame) -> str:
    """The verdict on "the smallest p ends lower than the largest p" from paired comparisons."""
    r = paired.compare_table(table)
    return "paper's conclusion (desynchronisation lowers the final error): " + r.describe()


def verdict_p(summary: pd.DataFrame) -> str:
    """The paper's protocol: does the lowest p end lower than p = 1 in the mean over tasks (and
    the median); are mean and median monotone in p? Not a verdict (see :func:`paired_line`)."""
    s = summary.sort_values("p")
    low, sync = s.iloc[0], s.iloc[-1]
    mean_ok = low["mean"] < sync["mean"]
    median_ok = low["median"] < sync["median"]
    ratio = sync["mean"] / low["mean"]
    return (
        f"paper's protocol (means over tasks): p={low['p']:g} vs p={sync['p']:g}: mean "
        f"{ratio:.3g}x lower ("
        + ("lower" if mean_ok else "NOT lower")
        + "), median "
        + ("lower" if median_ok else "NOT lower")
        + f" ({sync['median'] / low['median']:.3g}x); mean "
        + ("monotone" if _monotone(s["mean"].to_numpy()) else "not monotone")
        + " in p, median "
        + ("monotone" if _monotone(s["median"].to_numpy()) else "not monotone")
        + " in p"
    )


def fading(table: pd.DataFrame) -> dict:
    """Whether the advantage of the smallest p over the largest fades as O grows (Fig. 4d).

    Paired comparison (:func:`coupled.core.paired.compare_table`) at every O; ``verdict``
    ``holds`` if the interval at the largest O lies entirely below the interval at the O of the
    largest ratio, ``contradicted`` if it lies entirely above the interval at the smallest O,
    else ``not resolved``. Returns ``per_o`` (O -> :class:`~coupled.core.paired.PairedComparison`),
    ``largest`` (the comparison at the largest O), ``peak`` (O of the largest ratio) and
    ``verdict``.
    """
    per_o = {int(o): paired.compare_table(t) for o, t in table.groupby("outputs")}
    outs = sorted(per_o)
    peak = max(outs, key=lambda o: per_o[o].ratio)
    last, first = per_o[outs[-1]], per_o[outs[0]]
    if len(outs) >= 2 and last.ci_high < per_o[peak].ci_low:
        word = paired.HOLDS
    elif len(outs) >= 2 and last.ci_low > first.ci_high:
        word = paired.CONTRADICTED
    else:
        word = paired.NOT_RESOLVED
    return {"per_o": per_o, "largest": last, "peak": peak, "verdict": word}


def fading_line(table: pd.DataFrame) -> str:
    """:func:`fading` as one line."""
    f = fading(table)
    cells = ", ".join(
        f"O={o}: {r.ratio:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}]" for o, r in f["per_o"].items()
    )
    return (
        "paper's conclusion (the advantage fades as O grows), paired geometric-mean ratio "
        f"[{paired.CONFIDENCE:.0%} CI] per O: {cells}; largest at O={f['peak']}: {f['verdict']}"
    )


def verdict_outputs(summary: pd.DataFrame) -> list[str]:
    """Advantage mean(p = 1) / mean(p) per O, and whether it fades as O grows.

    Fades: the advantage of every p < 1 at the largest O is below its largest value over O and
    falls with O (negative log-log correlation).
    """
    pivot = summary.pivot(index="outputs", columns="p", values="mean")
    sync = pivot.columns.max()
    lines = []
    fades = True
    for p in pivot.columns[:-1]:
        adv = pivot[sync] / pivot[p]
        trend = np.corrcoef(np.log(pivot.index.to_numpy(float)), np.log(adv.to_numpy()))[0, 1]
        fades &= bool(adv.iloc[-1] < adv.max() and trend < 0)
        lines.append(
            f"advantage of p={p:g} over p={sync:g} (ratio of means) per O: "
            + ", ".join(f"O={o}: {a:.3g}x" for o, a in adv.items())
            + f" (largest at O={adv.idxmax()}; log-log correlation with O {trend:+.2f})"
        )
    largest = pivot.iloc[-1]
    collapsed = bool(largest.max() / largest.min() < 1.5)
    lines.append(
        "paper's protocol (ratio of means; the advantage fades as O grows): "
        + ("yes" if fades else "no")
        + f"; at O={pivot.index[-1]} the p curves "
        + ("collapse (within 1.5x)" if collapsed else "do NOT collapse (within 1.5x)")
        + f" (means {', '.join(f'p={p:g}: {v:.3g}' for p, v in largest.items())})"
    )
    return lines


def compute(name: str, prm: Fig4Params, setup: Setup) -> FigureResult:
    """Train every condition and tabulate the panel (4c at ``--engine circuit``: the board with
    its twin beside it, :mod:`coupled.reproduction.fig4board`)."""
    if name == "fig4c" and setup.engine == "circuit":
        from coupled.reproduction import fig4board

        if setup.quick:  # the board in ngspice: a few tasks and few steps
            prm = replace(prm, **fig4board.QUICK_CIRCUIT)
        return fig4board.compute(name, prm, setup, lambda q, s, p: config(q, s, p, q.outputs[0]))
    conditions = _conditions(prm)
    configs = [config(prm, s, p, o) for s in seed_setups(prm, setup) for o, p in conditions]
    parts = run_conditions(_final, [(c, prm.tail_fraction) for c in configs], setup, label=name)
    table = pd.concat(parts, ignore_index=True)
    by_outputs = name == "fig4d"
    if not by_outputs:
        table = table.drop(columns="outputs")
    keys = ["outputs", "p"] if by_outputs else ["p"]
    summary = summary_table(table, keys)
    if len(prm.p_values) > 1:
        summary = with_intervals(summary, table, keys[:-1])
    kind = "test error" if prm.task == "regression" else "error"
    seeds = (
        f"seeds {setup.seed}-{setup.seed + prm.seeds - 1}, pooled"
        if prm.seeds > 1
        else f"seed {setup.seed}"
    )
    lines = [
        f"{name}: discrete rule, {prm.network}, {prm.tasks} {prm.task} tasks per condition and "
        f"seed ({seeds}), equal steps x p = {prm.steps_x_p}; board: 5 V supply, inputs "
        f"{prm.input_min_v:g}-{prm.input_max_v:g} V, sense gain G = {prm.sense_gain:g}, "
        f"sigma ~ U[0, {prm.sigma_v:g}] V at the comparators; final = mean scaled {kind} over "
        f"the last {prm.tail_fraction:.0%} of each run"
    ]
    if by_outputs:
        for o in prm.outputs:
            sub = summary[summary["outputs"] == o]
            lines.append(f"O={o}: " + _per_p_lines(sub)[0])
        if len(prm.p_values) > 1:
            lines += verdict_outputs(summary) + [fading_line(table)]
    else:
        lines += _per_p_lines(summary)
        lines += [verdict_p(summary), paired_line(table)] if len(prm.p_values) > 1 else []
    return FigureResult(
        name=name,
        tables={f"{name}.csv": table, f"{name}_summary.csv": summary},
        documents={},
        summary=tuple(lines),
        params=params_dict(prm),
        base_config={
            **configs[0].resolved().to_dict(),
            "varied": ["p", "steps", "log_every"]
            + (["outputs"] if by_outputs else [])
            + (["seed"] if prm.seeds > 1 else []),
        },
        plot="plot_fig4",
    )
