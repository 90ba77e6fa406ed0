"""``coupled solve``: output against the solvers, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from coupled.cli.main import main
from coupled.physics.catalogue import experiment16, write_json
from coupled.physics.solver import solve


def _run(capsys, *argv):
    status = main(["solve", *argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("engine", ["ideal", "spice"])
def test_json_output_equals_the_exact_solve(capsys, engine):
    status, out, err = _run(
        capsys,
        "experiment16",
        "--drive",
        "I1=1.5",
        "--drive",
        "3=-0.25",
        "--drive",
        "G1=0",
        "--engine",
        engine,
        "--json",
    )
    assert status == 0 and err == ""
    data = json.loads(out)
    assert list(data) == ["node_voltages_v"]
    expected = solve(experiment16(), {"I1": 1.5, 3: -0.25, "G1": 0.0})
    np.testing.assert_allclose(data["node_voltages_v"], expected, rtol=0, atol=1e-9)


def test_table_lists_every_node_with_its_voltage(capsys):
    status, out, _ = _run(capsys, "square:1x3", "--drive", "0=2", "--drive", "n2=0")
    assert status == 0
    rows = [line.split() for line in out.strip().splitlines()]
    assert rows[0] == ["node", "name", "volts"]
    assert rows[1] == ["0", "n0", "2.0000000000", "driven"]
    assert rows[2][:3] == ["1", "n1", "1.0000000000"]  # midpoint of two equal resistors
    assert rows[3] == ["2", "n2", "0.0000000000", "driven"]


def test_network_file_is_accepted(capsys, tmp_path):
    resistance_ohm = np.arange(1.0, 17.0) * 100
    path = write_json(experiment16().with_resistance(resistance_ohm), tmp_path / "n.json")
    status, out, _ = _run(capsys, str(path), "--drive", "I1=1", "--drive", "I2=0", "--json")
    assert status == 0
    expected = solve(experiment16(), {"I1": 1.0, "I2": 0.0}, resistance_ohm=resistance_ohm)
    np.testing.assert_allclose(json.loads(out)["node_voltages_v"], expected, atol=1e-12)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--drive", "X9=1"], "unknown node 'X9'"),
        (["--drive", "12=1"], "unknown node '12'"),
        (["--drive", "I1=abc"], "'abc' is not a finite number of volts"),
        (["--drive", "I1=inf"], "not a finite number"),
        (["--drive", "I1=1", "--drive", "0=2"], "driven twice"),
        ([], "no node driven"),
        (["--drive", "I1"], "expected NODE=VOLTS"),
        (["--drive", "I1=1", "--engine", "gpu"], "invalid choice"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv, message):
    try:
        status = main(["solve", "experiment16", *argv])
    except SystemExit as exc:  # argparse rejects bad choices itself
        status = exc.code
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert message in err and err.count("\n") == 1


def test_unknown_network_exits_2(capsys):
    status, out, err = _run(capsys, "no-such-network", "--drive", "0=1")
    assert status == 2 and out == "" and "no such built-in network" in err


def test_module_entry_point_in_a_subprocess():
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "coupled",
            "solve",
            "experiment16",
            "--drive",
            "I1=1",
            "--drive",
            "I2=0",
            "--engine",
            "spice",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    expected = solve(experiment16(), {"I1": 1.0, "I2": 0.0})
    got = json.loads(result.stdout)["node_voltages_v"]
    np.testing.assert_allclose(got, expected, atol=1e-9)
    bad = subprocess.run(
        [sys.executable, "-m", "coupled", "solve", "experiment16", "--drive", "I1=x"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2 and bad.stdout == "" and "not a finite number" in bad.stderr
