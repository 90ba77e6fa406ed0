"""A network file's declared roles are the roles: train, solve, netlist, reproductions.

``tests/data/ring6.json`` is a ring of six 1 kOhm resistors IN1-H1-OUT1-GND-OUT2-IN2-IN1 with
inputs IN1 IN2, outputs OUT1 OUT2 and ground GND declared.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from coupled.cli.main import main
from coupled.core.errors import UserError
from coupled.physics.catalogue import load_network
from coupled.reproduction import fig2, fig4
from coupled.reproduction.base import Setup
from coupled.training.config import TrainConfig
from coupled.training.draws import make_tasks
from coupled.training.results import load_result
from coupled.training.run import train

RING6 = str(Path(__file__).parent / "data" / "ring6.json")
DECLARED = ((0, 5), (2, 4), (3,))  # IN1 IN2, OUT1 OUT2, GND


def _refused(argv, capsys, *fragments):
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and len(err.splitlines()) == 1, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    return err


def test_a_network_file_trains_with_its_declared_roles(tmp_path):
    cfg = TrainConfig(network=RING6, task="regression", steps=20, tasks=3, seed=4)
    resolved = cfg.resolved()
    assert (resolved.roles, resolved.inputs, resolved.outputs, resolved.grounds) == (
        "network",
        2,
        2,
        1,
    )
    train(cfg, tmp_path / "run", progress=False)
    tasks = load_result(tmp_path / "run").tasks
    assert len(tasks) == 3
    for task in tasks:
        assert (task.inputs, task.outputs, task.grounds) == DECLARED
    # the rest of each task still comes from its seed: tasks differ, seeds reproduce
    assert not np.allclose(tasks[0].train_targets_v, tasks[1].train_targets_v)
    again = make_tasks(TrainConfig(network=RING6, tasks=3, seed=4), load_network(RING6))
    assert np.array_equal(again[2].train_inputs_v, tasks[2].train_inputs_v)
    run_json = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run_json["config"]["roles"] == "network"


def test_random_roles_still_draw_from_the_seed():
    tasks = make_tasks(TrainConfig(network=RING6, roles="random", tasks=8), load_network(RING6))
    seen = {(t.inputs, t.outputs, t.grounds) for t in tasks}
    assert len(seen) > 1 and all(len(t.grounds) == 1 for t in tasks)


def test_experiment16_needs_no_extra_flags():
    for task in ("regression", "allostery"):
        cfg = TrainConfig(network="experiment16", task=task, rule="discrete")
        net = cfg.validate()
        (made,) = make_tasks(cfg, net)
        assert [net.node_names[v] for v in made.inputs] == ["I1", "I2"]
        assert [net.node_names[v] for v in made.outputs] == ["O1", "O2"]
        assert made.grounds == ()
    # the demo's explicit form still works
    TrainConfig(network="experiment16", grounds=0, roles="network").validate()


def test_networks_without_declared_roles_draw_them():
    cfg = TrainConfig(network="square:3x3").resolved()
    assert (cfg.roles, cfg.inputs, cfg.outputs, cfg.grounds) == ("random", 2, 2, 1)
    with pytest.raises(UserError, match="declares no inputs, outputs or grounds"):
        TrainConfig(network="square:3x3", roles="network").validate()


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        (
            ["--grounds", "0"],
            [
                "--grounds 0 contradicts network ring6",
                "defines 2 inputs, 2 outputs and 1 grounds (grounds: GND",
            ],
        ),
        (["--outputs", "1"], ["--outputs 1 contradicts", "(outputs: OUT1 OUT2"]),
        (["--roles", "network", "--inputs", "3"], ["--inputs 3 contradicts", "(inputs: IN1 IN2"]),
    ],
)
def test_contradicting_counts_are_refused(tmp_path, capsys, extra, fragments):
    out = tmp_path / "never"
    argv = ["train", "--network", RING6, "--steps", "3", *extra, "--out", str(out)]
    _refused(argv, capsys, *fragments)
    assert not out.exists()


def test_experiment16_grounds_contradiction_names_the_hidden_nodes(tmp_path, capsys):
    argv = ["train", "--network", "experiment16", "--grounds", "1", "--out", str(tmp_path / "x")]
    err = _refused(argv, capsys)
    assert "(grounds: none; node names are labels only: G1..G5 are hidden nodes" in err


def test_reproductions_keep_random_roles():
    setup = Setup(seed=0, engine="ideal")
    fig2_cfg = fig2.config(fig2.Fig2Params(), setup, 0.5, 1.0, 16).resolved()
    assert (fig2_cfg.network, fig2_cfg.roles, fig2_cfg.grounds) == ("experiment16", "random", 1)
    cfg = fig4.config(fig4.Fig4Params(), setup, 0.5, 2).resolved()
    assert (cfg.network, cfg.roles, cfg.inputs, cfg.grounds) == ("experiment16", "random", 2, 1)
    tasks = make_tasks(cfg, load_network("experiment16"))
    assert any(t.grounds for t in tasks)


def test_solve_holds_declared_grounds_at_zero(capsys):
    # ring: IN1 -> H1 -> OUT1 -> GND and IN1 -> IN2 -> OUT2 -> GND, three equal resistors each
    assert main(["solve", RING6, "--drive", "IN1=1", "--json"]) == 0
    node_v = np.array(json.loads(capsys.readouterr().out)["node_voltages_v"])
    expected = [1.0, 2 / 3, 1 / 3, 0.0, 1 / 3, 2 / 3]
    assert np.allclose(node_v, expected, atol=1e-12)
    assert main(["solve", RING6, "--drive", "IN1=1", "--float-grounds", "--json"]) == 0
    node_v = np.array(json.loads(capsys.readouterr().out)["node_voltages_v"])
    assert np.allclose(node_v, 1.0)
    _refused(["solve", RING6, "--drive", "GND=1"], capsys, "--drive GND=1 contradicts", "ground")


def test_netlist_uses_and_guards_declared_roles(tmp_path, capsys):
    out = tmp_path / "ring.cir"
    assert main(["netlist", "--network", RING6, "--out", str(out), "--mode", "op"]) == 0
    text = out.read_text()
    capsys.readouterr()
    assert "\nVGND_gnd " in text and "\nVIN_in1 " in text and "\nVIN_in2 " in text
    assert "\nXNUDGE_out1 " in text and "\nXNUDGE_out2 " in text
    bad = tmp_path / "bad.cir"
    argv = ["netlist", "--network", RING6, "--out", str(bad), "--grounds", "H1"]
    _refused(argv, capsys, "--grounds H1 contradicts network ring6", "declares grounds GND")
    assert not bad.exists()
