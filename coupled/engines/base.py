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

from coupled.core.errors import ParameterError, engine_option, named
from coupled.physics import rules, sensing
from coupled.physics.state import Measurement, StepDraws, TrainState

if TYPE_CHECKING:
    from coupled.engines.settings import RunSettings
    from coupled.physics.networks import Network
    from coupled.physics.tasks import Task


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
            option = engine_option(unknown[0])
            raise ParameterError(
                f"{named(option)}: unknown for engine {cls.name}; allowed: {allowed}", option
            )
        return {**cls.options, **options}

    def prepare(self, network: Network, tasks: list[Task], config: RunSettings) -> None:
        """Remember the network, the tasks and the run settings; load circuits etc.

        Subclasses extend this (call ``super().prepare``).
        """
        self.network = network
        self.tasks = list(tasks)
        self.config = config
        self.train_inputs_v = np.stack([t.train_inputs_v for t in tasks])  # (K, X, k)
        self.train_targets_v = np.stack([t.train_targets_v for t in tasks])  # (K, X, O)
        self.sense_chain = sensing.SenseChain(gain=config.sense_gain)
        self.twin = None
        self.wiring = None
        self.clockless = None

    def prepare_twin(self, options: dict) -> None:
        """Build the board twin when ``--p-mode oscillator`` or ``--sigma-mode board`` asks.

        Engines that support the board's gates and offsets call this from ``prepare`` with
        their checked options (holding ``board.twin.BOARD_OPTIONS``) and implement
        :meth:`measure_twins`.
        """
        cfg = self.config
        if cfg.p_mode == "oscillator" or cfg.sigma_mode == "board":
            from coupled.engines.board.decision import wiring_signs
            from coupled.engines.board.twin import BoardTwin

            self.twin = BoardTwin.from_options(self.network, cfg, options)
            self.wiring = wiring_signs(self.network, self.tasks, options["wiring"])
        if getattr(cfg, "trigger", "global") == "self":  # event-driven, one edge at a time
            from coupled.engines.board.eventtwin import EventTwin

            self.clockless = EventTwin(self.network, self.tasks, cfg, self.twin)

    def measure_twins(
        self, free_ohm: np.ndarray, clamped_ohm: np.ndarray, example_index: np.ndarray
    ) -> Measurement:
        """Free state of the free twin, clamped state of the clamped twin (K, X, E).

        The clamped twin's outputs are held at ``V_F + eta (V_D - V_F)`` of the free twin.
        """
        raise NotImplementedError(f"engine {self.name}: no board twin")

    def measured_ohm(self, resistance_ohm: np.ndarray) -> np.ndarray:
        """The resistances (K, E) whose free state the board measures at the state's taps.

        With a board twin deciding the discrete rule the tap moves the twins' own pots (their
        part spread), so the error the board reports comes from the free twin's drawn pots at
        the state's taps, as the circuit engine's :meth:`predict` does; otherwise the state's
        resistances themselves (ohm).
        """
        if self.twin is None or self.config.rule != "discrete":
            return resistance_ohm
        cfg = self.config
        step = (cfg.r_max_ohm - cfg.r_min_ohm) / (rules.N_TAPS - 1)
        taps = np.rint((np.asarray(resistance_ohm, dtype=float) - cfg.r_min_ohm) / step)
        return self.twin.twin_resistances(np.clip(taps, 0, rules.N_TAPS - 1))[0]

    def board_draws(self, draws: StepDraws) -> StepDraws:
        """The draws with the twin's oscillator enables as the update mask (p-mode oscillator)."""
        if self.twin is None or self.config.p_mode != "oscillator":
            return draws
        mask = np.broadcast_to(self.twin.enables(draws.step), draws.edge_mask.shape)
        return replace(draws, edge_mask=mask)

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
        if self.clockless is not None:  # --trigger self: one example period of firings
            return self.clockless.step(state, draws)
        draws = self.board_draws(draws)
        if self.twin is not None and cfg.rule == "discrete":
            return self._twin_step(state, draws)
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
        taps = rules.discrete_update(state.taps, direction, draws.edge_mask, cfg.n_taps)
        return TrainState(
            step=draws.step,
            resistance_ohm=rules.taps_to_ohm(taps, cfg.r_min_ohm, cfg.r_max_ohm, cfg.n_taps),
            taps=taps,
            enabled=draws.edge_mask,
            direction=direction,
        )

    def _twin_step(self, state: TrainState, draws: StepDraws) -> TrainState:
        """A discrete step measured on the board's twins, decided by its offsets or sigma."""
        cfg, twin = self.config, self.twin
        free_ohm, clamped_ohm = twin.twin_resistances(state.taps)
        m = self.measure_twins(free_ohm, clamped_ohm, draws.example_index[:, None])
        free, clamped = m.free_drop_v[:, 0], m.clamped_drop_v[:, 0]
        if self.wiring is not None:  # wiring="current": reversed edges see reversed drops
            free, clamped = free * self.wiring, clamped * self.wiring
        if cfg.sigma_mode == "board":
            direction = twin.directions(free, clamped, step=draws.step)
        else:
            direction = sensing.sensed_direction(free, clamped, draws.sigma_v, self.sense_chain)
        taps = rules.discrete_update(state.taps, direction, draws.edge_mask, cfg.n_taps)
        return TrainState(
            step=draws.step,
            resistance_ohm=rules.taps_to_ohm(taps, cfg.r_min_ohm, cfg.r_max_ohm, cfg.n_taps),
            taps=taps,
            enabled=np.array(draws.edge_mask),
            direction=direction,
        )

    def provenance(self) -> dict:
        """What this engine applied that a result file should record (default nothing).

        The circuit engine records the bias it applied and which calibration set it; a
        self-triggered run its example period and realised firings.
        """
        clockless = getattr(self, "clockless", None)
        record = {} if clockless is None else clockless.provenance()
        twin = getattr(self, "twin", None)
        spec = getattr(self, "spec", None) or getattr(twin, "spec", None)
        if spec is not None:  # the board this run trained (its specification and key)
            record.update(board_spec=spec.to_dict(), board_spec_key=spec.key())
        return record

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (ngspice sessions, worker processes)."""
