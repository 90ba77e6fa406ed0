"""The self-triggered board's twin: event-driven updates by rank-1 changes of the twins' solves.

With ``--trigger self`` (``--p-mode oscillator``) the ``ideal`` engine trains the board twin of
:mod:`coupled.engines.board.twin` on the schedule of :mod:`coupled.engines.board.selftrigger`:
a training step is one example period; its edge firings are taken in time order, one edge at
a time. At a firing of edge ``i`` the twin measures the free twin's free state and the clamped
twin's clamped state (outputs held at ``V_F + eta (V_D - V_F)`` of the free twin) for the
example shown, decides edge ``i``'s direction by the board's comparators (``--sigma-mode
board``: :func:`~coupled.engines.board.twin.board_directions` with its fixed offsets) or by the
rule with the step's sigma, and moves that edge's tap by one (saturating at 0 and 127).

Solves. Per task and twin the engine keeps ``M = A^{-1}``, the inverse of the twin's Laplacian
with the rows of driven nodes replaced by identity rows (``A v = b``: ``b`` the driven voltages
at driven rows, 0 elsewhere), so ``v = M b`` (one matrix-vector product per twin and firing).
A tap move changes one conductance by ``dg``: ``A' = A + dg c a^T`` with ``a = e_u - e_w`` and
``c`` = ``a`` on the undriven rows, and Sherman-Morrison gives
``M' = M - dg (M c)(a^T M) / (1 + dg a^T M c)``: O(N^2) per firing instead of a new
factorisation. ``M`` is recomputed from the taps at the start of every example period (in the
compiled loop by Gauss-Jordan up to :data:`COMPILED_INVERSE_NODES` nodes, by LAPACK above), so
rounding does not accumulate and a resumed run gives the same bits.

Each firing's record (``last_events``: time, edge, direction per task) lets tests compare the
decisions with the circuit engine's, event by event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from coupled.core.errors import ParameterError
from coupled.engines.board.selftrigger import SelfTriggerSchedule
from coupled.engines.board.twin import BoardTwin
from coupled.physics import rules
from coupled.physics.state import StepDraws, TrainState

if TYPE_CHECKING:
    from coupled.engines.settings import RunSettings
    from coupled.physics.networks import Network
    from coupled.physics.tasks import Task


@dataclass(frozen=True)
class EventRecord:
    """The firings of one example period: ``time_s`` (n,), ``edge`` (n,), ``direction`` (K, n)."""

    step: int
    time_s: np.ndarray
    edge: np.ndarray
    direction: np.ndarray


def twin_schedule(twin: BoardTwin, config: RunSettings) -> SelfTriggerSchedule:
    """The self-triggered schedule of the twin's oscillators for ``config`` (p, example period)."""
    d = twin.design
    return SelfTriggerSchedule.build(
        twin.oscillators,
        twin.bias_v,
        d.vss_v,
        d.swing_v,
        config.p,
        config.example_period_s,
        delay_s=d.trigger_width_s,
    )


COMPILED_INVERSE_NODES = 96
"""Up to this many nodes the compiled loop inverts the twins itself; above, LAPACK does."""


def _inverse_dirichlet(
    edges: np.ndarray, g: np.ndarray, undriven: np.ndarray, n_nodes: int
) -> np.ndarray:
    """``A^{-1}`` (K, N, N): the Laplacian of conductances ``g`` (K, E), driven rows identity."""
    k_tasks = g.shape[0]
    u, w = edges[:, 0], edges[:, 1]
    flat = np.concatenate([u * n_nodes + u, w * n_nodes + w, u * n_nodes + w, w * n_nodes + u])
    values = np.concatenate([g, g, -g, -g], axis=1)
    where = (np.arange(k_tasks)[:, None] * (n_nodes * n_nodes) + flat[None, :]).ravel()
    lap = np.bincount(where, weights=values.ravel(), minlength=k_tasks * n_nodes * n_nodes)
    lap = lap.reshape(k_tasks, n_nodes, n_nodes)
    a = np.where(undriven[:, :, None] > 0, lap, np.eye(n_nodes)[None])
    return np.linalg.inv(a)


def period_state(
    step: int, taps: np.ndarray, fired: np.ndarray, directions: np.ndarray, config: RunSettings
) -> TrainState:
    """The state after an example period: taps (K, E), each fired edge enabled with the
    direction of its last firing (``fired`` in time order, ``directions`` (K, firings))."""
    k_tasks, n_edges = taps.shape
    last = np.zeros((k_tasks, n_edges), dtype=np.int8)
    last[:, fired] = directions  # the last firing of an edge is written last
    enabled = np.zeros((k_tasks, n_edges), dtype=bool)
    enabled[:, fired] = True
    return TrainState(
        step=step,
        resistance_ohm=rules.taps_to_ohm(taps, config.r_min_ohm, config.r_max_ohm, config.n_taps),
        taps=taps,
        enabled=enabled,
        direction=last,
    )


class EventTwin:
    """Event-driven training of the self-triggered board twin (see the module docstring)."""

    def __init__(
        self, network: Network, tasks: list[Task], config: RunSettings, twin: BoardTwin
    ) -> None:
        if twin.jitter:
            raise ParameterError(
                f"{{jitter}} {twin.jitter}: not modelled on the self-triggered board (use 0)",
                "jitter",
            )
        self.network, self.config, self.twin = network, config, twin
        self.schedule = twin_schedule(twin, config)
        self.edges = np.asarray(network.edges, dtype=np.int64)
        n, k_tasks = network.n_nodes, len(tasks)
        self.inputs = np.array([t.inputs for t in tasks], dtype=np.int64)  # (K, k)
        self.outputs = np.array([t.outputs for t in tasks], dtype=np.int64)  # (K, O)
        free_driven = np.zeros((k_tasks, n), dtype=bool)
        for t, task in enumerate(tasks):
            free_driven[t, list(task.inputs) + list(task.grounds)] = True
        clamped_driven = free_driven.copy()
        clamped_driven[np.arange(k_tasks)[:, None], self.outputs] = True
        self.undriven_fv = (~free_driven).astype(float)
        self.undriven_cv = (~clamped_driven).astype(float)
        self.train_x = np.stack([t.train_inputs_v for t in tasks])  # (K, X, k)
        self.train_y = np.stack([t.train_targets_v for t in tasks])  # (K, X, O)
        self.firings = 0
        self.periods = 0
        self.last_events: EventRecord | None = None

    # -- one example period ---------------------------------------------------------------------
    def _tables(self) -> None:
        """Conductance per edge and tap of both twins (E, n_taps) and the law's constants."""
        twin = self.twin
        p, pot, d = twin.parameters, twin.design.pot, twin.design
        taps = np.arange(pot.n_taps)[None, :]
        self.g_free = 1.0 / pot.resistance_ohm(
            taps, p.r_ab_free_ohm[:, None], p.r_series_free_ohm[:, None]
        )
        self.g_clamped = 1.0 / pot.resistance_ohm(
            taps, p.r_ab_clamped_ohm[:, None], p.r_series_clamped_ohm[:, None]
        )
        n_edges = self.network.n_edges
        # The sensing stages exactly as board_directions applies them.
        gains = np.array([1.0, 1.0, 1.0, d.sense_gain, d.sense_gain])[:, None]
        if p.amp_gain_error is not None:
            gains = gains * (1.0 + np.asarray(p.amp_gain_error))
            offsets = np.asarray(p.amp_offset_v, dtype=float)
        else:
            offsets = np.zeros((5, 1))
        self.gains = np.ascontiguousarray(np.broadcast_to(gains, (5, n_edges)))
        self.offsets = np.ascontiguousarray(np.broadcast_to(offsets, (5, n_edges)))
        low, high = d.amplifier_swing_v
        self.swing = np.array([low, high, d.reference_v])

    def step(self, state: TrainState, draws: StepDraws) -> TrainState:
        """All firings of example period ``draws.step``, in time order; the new state."""
        from coupled.engines.board.eventkernel import LAW_BOARD, LAW_SIGMA, period_kernel

        cfg, twin = self.config, self.twin
        if not hasattr(self, "g_free"):
            self._tables()
        taps = np.array(state.taps, dtype=np.int64)
        k_tasks, n_edges = taps.shape
        n = self.network.n_nodes
        invert = n <= COMPILED_INVERSE_NODES  # small: inverted in the compiled loop
        if invert:
            m_f, m_c = np.empty((k_tasks, n, n)), np.empty((k_tasks, n, n))
        else:
            cols = np.arange(n_edges)[None, :]
            m_f = _inverse_dirichlet(self.edges, self.g_free[cols, taps], self.undriven_fv, n)
            m_c = _inverse_dirichlet(self.edges, self.g_clamped[cols, taps], self.undriven_cv, n)
        rows = np.arange(k_tasks)
        index = np.asarray(draws.example_index)
        x, y = self.train_x[rows, index], self.train_y[rows, index]  # (K, k), (K, O)
        b_f = np.zeros((k_tasks, n))
        b_f[rows[:, None], self.inputs] = x
        b_c = b_f.copy()
        times, fired = self.schedule.events(draws.step)
        directions = np.zeros((k_tasks, times.size), dtype=np.int8)
        board = cfg.sigma_mode == "board"
        p = twin.parameters
        period_kernel(
            m_f,
            m_c,
            b_f,
            b_c,
            self.outputs,
            np.ascontiguousarray(y, dtype=float),
            float(cfg.eta),
            self.edges,
            self.undriven_fv,
            self.undriven_cv,
            np.ascontiguousarray(fired, dtype=np.int64),
            taps,
            self.g_free,
            self.g_clamped,
            LAW_BOARD if board else LAW_SIGMA,
            self.gains,
            self.offsets,
            self.swing,
            np.asarray(p.offset_a_v, dtype=float),
            np.asarray(p.offset_b_v, dtype=float),
            np.ascontiguousarray(np.broadcast_to(draws.sigma_v, (k_tasks, n_edges)), dtype=float),
            directions,
            invert,
        )
        self.firings += int(times.size)
        self.periods += 1
        self.last_events = EventRecord(draws.step, times, fired, directions)
        return period_state(draws.step, taps, fired, directions, cfg)

    def provenance(self) -> dict:
        """The schedule's example period and the firings realised so far."""
        return clockless_provenance(self.schedule, self.firings, self.periods)


def clockless_provenance(schedule: SelfTriggerSchedule, firings: int, periods: int) -> dict:
    """What a self-triggered run records: example period, bias, realised firings per edge."""
    per = firings / (schedule.n_edges * periods) if periods else None
    return {
        "trigger": "self",
        "example_period_s": float(schedule.example_period_s),
        "mean_firing_period_s": float(np.mean(schedule.period_s)),
        "firings": int(firings),
        "firings_per_edge_per_example": per,
    }


__all__ = ["EventRecord", "EventTwin", "clockless_provenance", "twin_schedule"]
