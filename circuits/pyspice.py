"""The board as a PySpice ``Circuit``, for users who work with PySpice.

:func:`board_to_pyspice` turns a :class:`coupled.circuits.board.Board` into a PySpice 1.5
:class:`~PySpice.Spice.Netlist.Circuit` holding one PySpice element per top-level element of the
board's own netlist (:attr:`coupled.circuits.board.Board.netlist`): the rails, trigger, bias and
task
sources (``VoltageSource``, the trigger as a ``PieceWiseLinearVoltageSource``), the optional
series resistors (``Resistor``) and one ``SubCircuitElement`` per physical part, with the same
names, nodes and values. The parts' subcircuits stay the project's ``.lib`` files
(``netlists/``): by default ``.include`` lines with their absolute paths (short netlist; it runs
where the package is installed), or with ``library="inline"`` their text in the circuit's
``raw_spice`` (a self-contained netlist). ``str(circuit)`` is a netlist ngspice runs to the same
node voltages as the board's own netlist (``tests/test_pyspice.py``).

The elements are read from the board's netlist lines rather than generated a second time, so
the two netlists cannot drift apart: a kind of element this module does not know raises.

PySpice is imported only when :func:`board_to_pyspice` runs (its import is slow), and its
loggers are silenced to errors: with ngspice 39 PySpice 1.5 logs "Unsupported Ngspice version"
warnings. The project itself never simulates through PySpice (see ``docs/ngspice.md``): simulate
``str(circuit)`` with ``ngspice -b`` or :func:`coupled.spice.session.get_session`. PySpice's own
shared-library simulator (``circuit.simulator(simulator="ngspice-shared").operating_point()``)
did run an operating point of experiment16's board with ngspice 39, but only in a process that
does not also use the project's session: both install ngspice's output callbacks.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from coupled.circuits.assembly import library_paths
from coupled.circuits.board import Board
from coupled.circuits.library import inline_library
from coupled.core.errors import UserError

if TYPE_CHECKING:
    from PySpice.Spice.Netlist import Circuit

LIBRARY_MODES = ("include", "inline")
"""How the parts' subcircuits enter the circuit: ``.include`` lines or inlined text."""
_INT_RE = re.compile(r"^[+-]?\d+$")
_PWL_RE = re.compile(r"^PWL\((.*)\)$", re.IGNORECASE)


def _pyspice_circuit_class() -> type:
    """PySpice's ``Circuit``, imported on first use with PySpice's logging held to errors."""
    logging.getLogger("PySpice").setLevel(logging.ERROR)
    from PySpice.Spice.Netlist import Circuit

    return Circuit


def _value(text: str) -> int | float | str:
    """A netlist value as a number (int or exact float) where it is one, else the text."""
    if _INT_RE.match(text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


def _element_lines(netlist: str) -> tuple[str, list[str], list[str]]:
    """Title, dot-option lines and top-level element lines of a board netlist.

    Subcircuit definitions (``.subckt`` .. ``.ends``), comments, ``.control`` blocks and
    ``.end`` are left out.
    """
    lines = netlist.splitlines()
    title, options, elements = lines[0], [], []
    skipping = None
    for raw in lines[1:]:
        line = raw.strip()
        word = line.split(maxsplit=1)[0].lower() if line else ""
        if skipping:
            if word == skipping:
                skipping = None
            continue
        if not line or line.startswith("*") or word == ".end":
            continue
        if word == ".subckt":
            skipping = ".ends"
        elif word == ".control":
            skipping = ".endc"
        elif word.startswith(".option"):
            options.append(line)
        elif word.startswith("."):
            raise UserError(f"board netlist line {line!r}: not supported by board_to_pyspice")
        else:
            elements.append(line)
    return title, options, elements


def _add_source(circuit: Circuit, name: str, tokens: list[str], line: str) -> None:
    node_plus, node_minus, rest = tokens[1], tokens[2], " ".join(tokens[3:])
    words = rest.split()
    if len(words) == 2 and words[0].upper() == "DC":
        circuit.V(name[1:], node_plus, node_minus, _value(words[1]))
        return
    match = _PWL_RE.match(rest)
    if match:
        numbers = [float(v) for v in match.group(1).split()]
        pairs = list(zip(numbers[0::2], numbers[1::2], strict=True))
        circuit.PieceWiseLinearVoltageSource(name[1:], node_plus, node_minus, values=pairs)
        return
    raise UserError(f"board netlist line {line!r}: source form not supported by board_to_pyspice")


def _add_element(circuit: Circuit, line: str) -> None:
    tokens = line.split()
    name, kind = tokens[0], tokens[0][0].upper()
    if kind == "V":
        _add_source(circuit, name, tokens, line)
    elif kind == "R" and len(tokens) == 4:
        circuit.R(name[1:], tokens[1], tokens[2], _value(tokens[3]))
    elif kind == "X":
        positional = [t for t in tokens[1:] if "=" not in t]
        parameters = dict(t.split("=", 1) for t in tokens[1:] if "=" in t)
        *nodes, subcircuit = positional
        values = {key: _value(text) for key, text in parameters.items()}
        circuit.X(name[1:], subcircuit, *nodes, **values)
    else:
        raise UserError(f"board netlist line {line!r}: element not supported by board_to_pyspice")


def board_to_pyspice(
    board: Board, *, library: str = "include", title: str | None = None
) -> Circuit:
    """The whole board as a PySpice ``Circuit``: the same elements, nodes and values.

    Parameters
    ----------
    board
        A board from :func:`coupled.circuits.assembly.build_board` (either mode, either nudge
        variant).
    library
        ``"include"`` (default): one ``.include`` line per ``.lib`` file the board uses, with
        its absolute path inside the installed package; ``"inline"``: the files' text in the
        circuit's ``raw_spice``, so ``str(circuit)`` runs anywhere.
    title
        Circuit title (default: the board netlist's title line).

    Returns
    -------
    PySpice.Spice.Netlist.Circuit
        Elements named as in the board's netlist (``VIN_<node>``, ``XPOTF_<edge>``, ...), node
        voltages in volts, resistances in ohm, times in seconds. ``.options`` lines of the
        board (``method=gear`` in ``full`` mode) are kept in ``raw_spice``. ``str(circuit)`` is
        a netlist without ``.end``; ``circuit.str_end()`` adds it.

    Raises
    ------
    UserError
        For an unknown ``library`` mode.
    """
    if library not in LIBRARY_MODES:
        raise UserError(f"library {library!r}: must be one of {', '.join(LIBRARY_MODES)}")
    circuit_class = _pyspice_circuit_class()
    board_title, options, elements = _element_lines(board.netlist)
    circuit = circuit_class(board_title if title is None else title)
    raw = list(options)
    paths = library_paths(board.design)
    if library == "include":
        for path in paths:
            circuit.include(str(path))
    else:
        raw.append(inline_library(paths))
    circuit.raw_spice = "\n".join(raw) + ("\n" if raw else "")
    for line in elements:
        _add_element(circuit, line)
    return circuit
