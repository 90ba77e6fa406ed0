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
point per step (the oscillators then follow the phase model of :mod:`coupled.circuits.oscillator`).

Trigger (``BoardDesign.trigger``): ``"global"`` as above; ``"self"`` (``full`` mode) has no
``VTRIG``: each edge's one-shot ``XOS_i`` (:mod:`coupled.circuits.oneshot`, from its enable
``en_i``)
drives ``trig_i``, the gate of ``XLAT_i`` and ``XLATEN_i``, so the edge latches its decision on
its own oscillator's upward crossing of the bias.

Randomness: :func:`draw_board_parameters` draws every part's spread from three independent
streams spawned from one ``SeedSequence`` (pots, comparators, oscillators), so a seed fixes the
board whatever else changes. Comparator offsets and the paper's sigma: see
:mod:`coupled.circuits.comparator`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from coupled.circuits import comparator, pot
from coupled.circuits.design import BoardDesign, BoardParameters
from coupled.core.errors import UserError
from coupled.core.version import __version__
from coupled.physics.networks import Network
from coupled.spice.numbers import spice_number

_SAFE_LABEL = re.compile(r"[A-Za-z0-9_]+")  # whole names only (fullmatch)


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
