"""The board's twin for the fast engines: its oscillator gates, comparator offsets and pots.

A :class:`BoardTwin` holds what decides on a learning board, drawn exactly as the ``circuit``
engine draws it (:func:`coupled.circuits.design.draw_board_parameters` with the same ``tolerance``,
``board_seed`` and ``comparator_offset_v = sigma_v``), without any circuit simulation per step:

``enables(step)``
    Each edge's oscillator from the phase model (fitted to ngspice, or the formula) sampled at
    the trigger instant ``t = step * trigger_period_s``; enabled where its voltage is above the
    bias that gives the requested p (``bias_for_p`` of the calibration, as on the board). With
    ``jitter`` > 0 (rms fraction of a period per oscillator cycle) each oscillator's phase also
    takes a random walk: per trigger period a Gaussian step of rms
    ``jitter * sqrt(trigger_period_s / period_s)`` periods, from its own stream
    (``SeedSequence(board_seed, spawn_key=(JITTER_KEY, block))``) that leaves every other
    stream of the board and of the training loop untouched (:mod:`coupled.circuits.jitter`; the
    default :data:`coupled.circuits.jitter.DEFAULT_JITTER` = 2.1e-5 comes from the parts' noise, and
    the circuit engine's fast windows and the calibration's phase-model events take the same
    walk).
``directions(free_drop_v, clamped_drop_v)``
    The two comparators and the XOR with the board's fixed offsets (:func:`board_directions`).
``twin_resistances(taps)``
    The free and the clamped twin's resistances at these taps (their own part spread).

The ``ideal`` and ``spice`` engines use it with ``--p-mode oscillator`` and ``--sigma-mode
board``; the option names and defaults are the circuit engine's (:data:`BOARD_OPTIONS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from coupled.circuits.comparator import decide_up
from coupled.circuits.design import BoardDesign, BoardParameters
from coupled.circuits.jitter import DEFAULT_JITTER, JITTER_BLOCK, JITTER_KEY, walk_block
from coupled.circuits.oscillator import OscillatorParameters, waveform_fraction
from coupled.circuits.spec import BoardSpec
from coupled.engines.board.curve import Calibration
from coupled.engines.board.decision import (
    SELF_TRIGGER_REFUSED,
    comparator_noise,
    refuse_changed,
)
from coupled.engines.board.drawn import board_spec, engine_board
from coupled.engines.board.options import BOARD_OPTIONS, check_board_options

if TYPE_CHECKING:
    from coupled.engines.settings import RunSettings
    from coupled.physics.networks import Network


SELF_TRIGGER_WHY = "not modelled on the self-triggered board (trigger self); leave the default"


def board_directions(
    free_drop_v: np.ndarray,
    clamped_drop_v: np.ndarray,
    offset_a_v: np.ndarray | float,
    offset_b_v: np.ndarray | float,
    design: BoardDesign | None = None,
    parameters: BoardParameters | None = None,
    noise_v: np.ndarray | None = None,
    *,
    decision: str = "xor",
    drop_stage_gain: float = 1.0,
) -> np.ndarray:
    """The board's direction law on the drops (``x`` clamped, ``y`` free, volts).

    Without ``design``: +1 (tap up) where ``(x - y + o_A)(x + y + o_B) > 0``. With the board's
    ``design`` and drawn ``parameters``, the drops go through its sensing stage as the netlist
    wires it (``circuits/board.py``): drop stages ``a_F = c(g_0 (y + v_0))``,
    ``a_C = c(g_1 (x + v_1))``, ``a_N = c(g_2 (-y + v_2))`` and sense stages
    ``s_A = c(g_3 (a_C - a_F + v_3))``, ``s_B = c(g_4 (a_C - a_N + v_4))``, each with its own
    gain error and input offset ``v_k`` (``amp_gain_error``, ``amp_offset_v``; ``g_3 = g_4 = G``
    nominally), ``c`` the clip at the amplifiers' output swing about the reference; then up
    where ``(s_A + o_A)(s_B + o_B) > 0``. The one place the fast engines apply the law; ties
    follow :func:`coupled.circuits.comparator.decide_up`. ``noise_v`` (2, E), volts: comparator
    input noise added to ``o_A`` (row 0) and ``o_B`` (row 1)
    (:func:`coupled.engines.board.decision.comparator_noise`). Two design alternatives
    (board twin only, :mod:`coupled.engines.board.decision`): ``drop_stage_gain`` (nominal
    gain of the three drop stages, 1 on the board) and ``decision="rectified"``: precision
    rectifiers on the drop stages' outputs and comparator A alone, up where
    ``c(g_3 (|a_C| - |a_F| + v_3)) + o_A > 0`` (the paper's rule with sigma = ``o_A / G``).

    Returns
    -------
    numpy.ndarray
        int8, +1 or -1, the broadcast shape of the inputs.
    """
    if noise_v is not None:
        offset_a_v = offset_a_v + noise_v[0]
        offset_b_v = offset_b_v + noise_v[1]
    if design is None:
        up = decide_up(clamped_drop_v, free_drop_v, offset_a_v, offset_b_v)
        return np.where(up, 1, -1).astype(np.int8)
    low, high = design.amplifier_swing_v
    ref = design.reference_v
    dg = float(drop_stage_gain)
    gains = np.array([dg, dg, dg, design.sense_gain, design.sense_gain])[:, None]
    if parameters is not None and parameters.amp_gain_error is not None:
        error = np.asarray(parameters.amp_gain_error)  # (5, E), or (5, K, E) per lane
        gains = gains.reshape((5,) + (1,) * (error.ndim - 1)) * (1.0 + error)
        offsets = np.asarray(parameters.amp_offset_v)
    else:
        gains, offsets = np.broadcast_to(gains, (5, 1)), np.zeros((5, 1))

    def stage(k: int, u: np.ndarray) -> np.ndarray:  # output relative to the reference
        return np.clip(gains[k] * (u + offsets[k]) + ref, low, high) - ref

    x, y = np.asarray(clamped_drop_v, dtype=float), np.asarray(free_drop_v, dtype=float)
    a_f, a_c, a_n = stage(0, y), stage(1, x), stage(2, -y)
    if decision == "rectified":  # |a_C| - |a_F| into sense stage A and comparator A alone
        up = stage(3, np.abs(a_c) - np.abs(a_f)) + offset_a_v > 0
        return np.where(up, 1, -1).astype(np.int8)
    s_a, s_b = stage(3, a_c - a_f), stage(4, a_c - a_n)
    up = (s_a + offset_a_v > 0) == (s_b + offset_b_v > 0)  # comparators A, B and the XOR
    return np.where(up, 1, -1).astype(np.int8)


@dataclass(frozen=True, eq=False)
class BoardTwin:
    """One drawn board's decisions, evaluated without simulation (see the module docstring).

    Parameters
    ----------
    parameters
        The drawn parts (pots of both twins, comparator offsets, nominal oscillators).
    design
        Pot model and supplies of the board.
    oscillators
        The oscillators of the phase model (fitted to ngspice or the formula's).
    calibration
        The p-against-bias curve the bias was read from (None on a self-triggered board).
    bias_v
        Bias of the enable comparators (V) for the requested p.
    trigger_period_s
        Time between triggers (s); step ``n`` is sampled at ``n * trigger_period_s``.
    jitter
        Period jitter, rms fraction of a period per cycle (0: none).
    board_seed
        Seed of the board's draws (and of the jitter and noise streams).
    comparator_noise_v
        Input noise of each decision comparator (V rms), a fresh sample per step
        (:mod:`coupled.engines.board.decision`; 0: none).
    decision, drop_stage_gain
        The decision circuit (``xor``, the board's; ``rectified``) and the drop stages' gain
        (:func:`board_directions`).
    spec
        The board specification it was drawn from (:func:`from_options`).
    """

    parameters: BoardParameters
    design: BoardDesign
    oscillators: OscillatorParameters
    calibration: Calibration | None
    bias_v: float
    trigger_period_s: float
    jitter: float = DEFAULT_JITTER
    board_seed: int = 0
    comparator_noise_v: float = 0.0
    decision: str = "xor"
    drop_stage_gain: float = 1.0
    spec: BoardSpec | None = None
    _walk: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_options(cls, network: Network, config: RunSettings, options: dict) -> BoardTwin:
        """The board the circuit engine would draw for ``network`` and ``config``.

        ``options`` holds :data:`BOARD_OPTIONS` (checked, defaults filled in).
        """
        opts = check_board_options({**BOARD_OPTIONS, **{k: options[k] for k in BOARD_OPTIONS}})
        self_triggered = getattr(config, "trigger", "global") == "self"
        if self_triggered:
            refuse_changed(opts, SELF_TRIGGER_REFUSED, SELF_TRIGGER_WHY)
        board = engine_board(
            network, board_spec(config, opts), opts, float(config.p), config.example_period_s
        )
        if self_triggered:  # not modelled on the self-triggered board: 0 unless given (refused)
            jitter = float(config.engine_options.get("jitter", 0.0))
        else:
            jitter = float(opts["jitter"])
        return cls(
            parameters=board.parameters,
            design=board.design,
            oscillators=board.oscillators,
            calibration=board.calibration,
            bias_v=board.bias_v,
            trigger_period_s=float(opts["trigger_period_s"]),
            jitter=jitter,
            board_seed=int(opts["board_seed"]),
            comparator_noise_v=float(opts["comparator_noise_v"]),
            decision=str(opts["decision"]),
            drop_stage_gain=float(opts["drop_stage_gain"]),
            spec=board.spec,
        )

    @property
    def n_edges(self) -> int:
        """Number of edges E."""
        return self.oscillators.n_edges

    # -- gates --------------------------------------------------------------------------------
    def phase_offsets(self, step: int) -> np.ndarray:
        """Accumulated jitter of every oscillator's phase at ``step`` (periods), shape (E,)."""
        if self.jitter == 0.0 or step <= 0:
            return np.zeros(self.n_edges)
        block, within = divmod(int(step) - 1, JITTER_BLOCK)
        walk = self._block(block)
        return walk[within]

    def _block(self, block: int) -> np.ndarray:
        """Cumulative offsets (JITTER_BLOCK, E) of the steps of ``block``, cached."""
        if block in self._walk:
            return self._walk[block]
        start = np.zeros(self.n_edges) if block == 0 else self._block(block - 1)[-1]
        period = self.oscillators.period_s
        walk = walk_block(self.board_seed, block, self.jitter, self.trigger_period_s, period, start)
        self._walk[block] = walk
        return walk

    def oscillator_v(self, step: int) -> np.ndarray:
        """Every oscillator's voltage (V) at the trigger of ``step``, shape (E,)."""
        osc = self.oscillators
        if self.jitter:
            osc = osc.with_phase(np.mod(osc.phase_fraction + self.phase_offsets(step), 1.0))
        fraction = waveform_fraction(osc, step * self.trigger_period_s)
        return self.design.vss_v + self.design.swing_v * fraction

    def enables(self, step: int) -> np.ndarray:
        """Enable bits (E,) of ``step``: the oscillator above the bias at the trigger."""
        return self.oscillator_v(step) > self.bias_v

    # -- decisions and parts ------------------------------------------------------------------
    def directions(
        self, free_drop_v: np.ndarray, clamped_drop_v: np.ndarray, step: int | None = None
    ) -> np.ndarray:
        """Tap directions (int8, +1 up) by the board's comparators, drops (..., E) in volts.

        With ``comparator_noise_v`` > 0 and a ``step``, the comparators see that step's noise.
        """
        p = self.parameters
        noise = None
        if self.comparator_noise_v and step is not None:
            noise = comparator_noise(self.board_seed, step, self.n_edges, self.comparator_noise_v)
        return board_directions(
            free_drop_v,
            clamped_drop_v,
            p.offset_a_v,
            p.offset_b_v,
            self.design,
            p,
            noise,
            decision=self.decision,
            drop_stage_gain=self.drop_stage_gain,
        )

    def twin_resistances(self, taps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Free and clamped twins' resistances (ohm) at ``taps`` (..., E)."""
        pot, p = self.design.pot, self.parameters
        taps = np.asarray(taps, dtype=np.int64)
        free = pot.resistance_ohm(taps, p.r_ab_free_ohm, p.r_series_free_ohm)
        clamped = pot.resistance_ohm(taps, p.r_ab_clamped_ohm, p.r_series_clamped_ohm)
        return free, clamped


__all__ = [
    "BOARD_OPTIONS",
    "JITTER_BLOCK",
    "JITTER_KEY",
    "BoardTwin",
    "board_directions",
    "check_board_options",
]
