"""The ``ideal`` engine: exact linear algebra, many tasks as one batched computation.

Per step and task one sparse factorisation serves the free and the clamped state. With inputs
and grounds driven, the engine solves for the node voltages per volt on each input (the free
transfer) and per ampere injected at each output (the clamp response ``Z``). Clamping the
outputs at ``V_C`` is the free state plus the response to output currents ``lambda`` that solve
the small O x O system ``G lambda = V_C - V_F`` (``G`` = ``Z`` at the outputs, a Schur
complement). Batch sums over examples are done on the small (k, O) statistics instead of per
example: ``sum_j w_j (dC_j^2 - dF_j^2) = sum_j w_j dP_j (2 dF_j + dP_j)`` with ``dF = A x`` and
``dP = B lambda`` gives quadratic forms in ``sum_j w_j x_j lambda_j^T`` and
``sum_j w_j lambda_j lambda_j^T``.

Two interchangeable solvers (``engine_options``):

``solver="compiled"`` (default)
    :mod:`coupled.physics.kernels`: per task a sparse ``L D L^T`` in a fixed minimum-degree order,
    compiled with numba, tasks vectorised in blocks. A continuous step (solve, batch statistics,
    contrast, update) is one kernel call: about 2.3 us of CPU per task-step on ``jammed143``
    with 50 tasks (``benchmarks/bench_ideal.py``). :meth:`IdealEngine.measure` and
    :meth:`IdealEngine.predict` (the discrete rule, the error history) take the kernel's node
    responses and finish in numpy.
``solver="planned"``
    The numpy elimination of :func:`coupled.physics.elimination.plan_elimination` (rounds of
    independent low-degree nodes vectorised over tasks, a dense LAPACK tail); ``slack`` (int,
    default 3) is the degree slack of its schedule, ``dense_tail`` (int, default 24) the number of
    last nodes solved as one dense system. About 22 us per task-step; kept as an independent
    cross-check.

Either way every operation acts element-wise over tasks, so a task gives the same bits alone or
in any batch. The two solvers agree to rounding (measured: drops and contrasts within 1e-14
relative on ``jammed143``), not bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from coupled.core.errors import ParameterError, engine_option, named
from coupled.engines.base import Engine
from coupled.engines.board.twin import BOARD_OPTIONS, check_board_options
from coupled.physics import kernels
from coupled.physics.elimination import plan_elimination, planned_solve, planned_system
from coupled.physics.state import Measurement, StepDraws, TrainState

if TYPE_CHECKING:
    from coupled.engines.settings import RunSettings
    from coupled.physics.networks import Network
    from coupled.physics.tasks import Task

SOLVERS = ("compiled", "planned")


@dataclass(frozen=True, eq=False)
class _Response:
    drops_in: np.ndarray  # (k, E, K) edge drops per volt on each input
    drops_out: np.ndarray  # (O, E, K) edge drops per ampere into each output
    transfer: np.ndarray  # (O, k, K) free outputs per volt on each input
    clamp_inverse: np.ndarray  # (O, O, K) inverse of G: output currents per volt of clamp


class IdealEngine(Engine):
    """Exact, batched solver engine (see the module docstring)."""

    name = "ideal"
    options: ClassVar[dict] = {"solver": "compiled", "slack": 3, "dense_tail": 24, **BOARD_OPTIONS}

    @classmethod
    def check_options(cls, options: dict) -> dict:
        """Options with defaults filled in; ``UserError`` for unknown keys or bad values."""
        merged = super().check_options(options)
        for name in ("slack", "dense_tail"):
            value = merged[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                option = engine_option(name)
                raise ParameterError(
                    f"{named(option)}={value!r}: must be a whole number >= 0", option
                )
        if merged["solver"] not in SOLVERS:
            option = engine_option("solver")
            raise ParameterError(
                f"{named(option)}={merged['solver']!r}: must be one of {', '.join(SOLVERS)}",
                option,
            )
        return check_board_options(merged)

    def prepare(self, network: Network, tasks: list[Task], config: RunSettings) -> None:
        """Plan the factorisation (or the elimination) and the per-task index tables."""
        super().prepare(network, tasks, config)
        options = self.check_options(dict(config.engine_options))
        self.eta = float(config.eta)
        self.edges = network.edges
        self.inputs = np.array([t.inputs for t in tasks], dtype=np.int64).T  # (k, K)
        self.outputs = np.array([t.outputs for t in tasks], dtype=np.int64).T  # (O, K)
        # Examples as (k, K, X) and (O, K, X): tasks before examples, examples last.
        self.train_x = np.ascontiguousarray(np.moveaxis(self.train_inputs_v, 2, 0))
        self.train_y = np.ascontiguousarray(np.moveaxis(self.train_targets_v, 2, 0))
        self.compiled = options["solver"] == "compiled"
        if self.compiled:
            self.factor_plan = kernels.plan_factorisation(network)
            self.task_arrays = kernels.TaskArrays.from_tasks(tasks, network)
        else:
            self._prepare_planned(network, tasks, options)
        self._cached: tuple[np.ndarray, _Response] | None = None
        self.prepare_twin(options)

    # -- engine interface -----------------------------------------------------------------------
    def step(self, state: TrainState, draws: StepDraws) -> TrainState:
        """One learning step of every task; a continuous step is one compiled call."""
        cfg = self.config
        if not (self.compiled and cfg.rule == "continuous"):
            return super().step(state, draws)
        draws = self.board_draws(draws)
        _, new_r, direction = kernels.continuous_step(
            self.factor_plan,
            self.task_arrays,
            state.resistance_ohm,
            draws.example_mask,
            draws.edge_mask,
            self.eta,
            cfg.gamma,
            cfg.r_min_ohm,
            cfg.r_max_ohm,
        )
        return TrainState(
            step=draws.step,
            resistance_ohm=new_r,
            taps=state.taps,
            enabled=draws.edge_mask,
            direction=direction,
        )

    def measure(self, resistance_ohm: np.ndarray, example_index: np.ndarray) -> Measurement:
        """Free and clamped drops (K, X, E) for training examples ``example_index`` (K, X)."""
        resp = self._response(resistance_ohm)
        x = _take_examples(self.train_x, example_index)
        y = _take_examples(self.train_y, example_index)
        free, current = self._states(resp, x, y)
        free_drop = _contract(resp.drops_in, x)  # (E, K, X)
        clamped_drop = free_drop + _contract(resp.drops_out, current)
        return Measurement(
            free_drop_v=np.moveaxis(free_drop, 0, 2),
            clamped_drop_v=np.moveaxis(clamped_drop, 0, 2),
            free_output_v=np.moveaxis(free, 0, 2),
        )

    def measure_twins(
        self, free_ohm: np.ndarray, clamped_ohm: np.ndarray, example_index: np.ndarray
    ) -> Measurement:
        """Free twin's free state and clamped twin's clamped state (K, X, E): two responses.

        The clamped twin is driven at the inputs and held at ``V_F + eta (V_D - V_F)`` of the
        free twin by output currents from its own clamp response.
        """
        x = _take_examples(self.train_x, example_index)
        y = _take_examples(self.train_y, example_index)
        free_resp = self._response(np.asarray(free_ohm, dtype=float))
        free = _apply(free_resp.transfer, x)
        free_drop = _contract(free_resp.drops_in, x)
        target = free + self.eta * (y - free)
        resp = self._response(np.asarray(clamped_ohm, dtype=float))
        current = _apply(resp.clamp_inverse, target - _apply(resp.transfer, x))
        clamped_drop = _contract(resp.drops_in, x) + _contract(resp.drops_out, current)
        return Measurement(
            free_drop_v=np.moveaxis(free_drop, 0, 2),
            clamped_drop_v=np.moveaxis(clamped_drop, 0, 2),
            free_output_v=np.moveaxis(free, 0, 2),
        )

    def contrast(self, resistance_ohm: np.ndarray, example_mask: np.ndarray) -> np.ndarray:
        """Exact ``sum_j w_j [(I^C)^2 - (I^F)^2]`` (K, E) from the small batch statistics."""
        if self.compiled:  # the continuous step's own contrast, bit for bit
            r = np.asarray(resistance_ohm, dtype=float)
            return kernels.continuous_step(
                self.factor_plan,
                self.task_arrays,
                r,
                example_mask,
                np.zeros(r.shape, dtype=bool),
                self.eta,
                0.0,
                -np.inf,
                np.inf,
            )[0]
        resp = self._response(resistance_ohm)
        x, current = self.train_x, self._states(resp, self.train_x, self.train_y)[1]
        w = np.asarray(example_mask, dtype=float)  # (K, X)
        k, o = x.shape[0], current.shape[0]
        # m[a][b] = sum_j w_j x_j[a] lambda_j[b]; q[b][c] = sum_j w_j lambda_j[b] lambda_j[c]
        wl = current * w
        m = [[(x[a] * wl[b]).sum(axis=-1) for b in range(o)] for a in range(k)]
        q = [[(current[b] * wl[c]).sum(axis=-1) for c in range(o)] for b in range(o)]
        din, dout = resp.drops_in, resp.drops_out
        total = np.zeros(din.shape[1:])
        for b in range(o):
            inner = 2.0 * sum(din[a] * m[a][b] for a in range(k))
            inner = inner + sum(dout[c] * q[b][c] for c in range(o))
            total += dout[b] * inner
        return total.T / resistance_ohm**2

    def predict(self, resistance_ohm: np.ndarray, inputs_v: np.ndarray) -> np.ndarray:
        """Free outputs (K, X, O) for inputs (K, X, k); with a board twin, of its free twin's
        drawn pots at the state's taps (:meth:`~coupled.engines.base.Engine.measured_ohm`)."""
        resp = self._response(self._measured(resistance_ohm))
        x = np.moveaxis(np.asarray(inputs_v, dtype=float), 2, 0)
        return np.moveaxis(_apply(resp.transfer, x), 0, 2)

    def _measured(self, resistance_ohm: np.ndarray) -> np.ndarray:
        """:meth:`measured_ohm`, cached by identity so repeated calls reuse one solve."""
        if self.twin is None or self.config.rule != "discrete":
            return resistance_ohm
        cached = getattr(self, "_measured_cache", None)
        if cached is not None and cached[0] is resistance_ohm:
            return cached[1]
        measured = self.measured_ohm(resistance_ohm)
        self._measured_cache = (resistance_ohm, measured)
        return measured

    # -- the exact solve ------------------------------------------------------------------------
    def _response(self, resistance_ohm: np.ndarray) -> _Response:
        if self._cached is not None and self._cached[0] is resistance_ohm:
            return self._cached[1]
        if self.compiled:
            nodes = kernels.node_response(self.factor_plan, self.task_arrays, resistance_ohm)
            x = np.ascontiguousarray(nodes.transpose(2, 1, 0))  # (k + O, N, K)
        else:
            x = self._planned_nodes(resistance_ohm)
        k, k_tasks = self.inputs.shape
        drops = x[:, self.edges[:, 0]] - x[:, self.edges[:, 1]]  # (k + O, E, K)
        at_outputs = x[:, self.outputs, np.arange(k_tasks)]  # (k + O, O, K)
        response = _Response(
            drops_in=drops[:k],
            drops_out=drops[k:],
            transfer=np.ascontiguousarray(np.moveaxis(at_outputs[:k], 1, 0)),
            clamp_inverse=_spd_inverse(np.moveaxis(at_outputs[k:], 1, 0)),
        )
        self._cached = (resistance_ohm, response)
        return response

    def _states(self, resp: _Response, x: np.ndarray, y: np.ndarray):
        """Free outputs (O, K, X) and clamp currents lambda (O, K, X) for examples x, y."""
        free = _apply(resp.transfer, x)
        delta = self.eta * (y - free)
        return free, _apply(resp.clamp_inverse, delta)

    def _prepare_planned(self, network: Network, tasks: list[Task], options: dict) -> None:
        self.plan = plan_elimination(
            network, slack=options["slack"], dense_tail=options["dense_tail"]
        )
        n, k_tasks = network.n_nodes, len(tasks)
        k, o = self.inputs.shape[0], self.outputs.shape[0]
        driven = np.zeros((n, k_tasks), dtype=bool)
        cols = np.arange(k_tasks)
        for row in self.inputs:
            driven[row, cols] = True
        for t, task in enumerate(tasks):
            driven[list(task.grounds), t] = True
        self.driven = driven
        unit = np.zeros((n, k + o, k_tasks))
        for j in range(k):
            unit[self.inputs[j], j, cols] = 1.0
        for j in range(o):
            unit[self.outputs[j], k + j, cols] = 1.0
        self.unit = unit
        self.input_columns = network.incidence()[:, self.inputs]  # (E, k, K)

    def _planned_nodes(self, resistance_ohm: np.ndarray) -> np.ndarray:
        """Node voltages per input volt and output ampere (k + O, N, K), numpy elimination."""
        plan = self.plan
        g = 1.0 / np.asarray(resistance_ohm, dtype=float)  # (K, E)
        k, k_tasks = self.inputs.shape
        entries = planned_system(plan, g, self.driven.T)
        coupling = g.T[:, None, :] * self.input_columns  # (E, k, K)
        lap_cols = (plan.incidence_t @ coupling.reshape(plan.n_edges, -1)).reshape(
            plan.n_nodes, k, k_tasks
        )
        rhs = self.unit.copy()
        rhs[:, :k] = np.where(self.driven[:, None, :], self.unit[:, :k], -lap_cols)
        x = planned_solve(plan, entries, rhs)  # (N, k + O, K)
        return np.ascontiguousarray(np.moveaxis(x, 1, 0))


def _apply(matrix: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Per-task matrix (R, C, K) times vectors (C, K, X) -> (R, K, X), element-wise over tasks."""
    rows, cols = matrix.shape[:2]
    out = np.empty((rows,) + vectors.shape[1:])
    for i in range(rows):
        acc = matrix[i, 0][:, None] * vectors[0]
        for j in range(1, cols):
            acc = acc + matrix[i, j][:, None] * vectors[j]
        out[i] = acc
    return out


def _contract(drops: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Edge drops (C, E, K) weighted by vectors (C, K, X) -> (E, K, X)."""
    acc = drops[0][:, :, None] * vectors[0]
    for j in range(1, drops.shape[0]):
        acc = acc + drops[j][:, :, None] * vectors[j]
    return acc


def _take_examples(table: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Rows ``index`` (K, X) of each task's examples: table (C, K, Xall) -> (C, K, X)."""
    return np.take_along_axis(table, np.asarray(index)[None], axis=2)


def _spd_inverse(matrix: np.ndarray) -> np.ndarray:
    """Inverse of small SPD matrices (O, O, K) by Gauss-Jordan without pivoting, per task."""
    o = matrix.shape[0]
    a = np.array(matrix, dtype=float)
    inv = np.zeros_like(a)
    for i in range(o):
        inv[i, i] = 1.0
    for p in range(o):
        pivot = a[p, p].copy()
        a[p] /= pivot
        inv[p] /= pivot
        for r in range(o):
            if r != p:
                factor = a[r, p].copy()
                a[r] -= factor * a[p]
                inv[r] -= factor * inv[p]
    return inv
