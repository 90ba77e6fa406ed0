"""Engine options of the board: the set every board engine shares, and the circuit engine's own.

:data:`BOARD_OPTIONS` (part spread, seed, trigger period, calibration, phase model, jitter,
supply) are
the options with which the ``circuit`` engine draws and times its board; the ``ideal`` and
``spice`` engines take the same names and defaults for their board twin
(:mod:`coupled.engines.board.twin`), so one command line describes one board whichever engine
runs it. :data:`CIRCUIT_OPTIONS` adds what only the circuit simulation has (golden mode, the
fast windows, restarts). :mod:`coupled.engines.board.decision` holds the decision chain's
options (comparator noise, offset trimming, wiring). The checks raise
:class:`~coupled.core.errors.UserError` with one line naming the bad value and what is allowed.
"""

from __future__ import annotations

from pathlib import Path

from coupled.circuits.jitter import DEFAULT_JITTER, check_jitter
from coupled.circuits.oscillator import DEFAULT_SUPPLY_V
from coupled.core.errors import ParameterError, engine_option, named
from coupled.core.options import check_range, is_whole
from coupled.engines.board.decision import DECISION_OPTIONS, check_decision_options

PHASE_MODELS = ("fitted", "formula")
"""``phase_model``: oscillators fitted to ngspice transients, or the RC formula."""
OSCILLATOR_MODES = ("held", "released")
"""``fast_oscillators``: see :class:`coupled.engines.board.session.FastTiming`."""
BOARD_OPTIONS: dict = {
    "tolerance": 0.05,
    "board_seed": 0,
    "trigger_period_s": 50e-6,
    "calibration": None,
    "phase_model": "fitted",
    "jitter": DEFAULT_JITTER,
    "supply_v": DEFAULT_SUPPLY_V,
    **DECISION_OPTIONS,
}
"""Options of the board shared by every engine, with their defaults (``supply_v``: the single
supply rail ``vdd`` in volts, ``--supply-v``; the logic threshold, the amplifiers' reference and
the oscillators' swing follow it; the last five: :mod:`coupled.engines.board.decision`)."""
SUPPLY_LIMITS_V = (1.0, 15.0)
"""``supply_v`` accepted by the option check; the parts' ratings (``coupled check-board``) say
whether a supply is inside their operating range (2.7-5.5 V for the pots)."""
CIRCUIT_OPTIONS: dict = {
    **BOARD_OPTIONS,
    "golden": False,
    "window_s": 20e-9,
    "restart_every": 500,
    "trigger_width_s": 1e-6,
    "golden_steps_per_period": 5000,
    "fast_oscillators": "held",
}
"""The circuit engine's options, with their defaults (``docs/engines.md``)."""


def _one_of(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        option = engine_option(name)
        raise ParameterError(
            f"{named(option)}={value!r}: must be one of {', '.join(allowed)}", option
        )


def _whole(name: str, value: object, low: int) -> None:
    if not is_whole(value) or value < low:
        option = engine_option(name)
        raise ParameterError(f"{named(option)}={value!r}: must be a whole number >= {low}", option)


def check_board_options(merged: dict) -> dict:
    """Check the board options in ``merged`` (an engine's options with defaults filled in).

    Raises
    ------
    UserError
        Naming the bad value and what is allowed.
    """
    check_range(engine_option("tolerance"), merged["tolerance"], 0.0, 0.5, high_open=True)
    check_range(engine_option("trigger_period_s"), merged["trigger_period_s"], 0.0, low_open=True)
    check_jitter(merged["jitter"], engine_option("jitter"))
    check_range(engine_option("supply_v"), merged["supply_v"], *SUPPLY_LIMITS_V)
    _whole("board_seed", merged["board_seed"], 0)
    _one_of("phase_model", merged["phase_model"], PHASE_MODELS)
    check_decision_options(merged)
    calibration = merged["calibration"]
    if calibration is not None and not isinstance(calibration, str | Path):
        option = engine_option("calibration")
        raise ParameterError(f"{named(option)}={calibration!r}: must be a file path", option)
    return merged


def check_circuit_options(merged: dict) -> dict:
    """Check the circuit engine's options in ``merged`` (defaults filled in).

    Raises
    ------
    UserError
        Naming the bad value and what is allowed.
    """
    check_board_options(merged)
    for name in ("window_s", "trigger_width_s"):
        check_range(engine_option(name), merged[name], 0.0, low_open=True)
    _whole("restart_every", merged["restart_every"], 1)
    _whole("golden_steps_per_period", merged["golden_steps_per_period"], 10)
    if not isinstance(merged["golden"], bool):
        option = engine_option("golden")
        raise ParameterError(f"{named(option)}={merged['golden']!r}: must be true or false", option)
    _one_of("fast_oscillators", merged["fast_oscillators"], OSCILLATOR_MODES)
    if merged["trigger_width_s"] >= merged["trigger_period_s"]:
        width, period = engine_option("trigger_width_s"), engine_option("trigger_period_s")
        raise ParameterError(
            f"{named(width)}={merged['trigger_width_s']!r}: must be shorter than "
            f"{named(period)}={merged['trigger_period_s']!r}",
            width,
            period,
        )
    return merged
