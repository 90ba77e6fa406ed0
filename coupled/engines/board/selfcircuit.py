"""The circuit engine on the self-triggered board: the transient advances event to event.

With ``--trigger self`` a training step of the ``circuit`` engine is one example period. Its
edge firings come from :class:`~coupled.engines.board.selftrigger.SelfTriggerSchedule` of the
oscillators fitted to ngspice (:mod:`coupled.engines.board.phase`): edge ``i`` fires where its
fitted waveform crosses the bias (mid-supply) upward. Between two firings the twin networks are
static, so the engine simulates only the firings: per firing one fast window of the paused
transient (:mod:`coupled.engines.board.session`; the pots of the edge that moved last and, at
the start of a period, the example's inputs and targets altered while the latches hold), in which
the board's decision path (pots, difference and sense stages, comparators with their offsets,
XOR) settles and the direction latch takes its decision, as the firing edge's one-shot makes it
on the board; the engine reads that edge's direction and moves only that edge's tap (both twins'
pots), saturating at 0 and 127. The oscillators' and one-shots' timing comes from the fitted
phase model, as the clocked fast scheme takes its enables from it; the window's decision path is
the board's own.

Golden mode (``--golden``): the self-triggered board itself (``BoardDesign(trigger="self")``:
no trigger line, each edge's one-shot ``XOS_<i>`` gating its latches) in one transient from the
board's initial conditions, oscillators and one-shots free running (time step at most the
shortest period / ``golden_steps_per_period``). The engine pauses at each period's start to
apply its example, and :data:`GOLDEN_MARGIN` of a one-shot width after each firing instant
(the one-shot's end, where the edge's latch has closed) to read that edge's latched direction
and move its pots, as the pot's counter would on the one-shot's falling edge. Its decisions
check the fast scheme's; a golden run starts at step 1 (it cannot resume from a checkpoint).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from coupled.circuits.design import BoardDesign, BoardParameters
from coupled.circuits.oscillator import OscillatorParameters
from coupled.core.errors import ParameterError, SpiceError, engine_option, named
from coupled.engines.board.eventtwin import EventRecord, clockless_provenance, period_state
from coupled.engines.board.selftrigger import SelfTriggerSchedule
from coupled.physics.state import StepDraws, TrainState


class BoardStepper(Protocol):
    """What the event-to-event stepping needs of the circuit engine (its public interface;
    :class:`coupled.engines.circuit.CircuitEngine` is one)."""

    config: Any
    opts: dict
    design: BoardDesign
    parameters: BoardParameters
    phase_oscillators: OscillatorParameters
    bias_v: float

    @property
    def circuit_built(self) -> bool: ...

    @property
    def circuit_loaded(self) -> bool: ...

    def load(self, start_step: int) -> None: ...

    def board_values(self, taps: np.ndarray, example_index: np.ndarray) -> dict: ...

    def edge_values(self, taps: np.ndarray, edge: int) -> dict: ...

    def fast_window(self, step: int, values: dict) -> tuple[np.ndarray, np.ndarray]: ...

    def golden_window(
        self, step: int, values: dict, pause_s: float, stop_s: float
    ) -> tuple[np.ndarray, np.ndarray]: ...


GOLDEN_MARGIN = 0.05
"""Golden mode reads an edge this fraction of a one-shot width after its firing instant."""


class SelfTriggeredCircuit:
    """Event-to-event stepping of a :class:`~coupled.engines.circuit.CircuitEngine` (in
    golden mode its design is the self-triggered board's, ``trigger="self"``)."""

    def __init__(self, engine: BoardStepper) -> None:
        cfg, d = engine.config, engine.design
        self.engine = engine
        self.schedule = SelfTriggerSchedule.build(
            engine.phase_oscillators, engine.bias_v, d.vss_v, d.swing_v, cfg.p,
            cfg.example_period_s, delay_s=d.trigger_width_s,
        )  # fmt: skip
        self.firings = 0
        self.periods = 0
        self._last_pause_s = 0.0
        self.last_events: EventRecord | None = None

    def _golden_load(self, n: int) -> None:
        eng = self.engine
        if eng.circuit_built:
            raise SpiceError(
                f"circuit engine (golden), step {n}: the board's circuit was removed from the "
                "ngspice session; a free-running transient cannot be rebuilt"
            )
        if n != 1:
            golden = engine_option("golden")
            raise ParameterError(
                f"{named(golden)} with {{trigger}} self: a golden run starts at step 1, not {n} "
                "(it cannot resume from a checkpoint)",
                golden,
                "trigger",
            )
        eng.load(0)

    def _golden_run(self, n: int, values: dict, pause_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Resume the free-running transient to ``pause_s`` with ``values`` altered first."""
        eng = self.engine
        stop = (eng.config.steps + 2) * self.schedule.example_period_s
        bits = eng.golden_window(n, values, pause_s, stop)
        self._last_pause_s = pause_s
        return bits

    def step(self, state: TrainState, draws: StepDraws) -> TrainState:
        """Every firing of example period ``draws.step``: one window each, in time order."""
        eng = self.engine
        n = int(draws.step)
        golden = bool(eng.opts["golden"])
        if golden and not eng.circuit_loaded:
            self._golden_load(n)
        elif not eng.circuit_loaded:
            eng.load(n - 1)
        taps = np.array(state.taps, dtype=np.int64)
        k_tasks, n_edges = taps.shape
        values = eng.board_values(taps, draws.example_index)
        times, fired = self.schedule.events(n)
        if golden and n > 1:  # the example changes at the period's start (or the last read)
            start_s = max((n - 1) * self.schedule.example_period_s, self._last_pause_s)
            if start_s > self._last_pause_s:
                self._golden_run(n, values, start_s)
        margin = GOLDEN_MARGIN * eng.design.trigger_width_s
        directions = np.zeros((k_tasks, times.size), dtype=np.int8)
        for j, edge in enumerate(fired.tolist()):
            if golden:
                _, direction = self._golden_run(n, values, float(times[j]) + margin)
            else:
                _, direction = eng.fast_window(n, values)
            d = direction[:, edge]
            directions[:, j] = d
            taps[:, edge] = np.clip(taps[:, edge] + d, 0, eng.design.pot.n_taps - 1)
            values = eng.edge_values(taps, edge)
        self.firings += int(times.size)
        self.periods += 1
        self.last_events = EventRecord(n, times, fired, directions)
        return period_state(n, taps, fired, directions, eng.config)

    def provenance(self) -> dict:
        """The schedule's example period and the firings realised so far."""
        return clockless_provenance(self.schedule, self.firings, self.periods)


__all__ = ["SelfTriggeredCircuit"]
