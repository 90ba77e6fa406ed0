"""The board and its twin side by side: one training run of the circuit engine in lockstep with
the board twin of the ``ideal`` engine, on the same drawn board and the same step draws.

Used by the circuit-level Fig. 4 reproductions (:mod:`coupled.reproduction.fig4ab`, ``fig4c``
at ``--engine circuit``, :mod:`coupled.reproduction.board16`). Per step ``n`` and task:

circuit
    The ``circuit`` engine steps the board from its own state (the whole learning board in
    ngspice; its oscillators and comparator offsets decide).
twin
    The ``ideal`` engine with ``--p-mode oscillator --sigma-mode board`` (the same
    ``tolerance``, ``board_seed`` and phase model, so the same pots, offsets and gates) steps
    from its own state: its own trajectory, its own errors.
agreement
    The twin also decides from the *circuit's* state with the same draws; the share of equal
    decisions (enable and, where enabled, direction) is counted there, so one differing decision
    does not carry on into every later comparison.

Both report errors of their own free twins' drawn pots at their taps (the twin's ``predict``
uses the board's drawn resistances, :meth:`coupled.engines.base.Engine.measured_ohm`), so equal
taps give equal errors. Every run also records the dissipated power of the free network at the
training examples, ``power_w`` = mean over training examples of ``sum_i dV_i^2 / R_i`` with
``R_i`` the free twin's drawn pots (W), and the taps of every edge at every step (kept in
memory; the tables hold statistics and thinned traces).

With ``with_circuit=False`` only the twin runs (the ``ideal`` engine's study at full size).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from coupled.engines import get_engine
from coupled.physics import rules
from coupled.training.config import TrainConfig
from coupled.training.draws import DrawSource, initial_state, make_tasks
from coupled.training.recorder import Recorder

TWIN_MODES = {"p_mode": "oscillator", "sigma_mode": "board"}
"""What makes the ``ideal`` engine the board's twin."""
STILL_UPDATES = 10
"""Window of the stillness statistic, in expected updates per edge (steps x p)."""


@dataclass(frozen=True)
class PairItem:
    """One run of a study: the configuration (engine ``circuit`` or ``ideal``) and what to keep.

    Attributes
    ----------
    config
        The run; its ``engine`` is the board's engine (``circuit``) or ``ideal`` (twin only).
        ``p_mode``/``sigma_mode`` are set to the board's (:data:`TWIN_MODES`) for both.
    labels
        Columns put in front of every row (e.g. ``{"p": 0.5}``).
    trace_points
        Tap traces kept per run (thinned to about this many steps; 0: none).
    """

    config: TrainConfig
    labels: dict
    trace_points: int = 0


def twin_config(config: TrainConfig) -> TrainConfig:
    """The twin of ``config``: the ``ideal`` engine with the board's gates and offsets, the same
    board options (tolerance, board seed, trigger period, phase model, jitter, calibration)."""
    from coupled.engines.board.twin import BOARD_OPTIONS

    options = {k: v for k, v in config.engine_options.items() if k in BOARD_OPTIONS}
    return replace(config, engine="ideal", engine_options=options, **TWIN_MODES)


def board_config(config: TrainConfig) -> TrainConfig:
    """``config`` with the board's gates and offsets named (the circuit engine decides so)."""
    return replace(config, **TWIN_MODES)


def _power_w(engine, taps: np.ndarray) -> np.ndarray:
    """Mean over training examples of the free network's dissipated power (K,), W."""
    free_ohm, clamped_ohm = engine.twin.twin_resistances(taps)
    k, x = engine.train_inputs_v.shape[:2]
    every = np.broadcast_to(np.arange(x), (k, x))
    m = engine.measure_twins(free_ohm, clamped_ohm, every)
    return (m.free_drop_v**2 / free_ohm[:, None, :]).sum(axis=2).mean(axis=1)


def run_pair(item: PairItem) -> dict[str, pd.DataFrame]:
    """Train one run (circuit and twin, or the twin alone); see the module docstring.

    Returns
    -------
    dict
        ``history`` (engine, task, step, steps_x_p, error, scaled_error, train_error, power_w),
        ``agreement`` (per task; empty without the circuit), ``taps`` (per engine, task and
        edge: ``still_share``, ``tap_span``, ``tap_start``, ``tap_end``), ``traces`` (engine,
        task, edge, step, steps_x_p, tap, resistance_ohm; empty unless asked).
    """
    cfg = board_config(item.config).resolved()
    with_circuit = cfg.engine == "circuit"
    twin_cfg = twin_config(cfg).resolved()
    network = cfg.validate()
    tasks = make_tasks(cfg, network)
    start, fixed = initial_state(cfg, network.n_edges)
    source = DrawSource(cfg, network.n_edges, tasks[0].train_inputs_v.shape[0], fixed)
    task_ids = cfg.first_task + np.arange(cfg.tasks)
    p = np.full(cfg.tasks, cfg.p)
    twin = get_engine("ideal")
    twin.prepare(network, tasks, twin_cfg)
    engines = {"twin": twin}
    circuit = None
    if with_circuit:
        circuit = get_engine("circuit")
        circuit.prepare(network, tasks, cfg)
        engines = {"circuit": circuit, "twin": twin}
    states = {name: start for name in engines}
    recorders = {name: Recorder(tasks, e.predict, task_ids, p) for name, e in engines.items()}
    power = {name: [] for name in engines}
    taps = {name: np.empty((cfg.steps + 1, *start.taps.shape), np.int16) for name in engines}
    for name in engines:
        recorders[name].log(start)
        power[name].append(_power_w(twin, start.taps))
        taps[name][0] = start.taps
    same_enable = np.zeros(cfg.tasks)
    same_decision = np.zeros(cfg.tasks)
    same_direction = np.zeros(cfg.tasks)
    enabled_count = np.zeros(cfg.tasks)
    split = np.full(cfg.tasks, -1, dtype=np.int64)
    try:
        for n in range(1, cfg.steps + 1):
            draws = source.draws(n)
            if circuit is not None:
                before = states["circuit"]
                after = circuit.step(before, draws)
                guess = twin.step(before, draws)  # the twin's decisions at the circuit's state
                enable_eq = after.enabled == guess.enabled
                both = after.enabled & guess.enabled
                direction_eq = after.direction == guess.direction
                same_enable += enable_eq.sum(axis=1)
                same_direction += (both & direction_eq).sum(axis=1)
                enabled_count += both.sum(axis=1)
                same_decision += (enable_eq & (~after.enabled | direction_eq)).sum(axis=1)
                states["circuit"] = after
            states["twin"] = twin.step(states["twin"], draws)
            for name in engines:
                taps[name][n] = states[name].taps
                if n % cfg.log_every == 0 or n == cfg.steps:
                    recorders[name].log(states[name])
                    power[name].append(_power_w(twin, states[name].taps))
            if circuit is not None:
                differ = np.any(taps["circuit"][n] != taps["twin"][n], axis=1) & (split < 0)
                split[differ] = n
    finally:
        if circuit is not None:
            circuit.close()
    agreement = pd.DataFrame()
    if circuit is not None:
        edge_steps = cfg.steps * network.n_edges
        agreement = pd.DataFrame(
            {
                "task": task_ids,
                "steps": cfg.steps,
                "edge_steps": edge_steps,
                "enable_agree": same_enable / edge_steps,
                "decision_agree": same_decision / edge_steps,
                "direction_agree": same_direction / np.maximum(enabled_count, 1),
                "both_enabled": enabled_count.astype(np.int64),
                "first_split_step": split,
            }
        )
    return _tables(item, cfg, engines, recorders, power, taps, agreement)


def _tables(item, cfg, engines, recorders, power, taps, agreement) -> dict[str, pd.DataFrame]:
    histories, stats, traces = [], [], []
    for name in engines:
        h = recorders[name].history_frame()
        h["power_w"] = np.concatenate(power[name])
        h.insert(0, "engine", name)
        histories.append(h)
        stats.append(tap_statistics(taps[name], cfg.p, cfg.first_task).assign(engine=name))
        if item.trace_points:
            traces.append(_traces(taps[name], cfg, item.trace_points).assign(engine=name))
    out = {
        "history": pd.concat(histories, ignore_index=True),
        "agreement": agreement,
        "taps": pd.concat(stats, ignore_index=True),
        "traces": pd.concat(traces, ignore_index=True) if traces else pd.DataFrame(),
    }
    for key, table in out.items():
        if table.empty:
            continue
        if "engine" in table and key != "history":
            table.insert(0, "engine", table.pop("engine"))
        for column, value in reversed(list(item.labels.items())):
            table.insert(0, column, value)
    return out


def tap_statistics(taps: np.ndarray, p: float, first_task: int = 0) -> pd.DataFrame:
    """How long each edge's tap stays put in the last half of a run.

    Parameters
    ----------
    taps
        Taps of every step (steps + 1, K, E).
    p
        Update probability of the run (the window is :data:`STILL_UPDATES` / p steps).
    first_task
        Index of the first task (for the ``task`` column).

    Returns
    -------
    pandas.DataFrame
        Per task and edge: ``still_share`` (share of windows of ``STILL_UPDATES`` expected
        updates, starting at every step of the last half, after which the tap is within one
        position of where it was: a tap that only rocks about a minimum is still),
        ``tap_span`` (max - min tap over the last half, positions), ``tap_start``, ``tap_end``.
    """
    steps = taps.shape[0] - 1
    half = taps[steps // 2 :].astype(np.int32)
    window = max(1, int(round(STILL_UPDATES / p)))
    if half.shape[0] > window:
        moved = np.abs(half[window:] - half[:-window])
        still = (moved <= 1).mean(axis=0)
    else:
        still = np.full(half.shape[1:], np.nan)
    span = half.max(axis=0) - half.min(axis=0)
    k, e = taps.shape[1:]
    return pd.DataFrame(
        {
            "task": np.repeat(first_task + np.arange(k), e),
            "edge": np.tile(np.arange(e), k),
            "still_share": still.ravel(),
            "tap_span": span.ravel(),
            "tap_start": taps[0].ravel().astype(np.int64),
            "tap_end": taps[-1].ravel().astype(np.int64),
        }
    )


def _traces(taps: np.ndarray, cfg: TrainConfig, points: int) -> pd.DataFrame:
    steps = taps.shape[0] - 1
    every = max(1, steps // points)
    rows = np.unique(np.r_[np.arange(0, steps + 1, every), steps])
    sub = taps[rows].astype(np.int64)  # (S, K, E)
    s, k, e = sub.shape
    tap = sub.ravel()
    return pd.DataFrame(
        {
            "task": np.tile(np.repeat(cfg.first_task + np.arange(k), e), s),
            "edge": np.tile(np.arange(e), s * k),
            "step": np.repeat(rows, k * e),
            "steps_x_p": np.repeat(rows * cfg.p, k * e),
            "tap": tap,
            "resistance_ohm": rules.taps_to_ohm(tap, cfg.r_min_ohm, cfg.r_max_ohm),
        }
    )


def final_table(history: pd.DataFrame, keys: list[str], fraction: float = 0.1) -> pd.DataFrame:
    """Per run key, engine and task: final (tail mean) and last scaled error, power at start and
    end (W).

    Parameters
    ----------
    history
        Histories of :func:`run_pair` (with the label columns ``keys``).
    keys
        Label columns that identify a run (e.g. ``["p"]``).
    fraction
        Share of each run at its end whose logged scaled errors are averaged.
    """
    rows = []
    for key, h in history.groupby([*keys, "engine", "task"], sort=False):
        h = h.sort_values("step")
        last_step = h["step"].max()
        tail = h[h["step"] >= (1.0 - fraction) * last_step]
        rows.append(
            (
                *key,
                float(tail["scaled_error"].mean()),
                float(h["scaled_error"].iloc[-1]),
                float(h["error"].iloc[0]),
                int(last_step),
                float(h["power_w"].iloc[0]),
                float(h["power_w"].iloc[-1]),
            )
        )
    columns = [*keys, "engine", "task", "final_scaled_error", "last_scaled_error"]
    columns += ["initial_error_v2", "steps", "power_start_w", "power_end_w"]
    return pd.DataFrame(rows, columns=columns)


def split_tasks(config: TrainConfig, chunk: int) -> list[TrainConfig]:
    """``config`` cut into runs of at most ``chunk`` tasks (per-task streams: same numbers)."""
    out = []
    for first in range(0, config.tasks, max(1, chunk)):
        n = min(chunk, config.tasks - first)
        out.append(replace(config, first_task=config.first_task + first, tasks=n))
    return out


def join(parts: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """The tables of several :func:`run_pair` results, concatenated per name."""
    names = parts[0].keys()
    return {
        name: pd.concat([p[name] for p in parts if not p[name].empty], ignore_index=True)
        if any(not p[name].empty for p in parts)
        else pd.DataFrame()
        for name in names
    }


__all__ = [
    "PairItem",
    "STILL_UPDATES",
    "TWIN_MODES",
    "board_config",
    "final_table",
    "join",
    "run_pair",
    "split_tasks",
    "tap_statistics",
    "twin_config",
]


# -- summaries shared by the board studies ------------------------------------------------------


def summary_by(final: pd.DataFrame, keys: list[str], diverged_above: float = 1.0) -> pd.DataFrame:
    """Per ``keys`` (e.g. engine and p): tasks, mean, median, geometric mean, standard error of
    ``final_scaled_error``, tasks above ``diverged_above`` (``diverged``), mean power at start
    and end (W)."""
    g = final.groupby(keys, sort=True)
    err = g["final_scaled_error"]
    out = pd.DataFrame(
        {
            "tasks": err.size(),
            "mean": err.mean(),
            "median": err.median(),
            "geomean": err.apply(lambda s: float(np.exp(np.log(s.clip(lower=1e-300)).mean()))),
            "sem": err.std(ddof=1) / np.sqrt(err.size()),
            "diverged": err.apply(lambda s: int((s > diverged_above).sum())),
            "power_start_w": g["power_start_w"].mean(),
            "power_end_w": g["power_end_w"].mean(),
        }
    )
    return out.reset_index()


def paired_against(
    final: pd.DataFrame, group: list[str], column: str = "final_scaled_error", seed: int = 0
) -> pd.DataFrame:
    """Every p against the largest p, paired over tasks, per ``group`` (e.g. ``["engine"]``).

    Rows: ``group``, ``p_low``, ``p_high`` and the paired columns of
    :func:`coupled.reproduction.stats.paired` on ``column`` (``ratio`` = geometric mean of
    value at ``p_high`` over value at ``p_low``).
    """
    from coupled.reproduction.stats import paired

    rows = []
    for key, sub in final.groupby(group, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        wide = sub.pivot_table(
            index=["seed", "task"] if "seed" in sub else "task", columns="p", values=column
        )
        high = max(wide.columns)
        for low in sorted(wide.columns):
            if low == high:
                continue
            pair = wide[[low, high]].dropna()
            seeds = pair.index.get_level_values("seed") if "seed" in sub else None
            stats = paired(pair[low], pair[high], seeds, seed=seed)
            rows.append(
                {**dict(zip(group, key, strict=True)), "p_low": low, "p_high": high, **stats}
            )
    return pd.DataFrame(rows)


def agreement_summary(agreement: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Share of equal decisions per ``keys`` (weighted by edge-steps) and tasks that never
    split (circuit and twin taps equal at every step)."""
    rows = []
    for key, a in agreement.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        w = a["edge_steps"]
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "tasks": len(a),
                "edge_steps": int(w.sum()),
                "decision_agree": float((a["decision_agree"] * w).sum() / w.sum()),
                "enable_agree": float((a["enable_agree"] * w).sum() / w.sum()),
                "direction_agree": float(
                    (a["direction_agree"] * a["both_enabled"]).sum()
                    / max(a["both_enabled"].sum(), 1)
                ),
                "tasks_never_split": int((a["first_split_step"] < 0).sum()),
            }
        )
    return pd.DataFrame(rows)


def stillness(taps: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per ``keys``, engine and task: mean over edges of ``still_share`` and ``tap_span`` (the
    last half of each run; :func:`tap_statistics`) and the mean tap change over the run
    (``tap_drift``, positions; positive: resistances drift upward)."""
    t = taps.assign(tap_drift=taps["tap_end"] - taps["tap_start"])
    out = t.groupby([*keys, "engine", "task"], sort=True)[["still_share", "tap_span", "tap_drift"]]
    return out.mean().reset_index()
