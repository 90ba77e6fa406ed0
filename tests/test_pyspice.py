"""The board as a PySpice circuit: ngspice runs it to the same node voltages as the board's own
netlist, and its free twin to the numpy solver's voltages."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from coupled.circuits.assembly import build_board, free_state_v
from coupled.circuits.design import BoardDesign, draw_board_parameters
from coupled.circuits.pyspice import board_to_pyspice
from coupled.core.errors import UserError
from coupled.physics.catalogue import experiment16
from coupled.spice.session import is_error_line

NGSPICE = shutil.which("ngspice")


def _board(mode: str, nudge: str = "analog", seed: int = 5):
    """experiment16's board in a random state, parts with spread and comparator offsets."""
    network = experiment16()
    rng = np.random.default_rng(seed)
    return build_board(
        network,
        draw_board_parameters(network, 0.05, seed, comparator_offset_v=0.05),
        BoardDesign(mode=mode, nudge=nudge),
        input_v=rng.uniform(0, 5, 2),
        target_v=rng.uniform(0, 5, 2),
        eta=0.4,
        taps=rng.integers(0, 128, network.n_edges),
    )


def _op(session, board, text: str, name: str) -> dict[str, float]:
    session.load(text, name=name)
    if board.oscillator_supply_source:  # no stable operating point with the oscillators on
        session.alter({board.oscillator_supply_source: board.design.vss_v})
    return {k: float(v) for k, v in session.op().items() if k.startswith("v(")}


@pytest.mark.parametrize(
    ("mode", "nudge", "library"),
    [("op", "analog", "include"), ("full", "analog", "inline"), ("op", "ideal", "inline")],
)
def test_pyspice_netlist_gives_the_boards_node_voltages(session, mode, nudge, library):
    board = _board(mode, nudge)
    circuit = board_to_pyspice(board, library=library)
    own = _op(session, board, board.netlist, "own")
    theirs = _op(session, board, circuit.str_end(), "pyspice")
    assert set(theirs) == set(own)
    assert len(own) > 100  # both twins, difference stages, comparators, latches
    worst = max(abs(theirs[k] - own[k]) for k in own)
    assert worst < 1e-9, worst
    # Independently of the board's netlist: the free twin is the numpy solve, and the decision
    # path reached logic levels (latches transparent at the operating point).
    free_v = board.node_v(theirs, "free")
    assert np.max(np.abs(free_v - free_state_v(board))) < 1e-6
    directions = np.array([theirs[f"v({n})"] for n in board.direction_nodes])
    assert np.all(np.minimum(np.abs(directions), np.abs(directions - 5.0)) < 0.05)


def test_circuit_holds_pyspice_elements_with_the_boards_names_and_values():
    from PySpice.Spice.BasicElement import Resistor, SubCircuitElement, VoltageSource
    from PySpice.Spice.HighLevelElement import PieceWiseLinearVoltageSource

    board = _board("full")
    circuit = board_to_pyspice(board)
    # The board's parts list (circuits/board.py docstring): rails, task sources, nudges, and
    # per edge two pots with series resistors, three difference stages, two comparators, the
    # XOR, the direction latch, the oscillator, its enable comparator and latch.
    labels = [board.labels[v] for v in range(board.network.n_nodes)]
    expected = {"VDD", "VSS", "VREF", "VTRIG", "VBIAS", "VOSC"}
    expected |= {f"VIN_{labels[v]}" for v in board.inputs}
    expected |= {f"VGND_{labels[v]}" for v in board.grounds}
    expected |= {f"{kind}_{labels[v]}" for v in board.outputs for kind in ("VTGT", "XNUDGE")}
    per_edge = (
        "RSERF RSERC XPOTF XPOTC XDIFF XDIFC XDIFN XSENA XSENB XCMPA XCMPB RPUA RPUB XXOR XLAT "
        "XOSC XCMPEN RPUEN XLATEN"
    )
    expected |= {f"{part}_{i}" for i in range(board.n_edges) for part in per_edge.split()}
    assert set(circuit.element_names) == expected
    pot = circuit["XPOTF_3"]
    assert isinstance(pot, SubCircuitElement) and pot.subcircuit_name == "pot_ad5220"
    assert pot.parameters["tap"] == int(board.taps[3])
    assert pot.parameters["rab"] == board.parameters.r_ab_free_ohm[3]  # exact, not rounded
    assert isinstance(circuit["RSERC_3"], Resistor)
    assert isinstance(circuit["VIN_i1"], VoltageSource)
    assert isinstance(circuit["VTRIG"], PieceWiseLinearVoltageSource)
    text = str(circuit)
    assert text.count(".include ") == 8 and ".options method=gear" in text  # 8 .lib files
    assert ".subckt" not in text
    assert ".subckt pot_ad5220" in str(board_to_pyspice(board, library="inline"))
    assert board_to_pyspice(board, title="mine").title == "mine"


@pytest.mark.skipif(NGSPICE is None, reason="ngspice executable not installed")
def test_inline_circuit_runs_in_standalone_ngspice(tmp_path, session):
    board = _board("op", seed=9)
    nodes = [board.free_node(v) for v in range(9)] + [board.clamped_node(v) for v in range(9)]
    control = ["", ".control", "set numdgt=15", "op", f"print {' '.join(nodes)}", "quit 0"]
    path = tmp_path / "board_pyspice.cir"
    text = str(board_to_pyspice(board, library="inline"))
    path.write_text(text + "\n".join(control) + "\n.endc\n.end\n")
    result = subprocess.run(
        [NGSPICE, "-b", path.name], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    lines = (result.stdout + "\n" + result.stderr).splitlines()
    assert result.returncode == 0 and not [ln for ln in lines if is_error_line(ln)]
    printed = dict(re.findall(r"^\s*(\S+)\s*=\s*([-+0-9.eE]+)", result.stdout, re.M))
    own = _op(session, board, board.netlist, "own")
    assert len(printed) == len(set(nodes))
    for node, volts in printed.items():
        assert float(volts) == pytest.approx(own[f"v({node})"], abs=1e-9)


def test_bad_library_mode_and_unknown_elements_are_refused():
    board = _board("op")
    with pytest.raises(UserError, match=r"library 'copy': must be one of include, inline"):
        board_to_pyspice(board, library="copy")
    odd = dataclasses.replace(board, netlist=board.netlist.replace(".end\n", "L1 a b 1e-6\n.end\n"))
    with pytest.raises(UserError, match="L1 a b 1e-6"):
        board_to_pyspice(odd)


def test_importing_the_module_does_not_import_pyspice():
    code = "import sys, coupled.circuits.pyspice; assert 'PySpice' not in sys.modules, 'imported'"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
