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
factorisation. ``M`` is recomputed from the taps at the start of every example period, so
rounding does not accumulate and a resumed run gives the same bits.

Each firing's record (``last_events``: time, edge, direction per task) lets tests compare the
decisions with the circuit engine's, event by event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from coupled.core.errors import UserError
from coupled.engines.board.selftrigger import SelfTriggerSchedule
from coupled.engines.board.twin import BoardTwin, board_directions
from coupled.physics import rules
from coupled.physics.state import StepDraws, TrainState

if TYPE_CHECKING:
    from coupled.physics.networks import Network
    from coupled.physics.tasks import Task
    from coupled.training.config import TrainConfig


@dataclass(frozen=True)
class EventRecord:
    """The firings of one example period: ``time_s`` (n,), ``edge`` (n,), ``direction`` (K, n)."""

    step: int
    time_s: np.ndarray
    edge: np.ndarray
    direction: np.ndarray


@dataclass(frozen=True)
class _EdgeAmps:
    """One edge's amplifier errors, shaped for :func:`board_directions` (5, 1)."""

    amp_gain_error: np.ndarray | None
    amp_offset_v: np.ndarray | None


def twin_schedule(twin: BoardTwin, config: TrainConfig) -> SelfTriggerSchedule:
    """The self-triggered schedule of the twin's oscillators for ``config`` (p, example period)."""
    d = twin.design
    return SelfTriggerSchedule.build(
        twin.oscillators, twin.bias_v, d.vss_v, d.swing_v, config.p, config.example_period_s
    )


def _inverse_dirichlet(
    edges: np.ndarray, g: np.ndarray, undriven: np.ndarray, n_nodes: int
) -> np.ndarray:
    """``A^{-1}`` (K, N, N): the Laplacian of conductances ``g`` (K, E), driven rows identity."""
    k_tasks = g.shape[0]
    u, w = edges[:, 0], edges[:, 1]
    flat = np.concatenate([u * n_nodes + u, w * n_nodes + w, u * n_nodes + w, w * n_nodes + u])
    values = np.concatenate([g, g, -g, -g], axis=1)
    lap = np.zeros((k_tasks, n_nodes * n_nodes))
    rows = np.broadcast_to(np.arange(k_tasks)[:, None], values.shape)
    np.add.at(lap, (rows, np.broadcast_to(flat, values.shape)), values)
    lap = lap.reshape(k_tasks, n_nodes, n_nodes)
    a = np.where(undriven[:, :, None], lap, np.eye(n_nodes)[None])
    return np.linalg.inv(a)


def _rank_one(m: np.ndarray, u: int, w: int, undriven: np.ndarray, dg: np.ndarray) -> None:
    """Sherman-Morrison in place: ``M`` after edge ``(u, w)``'s conductance rises by ``dg``."""
    mc = m[:, :, u] * undriven[:, u, None] - m[:, :, w] * undriven[:, w, None]  # (K, N)
    am = m[:, u, :] - m[:, w, :]  # (K, N)
    scale = dg / (1.0 + dg * (mc[:, u] - mc[:, w]))
    m -= scale[:, None, None] * mc[:, :, None] * am[:, None, :]


class EventTwin:
    """Event-driven training of the self-triggered board twin (see the module docstring)."""

    def __init__(
        self, network: Network, tasks: list[Task], config: TrainConfig, twin: BoardTwin
    ) -> None:
        if twin.jitter:
            raise UserError(
                f"--jitter {twin.jitter}: not modelled on the self-triggered board (use 0)"
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
        self.undriven_f, self.undriven_c = ~free_driven, ~clamped_driven
        self.train_x = np.stack([t.train_inputs_v for t in tasks])  # (K, X, k)
        self.train_y = np.stack([t.train_targets_v for t in tasks])  # (K, X, O)
        p = twin.parameters
        self.amps = [
            _EdgeAmps(
                None if p.amp_gain_error is None else np.asarray(p.amp_gain_error)[:, [i]],
                None if p.amp_offset_v is None else np.asarray(p.amp_offset_v)[:, [i]],
            )
            for i in range(network.n_edges)
        ]
        self.firings = 0
        self.periods = 0
        self.last_events: EventRecord | None = None

    # -- one example period ---------------------------------------------------------------------
    def step(self, state: TrainState, draws: StepDraws) -> TrainState:
        """All firings of example period ``draws.step``, in time order; the new state."""
        cfg, twin = self.config, self.twin
        taps = np.array(state.taps, dtype=np.int64)
        k_tasks, n_edges = taps.shape
        free_ohm, clamped_ohm = twin.twin_resistances(taps)
        n = self.network.n_nodes
        m_f = _inverse_dirichlet(self.edges, 1.0 / free_ohm, self.undriven_f, n)
        m_c = _inverse_dirichlet(self.edges, 1.0 / clamped_ohm, self.undriven_c, n)
        rows = np.arange(k_tasks)
        index = np.asarray(draws.example_index)
        x, y = self.train_x[rows, index], self.train_y[rows, index]  # (K, k), (K, O)
        b_f = np.zeros((k_tasks, n))
        b_f[rows[:, None], self.inputs] = x
        b_c = b_f.copy()
        times, fired = self.schedule.events(draws.step)
        directions = np.zeros((k_tasks, times.size), dtype=np.int8)
        last = np.zeros((k_tasks, n_edges), dtype=np.int8)
        pot, p = twin.design.pot, twin.parameters
        eta = float(cfg.eta)
        for j, edge in enumerate(fired.tolist()):
            u, w = int(self.edges[edge, 0]), int(self.edges[edge, 1])
            v_f = np.einsum("knm,km->kn", m_f, b_f)
            out_f = v_f[rows[:, None], self.outputs]
            b_c[rows[:, None], self.outputs] = out_f + eta * (y - out_f)
            v_c = np.einsum("knm,km->kn", m_c, b_c)
            free_drop, clamped_drop = v_f[:, u] - v_f[:, w], v_c[:, u] - v_c[:, w]
            if cfg.sigma_mode == "board":
                d = board_directions(
                    free_drop,
                    clamped_drop,
                    p.offset_a_v[edge],
                    p.offset_b_v[edge],
                    twin.design,
                    self.amps[edge],
                )
            else:
                d = rules.discrete_direction(free_drop, clamped_drop, draws.sigma_v[:, edge])
            d = np.asarray(d, dtype=np.int8)
            directions[:, j], last[:, edge] = d, d
            new = np.clip(taps[:, edge] + d, 0, rules.N_TAPS - 1)
            moved = new != taps[:, edge]
            if moved.any():
                for m, r_ab, r_ser in (
                    (m_f, p.r_ab_free_ohm[edge], p.r_series_free_ohm[edge]),
                    (m_c, p.r_ab_clamped_ohm[edge], p.r_series_clamped_ohm[edge]),
                ):
                    old_g = 1.0 / pot.resistance_ohm(taps[:, edge], r_ab, r_ser)
                    new_g = 1.0 / pot.resistance_ohm(new, r_ab, r_ser)
                    undriven = self.undriven_f if m is m_f else self.undriven_c
                    _rank_one(m, u, w, undriven, np.where(moved, new_g - old_g, 0.0))
                taps[:, edge] = new
        self.firings += int(times.size)
        self.periods += 1
        self.last_events = EventRecord(draws.step, times, fired, directions)
        enabled = np.zeros((k_tasks, n_edges), dtype=bool)
        enabled[:, fired] = True
        return TrainState(
            step=draws.step,
            resistance_ohm=rules.taps_to_ohm(taps, cfg.r_min_ohm, cfg.r_max_ohm),
            taps=taps,
            enabled=enabled,
            direction=last,
        )

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
