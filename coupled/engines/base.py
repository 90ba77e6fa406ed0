"""The engine interface: turns a training state and one step's random draws into the next state.

The training loop (:mod:`coupled.training`) owns all randomness. For every step it hands the
engine a frozen :class:`StepDraws` (update bits, batch bits, the example shown, comparator
biases), the same whatever the engine, so engines can be compared step by step.

An engine is prepared once per run with the network, the K tasks of the batch and the run's
:class:`~coupled.training.TrainConfig`, then called for every step. Shapes: K tasks, X examples,
E edges, k inputs, O outputs; tasks of one batch share k and O.

Subclasses implement :meth:`Engine.measure` (free and clamped edge drops for given examples) and
:meth:`Engine.predict` (free outputs for given inputs). The default :meth:`Engine.step` applies
the pure rules of :mod:`coupled.physics.rules` to those measurements; an engine may override
:meth:`Engine.contrast` with a faster exact form (the ``ideal`` engine does), or override
:meth:`Engine.step` entirely (the ``circuit`` engine decides enables and directions itself). The
state after a step carries the per-edge ``enabled`` and ``direction`` bits of that step so the
loop can record them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from coupled.core.errors import UserError
from coupled.physics import rules, sensing
from coupled.physics.state import Measurement, StepDraws, TrainState

if TYPE_CHECKING:
    from coupled.physics.networks import Network
    from coupled.physics.tasks import Task
    from coupled.training.config import TrainConfig


class Engine(ABC):
    """Base class of the engines; see the module docstring for the contract."""

    name: str = "engine"
    options: ClassVar[dict] = {}
    """Engine-specific settings (``TrainConfig.engine_options``) and their defaults."""

    @classmethod
    def check_options(cls, options: dict) -> dict:
        """Options with defaults filled in; ``UserError`` names an unknown key.

        Engines with options extend this to check their values.
        """
        unknown = sorted(set(options) - set(cls.options))
        if unknown:
            allowed = ", ".join(cls.options) or "none"
            raise UserError(
                f"--engine-option {unknown[0]}: unknown for engine {cls.name}; allowed: {allowed}"
            )
        return {**cls.options, **options}

    def prepare(self, network: Network, tasks: list[Task], config: TrainConfig) -> None:
        """Remember the network, the tasks and the run settings; load circuits etc.

        Subclasses extend this (call ``super().prepare``).
        """
        self.network = network
        self.tasks = list(tasks)
        self.config = config
        self.train_inputs_v = np.stack([t.train_inputs_v for t in tasks])  # (K, X, k)
        self.train_targets_v = np.stack([t.train_targets_v for t in tasks])  # (K, X, O)
        self.sense_chain = sensing.SenseChain(gain=config.sense_gain)

    @abstractmethod
    def measure(self, resistance_ohm: np.ndarray, example_index: np.ndarray) -> Measurement:
        """Free and clamped states for training examples ``example_index`` (K, X) of each task."""

    @abstractmethod
    def predict(self, resistance_ohm: np.ndarray, inputs_v: np.ndarray) -> np.ndarray:
        """Free output voltages (K, X, O) for input voltages (K, X, k)."""

    def contrast(self, resistance_ohm: np.ndarray, example_mask: np.ndarray) -> np.ndarray:
        """``sum_j [(I^C)^2 - (I^F)^2]`` over the batch (K, E), ampere squared."""
        k, x = example_mask.shape
        every = np.broadcast_to(np.arange(x), (k, x))
        m = self.measure(resistance_ohm, every)
        return rules.squared_current_contrast(
            m.free_drop_v, m.clamped_drop_v, resistance_ohm, example_mask
        )

    def step(self, state: TrainState, draws: StepDraws) -> TrainState:
        """One learning step of every task (default: measure, then the rule)."""
        cfg = self.config
        r = state.resistance_ohm
        if cfg.rule == "continuous":
            contrast = self.contrast(r, draws.example_mask)
            new_r = rules.continuous_update(
                r, contrast, draws.edge_mask, cfg.gamma, cfg.r_min_ohm, cfg.r_max_ohm
            )
            direction = np.sign(new_r - r).astype(np.int8)
            return replace(
                state,
                step=draws.step,
                resistance_ohm=new_r,
                enabled=draws.edge_mask,
                direction=direction,
            )
        m = self.measure(r, draws.example_index[:, None])
        direction = sensing.sensed_direction(
            m.free_drop_v[:, 0], m.clamped_drop_v[:, 0], draws.sigma_v, self.sense_chain
        )
        taps = rules.discrete_update(state.taps, direction, draws.edge_mask)
        return TrainState(
            step=draws.step,
            resistance_ohm=rules.taps_to_ohm(taps, cfg.r_min_ohm, cfg.r_max_ohm),
            taps=taps,
            enabled=draws.edge_mask,
            direction=direction,
        )

    def provenance(self) -> dict:
        """What this engine applied that a result file should record (default nothing).

        The circuit engine records the bias it applied and which calibration set it.
        """
        return {}

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (ngspice sessions, worker processes)."""
