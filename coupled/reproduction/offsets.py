"""``offsets``: which decision model makes the 16-edge board fail allosteric tasks, and why.

The paper's rule moves a tap up when ``|dV_C| - |dV_F| + sigma > 0`` with sigma >= 0: a bias
that always pushes resistances up. The board decides with two comparators of fixed offsets and
an XOR, up iff ``(s_A + o_A)(s_B + o_B) > 0`` on its sensed drops (``docs/engines.md``): the
bias points up where the clamped drop is positive and *down* where it is negative, and where
both drops lie beyond the drop stages' swing (+-2.45 V) the stages clip them to the same rail,
the difference vanishes and the offset alone decides, by the sign of the drop. This study
trains the same allosteric tasks (``experiment16``, 2 inputs, 2 outputs, 1 ground, inputs
0-5 V, G = 40, equal steps x p = 2000, the Fig. 4c settings) under each decision model
(:data:`MODELS`) at p = 0.25 and 1, over several seeds, and counts the tasks that diverge
(final scaled error > 1), with intervals:

``step``, ``fixed``
    The paper's rule, sigma ~ U[0, 0.05] V per step or per comparator (nominal pots).
``board``, ``board-twin``
    The board's drawn comparator offsets, sense-stage offsets and gain errors and twin pots
    (5 % spread, ``board_seed`` 0), Bernoulli gates / the board's oscillators.
``board+noise``, ``board+noise-10mV``
    ``board`` with comparator input noise of :data:`~coupled.engines.board.decision.
    SUGGESTED_NOISE_V` (0.2 mV rms, datasheet-based) and of 10 mV rms.
``trimmed``
    ``board`` with every comparator offset trimmed to a residual within +-1 mV at the
    comparator (``offset_trim_v`` = 0.001, G-referred: the whole chain's offset at zero drops).
``wired``
    ``board`` with every edge wired along its current in the task's teacher network
    (``wiring`` = ``current``).
``board-ideal-parts``
    ``board`` with ideal parts (tolerance 0: identical twin pots, no amplifier offsets or gain
    errors); the comparator offsets stay.
``attenuated``, ``attenuated+wired``
    ``board`` with drop stages of gain 1/2 and sense gain 80 (``drop_stage_gain`` = 0.5: no
    drop saturates, the offsets weigh the same on the drops), and that wired along the current.
``rectified``
    The paper's rule built on the board: rectified drops and comparator A alone
    (``decision`` = ``rectified``), with the board's parts and offsets.

For the ``board`` model the final state of every task is taken apart (``offsets_mechanism.csv``):
taps pinned at either end, edges whose two drops both lie beyond the swing with one sign, and
edges where the board's decision differs from the paper's rule with the same offsets as an
upward sigma (and how many of those have a negative clamped drop or saturated drops).

Seeds: 77, 31 and 1 by default (77 and 31 are the issue's); ``--seed S`` (S > 0) runs S, S + 1,
S + 2 instead. Outputs: ``offsets.csv`` (one row per model, seed, p, task), ``offsets_summary.csv``
(per model and p: tasks, diverged, share with its 95 % Clopper-Pearson interval, geometric mean
with a 95 % bootstrap interval over tasks, ``board_geo_mean`` the same of
``last_board_scaled_error``, the error at the last step as the board measures it on its free
twin's own pots (the history's error uses the nominal taps), ratio of geometric means to
``step`` on the same tasks with its paired bootstrap interval), ``offsets_desync.csv`` (per
model and ``measure``, ``history`` the final scaled error or ``board`` the last step's error on
the free twin: the paired ratio of geometric means at p = 1 over p = 0.25 with its BCa
bootstrap interval, the share of tasks lower at p = 0.25 and the verdict, as
:mod:`coupled.core.paired` gives them); ``diverged_board`` in the summary counts
the tasks whose board-measured error ends above 1, ``offsets_mechanism.csv``, ``offsets.png``.
Measured numbers: README, "Why the board's offsets break learning".
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from coupled.core import paired
from coupled.core.errors import UserError
from coupled.engines.board.decision import SUGGESTED_NOISE_V
from coupled.physics import rules
from coupled.reproduction import fig4
from coupled.reproduction.base import FigureResult, Setup, params_dict, run_conditions, tail_mean
from coupled.training.config import TrainConfig
from coupled.training.draws import initial_state
from coupled.training.run import Run, train_many

TOLERANCE = 0.05
TRIM_V = 0.001
"""Residual of the trimmed comparator offsets (V at the comparator)."""
LOUD_NOISE_V = 0.01
"""Comparator noise of the same size as the offsets (V rms)."""
BOARD = {"tolerance": TOLERANCE}
MODELS: dict[str, tuple[str, str, dict, dict]] = {
    "step": ("step", "bernoulli", {}, {}),
    "fixed": ("fixed", "bernoulli", {}, {}),
    "board": ("board", "bernoulli", BOARD, {}),
    "board-twin": ("board", "oscillator", BOARD, {}),
    "board-ideal-parts": ("board", "bernoulli", {"tolerance": 0.0}, {}),
    "board+noise": ("board", "bernoulli", {**BOARD, "comparator_noise_v": SUGGESTED_NOISE_V}, {}),
    "board+noise-10mV": ("board", "bernoulli", {**BOARD, "comparator_noise_v": LOUD_NOISE_V}, {}),
    "trimmed": ("board", "bernoulli", {**BOARD, "offset_trim_v": TRIM_V}, {}),
    "wired": ("board", "bernoulli", {**BOARD, "wiring": "current"}, {}),
    "attenuated": ("board", "bernoulli", {**BOARD, "drop_stage_gain": 0.5}, {"sense_gain": 80.0}),
    "attenuated+wired": (
        "board",
        "bernoulli",
        {**BOARD, "drop_stage_gain": 0.5, "wiring": "current"},
        {"sense_gain": 80.0},
    ),
    "rectified": ("board", "bernoulli", {**BOARD, "decision": "rectified"}, {}),
}
"""Decision model -> (sigma mode, p mode, engine options, other config changes); see the module
docstring."""
DIVERGED = 1.0
"""A task whose final scaled error exceeds this has diverged."""
BOOTSTRAP = 2000
"""Bootstrap resamples of the intervals (seeded)."""


@dataclass(frozen=True)
class OffsetsParams:
    """Seeds, tasks per seed, values of p, steps x p and the decision models."""

    seeds: tuple[int, ...] = (77, 31, 1)
    tasks: int = 25
    p_values: tuple[float, ...] = (0.25, 1.0)
    steps_x_p: int = 2000
    models: tuple[str, ...] = tuple(MODELS)
    quick: bool = False


def params(name: str, quick: bool) -> OffsetsParams:
    """Full: 3 seeds x 25 tasks, p = 0.25 and 1, 2000 steps x p, every model; quick: 1 seed,
    3 tasks, 150 steps x p, five models."""
    if quick:
        models = ("step", "board", "board-twin", "wired", "rectified")
        return OffsetsParams(seeds=(77,), tasks=3, steps_x_p=150, models=models, quick=True)
    return OffsetsParams()


def seeds_for(prm: OffsetsParams, setup: Setup) -> tuple[int, ...]:
    """The study's seeds, or ``S, S + 1, S + 2`` (as many as the study's) for ``--seed S > 0``."""
    if setup.seed == 0:
        return prm.seeds
    return tuple(setup.seed + k for k in range(len(prm.seeds)))


def _fig4(prm: OffsetsParams) -> fig4.Fig4Params:
    return replace(
        fig4.params("fig4c", False),
        tasks=prm.tasks,
        p_values=prm.p_values,
        steps_x_p=prm.steps_x_p,
    )


def configs(prm: OffsetsParams, setup: Setup, model: str, p: float) -> list[TrainConfig]:
    """The runs (one per seed, batched together) of one model and p."""
    sigma_mode, p_mode, options, changes = MODELS[model]
    base = fig4.config(_fig4(prm), setup, p, 2)
    return [
        replace(
            base,
            seed=seed,
            sigma_mode=sigma_mode,
            p_mode=p_mode,
            engine_options=dict(options),
            **changes,
        )
        for seed in seeds_for(prm, setup)
    ]


def check(name: str, prm: OffsetsParams, setup: Setup) -> None:
    """Validate every run (``UserError``); the study runs on the engines with the board twin."""
    if setup.engine not in ("ideal", "spice"):
        raise UserError(f"--engine {setup.engine}: the offsets study runs on ideal or spice")
    unknown = [m for m in prm.models if m not in MODELS]
    if unknown:
        raise UserError(f"offsets: model {unknown[0]!r}: choose from {', '.join(MODELS)}")
    for model in prm.models:
        for p in prm.p_values:
            for cfg in configs(prm, setup, model, p):
                cfg.validate()


def _condition(item: tuple[str, list[TrainConfig]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Worker: train one model and p (every seed in one batch); final errors and mechanism."""
    model, cfgs = item
    results = train_many(cfgs, progress=False)
    rows = []
    for cfg, result in zip(cfgs, results, strict=True):
        h = result.history
        tail = tail_mean(h, cfg.steps, 0.1)
        last = h[h["step"] == result.state.step].set_index("task")["scaled_error"]
        taps = result.state.taps
        rows.append(
            pd.DataFrame(
                {
                    "model": model,
                    "seed": cfg.seed,
                    "p": cfg.p,
                    "task": tail.index.to_numpy(),
                    "final_scaled_error": tail.to_numpy(),
                    "last_scaled_error": last.loc[tail.index].to_numpy(),
                    "steps": cfg.steps,
                    "taps_at_top": (taps >= cfg.n_taps - 1).sum(axis=1),
                    "taps_at_bottom": (taps <= 0).sum(axis=1),
                }
            )
        )
    table = pd.concat(rows, ignore_index=True)
    table["diverged"] = table["final_scaled_error"] > DIVERGED
    table["last_board_scaled_error"] = board_scaled_error(
        cfgs, np.concatenate([r.state.taps for r in results])
    )
    mechanism = pd.DataFrame()
    if model == "board":
        taps = np.concatenate([r.state.taps for r in results])
        mechanism = mechanism_table(cfgs, taps)
        mechanism.insert(0, "model", model)
        mechanism["final_scaled_error"] = table["final_scaled_error"].to_numpy()
        mechanism["diverged"] = table["diverged"].to_numpy()
    return table, mechanism


def board_scaled_error(cfgs: list[TrainConfig], taps: np.ndarray) -> np.ndarray:
    """Scaled error (K,) at ``taps`` as the board measures it: the free twin's own pots (part
    spread) at the final and at the initial taps; the nominal taps' error without a twin."""
    with Run(cfgs) as run:
        engine, twin = run.engine, run.engine.twin
        start = np.concatenate([initial_state(c, run.network.n_edges)[0].taps for c in cfgs])
        test_x = np.stack([t.test_inputs_v for t in run.tasks])
        test_y = np.stack([t.test_targets_v for t in run.tasks])
        errors = []
        for state in (taps, start):
            if twin is None:
                r = rules.taps_to_ohm(state, run.config.r_min_ohm, run.config.r_max_ohm)
            else:
                r = twin.twin_resistances(state)[0]
            errors.append(rules.mean_squared_error(engine.predict(r, test_x), test_y))
    return errors[0] / errors[1]


def mechanism_table(cfgs: list[TrainConfig], taps: np.ndarray) -> pd.DataFrame:
    """Per task, how the board's decisions at the final taps differ from the paper's rule.

    Columns: ``seed``, ``p``, ``task``, ``pinned`` (taps at 0 or 127), ``saturated`` (edges
    whose two drops both lie beyond the drop stages' swing, one sign), ``against_rule`` (edges
    whose board direction differs from the paper's rule ``|a(x)| - |a(y)| + o / G > 0`` with
    the same comparator's offset as an upward sigma), ``against_negative`` (of those, with a
    negative clamped drop), ``against_saturated`` (of those, saturated), ``down_saturated``
    (saturated edges the board moves down).
    """
    with Run(cfgs) as run:
        engine, twin = run.engine, run.engine.twin
        free_ohm, clamped_ohm = twin.twin_resistances(taps)
        m = engine.measure_twins(free_ohm, clamped_ohm, np.zeros((len(run.tasks), 1), int))
        y, x = m.free_drop_v[:, 0], m.clamped_drop_v[:, 0]
        board = twin.directions(y, x)
        chain = engine.sense_chain
        p = twin.parameters
        sigma = np.where(np.sign(x) == np.sign(y), p.offset_a_v, p.offset_b_v)
        paper = np.where(
            np.abs(chain.drop_stage_v(x)) - np.abs(chain.drop_stage_v(y)) + sigma / chain.gain > 0,
            1,
            -1,
        )
        swing = float(chain.drop_stage_v(np.array(1e9)))
        saturated = (np.abs(x) >= swing) & (np.abs(y) >= swing) & (np.sign(x) == np.sign(y))
        against = board != paper
        seeds = np.concatenate([np.full(c.tasks, c.seed) for c in run.configs])
        return pd.DataFrame(
            {
                "seed": seeds,
                "p": run.p,
                "task": run.task_ids,
                "pinned": ((taps <= 0) | (taps >= cfgs[0].n_taps - 1)).sum(axis=1),
                "saturated": saturated.sum(axis=1),
                "against_rule": against.sum(axis=1),
                "against_negative": (against & (x < 0)).sum(axis=1),
                "against_saturated": (against & saturated).sum(axis=1),
                "down_saturated": (saturated & (board < 0)).sum(axis=1),
            }
        )


def share_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson interval of a share ``k / n``."""
    if n == 0:
        return float("nan"), float("nan")
    result = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method="exact")
    return float(result.low), float(result.high)


def bootstrap_geomean(
    values: np.ndarray, rng: np.random.Generator, reference: np.ndarray | None = None
) -> tuple[float, float, float]:
    """Geometric mean of ``values`` (or of ``values / reference``, paired) and its 95 % bootstrap
    interval over tasks."""
    logs = np.log(np.asarray(values, dtype=float))
    if reference is not None:
        logs = logs - np.log(np.asarray(reference, dtype=float))
    index = rng.integers(0, logs.size, size=(BOOTSTRAP, logs.size))
    means = logs[index].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(np.exp(logs.mean())), float(np.exp(low)), float(np.exp(high))


def summary_table(table: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Per model and p: divergence share with interval, geometric mean, ratio to ``step``."""
    rng = np.random.default_rng(seed)
    rows = []
    keys = ["seed", "task"]
    for (model, p), g in table.groupby(["model", "p"], sort=False):
        g = g.sort_values(keys)
        k, n = int(g["diverged"].sum()), len(g)
        k_board = int((g["last_board_scaled_error"] > DIVERGED).sum())
        low, high = share_interval(k, n)
        geo, geo_low, geo_high = bootstrap_geomean(g["final_scaled_error"].to_numpy(), rng)
        ref = table[(table["model"] == "step") & (table["p"] == p)].sort_values(keys)
        ratio = (np.nan, np.nan, np.nan)
        if len(ref) == n and (ref[keys].to_numpy() == g[keys].to_numpy()).all():
            ratio = bootstrap_geomean(
                g["final_scaled_error"].to_numpy(), rng, ref["final_scaled_error"].to_numpy()
            )
        board_geo = bootstrap_geomean(g["last_board_scaled_error"].to_numpy(), rng)
        per_seed = g.groupby("seed", sort=False)["diverged"].sum()
        rows.append(
            {
                "model": model,
                "p": p,
                "tasks": n,
                "seeds": g["seed"].nunique(),
                "diverged": k,
                "diverged_per_seed": " ".join(f"{s}:{int(v)}" for s, v in per_seed.items()),
                "share_diverged": k / n,
                "share_ci_low": low,
                "share_ci_high": high,
                "diverged_board": k_board,
                "geo_mean": geo,
                "geo_ci_low": geo_low,
                "geo_ci_high": geo_high,
                "median": float(g["final_scaled_error"].median()),
                "board_geo_mean": board_geo[0],
                "board_geo_ci_low": board_geo[1],
                "board_geo_ci_high": board_geo[2],
                "ratio_to_step": ratio[0],
                "ratio_ci_low": ratio[1],
                "ratio_ci_high": ratio[2],
            }
        )
    return pd.DataFrame(rows)


MEASURES = {"history": "final_scaled_error", "board": "last_board_scaled_error"}
"""``measure`` of :func:`desync_table` -> column: the history's tail mean (nominal taps) or the
last step's error on the board's free twin."""


def desync_table(table: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """Per model and measure: the paired comparison of the smallest against the largest p
    (:func:`coupled.core.paired.compare_table`: geometric-mean ratio of the error at the
    largest p over the smallest on the same tasks, > 1 where desynchronising helps, its 95 %
    BCa bootstrap interval, ``wins`` the share of tasks lower at the smallest p, the verdict)."""
    rows = []
    for model in table["model"].unique():
        g = table[table["model"] == model]
        if g["p"].nunique() < 2:
            continue
        for measure, column in MEASURES.items():
            result = paired.compare_table(g, value=column, seed=seed)
            rows.append({"model": model, "measure": measure, **result.to_dict()})
    return pd.DataFrame(rows)


def compute(name: str, prm: OffsetsParams, setup: Setup) -> FigureResult:
    """Train every model and p; tabulate divergence, geometric means and the mechanism."""
    items = [(m, configs(prm, setup, m, p)) for m in prm.models for p in prm.p_values]
    parts = run_conditions(_condition, items, setup, label=name)
    table = pd.concat([t for t, _ in parts], ignore_index=True)
    mechanism = pd.concat([m for _, m in parts if len(m)], ignore_index=True)
    summary = summary_table(table)
    desync = desync_table(table)
    seeds = seeds_for(prm, setup)
    lines = [
        f"{name}: experiment16 allostery, seeds {', '.join(map(str, seeds))} x {prm.tasks} tasks, "
        f"equal steps x p = {prm.steps_x_p}; diverged = final scaled error > {DIVERGED:g}"
    ]
    for r in summary.itertuples():
        lines.append(
            f"{r.model} p={r.p:g}: {r.diverged}/{r.tasks} diverged "
            f"({r.share_diverged:.0%}, 95% CI {r.share_ci_low:.0%}-{r.share_ci_high:.0%}); "
            f"geometric mean {r.geo_mean:.2g} [{r.geo_ci_low:.2g}, {r.geo_ci_high:.2g}]; "
            f"/ step {r.ratio_to_step:.3g}x [{r.ratio_ci_low:.3g}, {r.ratio_ci_high:.3g}]"
        )
    for r in desync.itertuples():
        lines.append(
            f"{r.model} ({r.measure}): p={r.p_high:g} / p={r.p_low:g} geometric-mean ratio "
            f"{r.ratio:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}], p={r.p_low:g} lower in "
            f"{r.wins:.0%} of {r.tasks} tasks: {r.verdict}"
        )
    if len(mechanism):
        bad, good = mechanism[mechanism["diverged"]], mechanism[~mechanism["diverged"]]
        head = f"board, diverged tasks ({len(bad)})"
        if len(bad):
            head += (
                f": pinned taps {bad['pinned'].mean():.1f} of 16, edges against the paper's "
                f"rule {bad['against_rule'].mean():.2f} (negative drop "
                f"{bad['against_negative'].mean():.2f}, saturated "
                f"{bad['against_saturated'].mean():.2f})"
            )
        if len(good):
            head += (
                f"; learned tasks: pinned {good['pinned'].mean():.1f}, against "
                f"{good['against_rule'].mean():.2f}"
            )
        lines.append(head)
    first = items[0][1][0]
    return FigureResult(
        name=name,
        tables={
            "offsets.csv": table,
            "offsets_summary.csv": summary,
            "offsets_mechanism.csv": mechanism,
            "offsets_desync.csv": desync,
        },
        documents={
            "offsets_models.json": {
                "models": {m: list(MODELS[m]) for m in prm.models},
                "columns": "sigma_mode, p_mode, engine_options, other config changes",
            }
        },
        summary=tuple(lines),
        params={**params_dict(prm), "seeds": list(seeds)},
        base_config={**first.resolved().to_dict(), "varied": ["p", "seed", "modes"]},
        plot="plot_offsets",
    )
