"""Calibration of the board's update statistics: p against the bias, event correlations.

At every global trigger an edge may update only while its relaxation oscillator is above the
global bias voltage (``circuits/oscillator.py``). This module measures, by ngspice transients of
each edge's oscillator and enable comparator sampled at the trigger instants:

* the oscillators themselves (:func:`characterise_oscillators`: period, waveform range, share of
  time above each bias, against the RC formulas);
* p against the bias (:func:`p_against_bias`): the share of triggers at which an edge's enable
  output is high, mean and spread over edges, and its monotone inverse :func:`bias_for_p`, which
  the circuit engine uses to set the bias for a requested p (saved as :class:`Calibration`);
* the Pearson correlation of update events between pairs of edges (:func:`pearson_matrix`,
  :func:`correlation_summary`) at the bias that gives p = 0.5.

Events come from circuit simulation: one ``uic`` transient per edge of its oscillator and enable
comparator (the oscillators of a board are independent circuits on ideal supplies, so separate
transients are exact; each keeps its own time step of period / 200, and they run in parallel
processes), with the trigger edges as breakpoints and ``.options interp`` so that only the
trigger instants are stored. They run in worker processes of their own: ngspice 39 keeps
``interp`` on for the rest of a process, so the caller's session is never touched. Cost: about
2.5 ms of ngspice per edge and trigger at the default 50 us trigger period on an idle core
(``benchmarks/bench_oscillator.py``), so 10^4 triggers on 16 edges take about 7 minutes.
``events="phase"`` uses the analytic phase model instead (microseconds; validated against the
transient in ``tests/test_oscillator.py``); every result file says which produced it. Over
hundreds of periods the exact phase of a simulated oscillator depends on the integration error
(about 0.1 % of a period per period), so event trains from different time grids or from the phase
model agree only statistically: p and the correlations, not the individual bits, are the
reproducible results.

The effective comparator bias of the direction cells is measured by a dc sweep of each edge's
comparator and XOR cell (:func:`effective_comparator_bias`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd

from circuits.oscillator import (
    DEFAULT_SUPPLY_V,
    OscillatorParameters,
    duty_above,
    enabled,
    oscillator_bench,
)
from coupled.errors import SpiceError, UserError

EVENT_SOURCES = ("transient", "phase")
"""How events are produced: ngspice transient of each edge, or the analytic phase model."""
MAX_STEP_PER_PERIOD = 200
"""Transient time steps per oscillator period (at most period / 200): flips need it."""
RESOLUTION_V = 1e-6
"""Resolution of the measured comparator thresholds (V) used when counting them in a range."""
PAPER_PEARSON = 0.01
"""Pearson correlation between pairs of edges at p = 0.5 measured on the paper's board."""


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


# --- statistics --------------------------------------------------------------------------------


def pearson_matrix(events: np.ndarray) -> np.ndarray:
    """Pearson correlation between the event trains of every pair of edges.

    Parameters
    ----------
    events
        Shape (n_triggers, E), booleans or numbers: one train per edge.

    Returns
    -------
    numpy.ndarray
        (E, E), ones on the diagonal; NaN in the rows and columns of constant trains (an edge
        that always or never fires has no defined correlation).
    """
    x = np.asarray(events, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2:
        raise UserError(f"events: need shape (n_triggers >= 2, edges), got {x.shape}")
    centred = x - x.mean(axis=0)
    norm = np.sqrt(np.sum(centred**2, axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (centred.T @ centred) / np.outer(norm, norm)
    constant = norm <= 1e-12 * math.sqrt(x.shape[0])
    r[constant, :] = np.nan
    r[:, constant] = np.nan
    np.fill_diagonal(r, np.where(constant, np.nan, 1.0))
    return np.clip(r, -1.0, 1.0)


def correlation_summary(matrix: np.ndarray, n_triggers: int) -> dict:
    """Mean and largest |r| over distinct pairs, with the null expectation for n triggers.

    For independent trains ``r`` is about normal with standard deviation ``1/sqrt(n)``, so the
    null mean of ``|r|`` is ``sqrt(2 / (pi n))``.
    """
    e = matrix.shape[0]
    upper = matrix[np.triu_indices(e, k=1)]
    finite = np.abs(upper[np.isfinite(upper)])
    return {
        "mean_abs_pearson": float(finite.mean()) if finite.size else float("nan"),
        "median_abs_pearson": float(np.median(finite)) if finite.size else float("nan"),
        "max_abs_pearson": float(finite.max()) if finite.size else float("nan"),
        "mean_pearson": float(upper[np.isfinite(upper)].mean()) if finite.size else float("nan"),
        "n_pairs": int(finite.size),
        "n_constant_edges": int(np.sum(~np.isfinite(np.diag(matrix)))),
        "n_triggers": int(n_triggers),
        "null_mean_abs_pearson": math.sqrt(2.0 / (math.pi * n_triggers)),
        "null_std_pearson": 1.0 / math.sqrt(n_triggers),
        "paper_pearson": PAPER_PEARSON,
    }


# --- simulation --------------------------------------------------------------------------------


def _check_count(name: str, value: int, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise UserError(f"{name} {value!r}: must be a whole number >= {low}")
    return int(value)


def _tran(
    netlist: str,
    step_s: float,
    stop_s: float,
    max_step_s: float,
    names: list[str],
    allow_interp: bool = False,
) -> dict[str, np.ndarray]:
    from coupled.spice import get_session

    session = get_session()
    session.load(netlist, name="calibration", allow_interp=allow_interp)
    try:
        return session.tran(step_s, stop_s, max_step_s=max_step_s, uic=True, names=names)
    finally:
        session.remove("calibration")


def _run_all(tasks: list[tuple], workers: int, *, isolated: bool = False) -> list[dict]:
    """Run transients; ``isolated`` runs them in worker processes of their own (even for one
    worker), as netlists with ``.options interp`` need: ngspice 39 keeps ``interp`` on for
    every later transient of a process. The pool ends with the call."""
    if not isolated and (workers <= 1 or len(tasks) <= 1):
        return [_tran(*task) for task in tasks]
    context = get_context("spawn")
    size = max(1, min(workers, len(tasks)))
    with ProcessPoolExecutor(max_workers=size, mp_context=context) as pool:
        return list(pool.map(_tran_star, tasks))


def _tran_star(task: tuple) -> dict:
    import warnings

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*sets 'interp'", category=RuntimeWarning)
        return _tran(*task)


def trigger_times_s(trigger_period_s: float, n_triggers: int) -> np.ndarray:
    """Trigger instants ``k T`` for k = 1..n (s)."""
    return trigger_period_s * np.arange(1, n_triggers + 1)


def simulate_events(
    params: OscillatorParameters,
    bias_v: Sequence[float] | np.ndarray,
    trigger_period_s: float,
    n_triggers: int,
    *,
    supply_v: float = DEFAULT_SUPPLY_V,
    source: str = "transient",
    workers: int = 1,
) -> np.ndarray:
    """Enable bits of every edge at every trigger, for each bias.

    Parameters
    ----------
    params
        The board's oscillators (phases at time 0).
    bias_v
        K bias voltages (V).
    trigger_period_s
        Time between triggers (s); triggers at ``k T``, k = 1..n.
    n_triggers
        Number of triggers n.
    supply_v
        Oscillator supply span (V).
    source
        ``"transient"``: per-edge ngspice transient of the oscillator and K enable comparators
        (max step period / 200), comparator outputs read at the trigger instants against
        mid-supply. ``"phase"``: the analytic phase model.
    workers
        Processes for the per-edge transients.

    Returns
    -------
    numpy.ndarray
        Booleans of shape (K, n, E).
    """
    bias = np.atleast_1d(np.asarray(bias_v, dtype=float))
    n = _check_count("triggers", n_triggers, 2)
    if not np.isfinite(trigger_period_s) or trigger_period_s <= 0:
        raise UserError(f"trigger period {trigger_period_s!r}: must be a positive time (s)")
    if source not in EVENT_SOURCES:
        raise UserError(f"events {source!r}: must be one of {', '.join(EVENT_SOURCES)}")
    times = trigger_times_s(trigger_period_s, n)
    if source == "phase":
        return np.stack([enabled(params, times, b, supply_v) for b in bias])
    names = ["time"] + [f"v(en{k})" for k in range(bias.size)]
    tasks = []
    for edge in range(params.n_edges):
        netlist = oscillator_bench(
            params, edge, bias, supply_v=supply_v, trigger_period_s=trigger_period_s,
            sample_at_triggers=True,
        )
        max_step = float(params.period_s[edge]) / MAX_STEP_PER_PERIOD
        stop_s = (n + 1) * trigger_period_s  # one spare period: interp may drop the last point
        tasks.append((netlist, trigger_period_s, stop_s, max_step, names, True))
    events = np.zeros((bias.size, n, params.n_edges), dtype=bool)
    for edge, data in enumerate(_run_all(tasks, workers, isolated=True)):
        rows = _rows_at(data["time"], times, edge)
        for k in range(bias.size):
            events[k, :, edge] = data[f"v(en{k})"][rows] > 0.5 * supply_v
    return events


def _rows_at(time_s: np.ndarray, wanted_s: np.ndarray, edge: int) -> np.ndarray:
    index = np.searchsorted(time_s, wanted_s)
    index = np.clip(index, 0, time_s.size - 1)
    before = np.clip(index - 1, 0, time_s.size - 1)
    closer = np.abs(time_s[before] - wanted_s) < np.abs(time_s[index] - wanted_s)
    index = np.where(closer, before, index)
    miss = np.abs(time_s[index] - wanted_s) > 1e-6 * (wanted_s[1] - wanted_s[0])
    if np.any(miss):
        raise SpiceError(
            f"edge {edge}: the transient has no time point at {int(miss.sum())} trigger instants "
            f"(first at {wanted_s[miss][0]:g} s)"
        )
    return index


def characterise_oscillators(
    params: OscillatorParameters,
    bias_v: Sequence[float] | np.ndarray = (),
    *,
    supply_v: float = DEFAULT_SUPPLY_V,
    n_periods: int = 12,
    steps_per_period: int = 400,
    workers: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Period, waveform range and duty of each oscillator from its own ngspice transient.

    Each edge runs ``n_periods`` periods from its start phase (max step period /
    ``steps_per_period``); the first period is skipped. The period is the mean spacing of
    upward crossings of the middle of the thresholds; the duty is the time share above each
    bias over whole periods.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Per edge (``edge``, parts, ``period_s``, ``period_formula_s``, ``period_error``,
        ``v_min_v``, ``v_max_v`` and their formulas, ``duty_mid``, ``duty_mid_formula``) and,
        tidy, ``edge``, ``bias_v``, ``duty``, ``duty_formula``.
    """
    n_periods = _check_count("n_periods", n_periods, 3)
    bias = np.atleast_1d(np.asarray(bias_v, dtype=float))
    mid_v = 0.5 * supply_v * (params.low_fraction + params.high_fraction)
    tasks = []
    for edge in range(params.n_edges):
        netlist = oscillator_bench(params, edge, [], supply_v=supply_v)
        period = float(params.period_s[edge])
        tasks.append(
            (netlist, period / steps_per_period, n_periods * period,
             period / steps_per_period, ["time", "v(osc)"])
        )
    rows, duty_rows = [], []
    for edge, data in enumerate(_run_all(tasks, workers)):
        t, v = data["time"], data["v(osc)"]
        up = np.flatnonzero((v[:-1] < mid_v[edge]) & (v[1:] >= mid_v[edge]))
        if up.size < 3:
            raise SpiceError(f"edge {edge}: the oscillator did not oscillate in the transient")
        frac = (mid_v[edge] - v[up]) / (v[up + 1] - v[up])
        crossings = t[up] + frac * (t[up + 1] - t[up])
        crossings = crossings[1:]  # skip the start-up period
        period = float(np.mean(np.diff(crossings)))
        inside = (t >= crossings[0]) & (t <= crossings[-1])
        tw, vw = t[inside], v[inside]
        dt = np.diff(tw)
        vmid = 0.5 * (vw[:-1] + vw[1:])
        span = float(tw[-1] - tw[0])

        def share(level: float, dt=dt, vmid=vmid, span=span) -> float:
            return float(np.sum(dt[vmid > level]) / span)

        one = params.select([edge])
        rows.append(
            {
                "edge": edge,
                "r_ohm": float(one.r_ohm[0]),
                "c_f": float(one.c_f[0]),
                "low_fraction": float(one.low_fraction[0]),
                "high_fraction": float(one.high_fraction[0]),
                "phase_fraction": float(one.phase_fraction[0]),
                "period_s": period,
                "period_formula_s": float(one.period_s[0]),
                "period_error": period / float(one.period_s[0]) - 1.0,
                "v_min_v": float(vw.min()),
                "v_max_v": float(vw.max()),
                "v_min_formula_v": supply_v * float(one.low_fraction[0]),
                "v_max_formula_v": supply_v * float(one.high_fraction[0]),
                "duty_mid": share(0.5 * supply_v),
                "duty_mid_formula": float(duty_above(one, 0.5 * supply_v, supply_v)[0]),
                "n_periods": int(crossings.size - 1),
            }
        )
        formula = duty_above(one, bias, supply_v)[:, 0]
        for k, b in enumerate(bias):
            duty_rows.append(
                {"edge": edge, "bias_v": float(b), "duty": share(float(b)),
                 "duty_formula": float(formula[k])}
            )
    duty = pd.DataFrame(duty_rows, columns=["edge", "bias_v", "duty", "duty_formula"])
    return pd.DataFrame(rows), duty


def bias_grid(params: OscillatorParameters, n_points: int, supply_v: float) -> np.ndarray:
    """``n_points`` biases from just below the lowest to just above the highest threshold.

    The first point lies below every oscillator's minimum (p = 1), the last above every
    maximum (p = 0); the margin is 2 % of the thresholds' span.
    """
    n_points = _check_count("bias points", n_points, 3)
    low = supply_v * float(params.low_fraction.min())
    high = supply_v * float(params.high_fraction.max())
    margin = 0.02 * (high - low)
    return np.linspace(low - margin, high + margin, n_points)


def p_against_bias(
    events: np.ndarray, bias_v: np.ndarray, params: OscillatorParameters,
    supply_v: float = DEFAULT_SUPPLY_V,
) -> pd.DataFrame:
    """Tidy p-against-bias table from enable bits of shape (K, n, E).

    Columns: ``bias_v``, ``p`` (mean over edges of each edge's share of triggers with the enable
    high), ``p_std`` (spread of those shares across edges), ``p_min``, ``p_max``, ``p_formula``
    (mean analytic duty of the phase model), ``n_triggers``, ``n_edges``.
    """
    shares = events.mean(axis=1)  # (K, E)
    formula = duty_above(params, bias_v, supply_v).mean(axis=-1)
    return pd.DataFrame(
        {
            "bias_v": np.asarray(bias_v, dtype=float),
            "p": shares.mean(axis=1),
            "p_std": shares.std(axis=1),
            "p_min": shares.min(axis=1),
            "p_max": shares.max(axis=1),
            "p_formula": formula,
            "n_triggers": events.shape[1],
            "n_edges": events.shape[2],
        }
    )


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


# --- effective comparator bias -----------------------------------------------------------------

QUADRANTS = (("++", 1, 1), ("--", -1, -1), ("+-", 1, -1), ("-+", -1, 1))
"""(label, sign of dV_C, sign of dV_F) of the four branches of the direction logic."""


def effective_comparator_bias(
    offset_a_v: np.ndarray,
    offset_b_v: np.ndarray,
    *,
    model=None,
    vdd_v: float = DEFAULT_SUPPLY_V,
    vss_v: float = 0.0,
    drop_v: float = 0.5,
    sweep_v: float = 0.1,
    step_v: float = 2e-4,
) -> pd.DataFrame:
    """Each edge's decision threshold in ``|dV_C| - |dV_F|``, by a dc sweep of its cell.

    Every edge's two decision comparators (``comp_lm339`` with its drawn offsets) and XOR gate
    (``xor_74hc86``) are built four times, once per sign branch of (dV_C, dV_F), with
    ``|dV_F| = drop_v`` and ``|dV_C| = drop_v + d``. A dc sweep of ``d`` over
    ``[-sweep_v, sweep_v]`` (step ``step_v``) finds where the direction (XNOR = up) turns on;
    a second sweep, each cell shifted to its coarse threshold, resolves it to ``step_v / 100``.
    The rule ``|dV_C| - |dV_F| + sigma > 0`` then gives ``sigma = -d*``.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``edge``, ``branch`` (``"++"`` ...), ``sign_clamped``, ``sign_free``,
        ``offset_a_v``, ``offset_b_v``, ``sigma_v`` (measured; NaN if no single switch in the
        sweep), ``sigma_formula_v`` (``circuits.comparator.effective_sigma_v``).
    """
    from circuits import comparator

    oa = np.atleast_1d(np.asarray(offset_a_v, dtype=float))
    ob = np.atleast_1d(np.asarray(offset_b_v, dtype=float))
    if oa.shape != ob.shape or oa.ndim != 1:
        raise UserError("offsets: offset_a_v and offset_b_v need one value per edge each")
    model = comparator.ComparatorModel() if model is None else model
    bench = (oa, ob, model, vdd_v, vss_v, drop_v)
    coarse = _threshold_sweep(bench, np.zeros(4 * oa.size), sweep_v, step_v)
    fine = _threshold_sweep(bench, np.nan_to_num(coarse), 2 * step_v, step_v / 100)
    threshold = np.where(np.isfinite(coarse), fine, np.nan)
    rows = []
    for k, (edge, (label, sx, sy)) in enumerate(
        (e, q) for e in range(oa.size) for q in QUADRANTS
    ):
        formula = comparator.effective_sigma_v(sx * drop_v, sy * drop_v, oa[edge], ob[edge])
        rows.append(
            {
                "edge": edge, "branch": label, "sign_clamped": sx, "sign_free": sy,
                "offset_a_v": float(oa[edge]), "offset_b_v": float(ob[edge]),
                "sigma_v": -float(threshold[k]), "sigma_formula_v": float(formula),
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def _threshold_sweep(bench: tuple, centre_v: np.ndarray, half_v: float, step_v: float):
    """Switching points d* of every cell for ``d`` swept over ``centre +- half`` (NaN if none)."""
    from circuits import comparator, xor
    from circuits.library import inline_library, library_file
    from coupled.spice import get_session

    oa, ob, model, vdd_v, vss_v, drop_v = bench
    lines = [
        "* effective comparator bias: decision cells of every edge",
        inline_library([library_file(comparator.LIBRARY), library_file(xor.LIBRARY)]),
        "Vd d 0 0",
    ]
    names = []
    for k, (edge, (_label, sx, sy)) in enumerate(
        (e, q) for e in range(oa.size) for q in QUADRANTS
    ):
        tag = f"{edge}_{'pm'[sx < 0]}{'pm'[sy < 0]}"
        lines += [
            f"Bx{tag} 0 x{tag} I = {sx}*({drop_v!r} + {float(centre_v[k])!r} + v(d))",
            f"Rx{tag} x{tag} 0 1",
            f"Vy{tag} y{tag} 0 {sy * drop_v!r}",
            f"Vn{tag} n{tag} 0 {-sy * drop_v!r}",
            comparator.comparator_instance(
                name=f"XCMPA_{tag}", inp=f"x{tag}", inn=f"y{tag}", out=f"a{tag}",
                offset_v=oa[edge], model=model, low_v=vss_v, high_v=vdd_v,
            ),
            comparator.comparator_instance(
                name=f"XCMPB_{tag}", inp=f"x{tag}", inn=f"n{tag}", out=f"b{tag}",
                offset_v=ob[edge], model=model, low_v=vss_v, high_v=vdd_v,
            ),
            xor.xor_instance(
                name=f"XXOR_{tag}", a=f"a{tag}", b=f"b{tag}", out=f"o{tag}", low_v=vss_v,
                high_v=vdd_v,
            ),
        ]
        names.append(f"v(o{tag})")
    session = get_session()
    session.load("\n".join(lines) + "\n.end\n", name="effective_bias")
    try:
        data = session.dc("vd", -half_v, half_v, step_v, names=["v-sweep", *names])
    finally:
        session.remove("effective_bias")
    d = data["v-sweep"]
    mid = 0.5 * (vdd_v + vss_v)
    found = np.full(len(names), np.nan)
    for k, name in enumerate(names):
        up = mid - data[name]  # XNOR: positive when the tap goes up
        on = np.flatnonzero((up[:-1] <= 0) & (up[1:] > 0))
        if on.size == 1 and up[0] <= 0 < up[-1]:
            i = on[0]
            found[k] = centre_v[k] + d[i] - up[i] * (d[i + 1] - d[i]) / (up[i + 1] - up[i])
    return found


def effective_bias_summary(table: pd.DataFrame, paper_high_v: float = 0.05) -> dict:
    """Distribution of the measured sigma against the paper's U[0, ``paper_high_v``] V.

    Reported for all branches and for the branches with a positive clamped drop (where the
    offsets act as the paper's upward bias); includes the Kolmogorov-Smirnov distance to the
    uniform law and the largest difference from the offset formula.
    """
    from scipy import stats

    def describe(values: np.ndarray) -> dict:
        values = values[np.isfinite(values)]
        if values.size == 0:
            return {"n": 0}
        ks = stats.kstest(values, "uniform", args=(0.0, paper_high_v))
        return {
            "n": int(values.size), "mean_v": float(values.mean()),
            "std_v": float(values.std()), "min_v": float(values.min()),
            "max_v": float(values.max()),
            "share_in_paper_range": float(
                np.mean((values >= -RESOLUTION_V) & (values <= paper_high_v + RESOLUTION_V))
            ),
            "ks_statistic_vs_paper": float(ks.statistic), "ks_pvalue_vs_paper": float(ks.pvalue),
        }  # fmt: skip

    sigma = table["sigma_v"].to_numpy()
    positive = table["sign_clamped"].to_numpy() > 0
    return {
        "paper_law": f"U[0, {paper_high_v:g}] V",
        "all_branches": describe(sigma),
        "positive_clamped_drop": describe(sigma[positive]),
        "negative_clamped_drop": describe(sigma[~positive]),
        "negative_clamped_drop_flipped": describe(-sigma[~positive]),
        "max_abs_error_vs_formula_v": float(
            np.nanmax(np.abs(sigma - table["sigma_formula_v"].to_numpy()))
        ),
        "n_unresolved": int(np.sum(~np.isfinite(sigma))),
    }
