"""Waveforms of chosen training steps: the board simulated in golden mode, signals kept.

:func:`step_waveforms` trains a :class:`~coupled.training.TrainConfig` with the ``circuit``
engine in golden mode (the board's own free-running oscillators and trigger pulses; simulated
time is physical time) up to the last chosen step, and keeps, for every chosen step ``n``, the
board's signals over the trigger period that ends at ``n``'s trigger instant (plus a margin
``margin_s`` on each side, for the latches settling after the trigger falls):

``trig``, ``bias`` (V, global) and, per edge ``i`` of the first task: ``osc`` (oscillator),
``en`` (enable comparator), ``enl`` (enable latch), ``sena``/``senb`` (sense stages A and B),
``cmpa``/``cmpb`` (decision comparators), ``xor`` and ``dir`` (direction latch). With
``--trigger self`` a step is one example period, each edge has its own one-shot ``trig`` (kept
per edge) and the decisions are the period's firings (one row each, at its firing time).

The table is tidy: ``step``, ``edge`` (-1 for the global signals), ``signal``, ``time_s``,
``voltage_v``. The engine's own decisions at each chosen step
(``enabled``, ``direction``) and the taps before and after are returned beside the table, so a
caller can check the waveform's latched bits against them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from coupled.core.errors import UserError
from coupled.training.config import TrainConfig

EDGE_SIGNALS = ("osc", "en", "enl", "sena", "senb", "cmpa", "cmpb", "xor", "dir")
"""Per-edge node names (``<signal>_<edge>`` in the board, ``_t0`` in the engine's copy)."""
GLOBAL_SIGNALS = ("trig", "bias")
COLUMNS = ("step", "edge", "signal", "time_s", "voltage_v")
DECISION_COLUMNS = ("step", "edge", "time_s", "enabled", "direction", "tap_before", "tap_after")


@dataclass(frozen=True)
class StepWaveforms:
    """The result of :func:`step_waveforms`.

    Attributes
    ----------
    table
        Tidy waveforms (``COLUMNS``), volts against seconds.
    decisions
        The circuit engine's bits at each chosen step per edge (``DECISION_COLUMNS``).
    trigger_times_s
        ``{step: time of its trigger instant (s)}``, where the engine reads the latches.
    thresholds_v
        ``logic`` (enable latch reads high above it), ``direction`` (direction latch reads up
        above it), ``reference`` (the sense stages' mid-supply reference), volts.
    config
        The resolved training configuration that ran (golden circuit engine).
    """

    table: pd.DataFrame
    decisions: pd.DataFrame
    trigger_times_s: dict[int, float]
    thresholds_v: dict[str, float]
    config: TrainConfig


def parse_steps(text: str) -> list[int]:
    """``"1,5"`` -> ``[1, 5]``: distinct whole steps >= 1, sorted (``UserError`` otherwise)."""
    steps = []
    for part in str(text).split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1:
            raise UserError(f"--steps {text!r}: must be comma-separated whole steps >= 1, e.g. 1,5")
        steps.append(int(part))
    if len(set(steps)) != len(steps):
        raise UserError(f"--steps {text!r}: a step is listed twice")
    return sorted(steps)


def golden_config(config: TrainConfig, steps: list[int]) -> TrainConfig:
    """``config`` on the golden circuit engine, one task, trained to the last chosen step."""
    options = {**config.engine_options, "golden": True}
    return dataclasses.replace(
        config,
        engine="circuit",
        rule="discrete",
        tasks=1,
        steps=max(steps),
        checkpoint_every=0,
        engine_options=options,
    )


def step_waveforms(
    config: TrainConfig, steps: list[int], raw_path: str | Path | None = None, margin_s=2e-6
) -> StepWaveforms:
    """Simulate the board around ``steps`` (see the module docstring).

    Parameters
    ----------
    config
        The training run (task, board, seed options); the engine is forced to ``circuit`` in
        golden mode with one task.
    steps
        Training steps (1-based) to keep.
    raw_path
        If given, the ngspice raw file of the whole transient's kept signals is written there.
    margin_s
        Time kept after each trigger instant (s), and before the trigger period.

    Returns
    -------
    StepWaveforms
    """
    from coupled.engines.circuit import DIRECTION_THRESHOLD
    from coupled.training.run import Run

    cfg = golden_config(config, steps)
    network = cfg.validate()
    n_edges = network.n_edges
    self_triggered = cfg.trigger == "self"
    signals = (*EDGE_SIGNALS, "trig") if self_triggered else EDGE_SIGNALS
    edge_nodes = [f"{s}_{i}_t0" for i in range(n_edges) for s in signals]
    names = ["bias", *edge_nodes] if self_triggered else ["trig", "bias", *edge_nodes]
    frames, rows, times = [], [], {}
    with Run(cfg) as run:
        engine = run.engine
        engine.extra_saves = tuple(names)
        if self_triggered:  # a step is one example period; every firing decides
            period = float(engine.clockless.schedule.example_period_s)
        else:
            period = float(engine.opts["trigger_period_s"])
        wanted = set(steps)
        while run.state.step < cfg.steps:
            before = np.array(run.state.taps[0]) if run.state.taps is not None else None
            state = run.step()
            n = state.step
            if n not in wanted:
                continue
            data = engine.session.vectors(["time", *[f"v({x})" for x in names]])
            t = np.asarray(data["time"])
            end = float(t[-1])
            times[n] = end
            keep = (t >= end - period - margin_s) & (t <= end + margin_s)
            for name in names:
                base = name[: -len("_t0")] if name.endswith("_t0") else name
                signal, _, edge = base.rpartition("_") if name.endswith("_t0") else (base, "", "")
                frames.append(
                    pd.DataFrame(
                        {
                            "step": n,
                            "edge": int(edge) if edge else -1,
                            "signal": signal,
                            "time_s": t[keep],
                            "voltage_v": np.asarray(data[f"v({name})"])[keep],
                        }
                    )
                )
            if n == max(steps) and raw_path is not None:
                # every saved vector of the running transient (the kept signals and latches)
                engine.session.command(f"write {Path(raw_path).resolve()}")
            if self_triggered:
                events = engine.clockless.last_events
                for j, (fire_s, i) in enumerate(zip(events.time_s, events.edge, strict=True)):
                    after = int(state.taps[0, i])
                    rows.append(
                        (n, int(i), float(fire_s), True, int(events.direction[0, j]),
                         int(before[i]), after)
                    )  # fmt: skip
                continue
            for i in range(n_edges):
                rows.append(
                    (
                        n,
                        i,
                        end,
                        bool(state.enabled[0, i]),
                        int(state.direction[0, i]),
                        int(before[i]),
                        int(state.taps[0, i]),
                    )
                )
        design = engine.design
    table = pd.concat(frames, ignore_index=True)[list(COLUMNS)]
    decisions = pd.DataFrame(rows, columns=list(DECISION_COLUMNS))
    thresholds = {
        "logic": float(design.threshold_v),
        "direction": float(design.vss_v + DIRECTION_THRESHOLD * design.swing_v),
        "reference": float(design.reference_v),
    }
    return StepWaveforms(table, decisions, times, thresholds, cfg.resolved())


def latched_bits(table: pd.DataFrame, step: int, time_s: float, thresholds: dict) -> pd.DataFrame:
    """The enable and direction latches read at ``time_s`` of ``step`` (per edge, as the engine
    reads them): ``edge``, ``enabled``, ``direction`` (+1 up / -1 down)."""
    rows = []
    sub = table[table["step"] == step]
    for edge, group in sub[sub["edge"] >= 0].groupby("edge"):
        values = {}
        for signal in ("enl", "dir"):
            s = group[group["signal"] == signal]
            values[signal] = float(np.interp(time_s, s["time_s"], s["voltage_v"]))
        rows.append(
            (
                int(edge),
                values["enl"] > thresholds["logic"],
                1 if values["dir"] > thresholds["direction"] else -1,
            )
        )
    return pd.DataFrame(rows, columns=["edge", "enabled", "direction"])
