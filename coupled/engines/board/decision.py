"""Options of the board's decision chain: comparator input noise, offset trimming, wiring.

Three board options (:data:`coupled.engines.board.options.BOARD_OPTIONS`) change how an edge's
two comparators and XOR decide (``docs/engines.md``, "Why the board's offsets break learning"
in the README):

``comparator_noise_v`` (V rms at each decision comparator's input, default 0)
    Each comparator's input takes a fresh Gaussian sample per step, added where its offset
    adds: up iff ``(s_A + o_A + n_A)(s_B + o_B + n_B) > 0``. The samples come from their own
    stream, ``SeedSequence(board_seed, spawn_key=(NOISE_KEY, step))``, shape (2, E), shared by
    every task trained on copies of the board (so a task's bits do not depend on the batch)
    and by every engine that models it; no other draw moves. Datasheet-based values: an
    LM339/LM393-class comparator alone about 32 uV (20 nV/sqrt(Hz), an assumed density, the
    datasheets give none, over its 2.5 MHz noise bandwidth, as ``circuits/jitter.py``); the
    sense stage in front of it at G = 40 adds its output-referred noise, for an INA826-class
    part (datasheet: input stage 18 nV/sqrt(Hz), output stage 110 nV/sqrt(Hz)) about
    sqrt((40 x 18)^2 + 110^2) = 0.73 uV/sqrt(Hz), 0.1-0.3 mV rms over a noise bandwidth of
    20-150 kHz -- :data:`SUGGESTED_NOISE_V` = 2e-4 V.
``offset_trim_v`` (V, default None: not trimmed)
    Each comparator's offset is trimmed (a trim pot at its reference, set with both drops at
    zero) so that its input with both drops at zero sits within ``offset_trim_v`` of its
    threshold: the drawn offset is replaced by ``-s(0) + offset_trim_v (2 u - 1)``, with
    ``s(0)`` the sense stage's output at zero drops (its own offsets and gain errors, G-referred)
    and ``u`` the comparator's own uniform draw. 0 nulls every offset exactly.
``wiring`` (``file``, default, or ``current``)
    ``file``: every edge is wired in the network file's node order. ``current``: per task, each
    edge's pots are wired along the current of the task's teacher network (the node at the
    higher voltage on the clamped side's ``+`` input), so the clamped drop is positive near the
    solution and both offsets push up there, as the paper's sigma does. Modelled on the board
    twin by reversing the sign of both drops of a reversed edge before the decision.

Two design alternatives, modelled on the board twin only (``ideal``, ``spice``; the circuit
engine's netlist has the board's XOR decision and unity drop stages and refuses them):

``decision`` (``xor``, default, or ``rectified``)
    ``rectified``: precision full-wave rectifiers on the drop stages' outputs feed sense stage
    A with ``|a_C| - |a_F|`` and comparator A alone decides, up iff
    ``G (|a_C| - |a_F|) + o_A > 0``: the paper's rule, its bias ``o_A / G`` upward whatever the
    sign of the drops (and a tie of two saturated drops reads up).
``drop_stage_gain`` (V/V, default 1)
    Nominal gain of the three drop stages; 0.5 (an AD8273-class difference amplifier, G = 1/2)
    keeps drops up to 4.9 V inside the 2.45 V swing, and a sense gain twice as large keeps the
    offsets' weight on the drops (``o / (drop_stage_gain G)``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from coupled.core.errors import ParameterError, engine_option, named
from coupled.core.options import check_range

if TYPE_CHECKING:
    from coupled.circuits.design import BoardDesign, BoardParameters
    from coupled.physics.networks import Network
    from coupled.physics.tasks import Task

NOISE_KEY = 0xC0A7
"""Spawn key of the comparator noise streams (jitter uses 0x6A17, the board's draws 0-4)."""
SUGGESTED_NOISE_V = 2e-4
"""A datasheet-based comparator input noise (V rms) for a G = 40 INA-class sense stage plus an
LM339-class comparator (module docstring)."""
WIRINGS = ("file", "current")
"""Values of the ``wiring`` option."""
DECISIONS = ("xor", "rectified")
"""Values of the ``decision`` option."""
DECISION_OPTIONS: dict = {
    "comparator_noise_v": 0.0,
    "offset_trim_v": None,
    "wiring": "file",
    "decision": "xor",
    "drop_stage_gain": 1.0,
}
"""The decision chain's board options with their defaults (the board as drawn)."""
SELF_TRIGGER_REFUSED = ("comparator_noise_v", "wiring", "decision", "drop_stage_gain")
"""Options not modelled on the self-triggered board."""
TWIN_ONLY = ("decision", "drop_stage_gain")
"""Design alternatives modelled on the board twin only (not in the circuit engine's netlist)."""


def _one_of(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        option = engine_option(name)
        raise ParameterError(
            f"{named(option)}={value!r}: must be one of {', '.join(allowed)}", option
        )


def check_decision_options(merged: dict) -> dict:
    """Check the options of the module docstring; ``ParameterError`` naming a bad value."""
    check_range(engine_option("comparator_noise_v"), merged["comparator_noise_v"], 0.0)
    if merged["offset_trim_v"] is not None:
        check_range(engine_option("offset_trim_v"), merged["offset_trim_v"], 0.0)
    _one_of("decision", merged["decision"], DECISIONS)
    check_range(
        engine_option("drop_stage_gain"), merged["drop_stage_gain"], 0.0, 1.0, low_open=True
    )
    _one_of("wiring", merged["wiring"], WIRINGS)
    return merged


def refuse_changed(options: dict, names: tuple[str, ...], why: str) -> None:
    """``ParameterError`` naming the first of ``names`` not at its default, with ``why``."""
    for name in names:
        if options[name] != DECISION_OPTIONS[name]:
            option = engine_option(name)
            raise ParameterError(f"{named(option)}={options[name]!r}: {why}", option)


def comparator_noise(board_seed: int, step: int, n_edges: int, rms_v: float) -> np.ndarray:
    """Noise (V) at comparators A (row 0) and B (row 1) of every edge at ``step``, (2, E)."""
    if rms_v == 0.0:
        return np.zeros((2, n_edges))
    sequence = np.random.SeedSequence(int(board_seed), spawn_key=(NOISE_KEY, int(step)))
    return rms_v * np.random.default_rng(sequence).standard_normal((2, n_edges))


def sense_outputs_at_zero_v(design: BoardDesign, parameters: BoardParameters) -> np.ndarray:
    """Sense stages A and B outputs relative to the reference (V) with both drops at zero, (2, E).

    The chain as :func:`coupled.engines.board.twin.board_directions` applies it.
    """
    low, high = design.amplifier_swing_v
    ref = design.reference_v
    gains = np.array([1.0, 1.0, 1.0, design.sense_gain, design.sense_gain])[:, None]
    gains = gains * (1.0 + np.asarray(parameters.amp_gain_error))
    offsets = np.asarray(parameters.amp_offset_v)

    def stage(k: int, u: np.ndarray) -> np.ndarray:
        return np.clip(gains[k] * (u + offsets[k]) + ref, low, high) - ref

    zero = np.zeros(parameters.n_edges)
    a_f, a_c, a_n = stage(0, zero), stage(1, zero), stage(2, zero)
    return np.stack([stage(3, a_c - a_f), stage(4, a_c - a_n)])


def trimmed_parameters(
    parameters: BoardParameters, design: BoardDesign, residual_v: float | None
) -> BoardParameters:
    """``parameters`` with every comparator offset trimmed to ``residual_v`` (None: unchanged).

    The new offset is ``-s(0) + residual_v (2 u - 1)`` with ``u = o / comparator_offset_v`` the
    comparator's own draw (``u = 0.5`` when the offsets were drawn at zero width).
    """
    if residual_v is None:
        return parameters
    width = parameters.comparator_offset_v
    drawn = np.stack([parameters.offset_a_v, parameters.offset_b_v])
    u = drawn / width if width > 0 else np.full_like(drawn, 0.5)
    trimmed = -sense_outputs_at_zero_v(design, parameters) + residual_v * (2.0 * u - 1.0)
    return replace(parameters, offset_a_v=trimmed[0], offset_b_v=trimmed[1])


def wiring_signs(network: Network, tasks: list[Task], wiring: str) -> np.ndarray | None:
    """Per task and edge, +1 where the edge keeps the file's node order, -1 where reversed (K, E).

    ``file``: None (no edge reversed). ``current``: the sign of the edge's drop in the task's
    teacher network, summed over its training examples (0 counts as +1).
    """
    if wiring == "file":
        return None
    from coupled.physics.solver import solve

    signs = []
    a, b = network.edges[:, 0], network.edges[:, 1]
    for task in tasks:
        nodes = [*task.inputs, *task.grounds]
        volts = np.concatenate(
            [task.train_inputs_v, np.zeros((task.train_inputs_v.shape[0], len(task.grounds)))],
            axis=1,
        )
        v = solve(
            network,
            driven_nodes=nodes,
            driven_voltages_v=volts,
            resistance_ohm=task.teacher_resistance_ohm,
        )
        drop = (v[:, a] - v[:, b]).sum(axis=0)
        signs.append(np.where(drop < 0, -1, 1))
    return np.array(signs, dtype=np.int8)


__all__ = [
    "DECISIONS",
    "DECISION_OPTIONS",
    "NOISE_KEY",
    "SELF_TRIGGER_REFUSED",
    "TWIN_ONLY",
    "SUGGESTED_NOISE_V",
    "WIRINGS",
    "check_decision_options",
    "comparator_noise",
    "refuse_changed",
    "sense_outputs_at_zero_v",
    "trimmed_parameters",
    "wiring_signs",
]
