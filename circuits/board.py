"""The learning board of the paper's Fig. 3 as one flat ngspice netlist, from any network.

Top level: one subcircuit instance per physical part, named by edge, so the netlist reads as
the board's parts list. For a network with nodes ``v`` (labels from its node names) and edges
``i = (a, b)``:

rails and globals
    ``VDD``, ``VSS`` (logic supply), ``VTRIG`` (trigger / clock, node ``trig``; the latches are
    transparent while it is high) and, with oscillators, ``VBIAS`` (node ``bias``: sets p) and
    ``VOSC`` (node ``vosc``, the oscillators' supply: the same voltage as ``VDD`` on its own
    source, so that a run can hold the oscillators off for an operating point; a relaxation
    oscillator has no stable one and ngspice's gmin stepping takes 20 s on 143 edges).
twin networks
    Free twin nodes ``f_<v>``, clamped twin nodes ``c_<v>``; the two twins share their driven
    nodes: inputs ``in_<v>`` (``VIN_<v>``) and grounds ``gnd_<v>`` (``VGND_<v>``, 0 V). Outputs
    of the clamped twin are held by the nudge (``XNUDGE_<v>`` reading ``f_<v>`` and the target
    ``tgt_<v>`` of ``VTGT_<v>``), or by ``VCLAMP_<v>`` in the ideal variant.
per edge ``i``
    ``XPOTF_i``, ``XPOTC_i`` (digital pots, free and clamped twin; optional series resistors
    ``RSERF_i``, ``RSERC_i``), ``XDIFF_i`` / ``XDIFC_i`` / ``XDIFN_i`` (difference stages:
    ``dvf_i = dV_F``, ``dvc_i = dV_C``, ``dvn_i = -dV_F``), ``XCMPA_i`` (``dvc > dvf``),
    ``XCMPB_i`` (``dvc > dvn``), ``XXOR_i`` and the direction latch ``XLAT_i`` whose ``qb``
    output ``dir_i`` is high when the tap goes up (``[x > y] XNOR [x > -y]``); with oscillators
    also ``XOSC_i`` (waveform ``osc_i``), ``XCMPEN_i`` (``en_i``, high while the oscillator is
    above the bias) and the enable latch ``XLATEN_i`` (``enl_i``, high = the edge moves).

Modes (``BoardDesign.mode``): ``"full"`` is the whole board, for transients (run them with
``uic``: the oscillators start at their drawn phases); the trigger is high at t = 0 (latches
transparent, so the operating point shows the decisions), low from ``trigger_low_s`` and pulses
high once at ``trigger_time_s``. ``"op"`` leaves out the oscillators, enables and bias and holds
the trigger high: one ``op`` evaluates the decision path, for the training engine's operating
point per step (the oscillators then follow the phase model of :mod:`circuits.oscillator`).

Randomness: :func:`draw_board_parameters` draws every part's spread from three independent
streams spawned from one ``SeedSequence`` (pots, comparators, oscillators), so a seed fixes the
board whatever else changes. Comparator offsets and the paper's sigma: see
:mod:`circuits.comparator`.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from functools import cached_property

import numpy as np

from circuits import comparator, diffamp, latch, nudge, oscillator, pot, xor
from circuits.comparator import ComparatorModel
from circuits.diffamp import DiffampModel
from circuits.latch import LatchModel
from circuits.library import inline_library, library_file
from circuits.oscillator import OscillatorParameters
from circuits.pot import PotModel
from coupled.core.errors import UserError
from coupled.core.version import __version__
from coupled.physics import rules, sensing, solver
from coupled.physics.networks import Network
from coupled.spice.numbers import spice_number, spice_text

MODES = ("full", "op")
MAX_TOLERANCE = oscillator.MAX_TOLERANCE
DEFAULT_COMPARATOR_OFFSET_V = rules.DEFAULT_SIGMA_V
_SAFE_LABEL = re.compile(r"[A-Za-z0-9_]+")  # whole names only (fullmatch)


def default_pot() -> PotModel:
    """The pot that puts the taps on the discrete rule's range (``coupled.physics.rules``)."""
    return PotModel.for_range(rules.DEFAULT_R_MIN_OHM, rules.DEFAULT_R_MAX_OHM, rules.N_TAPS)


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
        Gain G of the sense stages ``XSENA``/``XSENB`` (V/V; :mod:`circuits.diffamp`).
    diffamp
        Model of the difference amplifiers.
    pull_up_ohm
        Pull-up resistor (to ``vdd``) of every open-collector comparator output (ohm).
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

    def __post_init__(self) -> None:
        object.__setattr__(self, "sense_gain", sensing.check_sense_gain(self.sense_gain))
        if not np.isfinite(self.pull_up_ohm) or self.pull_up_ohm <= 0:
            raise UserError(f"pull_up_ohm {self.pull_up_ohm!r}: must be a positive number of ohm")
        if self.nudge not in nudge.VARIANTS:
            raise UserError(f"nudge {self.nudge!r}: must be one of {', '.join(nudge.VARIANTS)}")
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
        """Output swing (low, high) of the difference amplifiers (V)."""
        margin = self.diffamp.swing_margin_v
        return (self.vss_v + margin, self.vdd_v - margin)

    def sense_chain(self) -> sensing.SenseChain:
        """The sensing stage as the rule sees it (:mod:`coupled.physics.sensing`)."""
        return sensing.SenseChain(self.sense_gain, self.swing_v, self.diffamp.swing_margin_v)

    def to_dict(self) -> dict:
        """Plain values, for result files."""
        return asdict(self)


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
        The relaxation oscillators (:class:`circuits.oscillator.OscillatorParameters`).
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
) -> BoardParameters:
    """Draw the spread of every part of a board.

    Each potentiometer's end-to-end resistance and series resistor is
    ``nominal * (1 + tolerance * u)``, ``u ~ U[-1, 1]`` (a datasheet "+-tolerance"), independently
    for the two twins; each decision comparator's offset is ``U[0, comparator_offset_v]`` (the
    paper's measured bias range); the oscillators come from
    :func:`circuits.oscillator.draw_oscillators`. The three kinds use three streams spawned from
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
        Difference amplifiers (default :class:`circuits.diffamp.DiffampModel`); their offsets
        and gain errors come from a fourth stream (:func:`circuits.diffamp.draw_amplifiers`).

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
    amp_offsets, amp_errors = diffamp.draw_amplifiers(n_edges, tolerance, amplifier_rng, amp_model)
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


def node_labels(network: Network) -> tuple[str, ...]:
    """Netlist labels of the network's nodes: lower-case names, or ``n<k>`` if names don't fit."""
    names = [name.lower() for name in network.node_names]
    if all(_SAFE_LABEL.fullmatch(n) for n in names) and len(set(names)) == len(names):
        return tuple(names)
    return tuple(f"n{k}" for k in range(network.n_nodes))


@dataclass(frozen=True, eq=False)
class Board:
    """A generated board: its netlist and the names an engine alters and reads.

    Build it with :func:`build_board`. Element names are as ngspice's ``alter`` takes them,
    node names as :meth:`coupled.spice.SpiceSession.op` returns them inside ``v(...)``; the name
    tuples are computed once per board.
    """

    network: Network
    design: BoardDesign
    parameters: BoardParameters
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    grounds: tuple[int, ...]
    eta: float
    taps: np.ndarray
    input_v: np.ndarray
    target_v: np.ndarray
    bias_v: float
    labels: tuple[str, ...]
    netlist: str

    # -- names ----------------------------------------------------------------------------------
    @property
    def n_edges(self) -> int:
        """Number of edges, E."""
        return self.network.n_edges

    def free_node(self, node: int) -> str:
        """Netlist node of network node ``node`` in the free twin."""
        label = self.labels[node]
        if node in self.inputs:
            return f"in_{label}"
        if node in self.grounds:
            return f"gnd_{label}"
        return f"f_{label}"

    def clamped_node(self, node: int) -> str:
        """Netlist node of network node ``node`` in the clamped twin."""
        if node in self.inputs or node in self.grounds:
            return self.free_node(node)
        return f"c_{self.labels[node]}"

    @cached_property
    def tap_elements(self) -> tuple[tuple[str, str], ...]:
        """Per edge, the (free, clamped) resistors that :meth:`tap_alters` sets."""
        return tuple(
            (pot.tap_element(f"XPOTF_{i}"), pot.tap_element(f"XPOTC_{i}"))
            for i in range(self.n_edges)
        )

    @cached_property
    def offset_elements(self) -> tuple[tuple[str, str], ...]:
        """Per edge, the sources holding the offsets of ``XCMPA_i`` and ``XCMPB_i``."""
        return tuple(
            (comparator.offset_element(f"XCMPA_{i}"), comparator.offset_element(f"XCMPB_{i}"))
            for i in range(self.n_edges)
        )

    @cached_property
    def input_sources(self) -> tuple[str, ...]:
        """Sources of the input nodes, in ``inputs`` order."""
        return tuple(f"VIN_{self.labels[v]}" for v in self.inputs)

    @cached_property
    def target_sources(self) -> tuple[str, ...]:
        """Target sources of the analog nudge, in ``outputs`` order (empty for ``ideal``)."""
        if self.design.nudge != "analog":
            return ()
        return tuple(f"VTGT_{self.labels[v]}" for v in self.outputs)

    @cached_property
    def clamp_sources(self) -> tuple[str, ...]:
        """Clamp sources of the ideal nudge, in ``outputs`` order (empty for ``analog``)."""
        if self.design.nudge != "ideal":
            return ()
        return tuple(f"VCLAMP_{self.labels[v]}" for v in self.outputs)

    @property
    def bias_source(self) -> str | None:
        """The global bias source (None in ``op`` mode)."""
        return "VBIAS" if self.design.mode == "full" else None

    trigger_source = "VTRIG"

    @property
    def oscillator_supply_source(self) -> str | None:
        """The oscillators' supply source (None in ``op`` mode)."""
        return "VOSC" if self.design.mode == "full" else None

    @cached_property
    def direction_nodes(self) -> tuple[str, ...]:
        """Per edge, the latched direction node (high = tap up)."""
        return tuple(f"dir_{i}" for i in range(self.n_edges))

    @cached_property
    def enable_nodes(self) -> tuple[str, ...]:
        """Per edge, the latched enable node (high = the edge moves); empty in ``op`` mode."""
        if self.design.mode != "full":
            return ()
        return tuple(f"enl_{i}" for i in range(self.n_edges))

    @cached_property
    def oscillator_nodes(self) -> tuple[str, ...]:
        """Per edge, the oscillator waveform node; empty in ``op`` mode."""
        if self.design.mode != "full":
            return ()
        return tuple(f"osc_{i}" for i in range(self.n_edges))

    # -- values ---------------------------------------------------------------------------------
    def resistance_ohm(self, taps: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Edge resistances (ohm) of the free and clamped twin at ``taps`` (default: initial)."""
        taps = self.taps if taps is None else np.asarray(taps)
        self._check_edges(taps, "taps")
        p, model = self.parameters, self.design.pot
        return (
            model.resistance_ohm(taps, p.r_ab_free_ohm, p.r_series_free_ohm),
            model.resistance_ohm(taps, p.r_ab_clamped_ohm, p.r_series_clamped_ohm),
        )

    def tap_alters(self, taps: np.ndarray) -> dict[str, float]:
        """``alter`` values moving both twins of every edge to ``taps``."""
        taps = np.asarray(taps)
        self._check_edges(taps, "taps")
        p, model = self.parameters, self.design.pot
        free = model.wiper_resistance_ohm(taps, p.r_ab_free_ohm)
        clamped = model.wiper_resistance_ohm(taps, p.r_ab_clamped_ohm)
        values: dict[str, float] = {}
        for (f, c), rf, rc in zip(self.tap_elements, free.tolist(), clamped.tolist(), strict=True):
            values[f] = rf
            values[c] = rc
        return values

    def offset_alters(self, offset_a_v: np.ndarray, offset_b_v: np.ndarray) -> dict[str, float]:
        """``alter`` values setting the decision comparators' offsets (V)."""
        a = np.broadcast_to(np.asarray(offset_a_v, dtype=float), (self.n_edges,))
        b = np.broadcast_to(np.asarray(offset_b_v, dtype=float), (self.n_edges,))
        values: dict[str, float] = {}
        for (ea, eb), va, vb in zip(self.offset_elements, a.tolist(), b.tolist(), strict=True):
            values[ea] = va
            values[eb] = vb
        return values

    def drive_alters(
        self,
        input_v: np.ndarray | None = None,
        target_v: np.ndarray | None = None,
        clamp_v: np.ndarray | None = None,
        bias_v: float | None = None,
    ) -> dict[str, float]:
        """``alter`` values for inputs, targets (analog nudge), clamps (ideal nudge) and bias."""
        values: dict[str, float] = {}
        pairs = (
            (input_v, self.input_sources, "input_v"),
            (target_v, self.target_sources, "target_v"),
            (clamp_v, self.clamp_sources, "clamp_v"),
        )
        for given, sources, what in pairs:
            if given is None:
                continue
            volts = np.asarray(given, dtype=float).ravel()
            if volts.size != len(sources) or not np.all(np.isfinite(volts)):
                raise UserError(
                    f"{what}: need {len(sources)} finite voltages for this board, got {volts.size}"
                )
            values.update(zip(sources, volts.tolist(), strict=True))
        if bias_v is not None:
            if self.bias_source is None:
                raise UserError("bias_v: an 'op' mode board has no bias source")
            values[self.bias_source] = float(spice_number(bias_v, "bias_v"))
        return values

    def directions(self, values: dict[str, float]) -> np.ndarray:
        """Latched directions (+1 up, -1 down, int8) from analysis values ``{"v(node)": V}``."""
        volts = np.array([values[f"v({n})"] for n in self.direction_nodes])
        return np.where(volts > self.design.threshold_v, 1, -1).astype(np.int8)

    def enables(self, values: dict[str, float]) -> np.ndarray:
        """Latched enables (True: the edge moves) from analysis values; ``full`` mode only."""
        if not self.enable_nodes:
            raise UserError("enables: an 'op' mode board has no oscillators or enable latches")
        volts = np.array([values[f"v({n})"] for n in self.enable_nodes])
        return volts > self.design.threshold_v

    def node_v(self, values: dict[str, float], twin: str = "free") -> np.ndarray:
        """Node voltages (V) of the free or clamped twin, in network node order."""
        pick = {"free": self.free_node, "clamped": self.clamped_node}.get(twin)
        if pick is None:
            raise UserError(f"twin {twin!r}: must be 'free' or 'clamped'")
        return np.array([values[f"v({pick(v)})"] for v in range(self.network.n_nodes)])

    def _check_edges(self, array: np.ndarray, what: str) -> None:
        if array.shape != (self.n_edges,):
            raise UserError(f"{what}: need one value per edge ({self.n_edges}), got {array.shape}")

    def config(self) -> dict:
        """Everything the board was built from (JSON-ready), for result files."""
        return {
            "version": __version__,
            "network": self.network.name,
            "nodes": self.network.n_nodes,
            "edges": self.n_edges,
            "inputs": [self.network.node_names[v] for v in self.inputs],
            "outputs": [self.network.node_names[v] for v in self.outputs],
            "grounds": [self.network.node_names[v] for v in self.grounds],
            "input_v": self.input_v.tolist(),
            "target_v": self.target_v.tolist(),
            "eta": self.eta,
            "bias_v": self.bias_v,
            "design": self.design.to_dict(),
            "tolerance": self.parameters.tolerance,
            "comparator_offset_v": self.parameters.comparator_offset_v,
            "seed": self.parameters.seed,
        }


def _roles(
    network: Network, given: tuple | None, own: tuple[int, ...], role: str
) -> tuple[int, ...]:
    nodes = own if given is None else tuple(network.node(v) for v in given)
    if len(set(nodes)) != len(nodes):
        raise UserError(f"{role}: a node is listed twice ({list(nodes)})")
    return nodes


def _volts(values: np.ndarray | list | None, count: int, what: str) -> np.ndarray:
    volts = np.zeros(count) if values is None else np.asarray(values, dtype=float).ravel()
    if volts.shape != (count,) or not np.all(np.isfinite(volts)):
        raise UserError(f"{what}: need {count} finite voltages, got {np.size(values)}")
    return volts


def build_board(
    network: Network,
    parameters: BoardParameters,
    design: BoardDesign | None = None,
    *,
    inputs: tuple[int | str, ...] | None = None,
    outputs: tuple[int | str, ...] | None = None,
    grounds: tuple[int | str, ...] | None = None,
    input_v: np.ndarray | list | None = None,
    target_v: np.ndarray | list | None = None,
    eta: float = 0.5,
    taps: np.ndarray | None = None,
    bias_v: float | None = None,
) -> Board:
    """Generate the board of ``network`` with drawn ``parameters``.

    Parameters
    ----------
    network
        The network; its node roles are the defaults of ``inputs``, ``outputs``, ``grounds``.
    parameters
        Part values from :func:`draw_board_parameters` (one entry per edge).
    design
        Part models, supply, mode and nudge variant (default :class:`BoardDesign`).
    inputs, outputs, grounds
        Node roles (indices or names); at least one input and one output.
    input_v, target_v
        Input and target voltages (V), in role order; zeros when omitted.
    eta
        Nudge amplitude in (0, 1].
    taps
        Initial taps (E,); default: the taps nearest to the network's resistances.
    bias_v
        Bias voltage (V) of the enable comparators; default mid-supply.

    Returns
    -------
    Board
    """
    design = BoardDesign() if design is None else design
    if parameters.n_edges != network.n_edges:
        raise UserError(
            f"board parameters cover {parameters.n_edges} edges, network {network.name} has "
            f"{network.n_edges}"
        )
    ins = _roles(network, inputs, network.inputs, "inputs")
    outs = _roles(network, outputs, network.outputs, "outputs")
    gnds = _roles(network, grounds, network.grounds, "grounds")
    if not ins or not outs:
        raise UserError(
            f"network {network.name}: the board needs at least one input and one output node "
            f"(got {len(ins)} inputs, {len(outs)} outputs)"
        )
    roles = ins + outs + gnds
    if len(set(roles)) != len(roles):
        raise UserError(f"network {network.name}: a node has two roles")
    if taps is None:
        taps = design.pot.nearest_tap(
            network.resistance_ohm, parameters.r_ab_free_ohm, parameters.r_series_free_ohm
        )
    taps = design.pot.check_taps(taps)
    if taps.shape != (network.n_edges,):
        raise UserError(f"taps: need one per edge ({network.n_edges}), got shape {taps.shape}")
    taps.setflags(write=False)
    board = Board(
        network=network,
        design=design,
        parameters=parameters,
        inputs=ins,
        outputs=outs,
        grounds=gnds,
        eta=nudge.check_eta(eta),
        taps=taps,
        input_v=_volts(input_v, len(ins), "input_v"),
        target_v=_volts(target_v, len(outs), "target_v"),
        bias_v=design.threshold_v if bias_v is None else float(spice_number(bias_v, "bias_v")),
        labels=node_labels(network),
        netlist="",
    )
    object.__setattr__(board, "netlist", _netlist(board))
    return board


def free_state_v(board: Board, taps: np.ndarray | None = None) -> np.ndarray:
    """Exact free-twin node voltages (numpy solver) at ``taps`` (default: initial), shape (N,)."""
    free_ohm, _ = board.resistance_ohm(taps)
    driven = list(board.inputs) + list(board.grounds)
    volts = np.concatenate([board.input_v, np.zeros(len(board.grounds))])
    return solver.solve(
        board.network, driven_nodes=driven, driven_voltages_v=volts, resistance_ohm=free_ohm
    )


def clamped_state_v(board: Board, taps: np.ndarray | None = None) -> np.ndarray:
    """Exact clamped-twin node voltages (numpy solver), outputs at the nudged values, (N,)."""
    free_v = free_state_v(board, taps)
    _, clamped_ohm = board.resistance_ohm(taps)
    clamp = nudge.nudged_v(free_v[list(board.outputs)], board.target_v, board.eta)
    driven = list(board.inputs) + list(board.grounds) + list(board.outputs)
    volts = np.concatenate([board.input_v, np.zeros(len(board.grounds)), clamp])
    return solver.solve(
        board.network, driven_nodes=driven, driven_voltages_v=volts, resistance_ohm=clamped_ohm
    )


# -- netlist text -----------------------------------------------------------------------------


def library_paths(design: BoardDesign) -> list:
    """The ``.lib`` files a board of this design uses."""
    parts = [pot.LIBRARY, diffamp.LIBRARY, comparator.LIBRARY, xor.LIBRARY, latch.LIBRARY]
    if design.nudge == "analog":
        parts.append(nudge.LIBRARY)
    paths = [library_file(p) for p in parts]
    if design.mode == "full":
        paths += oscillator.library_files()
    return paths


def _time(seconds: float) -> str:
    """A time for the netlist, rounded to 9 digits so that 1.01 us reads 1.01e-06."""
    return f"{float(spice_number(seconds, 'time')):.9g}"


def _header(board: Board) -> list[str]:
    net = board.network
    mode = "decision path only, trigger held high" if board.design.mode == "op" else "full board"
    lines = [
        f"* coupled learning board: network {spice_text(net.name)}, {net.n_nodes} nodes, "
        f"{net.n_edges} edges ({mode})",
        f"* generated by coupled {__version__} (circuits.board); one instance per physical part",
        "* config (JSON):",
    ]
    lines += [f"*   {line}" for line in json.dumps(board.config(), indent=1).splitlines()]
    lines.append("* network nodes (label: name, role):")
    roles = {v: "input" for v in board.inputs}
    roles.update({v: "output" for v in board.outputs})
    roles.update({v: "ground" for v in board.grounds})
    for v, label in enumerate(board.labels):
        lines.append(f"*   {label}: {spice_text(net.node_names[v])}, {roles.get(v, 'hidden')}")
    return lines


def _sources(board: Board) -> list[str]:
    d = board.design
    vdd, vss = spice_number(d.vdd_v), spice_number(d.vss_v)
    lines = ["* -- rails, trigger, bias --", f"VDD vdd 0 DC {vdd}", f"VSS vss 0 DC {vss}"]
    lines.append(f"VREF vref 0 DC {spice_number(d.reference_v)}")
    if d.mode == "op":
        lines.append(f"VTRIG trig 0 DC {vdd}")
    else:
        t1, t2, w, e = d.trigger_low_s, d.trigger_time_s, d.trigger_width_s, d.trigger_edge_s
        points = [
            (0.0, vdd),
            (t1, vdd),
            (t1 + e, vss),
            (t2, vss),
            (t2 + e, vdd),
            (t2 + w - e, vdd),
            (t2 + w, vss),
        ]
        pwl = " ".join(f"{_time(t)} {v}" for t, v in points)
        lines.append(f"VTRIG trig 0 PWL({pwl})")
        lines.append(f"VBIAS bias 0 DC {spice_number(board.bias_v)}")
        lines.append(f"VOSC vosc 0 DC {vdd}")
    lines.append("* -- task sources: inputs and grounds drive both twins --")
    for v, volts in zip(board.inputs, board.input_v.tolist(), strict=True):
        lines.append(f"VIN_{board.labels[v]} {board.free_node(v)} 0 DC {spice_number(volts)}")
    for v in board.grounds:
        lines.append(f"VGND_{board.labels[v]} {board.free_node(v)} 0 DC 0")
    lines.append(f"* -- nudge ({d.nudge}): clamped outputs at (1 - eta) V_F + eta V_D --")
    if d.nudge == "analog":
        for v, volts in zip(board.outputs, board.target_v.tolist(), strict=True):
            label = board.labels[v]
            lines.append(f"VTGT_{label} tgt_{label} 0 DC {spice_number(volts)}")
            lines.append(
                nudge.nudge_instance(
                    f"XNUDGE_{label}",
                    board.free_node(v),
                    f"tgt_{label}",
                    board.clamped_node(v),
                    board.eta,
                )
            )
    else:
        free_v = free_state_v(board)
        clamp = nudge.nudged_v(free_v[list(board.outputs)], board.target_v, board.eta)
        for v, volts in zip(board.outputs, clamp.tolist(), strict=True):
            label = board.labels[v]
            lines.append(nudge.clamp_source(f"VCLAMP_{label}", board.clamped_node(v), volts))
    return lines


def _edge(board: Board, i: int) -> list[str]:
    d, p = board.design, board.parameters
    a, b = (int(v) for v in board.network.edges[i])
    names = board.network.node_names
    fa, fb, ca, cb = (
        board.free_node(a),
        board.free_node(b),
        board.clamped_node(a),
        board.clamped_node(b),
    )
    levels = (d.vss_v, d.vdd_v)
    lines = [f"* -- edge {i}: {spice_text(names[a])} - {spice_text(names[b])} --"]
    tap = int(board.taps[i])
    for twin, na, nb, r_ab, r_ser in (
        ("F", fa, fb, p.r_ab_free_ohm[i], p.r_series_free_ohm[i]),
        ("C", ca, cb, p.r_ab_clamped_ohm[i], p.r_series_clamped_ohm[i]),
    ):
        wiper = na
        if d.pot.r_series_ohm > 0:
            wiper = f"p{twin.lower()}_{i}"
            lines.append(f"RSER{twin}_{i} {na} {wiper} {spice_number(r_ser)}")
        lines.append(pot.pot_instance(f"XPOT{twin}_{i}", wiper, wiper, nb, r_ab, tap, d.pot))
    stages = (
        ("XDIFF", fa, fb, f"dvf_{i}", 1.0),
        ("XDIFC", ca, cb, f"dvc_{i}", 1.0),
        ("XDIFN", fb, fa, f"dvn_{i}", 1.0),
        ("XSENA", f"dvc_{i}", f"dvf_{i}", f"sena_{i}", d.sense_gain),
        ("XSENB", f"dvc_{i}", f"dvn_{i}", f"senb_{i}", d.sense_gain),
    )
    for k, (prefix, ina, inb, out, gain) in enumerate(stages):
        lines.append(
            diffamp.diffamp_instance(
                f"{prefix}_{i}",
                ina,
                inb,
                "vref",
                out,
                gain * (1.0 + float(p.amp_gain_error[k, i])),
                float(p.amp_offset_v[k, i]),
                d.amplifier_swing_v,
            )
        )
    pull_up = spice_number(d.pull_up_ohm)
    lines += [
        comparator.comparator_instance(
            f"XCMPA_{i}",
            f"sena_{i}",
            "vref",
            f"cmpa_{i}",
            p.offset_a_v[i],
            d.comparator,
            *levels,
        ),
        comparator.comparator_instance(
            f"XCMPB_{i}",
            f"senb_{i}",
            "vref",
            f"cmpb_{i}",
            p.offset_b_v[i],
            d.comparator,
            *levels,
        ),
        f"RPUA_{i} cmpa_{i} vdd {pull_up}",
        f"RPUB_{i} cmpb_{i} vdd {pull_up}",
        xor.xor_instance(f"XXOR_{i}", f"cmpa_{i}", f"cmpb_{i}", f"xor_{i}", *levels),
        latch.latch_instance(
            f"XLAT_{i}", f"xor_{i}", "trig", f"dirb_{i}", f"dir_{i}", d.latch, *levels
        ),
    ]
    if d.mode == "full":
        lines += [
            oscillator.oscillator_instance(
                i, f"osc_{i}", p.oscillators, "vosc", "vss", supply_v=d.swing_v
            ),
            oscillator.enable_instance(i, f"en_{i}", f"osc_{i}", "bias", "vdd", "vss"),
            f"RPUEN_{i} en_{i} vdd {pull_up}",
            latch.latch_instance(
                f"XLATEN_{i}", f"en_{i}", "trig", f"enl_{i}", f"enlb_{i}", d.latch, *levels
            ),
        ]
    return lines


def _netlist(board: Board) -> str:
    lines = _header(board)
    if board.design.mode == "full":
        lines.append(".options method=gear")
    lines += ["* -- subcircuit library --", inline_library(library_paths(board.design))]
    lines += _sources(board)
    for i in range(board.n_edges):
        lines += _edge(board, i)
    lines.append(".end")
    title = lines.pop(0).lstrip("* ")
    return "\n".join([title, *lines]) + "\n"


# -- standalone run ---------------------------------------------------------------------------


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[k : k + size] for k in range(0, len(items), size)]


def standalone_netlist(board: Board, *, tran: bool = True) -> str:
    """The board's netlist with a ``.control`` block for ``ngspice -b``.

    The block runs an operating point (latches transparent; in ``full`` mode with the
    oscillators' supply held off) and prints every edge's latched direction and the twins'
    outputs; in ``full`` mode (and with ``tran``) it then runs a transient from the oscillators'
    drawn phases (``uic``) through one trigger pulse and measures, per edge, the oscillator's
    peak-to-peak swing and the latched enable and direction after the trigger. It ends with
    ``quit 0``: ngspice 39 in batch mode otherwise exits with status 1 on any netlist without
    ``.print`` lines, so failures show as error lines, not as the exit status.
    """
    d = board.design
    lines = [".control", "set noaskquit", "set numdgt=7"]
    if board.oscillator_supply_source:
        lines.append(f"alter {board.oscillator_supply_source} = {spice_number(d.vss_v)}")
    lines += ["op", "echo latched directions at the operating point (high = tap up):"]
    lines += [
        "print " + " ".join(f"v({n})" for n in group)
        for group in _chunks(list(board.direction_nodes), 8)
    ]
    outputs = [f"v({board.free_node(v)}) v({board.clamped_node(v)})" for v in board.outputs]
    lines += ["echo outputs, free and clamped twin:", "print " + " ".join(outputs)]
    if d.mode == "full" and tran:
        period = float(np.min(board.parameters.oscillators.period_s))
        max_step = min(period / 100, d.trigger_width_s / 4)
        read_at = d.trigger_time_s + d.trigger_width_s + 0.5e-6
        stop = read_at + 0.5e-6
        lines += [
            f"alter {board.oscillator_supply_source} = {spice_number(d.vdd_v)}",
            f"echo transient: oscillators from their phases, trigger at {d.trigger_time_s:g} s",
            f"tran {_time(max_step / 10)} {_time(stop)} 0 {_time(max_step)} uic",
        ]
        at = _time(read_at)
        for i in range(board.n_edges):
            lines += [
                f"meas tran osc_pp_{i} pp v(osc_{i})",
                f"meas tran enable_{i} find v(enl_{i}) at={at}",
                f"meas tran direction_{i} find v(dir_{i}) at={at}",
            ]
    lines += ["quit 0", ".endc"]
    body = board.netlist.rstrip("\n")
    if not body.endswith(".end"):
        raise UserError("board netlist does not end with .end")
    return body[: -len(".end")] + "\n".join(lines) + "\n.end\n"
