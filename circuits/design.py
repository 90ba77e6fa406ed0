"""The board's design and its drawn parts: :class:`BoardDesign`, :class:`BoardParameters`.

:class:`BoardDesign` holds the part models, supply rails, sensing gain, nudge variant and trigger
timing (everything but the random spread); :func:`draw_board_parameters` draws the spread of every
part from a seed (streams ``SeedSequence(seed).spawn(...)``: pots, comparators, oscillators,
amplifiers). :mod:`coupled.circuits.board` turns both into a netlist (``build_board``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from coupled.circuits import diffamp, nudge, oscillator
from coupled.circuits.comparator import ComparatorModel
from coupled.circuits.diffamp import DiffampModel
from coupled.circuits.latch import LatchModel
from coupled.circuits.oscillator import OscillatorParameters
from coupled.circuits.parts import PartSet, default_part
from coupled.circuits.pot import PotModel
from coupled.core.errors import UserError
from coupled.physics import rules, sensing
from coupled.physics.networks import Network

MODES = ("full", "op")
TRIGGERS = ("global", "self")
"""``trigger``: ``global`` (one trigger line ``VTRIG`` for every edge) or ``self`` (no trigger
line: each edge's one-shot on its own oscillator's edge, :mod:`coupled.circuits.oneshot`)."""
MAX_TOLERANCE = oscillator.MAX_TOLERANCE
DEFAULT_COMPARATOR_OFFSET_V = rules.DEFAULT_SIGMA_V


def default_pot() -> PotModel:
    """The default pot part with its taps on the discrete rule's range (``physics.rules``)."""
    return default_part("pot").model(rules.DEFAULT_R_MIN_OHM, rules.DEFAULT_R_MAX_OHM)


@dataclass(frozen=True)
class BoardDesign:
    """Part models, supply and trigger timing of a board (everything but the random spread).

    Parameters
    ----------
    pot, comparator, latch
        Models shared by all parts of a kind.
    vdd_v, vss_v
        Logic supply rails (V); logic 1 is ``vdd_v``, the logic threshold mid-supply.
    nudge
        ``"analog"`` (nudge summers) or ``"ideal"`` (clamp sources set by the engine).
    mode
        ``"full"`` (with oscillators and enables) or ``"op"`` (decision path only).
    trigger_low_s, trigger_time_s, trigger_width_s, trigger_edge_s
        ``full`` mode trigger: high until ``trigger_low_s``, one pulse of ``trigger_width_s`` at
        ``trigger_time_s``, edges of ``trigger_edge_s`` (s).
    sense_gain
        Gain G of the sense stages ``XSENA``/``XSENB`` (V/V; :mod:`coupled.circuits.diffamp`).
    diffamp
        Model of the difference amplifiers.
    pull_up_ohm
        Pull-up resistor (to ``vdd``) of every open-collector comparator output (ohm).
    trigger
        ``"global"`` (the trigger line) or ``"self"`` (``full`` mode: no trigger line; each
        edge's latches are gated by a one-shot of ``trigger_width_s`` from its own enable).
    sense_diffamp
        Model of the sense stages ``XSENA``/``XSENB`` when it differs from ``diffamp`` (the
        drop stages'); None: the same.
    parts
        The real parts of every role (:class:`coupled.circuits.parts.PartSet`; None: the
        default board's), for the parts list, the ratings and the power budget. The models
        above are what the netlist is written from; :func:`coupled.circuits.spec.draw_board`
        makes both from one board specification.
    """

    pot: PotModel = field(default_factory=default_pot)
    comparator: ComparatorModel = field(default_factory=ComparatorModel)
    latch: LatchModel = field(default_factory=LatchModel)
    vdd_v: float = 5.0
    vss_v: float = 0.0
    nudge: str = "analog"
    mode: str = "full"
    trigger_low_s: float = 1e-6
    trigger_time_s: float = 25e-6
    trigger_width_s: float = 1e-6
    trigger_edge_s: float = 10e-9
    sense_gain: float = sensing.DEFAULT_SENSE_GAIN
    diffamp: DiffampModel = field(default_factory=DiffampModel)
    pull_up_ohm: float = 10_000.0
    trigger: str = "global"
    sense_diffamp: DiffampModel | None = None
    parts: PartSet | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "sense_gain", sensing.check_sense_gain(self.sense_gain))
        if not np.isfinite(self.pull_up_ohm) or self.pull_up_ohm <= 0:
            raise UserError(f"pull_up_ohm {self.pull_up_ohm!r}: must be a positive number of ohm")
        if self.nudge not in nudge.VARIANTS:
            raise UserError(f"nudge {self.nudge!r}: must be one of {', '.join(nudge.VARIANTS)}")
        if self.trigger not in TRIGGERS:
            raise UserError(f"trigger {self.trigger!r}: must be one of {', '.join(TRIGGERS)}")
        if self.mode not in MODES:
            raise UserError(f"board mode {self.mode!r}: must be one of {', '.join(MODES)}")
        if not (np.isfinite(self.vdd_v) and np.isfinite(self.vss_v) and self.vdd_v > self.vss_v):
            raise UserError(f"supply {self.vss_v!r}..{self.vdd_v!r} V: need vss_v < vdd_v")
        times = (self.trigger_low_s, self.trigger_time_s, self.trigger_width_s, self.trigger_edge_s)
        if not all(np.isfinite(t) and t > 0 for t in times) or not (
            self.trigger_low_s + self.trigger_edge_s < self.trigger_time_s
            and 2 * self.trigger_edge_s < self.trigger_width_s
        ):
            raise UserError(
                f"trigger timing {times!r} s: need positive times, trigger_low_s + edge < "
                "trigger_time_s and 2 edges < trigger_width_s"
            )

    @property
    def swing_v(self) -> float:
        """Logic swing ``vdd - vss`` (V)."""
        return self.vdd_v - self.vss_v

    @property
    def threshold_v(self) -> float:
        """Logic threshold, mid-supply (V)."""
        return 0.5 * (self.vdd_v + self.vss_v)

    @property
    def reference_v(self) -> float:
        """Reference of the difference amplifiers, mid-supply (V)."""
        return 0.5 * (self.vdd_v + self.vss_v)

    @property
    def amplifier_swing_v(self) -> tuple[float, float]:
        """Output swing (low, high) of the difference amplifiers, the drop stages' (V)."""
        margin = self.diffamp.swing_margin_v
        return (self.vss_v + margin, self.vdd_v - margin)

    @property
    def sense_amp(self) -> DiffampModel:
        """Model of the sense stages."""
        return self.diffamp if self.sense_diffamp is None else self.sense_diffamp

    @property
    def sense_swing_v(self) -> tuple[float, float]:
        """Output swing (low, high) of the sense stages (V)."""
        margin = self.sense_amp.swing_margin_v
        return (self.vss_v + margin, self.vdd_v - margin)

    @property
    def part_set(self) -> PartSet:
        """The real parts of every role (the default board's when ``parts`` is None)."""
        return PartSet.from_mapping() if self.parts is None else self.parts

    def sense_chain(self) -> sensing.SenseChain:
        """The sensing stage as the rule sees it (:mod:`coupled.physics.sensing`)."""
        return sensing.SenseChain(self.sense_gain, self.swing_v, self.diffamp.swing_margin_v)

    def to_dict(self) -> dict:
        """Plain values, for result files (``sense_diffamp`` and ``parts`` only when set and
        not the default board's)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("pot", "comparator", "latch", "diffamp"):
            data[name] = data[name].to_dict()
        sense, parts = data.pop("sense_diffamp"), data.pop("parts")
        if sense is not None:
            data["sense_diffamp"] = sense.to_dict()
        if parts is not None and not parts.is_default:
            data["parts"] = parts.to_dict()
        return data


def _frozen(values: np.ndarray, name: str, n_edges: int) -> np.ndarray:
    array = np.array(values, dtype=float)
    if array.shape != (n_edges,) or not np.all(np.isfinite(array)):
        raise UserError(f"board {name}: need {n_edges} finite values, got shape {array.shape}")
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class BoardParameters:
    """The drawn values of every part of one board (per-edge arrays, shape (E,)).

    Parameters
    ----------
    r_ab_free_ohm, r_ab_clamped_ohm
        End-to-end resistance of each potentiometer (ohm), free and clamped twin.
    r_series_free_ohm, r_series_clamped_ohm
        Series resistor of each potentiometer (ohm); zeros when the pot has none.
    offset_a_v, offset_b_v
        Input offsets of the decision comparators ``XCMPA`` and ``XCMPB`` (V).
    oscillators
        The relaxation oscillators (:class:`coupled.circuits.oscillator.OscillatorParameters`).
    tolerance
        Relative spread the values were drawn with (0: ideal parts).
    comparator_offset_v
        Offsets were drawn uniform on ``[0, comparator_offset_v]``.
    seed
        Entropy of the ``SeedSequence`` the draws came from (None when drawn from a caller's
        generator).
    """

    r_ab_free_ohm: np.ndarray
    r_ab_clamped_ohm: np.ndarray
    r_series_free_ohm: np.ndarray
    r_series_clamped_ohm: np.ndarray
    offset_a_v: np.ndarray
    offset_b_v: np.ndarray
    oscillators: OscillatorParameters
    tolerance: float
    comparator_offset_v: float
    seed: int | None = None
    amp_offset_v: np.ndarray | None = None
    amp_gain_error: np.ndarray | None = None

    _ARRAYS = (
        "r_ab_free_ohm",
        "r_ab_clamped_ohm",
        "r_series_free_ohm",
        "r_series_clamped_ohm",
        "offset_a_v",
        "offset_b_v",
    )

    def __post_init__(self) -> None:
        n = np.asarray(self.r_ab_free_ohm).size
        for name in self._ARRAYS:
            object.__setattr__(self, name, _frozen(getattr(self, name), name, n))
        if np.any(self.r_ab_free_ohm <= 0) or np.any(self.r_ab_clamped_ohm <= 0):
            raise UserError("board r_ab: end-to-end resistances must be positive")
        if np.any(self.r_series_free_ohm < 0) or np.any(self.r_series_clamped_ohm < 0):
            raise UserError("board r_series: series resistances must be >= 0")
        if self.oscillators.n_edges != n:
            raise UserError(f"board: {self.oscillators.n_edges} oscillators for {n} edges")
        for name in ("amp_offset_v", "amp_gain_error"):
            value = getattr(self, name)
            array = np.zeros((len(diffamp.STAGES), n)) if value is None else np.array(value, float)
            if array.shape != (len(diffamp.STAGES), n) or not np.all(np.isfinite(array)):
                raise UserError(
                    f"board {name}: need {len(diffamp.STAGES)} x {n} finite values, got shape "
                    f"{array.shape}"
                )
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    @property
    def n_edges(self) -> int:
        """Number of edges, E."""
        return int(self.r_ab_free_ohm.size)

    def to_dict(self) -> dict:
        """Plain values (lists), for result files."""
        data: dict = {name: getattr(self, name).tolist() for name in self._ARRAYS}
        data["oscillators"] = self.oscillators.to_dict()
        data["amp_offset_v"] = self.amp_offset_v.tolist()
        data["amp_gain_error"] = self.amp_gain_error.tolist()
        data.update(
            tolerance=self.tolerance, comparator_offset_v=self.comparator_offset_v, seed=self.seed
        )
        return data

    @classmethod
    def from_dict(cls, data: dict) -> BoardParameters:
        """Inverse of :meth:`to_dict`."""
        values = dict(data)
        values["oscillators"] = OscillatorParameters.from_dict(values["oscillators"])
        return cls(**values)


def draw_board_parameters(
    network: Network | int,
    tolerance: float,
    seed: int | np.random.SeedSequence | np.random.Generator | None = None,
    *,
    comparator_offset_v: float = DEFAULT_COMPARATOR_OFFSET_V,
    pot_model: PotModel | None = None,
    diffamp_model: DiffampModel | None = None,
    sense_model: DiffampModel | None = None,
) -> BoardParameters:
    """Draw the spread of every part of a board.

    Each potentiometer's end-to-end resistance and series resistor is
    ``nominal * (1 + tolerance * u)``, ``u ~ U[-1, 1]`` (a datasheet "+-tolerance"), independently
    for the two twins; each decision comparator's offset is ``U[0, comparator_offset_v]`` (the
    paper's measured bias range); the oscillators come from
    :func:`coupled.circuits.oscillator.draw_oscillators`. The three kinds use three streams spawned
    from
    ``seed``, and each consumes the same numbers whatever the tolerance.

    Parameters
    ----------
    network
        The network (or its number of edges E).
    tolerance
        Relative spread in [0, 0.5); 0 gives ideal, identical parts.
    seed
        An int, a ``SeedSequence`` or a ``Generator`` (whose ``spawn`` gives the streams).
    comparator_offset_v
        Upper bound of the comparator offsets (V), >= 0.
    pot_model
        Nominal potentiometer (default: :func:`default_pot`).
    diffamp_model
        Difference amplifiers (default :class:`coupled.circuits.diffamp.DiffampModel`); their
        offsets
        and gain errors come from a fourth stream
        (:func:`coupled.circuits.diffamp.draw_amplifiers`).
    sense_model
        The sense stages' amplifiers when they differ from ``diffamp_model``.

    Returns
    -------
    BoardParameters
    """
    n_edges = network.n_edges if isinstance(network, Network) else int(network)
    if n_edges < 1:
        raise UserError(f"board edges {n_edges!r}: need at least one edge")
    if not np.isfinite(tolerance) or not 0 <= tolerance < MAX_TOLERANCE:
        raise UserError(f"tolerance {tolerance!r}: must be in [0, {MAX_TOLERANCE})")
    if not np.isfinite(comparator_offset_v) or comparator_offset_v < 0:
        raise UserError(f"comparator offset {comparator_offset_v!r} V: must be >= 0")
    model = default_pot() if pot_model is None else pot_model
    if isinstance(seed, np.random.Generator):
        streams, entropy = seed.spawn(4), None
    else:
        sequence = seed
        if not isinstance(seed, np.random.SeedSequence):
            sequence = np.random.SeedSequence(seed)
        # Child 3 is the task stream of `coupled netlist`; the amplifiers take child 4.
        children = sequence.spawn(5)
        streams = [np.random.default_rng(s) for s in (*children[:3], children[4])]
        entropy = sequence.entropy
    pot_rng, comparator_rng, oscillator_rng, amplifier_rng = streams
    amp_model = DiffampModel() if diffamp_model is None else diffamp_model
    amp_offsets, amp_errors = diffamp.draw_amplifiers(
        n_edges, tolerance, amplifier_rng, amp_model, sense_model
    )
    spread = 1.0 + tolerance * pot_rng.uniform(-1.0, 1.0, size=(4, n_edges))
    offsets = comparator_offset_v * comparator_rng.uniform(0.0, 1.0, size=(2, n_edges))
    return BoardParameters(
        r_ab_free_ohm=model.r_ab_ohm * spread[0],
        r_ab_clamped_ohm=model.r_ab_ohm * spread[1],
        r_series_free_ohm=model.r_series_ohm * spread[2],
        r_series_clamped_ohm=model.r_series_ohm * spread[3],
        offset_a_v=offsets[0],
        offset_b_v=offsets[1],
        oscillators=oscillator.draw_oscillators(n_edges, tolerance, oscillator_rng),
        tolerance=float(tolerance),
        comparator_offset_v=float(comparator_offset_v),
        seed=None if entropy is None else int(entropy),
        amp_offset_v=amp_offsets,
        amp_gain_error=amp_errors,
    )
