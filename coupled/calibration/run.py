"""Calibration of the board's update statistics: the saved curve, its inverse, the whole run.

At every global trigger an edge may update only while its relaxation oscillator is above the
global bias voltage (``circuits/oscillator.py``). The calibration is split in three modules:

* this module: the saved p-against-bias curve (:class:`Calibration`, ``calibration.json``,
  :func:`load_calibration`) and its monotone inverse :func:`bias_for_p` (exact inverse of
  :func:`p_for_bias`), which the circuit engine uses to set the bias for a requested p; and
  :func:`run_calibration` (:class:`CalibrationConfig` -> :class:`CalibrationResult`), which
  characterises the oscillators, measures p against the bias and the correlation at p = 0.5;
* ``coupled/engines/board/events.py``: the enable bits at the triggers (ngspice transients in
  worker processes of their own, or the analytic phase model) and the oscillators' own
  characterisation (:func:`simulate_events`, :func:`characterise_oscillators`,
  :func:`bias_grid`);
* ``coupled/calibration/stats.py``: Pearson correlations, the p-against-bias table and the
  effective comparator bias of the direction cells (:func:`pearson_matrix`,
  :func:`correlation_summary`, :func:`p_against_bias`, :func:`effective_comparator_bias`,
  :func:`effective_bias_summary`).

Every public name of the three stays importable from here (``__all__``). Event trains from
transients and from the phase model agree only statistically; every result file says which
produced it. Bad settings or a malformed calibration raise :class:`coupled.core.errors.UserError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from coupled.calibration.stats import (
    autocorrelation_summary,
    correlation_summary,
    pearson_matrix,
)
from coupled.circuits.jitter import DEFAULT_JITTER
from coupled.circuits.oscillator import DEFAULT_SUPPLY_V, OscillatorParameters
from coupled.circuits.spec import BoardSpec
from coupled.engines.board.curve import (
    Calibration,
    bias_for_p,
    calibration_from_table,
    p_against_bias,
)
from coupled.engines.board.events import (
    EVENT_SOURCES,
    bias_grid,
    characterise_oscillators,
    simulate_events,
)
from coupled.physics.networks import Network

__all__ = [
    "QUICK_SIZES",
    "CalibrationConfig",
    "CalibrationResult",
    "board_oscillators",
    "run_calibration",
]


# --- the whole calibration ---------------------------------------------------------------------


@dataclass(frozen=True)
class CalibrationConfig:
    """Settings of ``coupled calibrate`` (defaults are the command's defaults).

    Parameters
    ----------
    network
        Network name, file or :class:`~coupled.physics.networks.Network` (only its number of
        edges matters here; a network object is recorded in its JSON form).
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
        ``"transient"`` (ngspice, every trigger), ``"periodic"`` (a 12-period ngspice
        transient of each oscillator repeated at its simulated period) or ``"phase"``
        (analytic phase model).
    workers
        Processes for the per-edge transients.
    jitter
        Oscillator period jitter, rms fraction of a period per cycle (default
        :data:`coupled.circuits.jitter.DEFAULT_JITTER`, from the parts' noise). Applied as the phase
        random walk of :mod:`coupled.circuits.jitter` (seeded by ``seed``, the board twin's walk) to
        every phase-model train: all of them with ``events="phase"``; with ``"transient"`` the
        transients are the circuit's noise-free oscillators and the jitter acts on the
        phase-model trains reported beside them (``correlation.json`` ``phase_model``). Why
        the phase model carries it: the parts' own jitter moves no statistic the calibration
        reports (``coupled reproduce temporal``: every lag's autocorrelation and the
        correlation between edges equal to 3 decimals with and without it over 10 000
        triggers), and at the calibration's time step (period / 200) the transients' own
        integration error is as large: a steady period error of 0.1-0.4 % and a
        period-to-period scatter of up to 1.3e-5 of a period (measured over 300 periods on two
        edges of the default board), so noise of the parts' size in the circuit would be hidden
        in it; larger jitters are a design exploration, which the phase model gives exactly and
        in microseconds.
    parts
        Role -> catalogue part number (:mod:`coupled.circuits.parts`); the calibration records
        the board specification (``board_spec``, ``board_spec_key``), by which the circuit
        engine matches a calibration to its board.
    """

    network: str | Network
    tolerance: float = 0.05
    seed: int = 0
    trigger_period_s: float = 50e-6
    n_triggers: int = 10_000
    n_triggers_p: int = 1_000
    n_bias: int = 13
    supply_v: float = DEFAULT_SUPPLY_V
    events: str = "transient"
    workers: int = 1
    jitter: float = DEFAULT_JITTER
    parts: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        from coupled.circuits.jitter import check_jitter
        from coupled.core.options import check_choice, check_range, check_whole

        check_jitter(self.jitter, "jitter")
        check_range("tolerance", self.tolerance, 0.0, 0.5, high_open=True)
        check_range("trigger period (s)", self.trigger_period_s, 0.0, low_open=True)
        check_range("supply (V)", self.supply_v, 0.0, low_open=True)
        check_whole("seed", self.seed, 0)
        check_whole("triggers", self.n_triggers, 2)
        check_whole("triggers per bias point", self.n_triggers_p, 2)
        check_whole("bias points", self.n_bias, 3)
        check_whole("workers", self.workers, 1)
        check_choice("events", self.events, EVENT_SOURCES)
        self.board_spec()  # checks the parts

    def board_spec(self) -> BoardSpec:
        """The specification of the calibrated board (recorded in ``calibration.json``)."""
        network = getattr(self.network, "name", self.network)  # a Network object: its name
        return BoardSpec(
            network=str(network),
            parts=dict(self.parts or {}),
            tolerance=self.tolerance,
            board_seed=self.seed,
        )

    def to_dict(self) -> dict:
        """Plain values, for result files."""
        from dataclasses import fields

        data = {f.name: getattr(self, f.name) for f in fields(self)}
        if isinstance(self.network, Network):
            data["network"] = self.network.to_dict()
        return data


QUICK_SIZES = {"n_triggers": 1000, "n_triggers_p": 100, "n_bias": 9}
"""``coupled calibrate --quick`` (and the quick report): 1 000 triggers for the correlation
(null mean |r| 0.025), 100 per bias point (s.e. of the mean p over 16 edges at most 0.013), 9
bias points; about a tenth of the full calibration's transients."""
QUICK_EVENTS = "periodic"
"""Event source of ``coupled calibrate --quick`` (and the quick report) unless one is given: a
12-period transient of each oscillator instead of one over every trigger (16 edges: seconds
instead of a minute or more)."""


def board_oscillators(n_edges: int, tolerance: float, seed: int) -> OscillatorParameters:
    """The oscillators of the board drawn from ``seed``.

    The same draw as ``coupled.circuits.design.draw_board_parameters(network, tolerance, seed)``:
    its
    third stream of ``SeedSequence(seed).spawn(3)`` (pots, comparators, oscillators).
    """
    from coupled.circuits.oscillator import draw_oscillators

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
    effective_bias: pd.DataFrame | None = None
    """Per-edge decision thresholds (``calibrate(..., effective_bias=True)`` only)."""
    effective_bias_summary: dict | None = None
    out_dir: Path | None = None


def run_calibration(config: CalibrationConfig, n_edges: int, log=None) -> CalibrationResult:
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

    from coupled.core.version import __version__

    say = log or (lambda text: None)
    cfg = config
    params = board_oscillators(n_edges, cfg.tolerance, cfg.seed)
    costs: dict[str, float] = {}
    spec = cfg.board_spec()
    meta = {
        "config": cfg.to_dict(),
        "seed": cfg.seed,
        "version": __version__,
        "board_spec": spec.to_dict(),
        "board_spec_key": spec.key(),
    }

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
        params,
        grid,
        cfg.trigger_period_s,
        cfg.n_triggers_p,
        supply_v=cfg.supply_v,
        source=cfg.events,
        workers=cfg.workers,
        **_jitter_of(cfg),
    )
    table = p_against_bias(events, grid, params, cfg.supply_v)
    table["events"] = cfg.events
    costs["p_against_bias_s"] = time.perf_counter() - started
    calibration = calibration_from_table(
        table,
        cfg.supply_v,
        {
            **meta,
            "events": _events_text(cfg.events),
            "trigger_period_s": cfg.trigger_period_s,
            "n_triggers": cfg.n_triggers_p,
            "oscillators": params.to_dict(),
        },
    )

    started = time.perf_counter()
    bias_half = bias_for_p(0.5, calibration)
    say(f"correlation at p = 0.5 (bias {bias_half:.4f} V): {cfg.n_triggers} triggers")
    trains = simulate_events(
        params,
        [bias_half],
        cfg.trigger_period_s,
        cfg.n_triggers,
        supply_v=cfg.supply_v,
        source=cfg.events,
        workers=cfg.workers,
        **_jitter_of(cfg),
    )[0]
    costs["correlation_s"] = time.perf_counter() - started
    matrix = pearson_matrix(trains)
    phase_trains = simulate_events(
        params,
        [bias_half],
        cfg.trigger_period_s,
        cfg.n_triggers,
        supply_v=cfg.supply_v,
        source="phase",
        jitter=cfg.jitter,
        board_seed=cfg.seed,
    )[0]
    phase_summary = correlation_summary(pearson_matrix(phase_trains), cfg.n_triggers)
    correlation = {
        "p": float(trains.mean()),
        "p_requested": 0.5,
        "bias_v": bias_half,
        **correlation_summary(matrix, cfg.n_triggers),
        "events": _events_text(cfg.events),
        "autocorrelation": autocorrelation_summary(trains),
        "phase_model": {
            "p": float(phase_trains.mean()),
            "mean_abs_pearson": phase_summary["mean_abs_pearson"],
            "max_abs_pearson": phase_summary["max_abs_pearson"],
            "jitter": cfg.jitter,
            "autocorrelation": autocorrelation_summary(phase_trains),
        },
        "jitter": cfg.jitter,
        "jitter_applied_to": "every train" if cfg.events == "phase" else "phase_model trains",
        **meta,
    }
    return CalibrationResult(
        config=cfg,
        oscillators=params,
        oscillator_table=osc_table,
        duty_table=duty_table,
        p_table=table,
        calibration=calibration,
        correlation=correlation,
        matrix=matrix,
        costs_s=costs,
    )


def _jitter_of(cfg: CalibrationConfig) -> dict:
    """The jitter arguments of :func:`simulate_events` for the config's own event source."""
    if cfg.events != "phase":
        return {}
    return {"jitter": cfg.jitter, "board_seed": cfg.seed}


def _events_text(source: str) -> str:
    if source == "phase":
        return "phase model (analytic RC waveform of each oscillator; no circuit simulation)"
    if source == "periodic":
        return (
            "ngspice transient of each edge's oscillator over 12 periods, read at the triggers "
            "at the same phase of its last simulated period"
        )
    return "ngspice transient of each edge's oscillator and enable comparator at the triggers"
