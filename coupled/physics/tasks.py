"""Learning tasks: node roles, training and test examples, desired outputs (volts).

A :class:`Task` fixes which nodes are inputs (driven by voltage sources), grounds (held at 0 V)
and outputs (read in the free state, clamped in the clamped state), and holds examples as arrays
of volts: ``train_inputs_v`` (X, k), ``train_targets_v`` (X, O), ``test_inputs_v`` and
``test_targets_v`` likewise.

Two kinds:

``regression``
    k inputs, O outputs, ``grounds`` ground nodes (default 1), a linear input-output map with
    training and test sets of configurable size.
``allostery``
    One fixed example (training set = test set = that example). Following the paper's Fig. 4d a
    task with O outputs has O inputs and O // 2 grounds, with at least one ground so that every
    task has a 0 V reference (O = 1 gets one ground).

Targets are realisable by construction: they are the free-state outputs of a *teacher*, the same
graph with resistances drawn uniformly from the resistance range of the run
(``resistance_range_ohm``, by default the same 1-10 kOhm as the tap range of the discrete rule).
So a zero-error solution exists inside the clipping bounds of the continuous rule. The learner's
initial resistances are drawn independently, which gives typical initial output errors of a few
percent of the input range.

Input voltages are uniform on ``input_range_v`` (default 0 to 5 V: the board's single supply;
the sense gain of :mod:`coupled.physics.sensing` makes sigma small against the signal, a 0-5 V
board at gain G deciding as a 0-(5 G) V board at unity gain). The table below was measured
before the sensing stage existed, at unity gain. Why the scale matters: in a linear network
every voltage scales with the inputs, so the only voltage scale that matters is the comparator
bias of the discrete rule relative to the input span (sigma up to 0.05 V, the paper's value).
On the 143-edge network the input span is shared by many edges in series, so edge drops, and the
contrast ``|dV_C| - |dV_F|`` that sigma competes with, are much smaller than on the 16-edge board.
Measured (discrete regression, jammed143, 10 tasks, 10 000 steps, eta = 1, taps 1-10 kOhm; final
mean scaled test error at p = 1 / p = 0.2):

=================  ===============  ================  ======================
inputs             sigma ~ U[0, s]  scaled error      taps at the top (127)
=================  ===============  ================  ======================
0-5 V              s = 0.05 V       0.23 / 0.22       90 %  (swamped)
0-20 V             s = 0.05 V       0.034 / 0.034     81 %
0-50 V             s = 0.05 V       0.0092 / 0.0085   78 %
0-200 V            s = 0.05 V       0.0039 / 0.0019   74 %  (the default)
any                s = 0            0.0044 / 0.0009   about 0 %
=================  ===============  ================  ======================

So the bias drifts resistances upward without swamping learning once sigma is below about
0.03 % of the input span; equivalently, a 0-5 V board would need comparator offsets below about
1.5 mV. At 0-5 V the bias sets a floor near 0.2 and desynchronisation no longer helps. The
continuous rule's default ``gamma`` is matched to this scale (the contrast grows as the square of
the voltages, so ``gamma * V^2`` is what sets its learning speed).

Node roles are the network's declared roles when it declares any (``roles="network"``, the
default ``"auto"`` of a training run), else drawn at random per task from the task's own
generator (``roles="random"``; the training loop spawns one per task from the run seed). With
declared roles the rest of the task (teacher, examples) still comes from the task's generator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from coupled.core.errors import ParameterError, named
from coupled.physics.networks import Network

TASK_KINDS = ("allostery", "regression")
DEFAULT_INPUT_RANGE_V = (0.0, 5.0)
"""Input voltages are drawn uniformly from this range (volts); see the module docstring."""
DEFAULT_RESISTANCE_RANGE_OHM = (1000.0, 10000.0)
"""Teacher resistances are drawn uniformly from this range (ohm)."""


@dataclass(frozen=True, eq=False)
class Task:
    """One learning task on a network.

    Attributes
    ----------
    kind
        ``"allostery"`` or ``"regression"``.
    inputs, outputs, grounds
        Node indices of each role (disjoint).
    train_inputs_v, train_targets_v
        Training examples: input voltages (X, k) and desired outputs (X, O), volts.
    test_inputs_v, test_targets_v
        Test examples, same layout.
    teacher_resistance_ohm
        The resistances (E,) whose free outputs are the targets.
    """

    kind: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    grounds: tuple[int, ...]
    train_inputs_v: np.ndarray
    train_targets_v: np.ndarray
    test_inputs_v: np.ndarray
    test_targets_v: np.ndarray
    teacher_resistance_ohm: np.ndarray

    @property
    def n_inputs(self) -> int:
        """Number of input nodes, k."""
        return len(self.inputs)

    @property
    def n_outputs(self) -> int:
        """Number of output nodes, O."""
        return len(self.outputs)

    def to_dict(self) -> dict:
        """Plain-JSON form (lists of numbers)."""
        return {
            "kind": self.kind,
            "inputs": list(self.inputs),
            "outputs": list(self.outputs),
            "grounds": list(self.grounds),
            "train_inputs_v": self.train_inputs_v.tolist(),
            "train_targets_v": self.train_targets_v.tolist(),
            "test_inputs_v": self.test_inputs_v.tolist(),
            "test_targets_v": self.test_targets_v.tolist(),
            "teacher_resistance_ohm": self.teacher_resistance_ohm.tolist(),
        }


def default_counts(kind: str, outputs: int) -> tuple[int, int]:
    """Default (inputs, grounds) for a task kind with ``outputs`` outputs.

    Allostery: O inputs and max(1, O // 2) grounds (Fig. 4d). Regression: 2 inputs, 1 ground.
    """
    if kind == "allostery":
        return outputs, max(1, outputs // 2)
    return 2, 1


def check_counts(network: Network, inputs: int, outputs: int, grounds: int) -> None:
    """Raise ``UserError`` unless the network has room for the requested roles.

    Every role needs its own node, and at least one node must be driven (inputs + grounds >= 1).
    """
    checks = (("inputs", inputs, 1), ("outputs", outputs, 1), ("grounds", grounds, 0))
    for name, value, low in checks:
        if value < low:
            raise ParameterError(f"{named(name)} {value}: must be at least {low}", name)
    used = inputs + outputs + grounds
    if used > network.n_nodes:
        raise ParameterError(
            f"{{inputs}} {inputs} + {{outputs}} {outputs} + {{grounds}} {grounds} = {used} "
            f"nodes, but network {network.name} has only {network.n_nodes} nodes",
            "inputs",
            "outputs",
            "grounds",
        )


def declares_roles(network: Network) -> bool:
    """Whether the network declares any node roles (inputs, outputs or grounds)."""
    return bool(network.inputs or network.outputs or network.grounds)


def network_roles(
    network: Network,
    inputs: int | None = None,
    outputs: int | None = None,
    grounds: int | None = None,
) -> tuple:
    """The network's declared roles (inputs, outputs, grounds), checked against given counts.

    A count that is ``None`` takes the declared one; any other count must equal it.

    Raises
    ------
    ParameterError
        When the network declares no roles, declares no input or no output, or a given count
        contradicts the declared one (the message names both).
    """
    if not declares_roles(network):
        raise ParameterError(
            f"{{roles}} network: network {network.name} declares no inputs, outputs or grounds; "
            "use {roles} random (or add them to the network file)",
            "roles",
        )
    have = {"inputs": network.inputs, "outputs": network.outputs, "grounds": network.grounds}
    given = {"inputs": inputs, "outputs": outputs, "grounds": grounds}
    for role, nodes in have.items():
        count = given[role]
        if count is not None and count != len(nodes):
            listed = " ".join(network.node_names[v] for v in nodes) or "none"
            note = ""
            if role == "grounds" and not nodes:
                hidden = [n for n in network.node_names if re.fullmatch(r"[Gg]\d+", n)]
                if hidden:
                    note = (
                        f"; node names are labels only: {hidden[0]}..{hidden[-1]} are hidden "
                        "nodes, not grounds"
                    )
            counts = " ".join(f"{{{r}}} {len(v)}" for r, v in have.items())
            others = [r for r in have if r != role]
            raise ParameterError(
                f"{{{role}}} {count} contradicts network {network.name}, which defines "
                f"{len(have['inputs'])} inputs, {len(have['outputs'])} outputs and "
                f"{len(have['grounds'])} grounds ({role}: {listed}{note}); leave the counts out "
                f"(or give {counts}) to use them, or give {{roles}} random to draw roles from "
                "the seed",
                role,
                *others,
                "roles",
            )
    for role in ("inputs", "outputs"):
        if not have[role]:
            raise ParameterError(
                f"{{roles}} network: network {network.name} declares no {role}; add them to the "
                "network file or use {roles} random",
                "roles",
            )
    return network.inputs, network.outputs, network.grounds


def make_task(
    network: Network,
    kind: str,
    inputs: int,
    outputs: int,
    grounds: int,
    rng: np.random.Generator,
    *,
    train_size: int = 16,
    test_size: int = 64,
    input_range_v: tuple[float, float] = DEFAULT_INPUT_RANGE_V,
    resistance_range_ohm: tuple[float, float] = DEFAULT_RESISTANCE_RANGE_OHM,
    roles: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]] | None = None,
) -> Task:
    """Draw one task from ``rng``.

    Parameters
    ----------
    network
        The graph the task lives on.
    kind
        ``"allostery"`` (one example; ``train_size`` and ``test_size`` ignored) or
        ``"regression"``.
    inputs, outputs, grounds
        Role counts (see :func:`default_counts`).
    rng
        The task's generator; draws, in order: roles (unless given), teacher resistances,
        training inputs, test inputs.
    train_size, test_size
        Number of training and test examples (regression).
    input_range_v
        Input voltages are uniform on this range (volts).
    resistance_range_ohm
        Teacher resistances are uniform on this range (ohm).
    roles
        Fixed (inputs, outputs, grounds) node indices instead of random ones.

    Returns
    -------
    Task
    """
    if kind not in TASK_KINDS:
        raise ParameterError(
            f"{{task}} {kind!r}: unknown; choose from {', '.join(TASK_KINDS)}", "task"
        )
    check_counts(network, inputs, outputs, grounds)
    if roles is None:
        order = rng.permutation(network.n_nodes)
        roles = (
            tuple(int(v) for v in order[:inputs]),
            tuple(int(v) for v in order[inputs : inputs + outputs]),
            tuple(int(v) for v in order[inputs + outputs : inputs + outputs + grounds]),
        )
    teacher = rng.uniform(*resistance_range_ohm, size=network.n_edges)
    n_train, n_test = (1, 0) if kind == "allostery" else (train_size, test_size)
    low, high = input_range_v
    train_x = rng.uniform(low, high, size=(n_train, inputs))
    test_x = train_x if kind == "allostery" else rng.uniform(low, high, size=(n_test, inputs))
    transfer = teacher_transfer(network, teacher, roles)
    return Task(
        kind=kind,
        inputs=roles[0],
        outputs=roles[1],
        grounds=roles[2],
        train_inputs_v=_frozen(train_x),
        train_targets_v=_frozen(train_x @ transfer.T),
        test_inputs_v=_frozen(test_x),
        test_targets_v=_frozen(test_x @ transfer.T),
        teacher_resistance_ohm=_frozen(teacher),
    )


def teacher_transfer(network: Network, resistance_ohm: np.ndarray, roles: tuple) -> np.ndarray:
    """Linear map (O, k) from input volts to free output volts of ``network`` with these roles."""
    from coupled.physics.solver import solve

    inputs, outputs, grounds = roles
    driven = list(inputs) + list(grounds)
    k = len(inputs)
    pattern = np.zeros((k, len(driven)))
    pattern[:, :k] = np.eye(k)
    node_v = solve(
        network, driven_nodes=driven, driven_voltages_v=pattern, resistance_ohm=resistance_ohm
    )
    return node_v[:, list(outputs)].T


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=float)
    array.setflags(write=False)
    return array
