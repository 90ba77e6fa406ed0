"""The state types that engines and the training loop share: draws, learning state, measurements.

They sit below both so that an engine never imports the training loop and the loop never
imports an engine module: :class:`StepDraws` (one step's random draws, made by the loop),
:class:`TrainState` (the learning degrees of freedom after a step) and :class:`Measurement`
(free and clamped states of a batch of examples). All are frozen; arrays are never copied.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class StepDraws:
    """Random draws of one step for K tasks (made by the training loop, never by an engine).

    Attributes
    ----------
    step
        The step these draws are for (1-based).
    edge_mask
        Update bits theta, bool (K, E).
    example_mask
        Continuous rule: training examples in the batch, bool (K, X).
    example_index
        Discrete rule: the training example shown, int (K,).
    sigma_v
        Discrete rule: comparator bias per edge, volts (K, E); zeros for the continuous rule.
    """

    step: int
    edge_mask: np.ndarray
    example_mask: np.ndarray
    example_index: np.ndarray
    sigma_v: np.ndarray


@dataclass(frozen=True, eq=False)
class TrainState:
    """Learning degrees of freedom of K tasks after ``step`` steps.

    Attributes
    ----------
    step
        Steps done.
    resistance_ohm
        Edge resistances (K, E).
    taps
        Discrete rule: tap positions (K, E), int; ``None`` for the continuous rule.
    enabled
        Update bits applied in the last step (K, E), or ``None`` before the first step.
    direction
        Direction of the last step per edge (K, E), int8: the tap direction (discrete rule, +1 or
        -1 also where not enabled) or the sign of the applied change (continuous rule).
    """

    step: int
    resistance_ohm: np.ndarray
    taps: np.ndarray | None = None
    enabled: np.ndarray | None = None
    direction: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class Measurement:
    """Free and clamped states of a batch of examples.

    ``free_drop_v`` and ``clamped_drop_v`` are edge drops (K, X, E); ``free_output_v`` are the
    free output voltages (K, X, O), all volts.
    """

    free_drop_v: np.ndarray
    clamped_drop_v: np.ndarray
    free_output_v: np.ndarray
