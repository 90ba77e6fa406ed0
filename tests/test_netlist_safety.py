"""Text from network files never reaches a netlist raw.

A network's name and node names are arbitrary text in its JSON file. In every netlist the
package writes (the board, its standalone ``ngspice -b`` deck, the network solver's circuit)
such text may only change comment lines and the title: every other line, and so every line
starting with ``.`` or a control command, is exactly the one the generator writes for a
network with plain names. A hostile file is also run through ``coupled netlist`` and a
standalone ``ngspice -b``: the command it plants does not run, while the same command in a
deck that does contain it raw runs (so the check can fail).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coupled.circuits.assembly import build_board, standalone_netlist
from coupled.circuits.board import node_labels
from coupled.circuits.design import BoardDesign, draw_board_parameters
from coupled.physics.networks import Network
from coupled.spice.network import SpiceNetworkSolver
from coupled.spice.numbers import spice_text

EDGES = np.array([[0, 1], [1, 2], [2, 3], [3, 0], [0, 2]])
HOSTILE = "x\n.control\nshell touch {file}\n.endc\n"


def _network(name: str, node_names: tuple[str, ...]) -> Network:
    return Network(
        n_nodes=4,
        edges=EDGES,
        resistance_ohm=np.full(len(EDGES), 1000.0),
        node_names=node_names,
        inputs=(0,),
        outputs=(2,),
        grounds=(3,),
        name=name,
    )


def _netlists(network: Network) -> dict[str, str]:
    params = draw_board_parameters(network, 0.05, 0)
    op = build_board(network, params, BoardDesign(mode="op"), input_v=[1.0], target_v=[0.5])
    full = build_board(network, params, input_v=[1.0], target_v=[0.5])
    solver = SpiceNetworkSolver(network, [0, 3], session=object())
    return {
        "board": full.netlist,
        "standalone": standalone_netlist(full),
        "standalone_op": standalone_netlist(op),
        "solver": solver.netlist_op(network.resistance_ohm, np.array([1.0, 0.0])),
    }


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("*")


def _check_same_structure(hostile: str, plain: str) -> None:
    h_lines, p_lines = hostile.split("\n"), plain.split("\n")
    assert len(h_lines) == len(p_lines)
    for k, (h, p) in enumerate(zip(h_lines, p_lines, strict=True)):
        assert all(" " <= ch <= "~" for ch in h), repr(h)
        if k == 0 or _is_comment(p):  # title and comments: may differ, stay comments
            assert k == 0 or _is_comment(h)
            continue
        assert h == p
    dot = [line for line in h_lines if line.lstrip().startswith(".")]
    assert dot == [line for line in p_lines if line.lstrip().startswith(".")]


names = st.text(min_size=0, max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=names, node_names=st.lists(st.text(min_size=1, max_size=30), min_size=4, max_size=4))
def test_arbitrary_names_change_only_comments_and_title(name, node_names):
    lowered = [n.lower() for n in node_names]
    if len(set(node_names)) < 4 or len(set(lowered)) < 4:
        node_names = [f"{n}{k}" for k, n in enumerate(node_names)]
    hostile = _network(name, tuple(node_names))
    # The same network with plain names that give the same netlist labels.
    plain = _network("plain", node_labels(hostile))
    assert node_labels(plain) == node_labels(hostile)
    got, want = _netlists(hostile), _netlists(plain)
    for kind in got:
        _check_same_structure(got[kind], want[kind])


def test_hostile_names_give_safe_comments_and_labels():
    text = HOSTILE.format(file="FILE")
    network = _network(text, (text, "b\n", "c", "D"))
    assert node_labels(network) == ("n0", "n1", "n2", "n3")  # "b\n" is no label either
    netlist = _netlists(network)["standalone_op"]
    assert "x<U+000A>.control<U+000A>shell touch FILE" in netlist
    assert not [line for line in netlist.splitlines() if line.startswith("shell")]
    assert spice_text("a" * 500).endswith("...") and len(spice_text("a" * 500)) == 120


def _ngspice_b(deck: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ngspice", "-b", deck.name], cwd=deck.parent, capture_output=True, text=True, timeout=120
    )


@pytest.mark.skipif(shutil.which("ngspice") is None, reason="needs the ngspice program")
def test_standalone_ngspice_runs_no_planted_command(tmp_path):
    planted = tmp_path / "PLANTED"
    text = HOSTILE.format(file=planted)
    names = ["I1", text, "O1", "G1"]
    spec = {"name": text, "nodes": 4, "edges": EDGES.tolist(), "node_names": names}
    spec.update(inputs=[0], outputs=[2], grounds=[3])
    (tmp_path / "evil.json").write_text(json.dumps(spec))
    done = subprocess.run(
        [sys.executable, "-m", "coupled", "netlist", "--network", "evil.json", "--mode", "op"]
        + ["--out", "evil.cir"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    deck = tmp_path / "evil.cir"
    lines = deck.read_text().splitlines()
    assert not [line for line in lines if line.lstrip().lower().startswith("shell")]
    assert [line for line in lines if line.lstrip().startswith(".control")] == [".control"]
    ran = _ngspice_b(deck)
    assert "latched directions" in ran.stdout, ran.stdout + ran.stderr  # the deck did run
    assert not planted.exists()
    # The same planted block written raw into the deck does run: the check above can fail.
    raw = tmp_path / "raw.cir"
    raw.write_text(f"raw title\n* {text}R1 a 0 1k\nV1 a 0 1\n.end\n")
    _ngspice_b(raw)
    assert planted.exists()
