"""``coupled netlist``: the written file runs in standalone ngspice; bad input writes nothing."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coupled.cli.main import main
from coupled.core.version import __version__
from coupled.physics import tasks
from coupled.spice.session import is_error_line

NGSPICE = shutil.which("ngspice")
needs_ngspice = pytest.mark.skipif(NGSPICE is None, reason="ngspice executable not installed")


def _standalone(path, timeout=300):
    result = subprocess.run(
        [NGSPICE, "-b", str(path)], capture_output=True, text=True, timeout=timeout, cwd=path.parent
    )
    lines = (result.stdout + "\n" + result.stderr).splitlines()
    errors = [ln for ln in lines if is_error_line(ln) or re.search(r"\berror\b", ln, re.I)]
    values = dict(re.findall(r"^\s*(\S+)\s*=\s*([-+0-9.eE]+)", result.stdout, re.M))
    return result.returncode, errors, {k: float(v) for k, v in values.items()}


@needs_ngspice
def test_written_board_runs_in_standalone_ngspice(tmp_path, capsys):
    out = tmp_path / "board.cir"
    assert main(["netlist", "--network", "experiment16", "--out", str(out), "--seed", "3"]) == 0
    assert "ngspice -b" in capsys.readouterr().out
    text = out.read_text()
    assert f'"version": "{__version__}"' in text and '"seed": 3' in text
    assert ".include" not in text.lower()  # self-contained
    # Run it from elsewhere: nothing refers to the package folders.
    moved = tmp_path / "elsewhere" / "copy.cir"
    moved.parent.mkdir()
    moved.write_text(text)
    status, errors, values = _standalone(moved)
    assert status == 0 and errors == []
    for i in range(16):
        assert values[f"v(dir_{i})"] in (pytest.approx(0.0, abs=0.01), pytest.approx(5, abs=0.01))
        # After the trigger: latched levels, and every oscillator swung.
        assert values[f"direction_{i}"] == pytest.approx(values[f"v(dir_{i})"], abs=0.05)
        assert values[f"enable_{i}"] in (pytest.approx(0.0, abs=0.05), pytest.approx(5, abs=0.05))
        assert values[f"osc_pp_{i}"] > 1.0
    enabled = sum(values[f"enable_{i}"] > 2.5 for i in range(16))
    assert 0 < enabled < 16  # bias at mid-supply: p about one half


@needs_ngspice
def test_op_mode_netlist_and_options(tmp_path):
    out = tmp_path / "op.cir"
    args = [
        "netlist",
        "--network",
        "rgg:20:0.4:2",
        "--out",
        str(out),
        "--mode",
        "op",
        "--nudge",
        "ideal",
        "--inputs",
        "0,1",
        "--outputs",
        "5",
        "--grounds",
        "7",
        "--input-v",
        "1,4",
        "--target-v",
        "2.2",
        "--taps",
        "random",
        "--eta",
        "0.3",
    ]
    assert main(args) == 0
    text = out.read_text()
    assert "XOSC" not in text and "VCLAMP_n5" in text and "VIN_n0 in_n0 0 DC 1.0" in text
    assert '"eta": 0.3' in text
    taps = [int(t) for t in re.findall(r"XPOTF_\d+ .* tap=(\d+)", text)]
    assert len(set(taps)) > 5  # random taps
    status, errors, values = _standalone(out)
    assert status == 0 and errors == []
    assert len([k for k in values if k.startswith("v(dir_")]) == text.count("XXOR_")


def test_same_seed_same_file_and_bom(tmp_path, capsys):
    a, b, c = tmp_path / "a.cir", tmp_path / "b.cir", tmp_path / "c.cir"
    for path, seed in ((a, "1"), (b, "1"), (c, "2")):
        args = ["netlist", "--network", "experiment16", "--out", str(path), "--seed", seed]
        assert main(args) == 0
    assert a.read_text() == b.read_text() != c.read_text()
    capsys.readouterr()
    assert main(["netlist", "--network", "experiment16", "--out", str(a), "--bom"]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"XPOTF_<i>\s+digital potentiometer, free twin .* edge\s+16\s", printed)
    assert re.search(r"XCMPA_<i>\s+comparator A.*16\s+gain 200000, offset", printed)
    assert "338 parts for 16 edges (21 per edge)" in printed  # sensing stage, pull-ups


def test_networks_without_roles_get_a_seeded_task(tmp_path):
    out = tmp_path / "j.cir"
    assert main(["netlist", "--network", "jammed143", "--out", str(out), "--mode", "op"]) == 0
    text = out.read_text()
    assert len(re.findall(r"^VIN_", text, re.M)) == 2
    assert len(re.findall(r"^XNUDGE_", text, re.M)) == 2
    assert len(re.findall(r"^VGND_", text, re.M)) == 1
    assert len(re.findall(r"^XCMPB_", text, re.M)) == 143
    volts = np.array([float(v) for v in re.findall(r"^VIN_\S+ \S+ 0 DC (\S+)", text, re.M)])
    low, high = tasks.DEFAULT_INPUT_RANGE_V
    assert volts.size == 2 and np.all((volts >= low) & (volts <= high))


def _status(args: list[str]) -> int:
    """Exit status of the command line, whether argparse or the command refused the input."""
    try:
        return main(args)
    except SystemExit as exc:
        return int(exc.code)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--tolerance", "0.7"], "tolerance"),
        (["--tolerance", "0.5"], "tolerance"),
        (["--network", "nowhere"], "nowhere"),
        (["--inputs", "Q7"], "unknown node"),
        (["--input-v", "1,2,3"], "input-v"),
        (["--target-v", "x"], "target-v"),
        (["--outputs", "I1"], "two roles"),
        (["--eta", "0"], "eta"),
        (["--comparator-offset", "-1"], "comparator-offset"),
        (["--seed", "-4"], "seed"),
        (["--mode", "fast"], "mode"),
    ],
)
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, capsys, extra, message):
    out = tmp_path / "bad.cir"
    network = [] if extra[0] == "--network" else ["--network", "experiment16"]
    assert _status(["netlist", *network, "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err
    assert list(tmp_path.iterdir()) == []


def test_bad_out_paths(tmp_path, capsys):
    assert main(["netlist", "--network", "experiment16", "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert main(["netlist", "--network", "experiment16", "--out", str(tmp_path / "x.txt")]) == 2
    assert "suffix" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_module_entry_point(tmp_path):
    out = tmp_path / "m.cir"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "coupled",
            "netlist",
            "--network",
            "experiment16",
            "--out",
            str(out),
            "--tolerance",
            "0.9",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and not out.exists()
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
@needs_ngspice
def test_jammed143_full_board_runs_standalone(tmp_path):
    out = tmp_path / "j143.cir"
    assert main(["netlist", "--network", "jammed143", "--out", str(out)]) == 0
    status, errors, values = _standalone(out, timeout=600)
    assert status == 0 and errors == []
    assert all(values[f"osc_pp_{i}"] > 1.0 for i in range(143))


def test_bom_csv_lists_pull_ups_and_gain_resistors(tmp_path, capsys):
    out = tmp_path / "board.cir"
    assert main(["netlist", "--network", "experiment16", "--out", str(out), "--bom"]) == 0
    bom = pd.read_csv(tmp_path / "bom.csv").set_index("designator")
    for designator in ("RPUA_<i>", "RPUB_<i>", "RPUEN_<i>", "RGA_<i>", "RGB_<i>", "XSENA_<i>"):
        assert bom.loc[designator, "count"] == 16, designator
    assert bom.loc["RGA_<i>", "value"] == f"{100_000 / 39:.4g} ohm"  # G = 40 = 1 + 100k / R_G
    assert bom.loc["XSENA_<i>", "value"] == "gain 40"
    assert "bom.csv" in capsys.readouterr().out


@needs_ngspice
def test_standalone_netlist_writes_a_raw_file(tmp_path):
    out, raw = tmp_path / "ring.cir", tmp_path / "ring.raw"
    ring = str(Path(__file__).parent / "data" / "ring6.json")
    assert main(["netlist", "--network", ring, "--out", str(out), "--raw", str(raw)]) == 0
    assert f"write {raw}" in out.read_text()
    status, errors, values = _standalone(out)
    assert status == 0 and errors == []
    head = raw.read_bytes()[:20000].decode("latin-1")
    assert "Plotname: Transient Analysis" in head
    assert "osc_0" in head and "dir_5" in head and "enl_5" in head


@needs_ngspice
def test_monte_carlo_netlist_draws_parts_in_ngspice(tmp_path):
    out = tmp_path / "mc.cir"
    ring = str(Path(__file__).parent / "data" / "ring6.json")
    argv = ["netlist", "--network", ring, "--out", str(out), "--mode", "op", "--taps", "random"]
    assert main([*argv, "--monte-carlo", "3", "--seed", "4"]) == 0
    text = out.read_text()
    assert re.search(r"^\.param mc_rab_potf_0 = agauss\(", text, re.M)
    assert re.search(r"^\.param mc_voff_cmpa_0 = aunif\(0\.025, 0\.025\)", text, re.M)
    assert "XPOTF_0 " in text and "rab={mc_rab_potf_0}" in text
    assert "setseed 4" in text and "while mc_run < 3" in text
    result = subprocess.run(
        [NGSPICE, "-b", str(out)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert result.returncode == 0
    assert result.stdout.count("monte carlo run") == 3
    outputs = [float(v) for v in re.findall(r"^v\(f_out1\) = (\S+)", result.stdout, re.M)]
    assert len(outputs) == 3 and len(set(outputs)) == 3  # each run draws its own parts
