"""Fig. 1: desynchronous continuous coupled learning collapses onto one curve in steps x p.

Setup (the paper's size; ``--quick`` shrinks tasks, p values and steps): the continuous rule
(Eq. 1-3) on ``jammed143`` (143 edges), 50 two-input two-output regression tasks (16 training
and 64 test examples each, roles drawn per task from the seed (``roles="random"``), targets from a
teacher network, see :mod:`coupled.physics.tasks`), update
probability p = 0.1, 0.2, ..., 1.0 in Bernoulli mode, 20 000 steps for every p, full batch.
One condition per p trains its 50 tasks at once; the tasks and initial resistances are the same
for every p (per-task random streams), so the comparison is paired.

Physical parameters are pinned here, not taken from the training defaults: inputs 0-200 V,
resistances 1-10 kOhm (clip), eta = 1, gamma = 1.25e4 Ohm/A^2. For the continuous rule only
``gamma * V^2`` sets the speed (the same as 2e7 Ohm/A^2 at 0-5 V); at this value the p = 1 runs
end at a mean scaled test error of 0.0036 after 20 000 steps and every step is small enough to
stay in the gradient-flow regime where the collapse is expected.

Outputs: ``fig1.csv`` (tidy: p, task, step, steps_x_p, scaled_error; test error / error at
step 0), ``fig1_summary.csv`` (per p: the final scaled error's mean, median, min, max over tasks,
i.e. the paper's error bars) and ``fig1_collapse.csv`` (the task-mean curves interpolated, in
log-log, at common values of steps x p, and their spread across p).

Measured (default seed, full size, about 30 s on 2 workers): the task-mean curves of all ten p
agree within 1.3 % at equal steps x p, while at equal *steps* (2000) they differ 5.5-fold, so the
collapse is the effect of the x scaling. Final mean scaled test error after 20 000 steps (range
over tasks): p = 1: 0.0036 (2e-6 to 0.041), p = 0.5: 0.0115, p = 0.1: 0.091 (0.0028 to 0.33);
the low-p runs simply stop earlier on the same curve. The paper's conclusion holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coupled.core.errors import UserError
from coupled.reproduction.base import (
    ContinuousPhysics,
    FigureResult,
    Setup,
    params_dict,
    run_conditions,
)
from coupled.training.config import TrainConfig
from coupled.training.run import train


@dataclass(frozen=True)
class Fig1Params(ContinuousPhysics):
    """Parameters of Fig. 1 (defaults: the paper's size)."""

    network: str = "jammed143"
    tasks: int = 50
    p_values: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    steps: int = 20000
    log_every: int = 50
    collapse_points: int = 12


QUICK = Fig1Params(tasks=8, p_values=(0.25, 0.5, 1.0), steps=800, log_every=20)
"""Reduced Fig. 1: about 3 s on one core."""


def params(name: str, quick: bool) -> Fig1Params:
    """Default (paper) or quick parameters."""
    return QUICK if quick else Fig1Params()


def config(prm: Fig1Params, setup: Setup, p: float) -> TrainConfig:
    """The training run of one value of p."""
    return TrainConfig(
        network=prm.network,
        task="regression",
        outputs=2,
        roles="random",  # the paper's protocol: roles drawn per task from the seed
        rule="continuous",
        engine=setup.engine,
        p=float(p),
        p_mode="bernoulli",
        steps=prm.steps,
        tasks=prm.tasks,
        seed=setup.seed,
        eta=prm.eta,
        gamma=prm.gamma,
        r_min_ohm=prm.r_min_ohm,
        r_max_ohm=prm.r_max_ohm,
        input_min_v=prm.input_min_v,
        input_max_v=prm.input_max_v,
        train_size=prm.train_size,
        test_size=prm.test_size,
        log_every=prm.log_every,
        checkpoint_every=0,
    )


def check(name: str, prm: Fig1Params, setup: Setup) -> None:
    """Validate every run of the figure (``UserError``)."""
    if not prm.p_values:
        raise UserError("fig1: no values of p")
    for p in prm.p_values:
        config(prm, setup, p).validate()


def _history(cfg: TrainConfig) -> pd.DataFrame:
    """Worker: train one p and return its tidy history."""
    h = train(cfg).history
    return pd.DataFrame(
        {
            "p": cfg.p,
            "task": h["task"].to_numpy(),
            "step": h["step"].to_numpy(),
            "steps_x_p": h["step"].to_numpy() * cfg.p,
            "scaled_error": h["scaled_error"].to_numpy(),
        }
    )


def summary_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per p: final step, final steps x p and the final scaled error over tasks."""
    last = table[table["step"] == table.groupby("p")["step"].transform("max")]
    g = last.groupby("p")["scaled_error"]
    out = pd.DataFrame(
        {
            "tasks": g.size(),
            "final_step": last.groupby("p")["step"].max(),
            "final_steps_x_p": last.groupby("p")["steps_x_p"].max(),
            "final_mean": g.mean(),
            "final_median": g.median(),
            "final_min": g.min(),
            "final_max": g.max(),
        }
    )
    return out.reset_index()


def collapse_table(table: pd.DataFrame, points: int) -> pd.DataFrame:
    """Task-mean curves of every p at common steps x p (log-log interpolation).

    The common range runs from the largest first logged steps x p to the smallest final one.
    Columns: steps_x_p, p, mean_scaled_error, spread (max / min across p at that steps x p).
    """
    means = table[table["step"] > 0].groupby(["p", "steps_x_p"])["scaled_error"].mean()
    curves = {p: means.loc[p] for p in means.index.get_level_values(0).unique()}
    low = max(c.index.min() for c in curves.values())
    high = min(c.index.max() for c in curves.values())
    grid = np.geomspace(low, high, points) if high > low else np.array([high])
    rows = []
    for p, c in curves.items():
        x, y = np.log(c.index.to_numpy(float)), np.log(np.maximum(c.to_numpy(float), 1e-300))
        values = np.exp(np.interp(np.log(grid), x, y))
        rows.append(pd.DataFrame({"steps_x_p": grid, "p": p, "mean_scaled_error": values}))
    out = pd.concat(rows, ignore_index=True)
    spread = out.groupby("steps_x_p")["mean_scaled_error"].agg(lambda s: s.max() / s.min())
    out["spread"] = out["steps_x_p"].map(spread)
    return out


def equal_steps_spread(table: pd.DataFrame) -> tuple[int, float]:
    """Spread (max / min across p) of the task-mean scaled error at one common *step*.

    Taken at the logged step nearest a tenth of the run: the contrast to the collapse.
    """
    steps = np.sort(table["step"].unique())
    target = steps[np.argmin(np.abs(steps - steps.max() / 10))] if steps.size > 1 else steps[0]
    m = table[table["step"] == target].groupby("p")["scaled_error"].mean()
    return int(target), float(m.max() / m.min())


def compute(name: str, prm: Fig1Params, setup: Setup) -> FigureResult:
    """Train every p (one condition each) and tabulate Fig. 1."""
    configs = [config(prm, setup, p) for p in prm.p_values]
    parts = run_conditions(_history, configs, setup, label=name)
    table = pd.concat(parts, ignore_index=True)
    table = table.astype({"task": np.int64, "step": np.int64})
    summary = summary_table(table)
    collapse = collapse_table(table, prm.collapse_points)
    worst = collapse.loc[collapse["spread"].idxmax()]
    step, raw_spread = equal_steps_spread(table)
    lines = [
        f"fig1: continuous rule, {prm.network}, {prm.tasks} regression tasks, {prm.steps} steps, "
        f"p = {', '.join(f'{p:g}' for p in prm.p_values)}",
        "final scaled test error per p (mean [min, max] over tasks): "
        + "; ".join(
            f"p={r.p:g}: {r.final_mean:.3g} [{r.final_min:.3g}, {r.final_max:.3g}]"
            for r in summary.itertuples()
        ),
        f"collapse: at equal steps x p the task-mean scaled errors of all p agree within a factor "
        f"{collapse['spread'].max():.3f} (worst at steps x p = {worst['steps_x_p']:.4g}); at "
        f"equal steps ({step}) they differ by a factor {raw_spread:.3g}",
    ]
    held = collapse["spread"].max() < 2.0
    lines.append(
        "paper's conclusion (curves collapse in steps x p): "
        + ("holds" if held else "does NOT hold (spread >= 2)")
    )
    return FigureResult(
        name=name,
        tables={"fig1.csv": table, "fig1_summary.csv": summary, "fig1_collapse.csv": collapse},
        documents={},
        summary=tuple(lines),
        params=params_dict(prm),
        base_config={**configs[0].resolved().to_dict(), "varied": ["p"]},
        plot="plot_fig1",
    )
