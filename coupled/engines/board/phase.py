"""The circuit engine's oscillator phase model, fitted to the simulated oscillators, and its p.

Between trigger windows the fast scheme carries every oscillator's state with the analytic
phase model of :mod:`coupled.circuits.oscillator`. The ngspice oscillator (``osc_relax``) runs a
little
faster than its RC formula (measured on 5 %-spread parts: period shorter by about 3.5e-4 and a
start offset of about 2e-4 of a period, at any time step down to period / 20 000), which over
48 periods (20 steps of the default 50 us trigger period) would shift phases by ~2 % and flip
about one enable bit in thirty against a free-running simulation. :func:`fitted_oscillators`
therefore measures each oscillator in ngspice once (alone, from the board's initial
conditions, with the board's integration method and a fine time step) and returns parameters
whose phase model reproduces the simulated upward crossings of
mid-swing: the capacitance is scaled to the simulated period and the phase at time 0 set to
the first crossing. Results are cached per process and on disk (:mod:`coupled.core.cache`,
folder ``COUPLED_CACHE_DIR``): the key hashes the oscillators' parameters (drawn from the network,
the tolerance and the seed), the text of the parts' netlists, the fit's settings, the ngspice
release and the package version, so a changed design is a different entry.

:func:`phase_calibration` computes the p-against-bias curve of those oscillators at the
engine's trigger period from the phase model (the fast scheme's own enable mechanism), for
:func:`coupled.calibration.bias_for_p`, when no ``calibration.json`` is given; cached the same
way (key: the fitted oscillators, the trigger period, the grid, the package version).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

import numpy as np

from coupled.circuits.oscillator import (
    OscillatorParameters,
    library_files,
    oscillator_instance,
)
from coupled.core import cache
from coupled.core.errors import SpiceError, UserError
from coupled.engines.board.curve import Calibration, calibration_from_table, p_against_bias
from coupled.engines.board.events import bias_grid, simulate_events

FIT_STEPS_PER_PERIOD = 5000
"""Largest time step of the fitting transient: the shortest period over this."""
FIT_PERIODS = 2.2
"""Length of each fitting transient, in periods of its oscillator (>= 2 upward crossings)."""
FIT_KIND = "fitted-oscillators"
CALIBRATION_KIND = "phase-calibration"


def fit_netlist(params: OscillatorParameters, edge: int, supply_v: float) -> str:
    """One oscillator of a board on an ideal supply, integrated as on the board (gear)."""
    lines = [f"* oscillator phase fit, edge {edge}", ".options method=gear"]
    lines += [path.read_text() for path in library_files()]
    lines.append(f"Vdd vdd 0 {float(supply_v)!r}")
    lines.append(oscillator_instance(edge, "osc", params, "vdd", "0", supply_v=supply_v))
    return "\n".join(lines) + "\n.end\n"


def fitted_oscillators(
    params: OscillatorParameters,
    supply_v: float = 5.0,
    steps_per_period: int = FIT_STEPS_PER_PERIOD,
    about: dict | None = None,
) -> OscillatorParameters:
    """Oscillator parameters whose phase model follows the ngspice oscillators.

    Each oscillator runs alone (its own time grid, largest step its period /
    ``steps_per_period``) for :data:`FIT_PERIODS` periods from the board's initial conditions.
    The result is cached per process and on disk (see the module docstring); a cached result
    is the computed one, bit for bit (JSON keeps every float exactly).

    Parameters
    ----------
    params
        The board's oscillators (phases at time 0).
    supply_v
        Their supply span (V).
    steps_per_period
        Time steps per period of the fitting transients.
    about
        Description of the board (network, tolerance, seed) stored beside a new cache entry
        for people reading the cache folder; not part of the key.

    Returns
    -------
    OscillatorParameters
        Same resistors and thresholds; capacitors scaled by simulated / formula period and
        phases at time 0 moved so that the upward mid-swing crossings fall where simulated.
    """
    key = json.dumps([params.to_dict(), float(supply_v), int(steps_per_period)])
    return _fitted(key, json.dumps(about))


@lru_cache(maxsize=32)
def _fitted(key: str, about: str = "null") -> OscillatorParameters:
    data, supply_v, steps = json.loads(key)
    params = OscillatorParameters.from_dict(data)
    from coupled.spice.session import get_session

    session = get_session()
    inputs = {
        "oscillators": data,
        "supply_v": supply_v,
        "steps_per_period": steps,
        "fit_periods": FIT_PERIODS,
        "parts": parts_digest(),
        "ngspice": session.version,
    }
    disk_key = cache.cache_key(FIT_KIND, inputs)
    stored = cache.load(FIT_KIND, disk_key)
    if stored is not None:
        try:
            fitted = OscillatorParameters.from_dict(stored)
            if fitted.n_edges != params.n_edges:
                raise UserError("cached fit: wrong number of oscillators")
            return fitted
        except (UserError, TypeError, ValueError):
            cache.reject()
    fitted = _fit_all(params, supply_v, steps, session)
    cache.store(FIT_KIND, disk_key, fitted.to_dict(), about=json.loads(about))
    return fitted


def parts_digest() -> str:
    """SHA-256 of the oscillator parts' netlist text (a changed part is a changed design)."""
    digest = hashlib.sha256()
    for path in library_files():
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _fit_all(params: OscillatorParameters, supply_v: float, steps: int, session):
    name = "oscillator-phase-fit"
    scale = np.empty(params.n_edges)
    phase = np.empty(params.n_edges)
    import sys

    from tqdm import tqdm

    bar = tqdm(
        range(params.n_edges),
        desc="fitting oscillators (cached afterwards)",
        unit="edge",
        disable=None,  # on a terminal only
        file=sys.stderr,
        leave=False,
    )
    try:
        for e in bar:
            one = params.select([e])
            period = float(one.period_s[0])
            session.load(fit_netlist(params, e, supply_v), name=name)
            out = session.tran(
                period / steps,
                FIT_PERIODS * period,
                max_step_s=period / steps,
                uic=True,
                names=["time", "v(osc)"],
            )
            scale[e], phase[e] = _fit_one(one, out["time"], out["v(osc)"] / supply_v, e)
    finally:
        bar.close()
        session.remove(name)
    return OscillatorParameters(
        r_ohm=params.r_ohm,
        c_f=params.c_f * scale,
        low_fraction=params.low_fraction,
        high_fraction=params.high_fraction,
        phase_fraction=phase,
    )


def _fit_one(one: OscillatorParameters, t: np.ndarray, x: np.ndarray, edge: int):
    """(period scale, phase at time 0) from the upward crossings of mid-swing."""
    level = 0.5 * (one.low_fraction[0] + one.high_fraction[0])
    up = np.flatnonzero((x[:-1] < level) & (x[1:] >= level))
    if up.size < 2:
        raise SpiceError(f"oscillator phase fit: edge {edge} crossed mid-swing {up.size} times")
    crossings = t[up] + (level - x[up]) / (x[up + 1] - x[up]) * (t[up + 1] - t[up])
    period = float(np.mean(np.diff(crossings)))
    # Phase (fraction of a period) at which the model waveform crosses `level` upward.
    low = one.low_fraction[0]
    crossing_phase = np.log((1 - low) / (1 - level)) * one.tau_s[0] / one.period_s[0]
    return period / float(one.period_s[0]), float(np.mod(crossing_phase - crossings[0] / period, 1))


def phase_calibration(
    params: OscillatorParameters,
    trigger_period_s: float,
    supply_v: float = 5.0,
    n_bias: int = 81,
    n_triggers: int = 4000,
) -> Calibration:
    """p against the bias for these oscillators sampled every ``trigger_period_s``.

    Enable events from the phase model (the fast scheme's enable mechanism), ``n_triggers``
    per bias on ``n_bias`` points from below every oscillator's minimum to above every
    maximum; see :func:`coupled.calibration.p_against_bias`.
    """
    key = json.dumps(
        [params.to_dict(), float(trigger_period_s), float(supply_v), n_bias, n_triggers]
    )
    return _calibration(key)


@lru_cache(maxsize=32)
def _calibration(key: str) -> Calibration:
    disk_key = cache.cache_key(CALIBRATION_KIND, json.loads(key))
    stored = cache.load(CALIBRATION_KIND, disk_key)
    if stored is not None:
        try:
            return Calibration.from_dict(stored)
        except (UserError, TypeError, ValueError, KeyError):
            cache.reject()
    calibration = _compute_calibration(key)
    cache.store(CALIBRATION_KIND, disk_key, calibration.to_dict())
    return calibration


def _compute_calibration(key: str) -> Calibration:
    data, period, supply_v, n_bias, n_triggers = json.loads(key)
    params = OscillatorParameters.from_dict(data)
    grid = bias_grid(params, n_bias, supply_v)
    events = simulate_events(params, grid, period, n_triggers, supply_v=supply_v, source="phase")
    table = p_against_bias(events, grid, params, supply_v)
    meta = {
        "events": "phase model of the oscillators fitted to ngspice (circuit engine)",
        "trigger_period_s": period,
        "n_triggers": n_triggers,
        "oscillators": params.to_dict(),
    }
    return calibration_from_table(table, supply_v, meta)
