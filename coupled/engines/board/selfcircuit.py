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

Golden mode (free-running oscillators and one-shots) is not implemented for the self-triggered
board: ``--golden`` with ``--trigger self`` is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from coupled.core.errors import UserError
from coupled.engines.board.eventtwin import EventRecord, clockless_provenance
from coupled.engines.board.selftrigger import SelfTriggerSchedule
from coupled.physics import rules
from coupled.physics.state import StepDraws, TrainState

if TYPE_CHECKING:
    from coupled.engines.circuit import CircuitEngine


class SelfTriggeredCircuit:
    """Event-to-event stepping of a :class:`~coupled.engines.circuit.CircuitEngine`."""

    def __init__(self, engine: CircuitEngine) -> None:
        if engine.opts["golden"]:
            raise UserError(
                "--golden with --trigger self: the golden mode of the self-triggered board is "
                "not implemented; use the fast scheme (the default)"
            )
        cfg, d = engine.config, engine.design
        self.engine = engine
        self.schedule = SelfTriggerSchedule.build(
            engine.phase_oscillators, engine.bias_v, d.vss_v, d.swing_v, cfg.p,
            cfg.example_period_s, delay_s=d.trigger_width_s,
        )  # fmt: skip
        self.firings = 0
        self.periods = 0
        self.last_events: EventRecord | None = None

    def _edge_values(self, taps: np.ndarray, edge: int) -> dict[str, float]:
        """Both twins' pot values of ``edge`` in every task at ``taps`` (K, E)."""
        eng = self.engine
        pot, p = eng.design.pot, eng.parameters
        free = pot.wiper_resistance_ohm(taps[:, edge], p.r_ab_free_ohm[edge])
        clamped = pot.wiper_resistance_ohm(taps[:, edge], p.r_ab_clamped_ohm[edge])
        values: dict[str, float] = {}
        for t, elements in enumerate(eng._circuit.tap_elements):
            f, c = elements[edge]
            values[f], values[c] = float(free[t]), float(clamped[t])
        return values

    def step(self, state: TrainState, draws: StepDraws) -> TrainState:
        """Every firing of example period ``draws.step``: one window each, in time order."""
        eng = self.engine
        n = int(draws.step)
        if eng._circuit is None or eng.circuit_name not in eng.session.circuits:
            eng._load(n - 1)
        taps = np.array(state.taps, dtype=np.int64)
        k_tasks, n_edges = taps.shape
        values = eng._tap_values(taps) | eng._drive_values(draws.example_index)
        times, fired = self.schedule.events(n)
        directions = np.zeros((k_tasks, times.size), dtype=np.int8)
        for j, edge in enumerate(fired.tolist()):
            commands = [f"alter {k} = {v!r}" for k, v in values.items() if eng._loaded.get(k) != v]
            data = eng._advance(n, commands)
            eng._loaded.update(values)
            _, direction = eng._bits(data)
            d = direction[:, edge]
            directions[:, j] = d
            taps[:, edge] = np.clip(taps[:, edge] + d, 0, rules.N_TAPS - 1)
            values = self._edge_values(taps, edge)
        self.firings += int(times.size)
        self.periods += 1
        self.last_events = EventRecord(n, times, fired, directions)
        last = np.zeros((k_tasks, n_edges), dtype=np.int8)
        last[:, fired] = directions
        enabled = np.zeros((k_tasks, n_edges), dtype=bool)
        enabled[:, fired] = True
        cfg = eng.config
        return TrainState(
            step=n,
            resistance_ohm=rules.taps_to_ohm(taps, cfg.r_min_ohm, cfg.r_max_ohm),
            taps=taps,
            enabled=enabled,
            direction=last,
        )

    def provenance(self) -> dict:
        """The schedule's example period and the firings realised so far."""
        return clockless_provenance(self.schedule, self.firings, self.periods)


__all__ = ["SelfTriggeredCircuit"]
