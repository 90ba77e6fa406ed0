"""Calibration of the board's update statistics: the saved curve, its inverse, the whole run.

At every global trigger an edge may update only while its relaxation oscillator is above the
global bias voltage (``circuits/oscillator.py``). The calibration is split in three modules:

* this module: the saved p-against-bias curve (:class:`Calibration`, ``calibration.json``,
  :func:`load_calibration`) and its monotone inverse :func:`bias_for_p` (exact inverse of
  :func:`p_for_bias`), which the circuit engine uses to set the bias for a requested p; and
  :func:`run_calibration` (:class:`CalibrationConfig` -> :class:`CalibrationResult`), which
  characterises the oscillators, measures p against the bias and the correlation at p = 0.5;
* ``coupled/calibration_events.py``: the enable bits at the triggers (ngspice transients in
  worker processes of their own, or the analytic phase model) and the oscillators' own
  characterisation (:func:`simulate_events`, :func:`characterise_oscillators`,
  :func:`bias_grid`);
* ``coupled/calibration_stats.py``: Pearson correlations, the p-against-bias table and the
  effective comparator bias of the direction cells (:func:`pearson_matrix`,
  :func:`correlation_summary`, :func:`p_against_bias`, :func:`effective_comparator_bias`,
  :func:`effective_bias_summary`).

Every public name of the three stays importable from here (``__all__``). Event trains from
transients and from the phase model agree only statistically; every result file says which
produced it. Bad settings or a malformed calibration raise :class:`coupled.errors.UserError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from circuits.oscillator import DEFAULT_SUPPLY_V, OscillatorParameters
from coupled.calibration_events import (
    EVENT_SOURCES,
    MAX_STEP_PER_PERIOD,
    _check_count,
    bias_grid,
    characterise_oscillators,
    simulate_events,
    trigger_times_s,
)
from coupled.calibration_events import _run_all as _run_all  # re-exported (benchmarks, tests)
from coupled.calibration_events import _tran as _tran  # re-exported (tests)
from coupled.calibration_stats import (
    PAPER_PEARSON,
    QUADRANTS,
    RESOLUTION_V,
    correlation_summary,
    effective_bias_summary,
    effective_comparator_bias,
    p_against_bias,
    pearson_matrix,
)
from coupled.errors import UserError

__all__ = [
    "EVENT_SOURCES", "MAX_STEP_PER_PERIOD", "PAPER_PEARSON", "QUADRANTS", "RESOLUTION_V",
    "Calibration", "CalibrationConfig", "CalibrationResult", "bias_for_p", "bias_grid",
    "board_oscillators", "calibration_from_table", "characterise_oscillators",
    "correlation_summary", "effective_bias_summary", "effective_comparator_bias",
    "load_calibration", "monotone_p", "p_against_bias", "p_for_bias", "pearson_matrix",
    "run_calibration", "simulate_events", "trigger_times_s",
]


# --- the saved calibration and its inverse ------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Calibration:
    """p against the global bias, as the circuit engine loads it.

    Parameters
    ----------
    bias_v
        Bias voltages, strictly increasing (V).
    p
        Mean share of triggers with the enable high at each bias (non-increasing after
        :func:`monotone_p`).
    p_std
        Spread of the per-edge shares across edges.
    supply_v
        Oscillator supply span ``vdd - vss`` (V).
    meta
        Config, seed, version and provenance (kept verbatim in ``calibration.json``).
    """

    bias_v: np.ndarray
    p: np.ndarray
    p_std: np.ndarray
    supply_v: float = DEFAULT_SUPPLY_V
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        bias = np.asarray(self.bias_v, dtype=float)
        p = np.asarray(self.p, dtype=float)
        std = np.asarray(self.p_std, dtype=float)
        if bias.ndim != 1 or bias.size < 2 or p.shape != bias.shape or std.shape != bias.shape:
            raise UserError("calibration: bias_v, p and p_std must be equal-length lists (>= 2)")
        if not (np.all(np.isfinite(bias)) and np.all(np.isfinite(p))):
            raise UserError("calibration: bias_v and p must be finite numbers")
        if np.any(np.diff(bias) <= 0):
            raise UserError("calibration: bias_v must be strictly increasing")
        if np.any((p < 0) | (p > 1)):
            raise UserError("calibration: p values must be in [0, 1]")
        if p[0] < 1 or p[-1] > 0:
            raise UserError(
                f"calibration: p must run from 1 (bias below every oscillator) to 0; "
                f"got {p[0]:g} .. {p[-1]:g}"
            )
        for name, value in (("bias_v", bias), ("p", monotone_p(p)), ("p_std", std)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    def to_dict(self) -> dict:
        """Plain values for ``calibration.json``."""
        return {
            "bias_v": self.bias_v.tolist(),
            "p": self.p.tolist(),
            "p_std": self.p_std.tolist(),
            "supply_v": float(self.supply_v),
            "always_on_bias_v": float(self.bias_v[0]),
            **self.meta,
        }

    def oscillator_parameters(self) -> OscillatorParameters | None:
        """The calibrated board's oscillators (phases at time 0), if recorded."""
        data = self.meta.get("oscillators")
        return None if data is None else OscillatorParameters.from_dict(data)

    @classmethod
    def from_dict(cls, data: Mapping) -> Calibration:
        """Inverse of :meth:`to_dict` (extra keys go to ``meta``)."""
        missing = [k for k in ("bias_v", "p", "p_std") if k not in data]
        if missing:
            raise UserError(f"calibration: missing key {missing[0]!r}")
        skip = {"bias_v", "p", "p_std", "supply_v", "always_on_bias_v"}
        return cls(
            bias_v=np.asarray(data["bias_v"], dtype=float),
            p=np.asarray(data["p"], dtype=float),
            p_std=np.asarray(data["p_std"], dtype=float),
            supply_v=float(data.get("supply_v", DEFAULT_SUPPLY_V)),
            meta={k: v for k, v in data.items() if k not in skip},
        )


def load_calibration(path: str | Path) -> Calibration:
    """Read ``calibration.json`` written by ``coupled calibrate``."""
    import json

    path = Path(path)
    if path.is_dir():
        path = path / "calibration.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"calibration {path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UserError(f"calibration {path}: not a calibration JSON file") from None
    if not isinstance(data, dict):
        raise UserError(f"calibration {path}: expected a JSON object")
    return Calibration.from_dict(data)


def monotone_p(p: np.ndarray) -> np.ndarray:
    """p made non-increasing in the bias (running minimum; sampling noise can break it)."""
    return np.minimum.accumulate(np.asarray(p, dtype=float))


def _as_calibration(calibration: Calibration | Mapping) -> Calibration:
    if isinstance(calibration, Calibration):
        return calibration
    return Calibration.from_dict(calibration)


def _inverse_points(calibration: Calibration) -> tuple[np.ndarray, np.ndarray]:
    """(p ascending, bias) knots of the inverse: strictly monotone, plateaus cut to their edge."""
    bias, p = calibration.bias_v, calibration.p
    keep = np.ones(p.size, dtype=bool)
    keep[:-1] &= p[:-1] > p[1:]  # of a run of equal p keep the last (highest bias)...
    top = np.flatnonzero(p >= 1.0)
    keep[top] = False
    keep[top.max()] = True  # ...except at p = 1: the highest bias still always enabled
    zero = np.flatnonzero(p <= 0.0)
    keep[zero] = False
    keep[zero.min()] = True  # and at p = 0 the lowest bias never enabled
    knots_p, knots_b = p[keep][::-1], bias[keep][::-1]
    return knots_p, knots_b


def bias_for_p(p: float, calibration: Calibration | Mapping) -> float:
    """The bias voltage (V) that gives update probability ``p``.

    Piecewise-linear interpolation of the measured curve (monotone, and the exact inverse of
    :func:`p_for_bias`). ``p = 1`` returns the lowest calibrated bias, below every oscillator's
    minimum (always enabled).

    Parameters
    ----------
    p
        Update probability in (0, 1].
    calibration
        A :class:`Calibration` or its dict (``calibration.json``).
    """
    cal = _as_calibration(calibration)
    if isinstance(p, bool) or not isinstance(p, int | float | np.floating | np.integer):
        raise UserError(f"p {p!r}: must be a probability in (0, 1]")
    if not 0 < p <= 1:
        raise UserError(f"p {p!r}: must be a probability in (0, 1]")
    if p == 1:
        return float(cal.bias_v[0])
    knots_p, knots_b = _inverse_points(cal)
    return float(np.interp(float(p), knots_p, knots_b))


def p_for_bias(bias_v: float | np.ndarray, calibration: Calibration | Mapping) -> np.ndarray:
    """Update probability at a bias voltage: piecewise-linear in the measured curve."""
    cal = _as_calibration(calibration)
    return np.interp(np.asarray(bias_v, dtype=float), cal.bias_v, cal.p)


def calibration_from_table(
    table: pd.DataFrame, supply_v: float = DEFAULT_SUPPLY_V, meta: dict | None = None
) -> Calibration:
    """A :class:`Calibration` from a :func:`p_against_bias` table."""
    return Calibration(
        bias_v=table["bias_v"].to_numpy(),
        p=table["p"].to_numpy(),
        p_std=table["p_std"].to_numpy(),
        supply_v=supply_v,
        meta=dict(meta or {}),
    )


# --- the whole calibration ---------------------------------------------------------------------


@dataclass(frozen=True)
class CalibrationConfig:
    """Settings of ``coupled calibrate`` (defaults are the command's defaults).

    Parameters
    ----------
    network
        Network name or file (only its number of edges matters here).
    tolerance
        Relative spread of every part, in [0, 0.5).
    seed
        Seed of the board's parts (:func:`board_oscillators`).
    trigger_period_s
        Time between global triggers (s).
    n_triggers
        Triggers for the correlation at p = 0.5.
    n_triggers_p
        Triggers per bias point of the p-against-bias curve.
    n_bias
        Bias points, from below every oscillator's minimum to above every maximum.
    supply_v
        Supply span ``vdd - vss`` of the oscillators (V).
    events
        ``"transient"`` (ngspice) or ``"phase"`` (analytic phase model).
    workers
        Processes for the per-edge transients.
    """

    network: str
    tolerance: float = 0.05
    seed: int = 0
    trigger_period_s: float = 50e-6
    n_triggers: int = 10_000
    n_triggers_p: int = 1_000
    n_bias: int = 13
    supply_v: float = DEFAULT_SUPPLY_V
    events: str = "transient"
    workers: int = 1

    def __post_init__(self) -> None:
        from coupled.options import check_range

        check_range("tolerance", self.tolerance, 0.0, 0.5, high_open=True)
        check_range("trigger period (s)", self.trigger_period_s, 0.0, low_open=True)
        check_range("supply (V)", self.supply_v, 0.0, low_open=True)
        _check_count("seed", self.seed, 0)
        _check_count("triggers", self.n_triggers, 2)
        _check_count("triggers per bias point", self.n_triggers_p, 2)
        _check_count("bias points", self.n_bias, 3)
        _check_count("workers", self.workers, 1)
        if self.events not in EVENT_SOURCES:
            raise UserError(f"events {self.events!r}: must be one of {', '.join(EVENT_SOURCES)}")

    def to_dict(self) -> dict:
        """Plain values, for result files."""
        from dataclasses import asdict

        return asdict(self)


def board_oscillators(n_edges: int, tolerance: float, seed: int) -> OscillatorParameters:
    """The oscillators of the board drawn from ``seed``.

    The same draw as ``circuits.board.draw_board_parameters(network, tolerance, seed)``: its
    third stream of ``SeedSequence(seed).spawn(3)`` (pots, comparators, oscillators).
    """
    from circuits.oscillator import draw_oscillators

    stream = np.random.SeedSequence(seed).spawn(3)[2]
    return draw_oscillators(n_edges, tolerance, np.random.default_rng(stream))


@dataclass(frozen=True, eq=False)
class CalibrationResult:
    """Everything ``coupled calibrate`` writes (tables, dicts and the correlation matrix)."""

    config: CalibrationConfig
    oscillators: OscillatorParameters
    oscillator_table: pd.DataFrame
    duty_table: pd.DataFrame
    p_table: pd.DataFrame
    calibration: Calibration
    correlation: dict
    matrix: np.ndarray
    costs_s: dict


def run_calibration(
    config: CalibrationConfig, n_edges: int, log=None
) -> CalibrationResult:
    """Characterise the oscillators, measure p against the bias and the correlation at p = 0.5.

    Parameters
    ----------
    config
        The settings.
    n_edges
        Number of edges of the network (one oscillator each).
    log
        Optional callable taking one line of progress text.
    """
    import time

    from coupled import __version__

    say = log or (lambda text: None)
    cfg = config
    params = board_oscillators(n_edges, cfg.tolerance, cfg.seed)
    costs: dict[str, float] = {}
    meta = {"config": cfg.to_dict(), "seed": cfg.seed, "version": __version__}

    started = time.perf_counter()
    say(f"characterising {n_edges} oscillators (ngspice transients)")
    grid = bias_grid(params, cfg.n_bias, cfg.supply_v)
    osc_table, duty_table = characterise_oscillators(
        params, grid, supply_v=cfg.supply_v, workers=cfg.workers
    )
    costs["characterise_s"] = time.perf_counter() - started

    started = time.perf_counter()
    say(f"p against bias: {cfg.n_bias} biases x {cfg.n_triggers_p} triggers ({cfg.events})")
    events = simulate_events(
        params, grid, cfg.trigger_period_s, cfg.n_triggers_p, supply_v=cfg.supply_v,
        source=cfg.events, workers=cfg.workers,
    )
    table = p_against_bias(events, grid, params, cfg.supply_v)
    table["events"] = cfg.events
    costs["p_against_bias_s"] = time.perf_counter() - started
    calibration = calibration_from_table(
        table, cfg.supply_v,
        {**meta, "events": _events_text(cfg.events), "trigger_period_s": cfg.trigger_period_s,
         "n_triggers": cfg.n_triggers_p, "oscillators": params.to_dict()},
    )  # fmt: skip

    started = time.perf_counter()
    bias_half = bias_for_p(0.5, calibration)
    say(f"correlation at p = 0.5 (bias {bias_half:.4f} V): {cfg.n_triggers} triggers")
    trains = simulate_events(
        params, [bias_half], cfg.trigger_period_s, cfg.n_triggers, supply_v=cfg.supply_v,
        source=cfg.events, workers=cfg.workers,
    )[0]
    costs["correlation_s"] = time.perf_counter() - started
    matrix = pearson_matrix(trains)
    phase_trains = simulate_events(
        params, [bias_half], cfg.trigger_period_s, cfg.n_triggers, supply_v=cfg.supply_v,
        source="phase",
    )[0]
    phase_summary = correlation_summary(pearson_matrix(phase_trains), cfg.n_triggers)
    correlation = {
        "p": float(trains.mean()),
        "p_requested": 0.5,
        "bias_v": bias_half,
        **correlation_summary(matrix, cfg.n_triggers),
        "events": _events_text(cfg.events),
        "phase_model": {
            "p": float(phase_trains.mean()),
            "mean_abs_pearson": phase_summary["mean_abs_pearson"],
            "max_abs_pearson": phase_summary["max_abs_pearson"],
        },
        **meta,
    }
    return CalibrationResult(
        config=cfg, oscillators=params, oscillator_table=osc_table, duty_table=duty_table,
        p_table=table, calibration=calibration, correlation=correlation, matrix=matrix,
        costs_s=costs,
    )  # fmt: skip


def _events_text(source: str) -> str:
    if source == "phase":
        return "phase model (analytic RC waveform of each oscillator; no circuit simulation)"
    return "ngspice transient of each edge's oscillator and enable comparator at the triggers"
