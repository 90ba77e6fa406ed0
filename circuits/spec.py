"""The board as one model: :class:`BoardSpec` and the one factory :func:`draw_board`.

A :class:`BoardSpec` says once what a board is: the network (built-in name or file) with its
node roles, the real part chosen for every role (:mod:`coupled.circuits.parts`), the sense gain,
the supply, the trigger scheme and timing, the tap range, the part spread (``tolerance``), the
comparator offset range and the board seed. It is frozen and plain (``to_dict`` /
``from_dict``); :meth:`BoardSpec.key` is a short digest that names the board in result files (a
calibration is matched to a board by it).

:func:`draw_board` turns a specification into the drawn board (:class:`DrawnBoard`: the design,
the drawn parameters and the parts): the netlist (``coupled netlist``), the electrical rule
check, the calibration, the circuit engine and the board twins all obtain their board here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

import numpy as np

from coupled.circuits.design import (
    DEFAULT_COMPARATOR_OFFSET_V,
    MAX_TOLERANCE,
    BoardDesign,
    BoardParameters,
    draw_board_parameters,
)
from coupled.circuits.latch import LatchModel
from coupled.circuits.parts import PartSet
from coupled.core.errors import ParameterError, UserError
from coupled.core.options import is_whole
from coupled.physics import rules, sensing
from coupled.physics.networks import Network

_TIMING = BoardDesign()


def _roles(value) -> tuple | None:
    if value is None:
        return None
    return tuple(int(v) if isinstance(v, int | np.integer) else str(v) for v in value)


@dataclass(frozen=True)
class BoardSpec:
    """Everything that defines one drawn board (see the module docstring; SI units).

    Parameters
    ----------
    network
        Built-in network name or network file (as ``--network`` takes it).
    inputs, outputs, grounds
        Node roles (indices or names); None: the task's or the network's own.
    parts
        Role -> part number for the roles that differ from the default board (any role of
        :data:`coupled.circuits.parts.ROLES`); stored for every role after checking.
    sense_gain
        Gain of the sense stages (V/V).
    vdd_v, vss_v
        Supply rails (V).
    trigger, mode, nudge
        Trigger scheme (``global``, ``self``), board mode (``full``, ``op``) and nudge variant
        (``analog``, ``ideal``).
    trigger_low_s, trigger_time_s, trigger_width_s, trigger_edge_s
        Trigger timing of the full board (s; :class:`coupled.circuits.design.BoardDesign`).
    r_min_ohm, r_max_ohm
        Resistance of tap 0 and of the last tap (ohm).
    tolerance
        Relative spread of every drawn part, in [0, 0.5).
    comparator_offset_v
        Decision comparator offsets are uniform on [0, comparator_offset_v] (V).
    board_seed
        Seed of the board's draws.
    """

    network: str = "experiment16"
    inputs: tuple | None = None
    outputs: tuple | None = None
    grounds: tuple | None = None
    parts: Mapping[str, str] = field(default_factory=dict)
    sense_gain: float = sensing.DEFAULT_SENSE_GAIN
    vdd_v: float = _TIMING.vdd_v
    vss_v: float = _TIMING.vss_v
    trigger: str = "global"
    mode: str = "full"
    nudge: str = "analog"
    trigger_low_s: float = _TIMING.trigger_low_s
    trigger_time_s: float = _TIMING.trigger_time_s
    trigger_width_s: float = _TIMING.trigger_width_s
    trigger_edge_s: float = _TIMING.trigger_edge_s
    r_min_ohm: float = rules.DEFAULT_R_MIN_OHM
    r_max_ohm: float = rules.DEFAULT_R_MAX_OHM
    tolerance: float = 0.05
    comparator_offset_v: float = DEFAULT_COMPARATOR_OFFSET_V
    board_seed: int = 0

    def __post_init__(self) -> None:
        parts = PartSet.from_mapping(dict(self.parts or {}))
        object.__setattr__(self, "parts", parts.to_dict())
        for name in ("inputs", "outputs", "grounds"):
            object.__setattr__(self, name, _roles(getattr(self, name)))
        object.__setattr__(self, "network", str(self.network))
        if not np.isfinite(self.tolerance) or not 0 <= self.tolerance < MAX_TOLERANCE:
            raise ParameterError(
                f"{{tolerance}} {self.tolerance!r}: must be in [0, {MAX_TOLERANCE})", "tolerance"
            )
        if not np.isfinite(self.comparator_offset_v) or self.comparator_offset_v < 0:
            raise ParameterError(
                f"{{comparator_offset_v}} {self.comparator_offset_v!r}: must be >= 0 V",
                "comparator_offset_v",
            )
        if (
            isinstance(self.board_seed, bool)
            or not is_whole(self.board_seed)
            or self.board_seed < 0
        ):
            raise ParameterError(
                f"{{board_seed}} {self.board_seed!r}: must be a whole number >= 0", "board_seed"
            )
        object.__setattr__(self, "board_seed", int(self.board_seed))
        self.design()  # checks supply, timing, gain, trigger, mode, nudge

    # -- the parts and the design ---------------------------------------------------------------
    @property
    def part_set(self) -> PartSet:
        """The chosen part of every role."""
        return PartSet.from_mapping(self.parts)

    @property
    def n_taps(self) -> int:
        """Tap count of the board's pots (from the pot part)."""
        return self.part_set.pot.n_taps

    def design(self, *, latch: LatchModel | None = None) -> BoardDesign:
        """The board's design: part models, supply, trigger (``latch``: an engine's latch model)."""
        parts = self.part_set
        drop, sense = parts.drop_amp.model(), parts.sense_amp.model()
        return BoardDesign(
            pot=parts.pot.model(self.r_min_ohm, self.r_max_ohm),
            comparator=parts.comparator.model(),
            latch=LatchModel() if latch is None else latch,
            vdd_v=self.vdd_v,
            vss_v=self.vss_v,
            nudge=self.nudge,
            mode=self.mode,
            trigger_low_s=self.trigger_low_s,
            trigger_time_s=self.trigger_time_s,
            trigger_width_s=self.trigger_width_s,
            trigger_edge_s=self.trigger_edge_s,
            sense_gain=sensing.check_sense_gain(self.sense_gain),
            diffamp=drop,
            trigger=self.trigger,
            sense_diffamp=None if sense == drop else sense,
            parts=parts,
        )

    # -- plain form ----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain-JSON form (every field; ``parts`` for every role)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["parts"] = dict(self.parts)
        for name in ("inputs", "outputs", "grounds"):
            if data[name] is not None:
                data[name] = list(data[name])
        return data

    @classmethod
    def from_dict(cls, data: Mapping) -> BoardSpec:
        """Inverse of :meth:`to_dict`; ``UserError`` names an unknown key."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UserError(f"board_spec key {unknown[0]!r}: unknown; allowed: {sorted(known)}")
        return cls(**dict(data))

    def key(self) -> str:
        """A 16-hex-digit digest of :meth:`to_dict` (names the board in result files)."""
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def __hash__(self) -> int:
        return hash(self.key())

    def with_(self, **changes) -> BoardSpec:
        """A copy with ``changes`` (checked again)."""
        return replace(self, **changes)


@dataclass(frozen=True, eq=False)
class DrawnBoard:
    """A specification drawn: its network, design, drawn parameters and parts."""

    spec: BoardSpec
    network: Network
    design: BoardDesign
    parameters: BoardParameters

    @property
    def parts(self) -> PartSet:
        """The chosen part of every role."""
        return self.design.part_set

    def record(self) -> dict:
        """What result files record: the specification and its key."""
        return {"board_spec": self.spec.to_dict(), "board_spec_key": self.spec.key()}


def draw_board(
    spec: BoardSpec,
    network: Network | None = None,
    *,
    latch: LatchModel | None = None,
) -> DrawnBoard:
    """The board of ``spec``: its design and the drawn spread of every part.

    Parameters
    ----------
    spec
        The board specification.
    network
        The network already loaded (must be ``spec.network``'s); loaded from the spec if None.
    latch
        Latch model of an engine that needs another hold time (the circuit engine's).

    Returns
    -------
    DrawnBoard
    """
    if network is None:
        from coupled.physics.catalogue import load_network

        network = load_network(spec.network)
    design = spec.design(latch=latch)
    parameters = draw_board_parameters(
        network,
        spec.tolerance,
        spec.board_seed,
        comparator_offset_v=spec.comparator_offset_v,
        pot_model=design.pot,
        diffamp_model=design.diffamp,
        sense_model=design.sense_diffamp,
    )
    return DrawnBoard(spec=spec, network=network, design=design, parameters=parameters)


__all__ = ["BoardSpec", "DrawnBoard", "draw_board"]
