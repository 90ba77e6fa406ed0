"""The board an engine runs: one specification, one draw, one calibration check.

The circuit engine (:mod:`coupled.engines.circuit`) and the board twins
(:mod:`coupled.engines.board.twin`, :mod:`coupled.engines.board.eventtwin`) obtain their board
here, so that the twin is the circuit engine's board by construction: :func:`board_spec` makes the
:class:`~coupled.circuits.spec.BoardSpec` of a run (network, parts, sense gain, tap range,
comparator offsets, trigger, and the board options ``tolerance`` and ``board_seed``) and
:func:`engine_board` draws it (:func:`coupled.circuits.spec.draw_board`), applies the
comparator offset trim (``offset_trim_v``) and the self-triggered board's rate trim, fits the
oscillators of the phase model, checks a given calibration against the board and reads the bias
for p.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from coupled.circuits.design import BoardDesign, BoardParameters
from coupled.circuits.latch import LatchModel
from coupled.circuits.oscillator import OscillatorParameters
from coupled.circuits.spec import BoardSpec, DrawnBoard, draw_board
from coupled.core.errors import ParameterError, engine_option, named
from coupled.engines.board.curve import (
    Calibration,
    bias_for_p,
    check_same_oscillators,
    load_calibration,
)
from coupled.engines.board.decision import trimmed_parameters
from coupled.engines.board.phase import fitted_oscillators, phase_calibration
from coupled.engines.board.selftrigger import rate_trimmed, self_bias_v
from coupled.physics.networks import Network

SPEC_CALIBRATION_FIELDS = ("tolerance", "board_seed")
"""Fields of the board specification a calibration must share with the board it is used on
(with the oscillator part and the edge count): what the oscillators are drawn from."""


def board_spec(config: Any, options: dict) -> BoardSpec:
    """The board specification of a run.

    Parameters
    ----------
    config
        The run's settings: an object with ``network`` (name, file or ``Network``; the spec
        records a ``Network``'s name), ``parts`` (optional), ``sense_gain``,
        ``r_min_ohm``, ``r_max_ohm``, ``sigma_v`` (the comparator offset range, V) and
        ``trigger`` (a :class:`coupled.training.TrainConfig` has them).
    options
        The board options (``tolerance``, ``board_seed``, ``supply_v``), checked.
    """
    network = config.network
    return BoardSpec(
        network=network.name if isinstance(network, Network) else str(network),
        parts=dict(getattr(config, "parts", None) or {}),
        sense_gain=config.sense_gain,
        r_min_ohm=config.r_min_ohm,
        r_max_ohm=config.r_max_ohm,
        comparator_offset_v=config.sigma_v,
        trigger=getattr(config, "trigger", "global"),
        mode="full",
        vdd_v=float(options.get("supply_v", BoardSpec.vdd_v)),
        tolerance=options["tolerance"],
        board_seed=options["board_seed"],
    )


@dataclass(frozen=True, eq=False)
class EngineBoard:
    """The drawn board of a run with its phase model, calibration and bias.

    ``design.trigger`` is ``"global"``: the engines step the self-triggered board event by
    event on the clocked board's netlist (the specification keeps the run's trigger).
    """

    drawn: DrawnBoard
    design: BoardDesign
    parameters: BoardParameters
    oscillators: OscillatorParameters
    calibration: Calibration | None
    bias_v: float

    @property
    def spec(self) -> BoardSpec:
        """The board specification."""
        return self.drawn.spec


def _check_calibration(calibration: Calibration, spec: BoardSpec, nominal, path) -> None:
    """Refuse a calibration of other oscillators, or of a board whose specification differs in
    what the oscillators are drawn from (``SPEC_CALIBRATION_FIELDS``, the oscillator part)."""
    check_same_oscillators(calibration, nominal, path, spec.tolerance, spec.board_seed)
    recorded = calibration.meta.get("board_spec")
    if not isinstance(recorded, dict):
        return
    mine = spec.to_dict()
    differ = {
        k: (recorded[k], mine[k])
        for k in SPEC_CALIBRATION_FIELDS
        if k in recorded and recorded[k] != mine[k]
    }
    oscillator = (recorded.get("parts") or {}).get("oscillator")
    if oscillator not in (None, mine["parts"]["oscillator"]):
        differ["oscillator part"] = (oscillator, mine["parts"]["oscillator"])
    if differ:
        option = engine_option("calibration")
        text = "; ".join(f"{k} {a!r} there, {b!r} here" for k, (a, b) in differ.items())
        raise ParameterError(
            f"{named(option)}={str(path)!r}: made for other oscillators than this board's "
            f"({text}); calibrate this board (coupled calibrate with its parts, board seed and "
            "tolerance)",
            option,
        )


def engine_board(
    network: Network,
    spec: BoardSpec,
    options: dict,
    p: float,
    example_period_s: float | None,
    *,
    latch: LatchModel | None = None,
    parameters: BoardParameters | None = None,
) -> EngineBoard:
    """Draw ``spec`` for an engine and set its bias for ``p`` (see the module docstring).

    Parameters
    ----------
    network
        The loaded network of ``spec``.
    spec
        The board specification (:func:`board_spec`).
    options
        The board options (``trigger_period_s``, ``calibration``, ``phase_model``,
        ``offset_trim_v``: the comparator offset trim of :mod:`coupled.engines.board.decision`),
        checked.
    p
        Update probability (clocked board) or mean firings per example period (self-triggered).
    example_period_s
        The self-triggered board's example period (s).
    latch
        The engine's latch model (the circuit engine's 1 fF hold).
    parameters
        Parts given instead of the spec's draw (a yield study's board,
        :mod:`coupled.sweep.yields`); the design is still the spec's.
    """
    drawn = draw_board(spec, network, latch=latch)
    if parameters is not None:
        drawn = replace(drawn, parameters=parameters)
    design = replace(drawn.design, trigger="global")
    parameters = trimmed_parameters(drawn.parameters, design, options.get("offset_trim_v"))
    self_triggered = spec.trigger == "self"
    if self_triggered:  # the board-wide rate trim of --example-period-s (selftrigger.py)
        parameters = rate_trimmed(parameters, float(p), example_period_s)
    nominal, swing = parameters.oscillators, design.swing_v
    if options["phase_model"] == "fitted":
        about = {
            "network": network.name,
            "n_edges": network.n_edges,
            "tolerance": spec.tolerance,
            "board_seed": spec.board_seed,
        }
        oscillators = fitted_oscillators(nominal, swing, about=about)
    else:
        oscillators = nominal
    if self_triggered:  # edges fire on their own crossings of a mid-supply bias
        calibration, bias = None, self_bias_v(design.vss_v, design.vdd_v)
    else:
        path = options["calibration"]
        if path is None:
            calibration = phase_calibration(oscillators, options["trigger_period_s"], swing)
        else:
            calibration = load_calibration(path)
            _check_calibration(calibration, spec, nominal, path)
        bias = bias_for_p(float(p), calibration)
    return EngineBoard(
        drawn=drawn,
        design=design,
        parameters=parameters,
        oscillators=oscillators,
        calibration=calibration,
        bias_v=bias,
    )


__all__ = ["EngineBoard", "board_spec", "engine_board"]
