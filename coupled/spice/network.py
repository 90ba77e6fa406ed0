"""Node voltages of resistor networks through ngspice: the same solve as
:mod:`coupled.physics.solver`.

:class:`SpiceNetworkSolver` builds netlists for one network and one set of driven nodes and
returns arrays shaped like :func:`coupled.physics.solver.solve` (``(N,)`` or ``(X, N)``, network
node
order, volts). Two paths:

``op`` (:meth:`SpiceNetworkSolver.solve_op`)
    One netlist: resistor ``R<i>`` for edge ``i`` between nodes ``n<a>`` and ``n<b>`` (safe
    names, never the network's labels) and an independent source ``VD<k>`` from node
    ``n<driven[k]>`` to ground for each driven node, then one operating point per example.
    Use it for single solves and when R changes every step.

``dc`` sweep (:meth:`SpiceNetworkSolver.solve_sweep`)
    A whole batch of examples in ONE ``dc`` analysis: a dummy source ``VIDX`` sweeps the
    example index 0, 1, ..., X-1 and each driven node is a behavioural source
    ``BD<k> = pwl(V(idx), 0, v_0k, 1, v_1k, ...)``, so sweep point x applies example x's drive.
    Batches longer than ``chunk_size`` (default 512, the cheapest per example when measured)
    are split. The loaded sweep circuits are kept: calling again with the same drives only
    updates the resistances (the usual training case: fixed examples, new R).

Updates between calls: the solver remembers what each of its loaded circuits holds and
``alter`` s only values that changed; when more than ``alter_limit`` (default 8) changed it
reloads the netlist instead. Both cost about the same time for a whole 143-edge network, but
ngspice 39 keeps ~240 bytes per ``alter`` statement for the life of the process and nothing
per reload (see :mod:`coupled.spice`), so training loops that change every resistance each
step stay near flat in memory (~0.5 KB per solve for the ``op``/``destroy`` commands).

Both paths also give the current each driven node's source delivers into the network
(:meth:`SpiceNetworkSolver.solve_with_currents`).

Precision (CHOICE, :data:`SPICE_OPTIONS`): the network is linear, so Newton converges at the
first iteration and ngspice's LU solve sets the error, not its tolerances. Measured against
numpy on random geometric graphs with resistances log-uniform in 100 Ohm..100 kOhm and drives
in [-5, 5] V (10 to 300 nodes): op path within 2e-13 V, dc path within 1.3e-12 V at 512
examples per sweep (the pwl slope times the rounding of the index voltage grows with the
index, so chunks stay moderate). Tests assert 1e-9 V.

Cost (``benchmarks/bench_solve.py``, jammed143, 4 driven nodes, per example, 2 busy cores):
numpy single 0.1 ms, numpy batched 6 us, op with new drive 0.36 ms, op with every R new
1.2 ms, dc sweep 60 us.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from coupled.core.errors import SpiceError, UserError
from coupled.core.options import check_whole
from coupled.physics.networks import Network
from coupled.physics.solver import checked_resistance, drive_arrays
from coupled.spice.numbers import spice_number, spice_text
from coupled.spice.session import SpiceSession, get_session

SPICE_OPTIONS = ".options reltol=1e-9 abstol=1e-15 vntol=1e-12"
"""Options line of every solver netlist (tight Newton tolerances; the circuit is linear)."""
DEFAULT_CHUNK_SIZE = 512
"""Examples per ``dc`` sweep (load + sweep cost per example is flat from 512 to 1024)."""

DEFAULT_ALTER_LIMIT = 8
"""Changed values applied by ``alter``; more reload the netlist (see :meth:`_ensure`)."""

_IDS = itertools.count()


class SpiceNetworkSolver:
    """Solve one network with fixed driven nodes through ngspice, for many drives and R.

    Parameters
    ----------
    network
        The network; its resistances are the default for every solve.
    driven_nodes
        Driven nodes (indices or names), in the column order of the drive arrays.
    session
        The ngspice session (default: :func:`coupled.spice.get_session`).
    chunk_size
        Largest number of examples in one ``dc`` sweep.
    alter_limit
        Most resistances or sources changed by ``alter``; more changes reload the netlist.
    """

    def __init__(
        self,
        network: Network,
        driven_nodes: Sequence[int | str],
        *,
        session: SpiceSession | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        alter_limit: int = DEFAULT_ALTER_LIMIT,
    ) -> None:
        nodes, _ = drive_arrays(network, None, driven_nodes, np.zeros(len(driven_nodes)))
        chunk_size = check_whole("chunk_size", chunk_size, 1)
        self.network = network
        self.driven_nodes = tuple(int(n) for n in nodes)
        self.chunk_size = int(chunk_size)
        self.alter_limit = int(alter_limit)
        self.session = session if session is not None else get_session()
        self._name = f"solver{next(_IDS)}"
        self._loaded: dict[str, dict] = {}  # circuit name -> {"r": ..., "drive": ...}
        self._node_keys = [f"v(n{i})" for i in range(network.n_nodes)]

    # -- public API ---------------------------------------------------------------------------
    def solve(
        self, driven_voltages_v: np.ndarray, resistance_ohm: np.ndarray | None = None
    ) -> np.ndarray:
        """Node voltages, shape (N,) for a (D,) drive or (X, N) for (X, D).

        One example goes through ``op``, several through ``dc`` sweeps.
        """
        volts = self._volts(driven_voltages_v)
        if volts.ndim == 1:
            return self.solve_op(volts, resistance_ohm)
        return self.solve_sweep(volts, resistance_ohm)

    def solve_op(
        self, driven_voltages_v: np.ndarray, resistance_ohm: np.ndarray | None = None
    ) -> np.ndarray:
        """Node voltages by one operating point per example; shape (N,) or (X, N)."""
        return self.solve_with_currents(driven_voltages_v, resistance_ohm, path="op")[0]

    def solve_sweep(
        self, driven_voltages_v: np.ndarray, resistance_ohm: np.ndarray | None = None
    ) -> np.ndarray:
        """Node voltages by ``dc`` sweeps over the examples; shape (N,) or (X, N)."""
        return self.solve_with_currents(driven_voltages_v, resistance_ohm, path="dc")[0]

    def solve_with_currents(
        self,
        driven_voltages_v: np.ndarray,
        resistance_ohm: np.ndarray | None = None,
        path: str = "auto",
    ) -> tuple[np.ndarray, np.ndarray]:
        """Node voltages and the current each driven node's source delivers into the network.

        Parameters
        ----------
        driven_voltages_v
            Shape (D,) or (X, D), volts, columns in ``driven_nodes`` order.
        resistance_ohm
            Edge resistances, shape (E,); default the network's.
        path
            ``"op"``, ``"dc"`` or ``"auto"`` (op for one example, dc for several).

        Returns
        -------
        node_v : numpy.ndarray
            Shape (N,) or (X, N), volts.
        driven_current_a : numpy.ndarray
            Shape (D,) or (X, D), ampere, positive when the source pushes current into the
            network (the sum over driven nodes is zero: the network holds no other source).
        """
        volts = self._volts(driven_voltages_v)
        single = volts.ndim == 1
        batch = np.atleast_2d(volts)
        r = self._resistance(resistance_ohm)
        if path not in ("op", "dc", "auto"):
            raise UserError(f"path {path!r}: allowed are 'op', 'dc' and 'auto'")
        use_op = path == "op" or (path == "auto" and batch.shape[0] == 1)
        node_v, current_a = self._op(batch, r) if use_op else self._sweep(batch, r)
        return (node_v[0], current_a[0]) if single else (node_v, current_a)

    def close(self) -> None:
        """Remove this solver's circuits from the ngspice session."""
        for name in list(self._loaded):
            self.session.remove(name)
        self._loaded.clear()

    def __enter__(self) -> SpiceNetworkSolver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- netlists -----------------------------------------------------------------------------
    def netlist_op(self, resistance_ohm: np.ndarray, driven_v: np.ndarray) -> str:
        """The ``op`` netlist: resistors ``R<i>`` and sources ``VD<k>`` to ground."""
        lines = self._resistor_lines(resistance_ohm)
        for k, node in enumerate(self.driven_nodes):
            lines.append(f"VD{k} n{node} 0 {spice_number(driven_v[k], 'drive')}")
        return "\n".join(lines) + "\n.end\n"

    def netlist_sweep(self, resistance_ohm: np.ndarray, driven_v: np.ndarray) -> str:
        """The ``dc`` sweep netlist: index source ``VIDX`` and ``BD<k> = pwl(V(idx), ...)``."""
        lines = self._resistor_lines(resistance_ohm)
        lines.append("VIDX idx 0 0")
        for k, node in enumerate(self.driven_nodes):
            column = driven_v[:, k]
            if column.size == 1:  # pwl needs two points; hold the one value over [0, 1]
                column = np.repeat(column, 2)
            points = ", ".join(
                f"{x}, {spice_number(v, 'drive')}" for x, v in enumerate(column.tolist())
            )
            lines.append(f"BD{k} n{node} 0 V=pwl(V(idx), {points})")
        return "\n".join(lines) + "\n.end\n"

    def _resistor_lines(self, resistance_ohm: np.ndarray) -> list[str]:
        lines = [
            f"* {spice_text(self.network.name)}: {self.network.n_edges} resistors",
            SPICE_OPTIONS,
        ]
        pairs = zip(self.network.edges.tolist(), resistance_ohm.tolist(), strict=True)
        for i, ((a, b), r) in enumerate(pairs):
            lines.append(f"R{i} n{a} n{b} {spice_number(r, f'resistance_ohm[{i}]')}")
        return lines

    # -- the two paths ------------------------------------------------------------------------
    def _op(self, batch: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        name = f"{self._name}:op"
        state = self._ensure(name, lambda: self.netlist_op(r, batch[0]), r, batch[0])
        keys = self._node_keys + [f"i(vd{k})" for k in range(len(self.driven_nodes))]
        node_v = np.empty((batch.shape[0], self.network.n_nodes))
        current_a = np.empty(batch.shape)
        for x, drive in enumerate(batch):
            changed = np.flatnonzero(drive != state["drive"])
            if changed.size > self.alter_limit:
                self.session.load(self.netlist_op(r, drive), name=name)
                state = {"r": r.copy(), "drive": drive.copy()}
                self._loaded[name] = state
            elif changed.size:
                self.session.alter({f"VD{k}": float(drive[k]) for k in changed})
                state["drive"] = drive.copy()
            values = self.session.op(names=keys)
            row = np.fromiter((values[k] for k in keys), float, len(keys))
            node_v[x] = row[: self.network.n_nodes]
            current_a[x] = -row[self.network.n_nodes :]
        return node_v, current_a

    def _sweep(self, batch: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        node_v = np.empty((batch.shape[0], self.network.n_nodes))
        current_a = np.empty(batch.shape)
        keys = self._node_keys + [f"i(bd{k})" for k in range(len(self.driven_nodes))]
        for c, start in enumerate(range(0, batch.shape[0], self.chunk_size)):
            chunk = batch[start : start + self.chunk_size]
            name = f"{self._name}:dc{c}"
            state = self._loaded.get(name)
            if state is not None and not np.array_equal(state["drive"], chunk):
                self.session.remove(name)
                self._loaded.pop(name)
            self._ensure(name, lambda chunk=chunk: self.netlist_sweep(r, chunk), r, chunk)
            stop = max(chunk.shape[0] - 1, 1)
            data = self.session.dc("VIDX", 0, stop, 1, names=keys)
            rows = slice(start, start + chunk.shape[0])
            node_v[rows] = np.stack([data[k][: chunk.shape[0]] for k in self._node_keys], axis=1)
            currents = [data[f"i(bd{k})"][: chunk.shape[0]] for k in range(chunk.shape[1])]
            current_a[rows] = -np.stack(currents, axis=1)
        return node_v, current_a

    def _ensure(self, name: str, netlist, r: np.ndarray, drive: np.ndarray) -> dict:
        """Load circuit ``name`` if needed, select it and bring its resistances to ``r``.

        A few changed resistances are altered; more than ``alter_limit`` reload the netlist,
        which costs about as much time as altering them all and keeps no memory in ngspice
        (every ``alter`` statement keeps ~240 bytes for the life of the process).
        """
        state = self._loaded.get(name)
        changed = None if state is None else np.flatnonzero(r != state["r"])
        if state is None or name not in self.session.circuits or changed.size > self.alter_limit:
            self.session.load(netlist(), name=name)
            state = {"r": r.copy(), "drive": np.array(drive, copy=True)}
            self._loaded[name] = state
            return state
        self.session.select(name)
        if changed.size:
            self.session.alter({f"R{i}": float(r[i]) for i in changed})
            state["r"] = r.copy()
        return state

    # -- checks -------------------------------------------------------------------------------
    def _volts(self, driven_voltages_v: np.ndarray) -> np.ndarray:
        volts = np.asarray(driven_voltages_v, dtype=float)
        if volts.ndim not in (1, 2) or volts.shape[-1] != len(self.driven_nodes):
            raise UserError(
                f"driven_voltages_v of shape {volts.shape}: need (D,) or (X, D) with "
                f"D = {len(self.driven_nodes)} driven nodes"
            )
        if volts.size == 0:
            raise UserError("driven_voltages_v: no examples given")
        if not np.all(np.isfinite(volts)):
            raise UserError("driven_voltages_v: must be finite numbers of volts")
        return volts

    def _resistance(self, resistance_ohm: np.ndarray | None) -> np.ndarray:
        if resistance_ohm is None:
            return np.asarray(self.network.resistance_ohm, dtype=float)
        return checked_resistance(self.network, resistance_ohm)


def spice_solve(
    network: Network,
    drive: Mapping[int | str, float] | None = None,
    *,
    driven_nodes: Sequence[int] | None = None,
    driven_voltages_v: np.ndarray | None = None,
    resistance_ohm: np.ndarray | None = None,
) -> np.ndarray:
    """Node voltages through ngspice, with the signature of :func:`coupled.physics.solver.solve`.

    Give either ``drive`` (node -> volts, nodes by index or name) or ``driven_nodes`` with
    ``driven_voltages_v`` of shape (D,) or (X, D). Returns shape (N,) or (X, N), volts.
    """
    nodes, volts = drive_arrays(network, drive, driven_nodes, driven_voltages_v)
    with SpiceNetworkSolver(network, nodes.tolist()) as solver:
        return solver.solve(volts, resistance_ohm)


def smoke_test() -> None:
    """Solve a 1 kOhm + 1 kOhm divider across 1 V in ngspice; raise unless the midpoint is 0.5 V.

    Raises
    ------
    SpiceError
        When ngspice is missing or answers wrong (the midpoint must be within 1e-9 V).
    """
    network = Network(n_nodes=3, edges=np.array([[0, 1], [1, 2]]), resistance_ohm=[1e3, 1e3])
    node_v = spice_solve(network, {0: 1.0, 2: 0.0})
    if not abs(node_v[1] - 0.5) <= 1e-9:
        raise SpiceError(f"ngspice smoke test: divider midpoint {node_v[1]!r} V, expected 0.5 V")
