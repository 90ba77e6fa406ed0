"""The ``spice`` engine: the twin networks solved in ngspice, decisions by the rules in Python.

Contract. Same draws, same rules as the ``ideal`` engine (:mod:`coupled.physics.rules` through the
default :meth:`~coupled.engines.base.Engine.step`); only the physics is delegated: the free and
the clamped twin of every task are resistor networks in ONE ngspice circuit (tasks side by side,
nothing shared but the ground), the clamped outputs held by the analog nudge
``V_C = (1 - eta) V_F + eta V_D`` (two linear controlled sources per output, so one analysis
gives both states). With p = 1 and sigma_v = 0 it takes the ideal engine's decisions.

Per step (discrete rule, one example per task): the resistances that changed (both twins) and
the example's input and target sources are altered, then one ``op``. A batch of examples
(continuous rule, or :meth:`SpiceEngine.measure` of several examples) is one ``dc`` sweep of an
index source whose value selects each example through ``pwl(v(idx), ...)`` sources; sweep
circuits are built once per example set and only their resistances are altered. ``predict``
(the loop's error history) uses free-twin sweep circuits cached per input set.

Memory and speed. Every per-step command goes through
:meth:`coupled.spice.SpiceSession.script` (an ``*ng_script`` deck), which ngspice does not
keep: a training run holds no per-step memory in ngspice (``session.alter`` keeps ~320 bytes
per statement for the life of the process). Node voltages are read straight from ngspice's
vectors. Measured costs are in ``benchmarks/bench_engines.py`` and ``docs/engines.md``.

Failures. An analysis that fails is retried once on a freshly loaded circuit (same values),
then once more with ngspice's convergence aids forced on (``gminsteps`` and ``srcsteps``
stepping, a larger ``itl1``); if that fails too, :class:`~coupled.core.errors.SpiceError` names the
step. Options (``engine_options``): none.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from coupled.core.errors import SpiceError
from coupled.engines.base import Engine
from coupled.engines.board.twin import BOARD_OPTIONS, check_board_options
from coupled.physics.state import Measurement, StepDraws, TrainState
from coupled.spice.numbers import spice_text
from coupled.spice.session import SpiceSession, get_session

if TYPE_CHECKING:
    from coupled.engines.settings import RunSettings
    from coupled.physics.networks import Network
    from coupled.physics.tasks import Task

OPTIONS_LINE = ".options reltol=1e-9 abstol=1e-15 vntol=1e-12"
"""Options of every twin-network circuit (linear: LU precision sets the error, see
:mod:`coupled.spice.network`)."""
FALLBACK_COMMANDS = ("option gminsteps=100", "option srcsteps=100", "option itl1=500")
"""Convergence aids set before the last retry of a failed analysis."""

_IDS = itertools.count()


def _num(value: float) -> str:
    return repr(float(value))


def _pwl(values: np.ndarray) -> str:
    column = np.asarray(values, dtype=float)
    if column.size == 1:  # pwl needs two points
        column = np.repeat(column, 2)
    return ", ".join(f"{k}, {_num(v)}" for k, v in enumerate(column.tolist()))


class TwinNetworks:
    """Netlists, element names and node readout of K tasks' twin networks in ngspice.

    Node ``v`` of task ``t`` is ``t<t>f<v>`` in the free twin and ``t<t>c<v>`` in the clamped
    twin; an input is the node ``t<t>i<j>`` of source ``VI<t>_<j>`` shared by both twins; a
    ground is node ``0``; output ``o`` of the clamped twin is set by ``EA<t>_<o>`` and
    ``EB<t>_<o>`` from the free output and the target node ``t<t>g<o>``. Edge ``i`` is
    ``RF<t>_<i>`` (free) and ``RC<t>_<i>`` (clamped).
    """

    def __init__(self, network: Network, tasks: Sequence[Task], eta: float) -> None:
        self.network = network
        self.tasks = list(tasks)
        self.eta = float(eta)
        n = network.n_nodes
        self.free_nodes: list[list[str]] = []
        self.clamped_nodes: list[list[str]] = []
        self.read_keys: list[str] = []
        for t, task in enumerate(self.tasks):
            free = [f"t{t}f{v}" for v in range(n)]
            for j, v in enumerate(task.inputs):
                free[v] = f"t{t}i{j}"
            for v in task.grounds:
                free[v] = "0"
            clamped = [
                name if name == "0" or name.startswith(f"t{t}i") else f"t{t}c{v}"
                for v, name in enumerate(free)
            ]
            self.free_nodes.append(free)
            self.clamped_nodes.append(clamped)
        self._unknown = [
            [v for v in range(n) if v not in t.inputs and v not in t.grounds] for t in self.tasks
        ]
        for t in range(len(self.tasks)):
            self.read_keys += [f"v({self.free_nodes[t][v]})" for v in self._unknown[t]]
            self.read_keys += [f"v({self.clamped_nodes[t][v]})" for v in self._unknown[t]]

    # -- netlists ---------------------------------------------------------------------------
    def netlist(
        self,
        free_ohm: np.ndarray,
        clamped_ohm: np.ndarray | None,
        inputs_v: np.ndarray,
        targets_v: np.ndarray | None,
        *,
        sweep: bool,
    ) -> str:
        """One circuit of all tasks.

        ``inputs_v`` (K, k) and ``targets_v`` (K, O) for an ``op`` circuit (``sweep=False``);
        (K, X, k) and (K, X, O) for a sweep over X examples. ``clamped_ohm=None`` leaves the
        clamped twins out (free outputs only, for ``predict``).
        """
        lines = [
            f"* twin networks of {len(self.tasks)} task(s), {spice_text(self.network.name)}",
            OPTIONS_LINE,
        ]
        if sweep:
            lines.append("VIDX idx 0 0")
        edges = self.network.edges.tolist()
        for t, task in enumerate(self.tasks):
            free, clamped = self.free_nodes[t], self.clamped_nodes[t]
            for j in range(len(task.inputs)):
                lines.append(self._source(f"I{t}_{j}", f"t{t}i{j}", inputs_v[t][..., j], sweep))
            for i, (a, b) in enumerate(edges):
                lines.append(f"RF{t}_{i} {free[a]} {free[b]} {_num(free_ohm[t, i])}")
            if clamped_ohm is None:
                continue
            for i, (a, b) in enumerate(edges):
                lines.append(f"RC{t}_{i} {clamped[a]} {clamped[b]} {_num(clamped_ohm[t, i])}")
            for o, v in enumerate(task.outputs):
                target = f"t{t}g{o}"
                lines.append(self._source(f"T{t}_{o}", target, targets_v[t][..., o], sweep))
                lines.append(f"EA{t}_{o} {clamped[v]} t{t}m{o} {free[v]} 0 {_num(1 - self.eta)}")
                lines.append(f"EB{t}_{o} t{t}m{o} 0 {target} 0 {_num(self.eta)}")
        return "\n".join(lines) + "\n.end\n"

    @staticmethod
    def _source(name: str, node: str, value: np.ndarray, sweep: bool) -> str:
        if sweep:
            return f"B{name} {node} 0 V = pwl(v(idx), {_pwl(value)})"
        return f"V{name} {node} 0 DC {_num(value)}"

    def resistance_alters(self, free_ohm, clamped_ohm, loaded_free, loaded_clamped) -> list[str]:
        """``alter`` commands for the resistances that differ from the loaded ones."""
        commands = []
        pairs = (("RF", free_ohm, loaded_free), ("RC", clamped_ohm, loaded_clamped))
        for prefix, new, old in pairs:
            if new is None:
                continue
            for t, i in zip(*np.nonzero(new != old), strict=True):
                commands.append(f"alter {prefix}{t}_{i} = {_num(new[t, i])}")
        return commands

    @staticmethod
    def drive_alters(prefix: str, new: np.ndarray, old: np.ndarray) -> list[str]:
        """``alter`` commands for the sources ``V<prefix><t>_<j>`` whose value changed."""
        return [
            f"alter V{prefix}{t}_{j} = {_num(new[t, j])}"
            for t, j in zip(*np.nonzero(new != old), strict=True)
        ]

    # -- readout ----------------------------------------------------------------------------
    def node_voltages(
        self, data: dict[str, np.ndarray], inputs_v: np.ndarray, clamped: bool = True
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Free and clamped node voltages (K, X, N) from analysis vectors of length X.

        Driven nodes take their exact source values (inputs (K, X, k)) or 0 (grounds).
        """
        k_tasks, x = inputs_v.shape[:2]
        n = self.network.n_nodes
        free = np.zeros((k_tasks, x, n))
        both = np.zeros((k_tasks, x, n)) if clamped else None
        for t, task in enumerate(self.tasks):
            inputs = list(task.inputs)
            free[t][:, inputs] = inputs_v[t]
            unknown = self._unknown[t]
            free[t][:, unknown] = np.stack(
                [data[f"v({self.free_nodes[t][v]})"][:x] for v in unknown], axis=1
            )
            if clamped:
                both[t][:, inputs] = inputs_v[t]
                both[t][:, unknown] = np.stack(
                    [data[f"v({self.clamped_nodes[t][v]})"][:x] for v in unknown], axis=1
                )
        return free, both

    def free_keys(self) -> list[str]:
        """Vector keys of the free twins' unknown nodes."""
        return [
            f"v({self.free_nodes[t][v]})" for t in range(len(self.tasks)) for v in self._unknown[t]
        ]


class _Circuit:
    """One loaded circuit and the values it holds (to alter only what changed)."""

    def __init__(self, name: str, free_ohm, clamped_ohm, inputs_v, targets_v) -> None:
        self.name = name
        self.free_ohm = np.array(free_ohm, dtype=float)
        self.clamped_ohm = None if clamped_ohm is None else np.array(clamped_ohm, dtype=float)
        self.inputs_v = np.array(inputs_v, dtype=float)
        self.targets_v = None if targets_v is None else np.array(targets_v, dtype=float)


class TwinSolver:
    """Solves K tasks' twin networks in ngspice with per-step traffic that ngspice forgets.

    Parameters
    ----------
    network, tasks, eta
        The network, the tasks (roles and examples) and the nudge amplitude.
    session
        The ngspice session (default: the process's).
    """

    def __init__(
        self,
        network: Network,
        tasks: Sequence[Task],
        eta: float,
        session: SpiceSession | None = None,
    ) -> None:
        self.twins = TwinNetworks(network, tasks, eta)
        self.session = session if session is not None else get_session()
        self._prefix = f"twins{next(_IDS)}"
        self._op: _Circuit | None = None
        self._sweeps: dict[str, _Circuit] = {}
        self.step: int | None = None

    def close(self) -> None:
        """Remove this solver's circuits from the session."""
        for circuit in [self._op, *self._sweeps.values()]:
            if circuit is not None:
                self.session.remove(circuit.name)
        self._op, self._sweeps = None, {}

    # -- one example per task: op ---------------------------------------------------------------
    def solve_op(self, free_ohm, clamped_ohm, inputs_v, targets_v) -> tuple[np.ndarray, ...]:
        """Free and clamped node voltages (K, N) for one example per task (op)."""
        circuit = self._op
        if circuit is None:
            circuit = self._load(
                f"{self._prefix}:op", free_ohm, clamped_ohm, inputs_v, targets_v, sweep=False
            )
            self._op = circuit
            commands = []
        else:
            commands = self.twins.resistance_alters(
                free_ohm, clamped_ohm, circuit.free_ohm, circuit.clamped_ohm
            )
            commands += self.twins.drive_alters("I", inputs_v, circuit.inputs_v)
            commands += self.twins.drive_alters("T", targets_v, circuit.targets_v)
        keys = self.twins.read_keys
        data = self._run(
            circuit, commands, "op", keys, (free_ohm, clamped_ohm, inputs_v, targets_v), sweep=False
        )
        circuit.free_ohm[...] = free_ohm
        circuit.clamped_ohm[...] = clamped_ohm
        circuit.inputs_v[...] = inputs_v
        circuit.targets_v[...] = targets_v
        free, clamped = self.twins.node_voltages(data, inputs_v[:, None, :])
        return free[:, 0], clamped[:, 0]

    # -- many examples per task: dc sweep -------------------------------------------------------
    def solve_sweep(self, free_ohm, clamped_ohm, inputs_v, targets_v):
        """Free and (unless ``clamped_ohm`` is None) clamped node voltages (K, X, N).

        ``inputs_v`` (K, X, k), ``targets_v`` (K, X, O) or None; one ``dc`` sweep of X points.
        """
        key = hashlib.sha1(np.ascontiguousarray(inputs_v).tobytes())
        key.update(b"none" if targets_v is None else np.ascontiguousarray(targets_v).tobytes())
        key.update(b"free" if clamped_ohm is None else b"both")
        name = f"{self._prefix}:dc:{key.hexdigest()[:16]}"
        circuit = self._sweeps.get(name)
        values = (free_ohm, clamped_ohm, inputs_v, targets_v)
        if circuit is None:
            circuit = self._load(name, *values, sweep=True)
            self._sweeps[name] = circuit
            commands = []
        else:
            commands = self.twins.resistance_alters(
                free_ohm, clamped_ohm, circuit.free_ohm, circuit.clamped_ohm
            )
        x = inputs_v.shape[1]
        stop = max(x - 1, 1)
        keys = self.twins.read_keys if clamped_ohm is not None else self.twins.free_keys()
        data = self._run(circuit, commands, f"dc vidx 0 {stop} 1", keys, values, sweep=True)
        circuit.free_ohm[...] = free_ohm
        if clamped_ohm is not None:
            circuit.clamped_ohm[...] = clamped_ohm
        return self.twins.node_voltages(data, inputs_v, clamped=clamped_ohm is not None)

    # -- plumbing -------------------------------------------------------------------------------
    def _load(self, name, free_ohm, clamped_ohm, inputs_v, targets_v, *, sweep) -> _Circuit:
        text = self.twins.netlist(free_ohm, clamped_ohm, inputs_v, targets_v, sweep=sweep)
        self.session.load(text, name=name)
        return _Circuit(name, free_ohm, clamped_ohm, inputs_v, targets_v)

    def _run(self, circuit, commands, analysis, keys, values, *, sweep) -> dict:
        attempts = (("retry", ()), ("fallback", FALLBACK_COMMANDS))
        try:
            return self._analyse(circuit, commands, analysis, keys)
        except SpiceError as first:
            error = first
        for _, extra in attempts:
            try:
                text = self.twins.netlist(*values, sweep=sweep)
                self.session.load(text, name=circuit.name)
                return self._analyse(circuit, list(extra), analysis, keys)
            except SpiceError as again:
                error = again
        where = f"step {self.step}" if self.step is not None else "a solve"
        raise SpiceError(
            f"spice engine, {where}: {analysis.split()[0]} failed after a reload "
            f"and convergence aids: {error}"
        ) from None

    def _analyse(self, circuit, commands, analysis, keys) -> dict:
        self.session.select(circuit.name)
        self.session.script(["destroy all", *commands, analysis])
        return self.session.vectors(keys)


class SpiceEngine(Engine):
    """Twin networks in ngspice, the learning rules in Python (see the module docstring)."""

    name = "spice"
    options: ClassVar[dict] = dict(BOARD_OPTIONS)

    @classmethod
    def check_options(cls, options: dict) -> dict:
        """Options with defaults filled in (the board twin's); ``UserError`` names a bad one."""
        return check_board_options(super().check_options(options))

    def prepare(self, network: Network, tasks: list[Task], config: RunSettings) -> None:
        """Check the options and set up the twin-network solver (circuits load lazily)."""
        super().prepare(network, tasks, config)
        options = self.check_options(dict(config.engine_options))
        self.solver = TwinSolver(network, tasks, config.eta)
        self.inputs_index = [list(t.inputs) for t in tasks]
        self.outputs_index = np.array([t.outputs for t in tasks], dtype=np.int64)
        self.prepare_twin(options)

    def step(self, state: TrainState, draws: StepDraws) -> TrainState:
        """One learning step (the default rules), with the step number kept for errors."""
        self.solver.step = draws.step
        try:
            return super().step(state, draws)
        finally:
            self.solver.step = None

    def measure(self, resistance_ohm: np.ndarray, example_index: np.ndarray) -> Measurement:
        """Free and clamped drops (K, X, E) of training examples ``example_index`` (K, X)."""
        index = np.asarray(example_index, dtype=np.int64)
        k_tasks = index.shape[0]
        rows = np.arange(k_tasks)[:, None]
        x = self.train_inputs_v[rows, index]  # (K, X, k)
        y = self.train_targets_v[rows, index]  # (K, X, O)
        r = np.asarray(resistance_ohm, dtype=float)
        if index.shape[1] == 1:
            free, clamped = self.solver.solve_op(r, r, x[:, 0], y[:, 0])
            free, clamped = free[:, None], clamped[:, None]
        else:
            free, clamped = self.solver.solve_sweep(r, r, x, y)
        return self._measurement(free, clamped)

    def measure_twins(
        self, free_ohm: np.ndarray, clamped_ohm: np.ndarray, example_index: np.ndarray
    ) -> Measurement:
        """Free twin's free state, clamped twin's clamped state (K, 1, E), one example each."""
        index = np.asarray(example_index, dtype=np.int64)
        rows = np.arange(index.shape[0])
        x = self.train_inputs_v[rows, index[:, 0]]
        y = self.train_targets_v[rows, index[:, 0]]
        free, clamped = self.solver.solve_op(
            np.asarray(free_ohm, dtype=float), np.asarray(clamped_ohm, dtype=float), x, y
        )
        return self._measurement(free[:, None], clamped[:, None])

    def _measurement(self, free: np.ndarray, clamped: np.ndarray) -> Measurement:
        edges = self.network.edges
        outputs = np.take_along_axis(free, self.outputs_index[:, None, :], axis=2)
        return Measurement(
            free_drop_v=free[..., edges[:, 0]] - free[..., edges[:, 1]],
            clamped_drop_v=clamped[..., edges[:, 0]] - clamped[..., edges[:, 1]],
            free_output_v=outputs,
        )

    def predict(self, resistance_ohm: np.ndarray, inputs_v: np.ndarray) -> np.ndarray:
        """Free outputs (K, X, O) for inputs (K, X, k): one sweep of the free twins (with a
        board twin, its free twin's drawn pots at the state's taps)."""
        r = np.asarray(self.measured_ohm(resistance_ohm), dtype=float)
        free, _ = self.solver.solve_sweep(r, None, np.asarray(inputs_v, dtype=float), None)
        return np.take_along_axis(free, self.outputs_index[:, None, :], axis=2)

    def close(self) -> None:
        """Remove the engine's circuits from the ngspice session."""
        solver = getattr(self, "solver", None)
        if solver is not None:
            solver.close()


__all__ = ["SpiceEngine", "TwinNetworks", "TwinSolver"]
