"""Calibration events: enable bits of every edge at the global triggers, and the oscillators.

At every global trigger an edge may update only while its relaxation oscillator is above the
global bias voltage (``circuits/oscillator.py``). This module produces those enable bits and
measures the oscillators themselves; the statistics of the bits are in
``coupled/calibration/stats.py`` and the saved curve in ``coupled/calibration/run.py``.

* :func:`simulate_events` gives the enable bits of shape (K biases, n triggers, E edges), from
  circuit simulation (``source="transient"``) or the analytic phase model (``"phase"``).
* :func:`characterise_oscillators` measures each oscillator's period, waveform range and share of
  time above each bias from its own transient, against the RC formulas.
* :func:`bias_grid` and :func:`trigger_times_s` give the bias points and trigger instants.

Transient events: one ``uic`` transient per edge of its oscillator and enable comparator (the
oscillators of a board are independent circuits on ideal supplies, so separate transients are
exact; each keeps its own time step of period / 200, and they run in parallel processes), with
the trigger edges as breakpoints and ``.options interp`` so that only the trigger instants are
stored. They run in worker processes of their own: ngspice 39 keeps ``interp`` on for the rest
of a process, so the caller's session is never touched. Cost: about 2.5 ms of ngspice per edge
and trigger at the default 50 us trigger period on an idle core
(``benchmarks/bench_oscillator.py``), so 10^4 triggers on 16 edges take about 7 minutes.
``events="phase"`` uses the analytic phase model instead (microseconds; validated against the
transient in ``tests/test_oscillator.py``). Over hundreds of periods the exact phase of a
simulated oscillator depends on the integration error (about 0.1 % of a period per period), so
event trains from different time grids or from the phase model agree only statistically: p and
the correlations, not the individual bits, are the reproducible results.

Bad counts, periods or event sources raise :class:`coupled.core.errors.UserError`; a transient
without a time point at a trigger instant, or an oscillator that does not oscillate, raises
:class:`coupled.core.errors.SpiceError`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np
import pandas as pd

from coupled.circuits.jitter import phase_walk
from coupled.circuits.oscillator import (
    DEFAULT_SUPPLY_V,
    OscillatorParameters,
    duty_above,
    enabled,
    oscillator_bench,
)
from coupled.core import interrupts
from coupled.core.errors import SpiceError, UserError

EVENT_SOURCES = ("transient", "phase", "periodic")
"""How events are produced: ngspice transient of each edge over every trigger, the analytic
phase model, or a short ngspice transient of each edge repeated at its simulated period."""
_LAST_WAVES: list = []
"""The last :func:`periodic_waveforms` result and its key (a calibration asks twice)."""
PERIODIC_PERIODS = 12
"""Periods of each edge's transient for ``source="periodic"`` (the first is the start-up)."""
MAX_STEP_PER_PERIOD = 200
"""Transient time steps per oscillator period (at most period / 200): flips need it."""


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
    from coupled.spice.session import get_session

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
        with _progress(len(tasks)) as bar:
            return [_done(bar, _tran(*task)) for task in tasks]
    context = get_context("spawn")
    size = max(1, min(workers, len(tasks)))
    with (
        ProcessPoolExecutor(
            max_workers=size, mp_context=context, initializer=interrupts.ignore_in_worker
        ) as pool,
        interrupts.stopped_on_interrupt(pool),
        _progress(len(tasks)) as bar,
    ):
        return [_done(bar, data) for data in pool.map(_tran_star, tasks)]


def _progress(total: int):
    """A tqdm bar of per-edge transients on stderr (shown on a terminal only)."""
    import sys

    from tqdm import tqdm

    return tqdm(total=total, disable=None, file=sys.stderr, unit="edge", leave=False)


def _done(bar, data: dict) -> dict:
    bar.update(1)
    return data


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
    jitter: float = 0.0,
    board_seed: int = 0,
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
    jitter, board_seed
        Phase model only: period jitter (rms fraction of a period per cycle) and the board seed
        of its random walk (:func:`coupled.circuits.jitter.phase_walk`, the board twin's walk);
        trigger
        ``k`` samples every oscillator at ``k T`` plus its accumulated phase offset. A
        transient is the circuit's own oscillators, without noise: ``jitter`` > 0 with
        ``source="transient"`` is refused (the calibration applies it to phase-model trains).

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
    if source == "phase" and jitter:
        return _jittered_events(params, bias, trigger_period_s, n, supply_v, jitter, board_seed)
    if source == "phase":
        return np.stack([enabled(params, times, b, supply_v) for b in bias])
    if jitter:
        raise UserError(
            f"jitter {jitter!r}: transient events are the circuit's own noise-free oscillators; "
            "use jitter 0 with source 'transient' (or source 'phase')"
        )
    if source == "periodic":
        return _periodic_events(params, bias, times, supply_v, workers)
    names = ["time"] + [f"v(en{k})" for k in range(bias.size)]
    tasks = []
    for edge in range(params.n_edges):
        netlist = oscillator_bench(
            params,
            edge,
            bias,
            supply_v=supply_v,
            trigger_period_s=trigger_period_s,
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


def periodic_waveforms(
    params: OscillatorParameters,
    *,
    supply_v: float = DEFAULT_SUPPLY_V,
    n_periods: int = PERIODIC_PERIODS,
    workers: int = 1,
) -> list[tuple[np.ndarray, np.ndarray, float, float]]:
    """Each edge's oscillator voltage from a short ngspice transient, with its period.

    One ``uic`` transient per edge from its drawn phase over ``n_periods`` formula periods (max
    step period / ``MAX_STEP_PER_PERIOD``, as the full transient events). The period is the
    mean spacing of the upward crossings of the middle of the thresholds after the first (the
    start-up).

    Returns
    -------
    list of (time_s, v_osc_v, last_crossing_s, period_s)
        Per edge: the transient's time points and oscillator voltage, the last upward crossing
        and the simulated period.
    """
    mid_v = 0.5 * supply_v * (params.low_fraction + params.high_fraction)
    netlists = [oscillator_bench(params, e, [], supply_v=supply_v) for e in range(params.n_edges)]
    key = (tuple(netlists), n_periods, MAX_STEP_PER_PERIOD)
    if _LAST_WAVES and _LAST_WAVES[0] == key:
        return _LAST_WAVES[1]
    tasks = []
    for edge, netlist in enumerate(netlists):
        step = float(params.period_s[edge]) / MAX_STEP_PER_PERIOD
        tasks.append(
            (netlist, step, n_periods * float(params.period_s[edge]), step, ["time", "v(osc)"])
        )
    waves = []
    for edge, data in enumerate(_run_all(tasks, workers)):
        t, v = data["time"], data["v(osc)"]
        up = np.flatnonzero((v[:-1] < mid_v[edge]) & (v[1:] >= mid_v[edge]))
        if up.size < 3:
            raise SpiceError(f"edge {edge}: the oscillator did not oscillate in the transient")
        frac = (mid_v[edge] - v[up]) / (v[up + 1] - v[up])
        crossings = (t[up] + frac * (t[up + 1] - t[up]))[1:]
        waves.append((t, v, float(crossings[-1]), float(np.mean(np.diff(crossings)))))
    _LAST_WAVES[:] = [key, waves]
    return waves


def _periodic_events(
    params: OscillatorParameters,
    bias: np.ndarray,
    times: np.ndarray,
    supply_v: float,
    workers: int,
) -> np.ndarray:
    """Enable bits (K, n, E) from :func:`periodic_waveforms`: the oscillator's voltage at a
    trigger inside the transient is read there (linear interpolation), a later one in the last
    simulated period at the same phase; enabled while it is above the bias."""
    events = np.zeros((bias.size, times.size, params.n_edges), dtype=bool)
    waves = periodic_waveforms(params, supply_v=supply_v, workers=workers)
    for edge, (t, v, last, period) in enumerate(waves):
        folded = np.where(times <= last, times, last - period + np.mod(times - last, period))
        v_at = np.interp(folded, t, v)
        events[:, :, edge] = v_at[None, :] > bias[:, None]
    return events


def _jittered_events(
    params: OscillatorParameters,
    bias: np.ndarray,
    trigger_period_s: float,
    n: int,
    supply_v: float,
    jitter: float,
    board_seed: int,
) -> np.ndarray:
    """Phase-model enables (K, n, E) with each oscillator's phase random walk."""
    times = trigger_times_s(trigger_period_s, n)
    offsets = phase_walk(board_seed, jitter, trigger_period_s, params.period_s, n)  # (n, E)
    events = np.zeros((bias.size, n, params.n_edges), dtype=bool)
    for edge in range(params.n_edges):
        one = params.select([edge])
        shifted = times + offsets[:, edge] * float(one.period_s[0])
        for k, b in enumerate(bias):
            events[k, :, edge] = enabled(one, shifted, b, supply_v)[:, 0]
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
            (
                netlist,
                period / steps_per_period,
                n_periods * period,
                period / steps_per_period,
                ["time", "v(osc)"],
            )
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
                {
                    "edge": edge,
                    "bias_v": float(b),
                    "duty": share(float(b)),
                    "duty_formula": float(formula[k]),
                }
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
