"""Bad input everywhere: every subcommand refuses it with one line, exit status 2, nothing written.

Each case runs the real command line (``coupled.cli.main`` in-process; a few through a
subprocess) and checks the contract of ``coupled.cli``: exit status 2, exactly one line on
stderr naming the bad value, nothing on stdout, no traceback, and ``--out`` absent afterwards
(or, if it existed, unchanged). Invalid network files come in both formats (JSON and the
group's text format) and go through every command that reads a network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coupled.cli.main import main
from coupled.core.errors import UserError

QUICK_TRAIN = ["--network", "square:3x3", "--steps", "3", "--log-every", "1"]
SMALL_TRIANGLE = {"nodes": 3, "edges": [[0, 1], [1, 2], [0, 2]]}


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of the command line, whether argparse exits or not."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(result: tuple[int, str, str], *fragments: str) -> str:
    """Exit status 2, one stderr line with every fragment, nothing on stdout, no traceback."""
    code, out, err = result
    assert code == 2, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (folders as empty markers)."""
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>"
        for p in sorted(folder.rglob("*"))
    }


# -- option values -------------------------------------------------------------------------------

# (option, bad text, fragment that must appear besides the text); texts that argparse or the
# checks turn into another spelling give that spelling as the fragment.
TRAIN_VALUES = [
    ("--p", "nan", "--p nan: must be a finite number"),
    ("--p", "inf", "--p inf: must be a finite number"),
    ("--p", "-inf", "--p -inf: must be a finite number"),
    ("--p", "abc", "invalid float value: 'abc'"),
    ("--p", "-0.5", "--p -0.5: must be in (0, 1]"),
    ("--p", "0", "--p 0.0: must be in (0, 1]"),
    ("--p", "1.01", "--p 1.01: must be in (0, 1]"),
    ("--batch-fraction", "nan", "--batch-fraction nan"),
    ("--batch-fraction", "0", "--batch-fraction 0.0: must be in (0, 1]"),
    ("--batch-fraction", "2", "--batch-fraction 2.0: must be in (0, 1]"),
    ("--batch-fraction", "x", "invalid float value: 'x'"),
    ("--eta", "inf", "--eta inf: must be a finite number"),
    ("--eta", "-1", "--eta -1.0: must be in (0, 1]"),
    ("--eta", "0", "--eta 0.0"),
    ("--gamma", "nan", "--gamma nan"),
    ("--gamma", "-1e3", "--gamma -1000.0: must be in (0, inf)"),
    ("--gamma", "0", "--gamma 0.0"),
    ("--gamma", "1e400", "--gamma inf: must be a finite number"),
    ("--steps", "0", "--steps 0: must be at least 1"),
    ("--steps", "-5", "--steps -5: must be at least 1"),
    ("--steps", "nan", "invalid int value: 'nan'"),
    ("--steps", "1.5", "invalid int value: '1.5'"),
    ("--tasks", "0", "--tasks 0: must be at least 1"),
    ("--tasks", "abc", "invalid int value: 'abc'"),
    ("--tasks", "inf", "invalid int value: 'inf'"),
    ("--sigma-v", "-0.01", "--sigma-v -0.01: must be in [0, inf)"),
    ("--sigma-v", "nan", "--sigma-v nan"),
    ("--sigma-v", "inf", "--sigma-v inf"),
    ("--seed", "-1", "--seed -1: must be at least 0"),
    ("--seed", str(2**64), f"--seed {2**64}: must be at most"),
    ("--r-min-ohm", "0", "--r-min-ohm 0.0"),
    ("--r-max-ohm", "10", "--r-max-ohm 10.0: must be in (1000, inf)"),
    ("--input-max-v", "-1e9", "--input-max-v -1000000000.0"),
    ("--log-every", "0", "--log-every 0"),
    ("--train-size", "0", "--train-size 0"),
    ("--outputs", "0", "--outputs 0"),
    ("--outputs", "99", "--outputs 99"),
    ("--inputs", "8", "--inputs 8 + --outputs 2 + --grounds 1 = 11 nodes"),
    ("--grounds", "-1", "--grounds -1"),
    ("--engine", "warp", "--engine 'warp': unknown engine; available:"),
    ("--engine", "", "--engine '': unknown engine"),
    ("--task", "dance", "invalid choice: 'dance'"),
    ("--rule", "quantum", "invalid choice: 'quantum'"),
    ("--engine-option", "slack=-1", "slack=-1"),
    ("--engine-option", "warp=1", "--engine-option warp: unknown for engine ideal"),
    ("--engine-option", "noequals", "--engine-option 'noequals': expected KEY=VALUE"),
]


@pytest.mark.parametrize(("option", "text", "fragment"), TRAIN_VALUES)
def test_train_option_values(tmp_path, capsys, option, text, fragment):
    out = tmp_path / "run"
    result = run_cli(["train", *QUICK_TRAIN, option, text, "--out", str(out)], capsys)
    assert_refused(result, fragment)
    assert not out.exists()


NETLIST_VALUES = [
    ("--tolerance", "nan", "'nan' must be a finite number"),
    ("--tolerance", "-0.1", "'-0.1' must be in [0, 1]"),
    ("--tolerance", "0.6", "--tolerance 0.6: must be below 0.5"),
    ("--tolerance", "abc", "'abc' not a number"),
    ("--eta", "0", "'0' must be in (0, 1]"),
    ("--eta", "inf", "'inf' must be a finite number"),
    ("--seed", "-3", "-3 must be at least 0"),
    ("--seed", "1.5", "'1.5' is not a whole number"),
    ("--comparator-offset", "-0.05", "'-0.05' must be in [0, inf)"),
    ("--bias-v", "nan", "'nan' must be a finite number"),
    ("--bias-v", "-inf", "'-inf' must be a finite number"),
    ("--input-v", "1,abc", "--input-v '1,abc': must be comma-separated numbers"),
    ("--input-v", "1,nan", "--input-v '1,nan': need 2 finite voltages"),
    ("--input-v", "1", "--input-v '1': need 2 finite voltages"),
    ("--inputs", "I1,Z9", "--inputs 'I1,Z9': unknown node 'Z9'"),
    ("--outputs", "0,1,2,3,4,5,6,7,8,9", "unknown node '9'"),
    ("--mode", "half", "invalid choice: 'half'"),
]


@pytest.mark.parametrize(("option", "text", "fragment"), NETLIST_VALUES)
def test_netlist_option_values(tmp_path, capsys, option, text, fragment):
    out = tmp_path / "board.cir"
    argv = ["netlist", "--network", "experiment16", "--out", str(out), option, text]
    assert_refused(run_cli(argv, capsys), fragment)
    assert not out.exists()


CALIBRATE_VALUES = [
    ("--tolerance", "nan", "'nan' must be a finite number"),
    ("--tolerance", "0.5", "tolerance 0.5: must be in [0, 0.5)"),
    ("--tolerance", "-1", "'-1' must be in [0, 1]"),
    ("--seed", "abc", "'abc' is not a whole number"),
    ("--trigger-period-s", "0", "'0' must be in (0, inf)"),
    ("--trigger-period-s", "inf", "'inf' must be a finite number"),
    ("--trigger-period-s", "-1e-6", "'-1e-6' must be in (0, inf)"),
    ("--triggers", "1", "triggers 1: must be a whole number >= 2"),
    ("--triggers", "nan", "'nan' is not a whole number"),
    ("--p-triggers", "0", "0 must be at least 1"),
    ("--bias-points", "2", "bias points 2: must be a whole number >= 3"),
    ("--workers", "0", "0 must be at least 1"),
    ("--events", "psychic", "invalid choice: 'psychic'"),
]


@pytest.mark.parametrize(("option", "text", "fragment"), CALIBRATE_VALUES)
def test_calibrate_option_values(tmp_path, capsys, option, text, fragment):
    out = tmp_path / "cal"
    argv = [
        "calibrate",
        "--network",
        "experiment16",
        "--events",
        "phase",
        "--no-plots",
        "--no-effective-bias",
        "--out",
        str(out),
        option,
        text,
    ]
    assert_refused(run_cli(argv, capsys), fragment)
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["square:3x3", "--drive", "0=nan"], "--drive '0=nan': 'nan' is not a finite number"),
        (["square:3x3", "--drive", "0=inf"], "'inf' is not a finite number"),
        (["square:3x3", "--drive", "0=abc"], "'abc' is not a finite number"),
        (["square:3x3", "--drive", "0=1e400"], "'1e400' is not a finite number"),
        (["square:3x3", "--drive", "9=1"], "--drive '9=1': unknown node '9'"),
        (["square:3x3", "--drive=-1=1"], "unknown node '-1'"),
        (["square:3x3", "--drive", "0"], "--drive '0': expected NODE=VOLTS"),
        (["square:3x3", "--drive", "0=1", "--drive", "0=2"], "driven twice"),
        (["square:3x3"], "no node driven"),
        (["square:3x3", "--drive", "0=1", "--engine", "warp"], "invalid choice: 'warp'"),
        (["", "--drive", "0=1"], "--network: empty"),
    ],
)
def test_solve_option_values(capsys, argv, fragment):
    assert_refused(run_cli(["solve", *argv], capsys), fragment)


def test_sweep_option_values(tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text('[base]\nnetwork = "square:3x3"\nsteps = 2\n[grid]\np = [0.5, 1.0]\n')
    out = tmp_path / "sweep"
    for extra, fragment in [
        (["--workers", "0"], "--workers 0: must be a whole number >= 1"),
        (["--workers", "abc"], "invalid int value: 'abc'"),
        (["--executor", "cloud"], "invalid choice: 'cloud'"),
        (["--max-runs-per-worker", "-1"], "--max-runs-per-worker -1"),
        (["--executor", "process", "--max-runs-per-worker", "0"], "--max-runs-per-worker 0"),
        (["--scheduler", "tcp://127.0.0.1:1"], "only with --executor dask"),
        (["--executor", "dask", "--scheduler", " "], "--scheduler: empty"),
        (["--resume", "--overwrite"], "--resume and --overwrite exclude each other"),
    ]:
        result = run_cli(["sweep", str(spec), "--out", str(out), *extra], capsys)
        assert_refused(result, fragment)
        assert not out.exists()


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("[base\n", "not valid TOML"),
        ("[base]\np = nan\n", "--p nan: must be a finite number"),
        ("[base]\np = inf\n", "--p inf: must be a finite number"),
        ("[base]\np = '0.5'\n", "--p '0.5': not a number"),
        ("[base]\neta = true\n", "--eta True: not a number"),
        ("[base]\nsteps = -1\n", "--steps -1: must be at least 1"),
        ("[base]\nsteps = 2.5\n", "--steps 2.5: must be a whole number"),
        ("[base]\nseed = 99999999999999999999\n", "must be at most"),
        ("[base]\nnetwork = 'nosuch'\n", "--network 'nosuch': no such built-in network"),
        ("[base]\nengine = 'warp'\n", "--engine 'warp': unknown engine"),
        (
            "[base]\noutputs = 40\nnetwork = 'experiment16'\nroles = 'random'\n",
            "has only 9 nodes",
        ),
        ("[grid]\nsigma_v = [0.01, -0.01]\n", "grid point 1 (sigma_v=-0.01): --sigma-v -0.01"),
        ("[grid]\ngamma = 5\n", "[grid] gamma = 5: must be a list"),
        ("[base]\nwhat = 1\n", "unknown option 'what'"),
    ],
)
def test_sweep_spec_values(tmp_path, capsys, spec, fragment):
    path = tmp_path / "spec.toml"
    path.write_text(spec)
    out = tmp_path / "sweep"
    assert_refused(run_cli(["sweep", str(path), "--out", str(out)], capsys), fragment)
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["demo", "--steps", "0"], "--steps: 0 must be at least 1"),
        (["demo", "--p", "0.5,nan"], "--p: 'nan' must be a finite number"),
        (["demo", "--p", "0.5,0.5"], "a probability is repeated"),
        (["demo", "--seed", "-1"], "--seed: -1 must be at least 0"),
        (["demo", "--workers", "0"], "--workers: 0 must be at least 1"),
        (["demo", "--engine", "warp"], "--engine 'warp': unknown engine"),
        (["report", "--seed", "x"], "--seed: 'x' is not a whole number"),
        (["report", "--workers", "-2"], "--workers: -2 must be at least 1"),
        (["report", "--calibration-events", "guess"], "invalid choice: 'guess'"),
    ],
)
def test_demo_and_report_option_values(tmp_path, capsys, argv, fragment):
    out = tmp_path / "out"
    assert_refused(run_cli([*argv, "--out", str(out)], capsys), fragment)
    assert not out.exists()


def test_missing_subcommand_and_unknown_options(capsys):
    code, out, err = run_cli([], capsys)
    assert code == 2 and "usage: coupled" in out
    assert_refused(run_cli(["fly"], capsys), "invalid choice: 'fly'")
    assert_refused(run_cli(["train", "--warp", "9"], capsys), "unrecognized arguments: --warp 9")


# -- network files -------------------------------------------------------------------------------

TEXT_HEAD = "3 3 1.0\n0 0\n1 0\n0 1\n"
NETWORK_FILES = {
    # name: (file content, fragment of the message)
    "empty.json": ("", "malformed JSON"),
    "blank.txt": ("\n \n", "empty"),
    "malformed.json": ("{nodes: 3}", "malformed JSON"),
    "truncated.json": (json.dumps(SMALL_TRIANGLE)[:-9], "malformed JSON"),
    "list.json": ("[1, 2]", "expected a JSON object"),
    "no_edges.json": ('{"nodes": 3}', "missing key 'edges'"),
    "negative.json": (
        {**SMALL_TRIANGLE, "resistance_ohm": [100, -5, 100]},
        "resistance_ohm[1] = -5.0 must be a positive finite number",
    ),
    "zero.json": ({**SMALL_TRIANGLE, "resistance_ohm": 0}, "resistance_ohm[0] = 0.0"),
    "nan_r.json": (
        '{"nodes": 3, "edges": [[0, 1], [1, 2]], "resistance_ohm": [1, NaN]}',
        "resistance_ohm[1] = nan",
    ),
    "loop.json": ({"nodes": 3, "edges": [[0, 1], [1, 1], [1, 2]]}, "edge 1 is a self loop"),
    "missing_node.json": (
        {"nodes": 3, "edges": [[0, 1], [1, 7]]},
        "edge 1 (1, 7) names a missing node; nodes are 0..2",
    ),
    "few_edges.json": ({"nodes": 4, "edges": [[0, 1], [2, 3]]}, "disconnected (4 nodes but 2"),
    "disconnected.json": (
        {"nodes": 5, "edges": [[0, 1], [1, 2], [2, 0], [3, 4]]},
        "disconnected (2 parts; node 3 is not connected to node 0)",
    ),
    "role.json": ({**SMALL_TRIANGLE, "inputs": [5]}, "node 5 out of range 0..2"),
    "bool_nodes.json": ({"nodes": True, "edges": [[0, 1]]}, "nodes must be a whole number"),
    "header.txt": ("three 3 1.0\n", "first line must be 'N E L'"),
    "truncated.txt": (TEXT_HEAD + "0 1\n1 2\n", "truncated?"),
    "words.txt": (TEXT_HEAD + "0 1\n1 two\n0 2\n", "non-numeric value"),
    "loop.txt": (TEXT_HEAD + "0 1\n1 1\n0 2\n", "edge 1 is a self loop on node 1"),
    "missing_node.txt": (TEXT_HEAD + "0 1\n1 2\n2 3\n", "edge 2 (2, 3) names a missing node"),
    "disconnected.txt": ("4 3 1.0\n0 0\n1 0\n0 1\n1 1\n0 1\n1 2\n2 0\n", "node 3 is not connected"),
    "binary.txt": (b"\xff\xfe\x00\x01", "not a text file"),
}


@pytest.fixture(scope="module")
def network_files(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("networks")
    for name, (content, _) in NETWORK_FILES.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, dict):
            path.write_text(json.dumps(content))
        else:
            path.write_text(content)
    return folder


def _network_argv(command: str, network: str, out: Path) -> list[str]:
    if command == "solve":
        return ["solve", network, "--drive", "0=1"]
    if command == "train":
        return ["train", "--network", network, "--steps", "2", "--out", str(out)]
    if command == "netlist":
        return ["netlist", "--network", network, "--out", str(out.with_suffix(".cir"))]
    return ["calibrate", "--network", network, "--events", "phase", "--out", str(out)]


@pytest.mark.parametrize("command", ["solve", "train", "netlist", "calibrate"])
@pytest.mark.parametrize("name", sorted(NETWORK_FILES))
def test_bad_network_files(network_files, tmp_path, capsys, command, name):
    out = tmp_path / "out"
    path = network_files / name
    line = assert_refused(
        run_cli(_network_argv(command, str(path), out), capsys), NETWORK_FILES[name][1]
    )
    assert path.stem in line  # the message names the file or the network read from it
    assert not out.exists() and not out.with_suffix(".cir").exists()


@pytest.mark.parametrize("command", ["solve", "train", "netlist", "calibrate"])
@pytest.mark.parametrize(
    ("network", "fragment"),
    [
        ("nowhere.json", "no such built-in network or file; built-ins are experiment16"),
        ("experiment17", "no such built-in network or file"),
        ("square:0x4", "square lattice 0x4: needs at least 2 nodes"),
        ("square:ax4", "--network 'square:ax4': malformed"),
        ("rgg:10:abc", "--network 'rgg:10:abc': malformed"),
        ("rgg:10:0.01:1", "no connected graph"),
    ],
)
def test_unknown_networks(tmp_path, capsys, command, network, fragment):
    out = tmp_path / "out"
    assert_refused(run_cli(_network_argv(command, network, out), capsys), fragment)
    assert not out.exists()


def test_network_folder_is_refused(tmp_path, capsys):
    assert_refused(run_cli(["solve", str(tmp_path), "--drive", "0=1"], capsys), "is a folder")


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (
            ["--roles", "random", "--outputs", "3"],
            "--inputs 2 + --outputs 3 + --grounds 1 = 6 nodes, but network",
        ),
        (["--roles", "random", "--inputs", "3"], "= 6 nodes, but network"),
        (["--roles", "random", "--task", "allostery", "--outputs", "4"], "has only 5 nodes"),
        (["--roles", "network", "--grounds", "1"], "--grounds 1 contradicts network five"),
        (["--outputs", "3"], "--outputs 3 contradicts network five"),
    ],
)
def test_more_roles_than_the_network_has(tmp_path, capsys, extra, fragment):
    path = tmp_path / "five.json"
    path.write_text(
        json.dumps(
            {
                "nodes": 5,
                "edges": [[0, 1], [1, 2], [2, 3], [3, 4], [4, 0]],
                "inputs": [0],
                "outputs": [2],
            }
        )
    )
    out = tmp_path / "out"
    argv = ["train", "--network", str(path), "--steps", "2", *extra, "--out", str(out)]
    assert_refused(run_cli(argv, capsys), fragment)
    assert not out.exists()


# -- output folders ------------------------------------------------------------------------------


def _out_argv(command: str, out: str, spec: Path) -> list[str]:
    return {
        "train": ["train", *QUICK_TRAIN, "--out", out],
        "calibrate": [
            "calibrate",
            "--network",
            "experiment16",
            "--events",
            "phase",
            "--triggers",
            "20",
            "--p-triggers",
            "20",
            "--no-plots",
            "--no-effective-bias",
            "--out",
            out,
        ],
        "sweep": ["sweep", str(spec), "--out", out],
        "netlist": ["netlist", "--network", "experiment16", "--out", out + ".cir"],
        "report": ["report", "--quick", "--out", out],
        "demo": ["demo", "--engine", "ideal", "--steps", "2", "--out", out],
    }[command]


@pytest.fixture()
def spec(tmp_path) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text('[base]\nnetwork = "square:3x3"\nsteps = 2\n[grid]\np = [0.5, 1.0]\n')
    return path


OUT_COMMANDS = ["train", "calibrate", "sweep", "netlist", "report", "demo"]


@pytest.mark.parametrize("command", OUT_COMMANDS)
@pytest.mark.parametrize("where", ["under_a_file", "in_proc", "deep_under_a_file"])
def test_unwritable_out(tmp_path, capsys, spec, command, where):
    # Tests run as root, so permission bits stop nothing: use a path whose parent is a regular
    # file, or /proc (which refuses new entries even to root).
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder\n")
    out = {
        "under_a_file": str(blocker / "out"),
        "deep_under_a_file": str(blocker / "x" / "y" / "out"),
        "in_proc": f"/proc/coupled-test-{os.getpid()}",
    }[where]
    line = assert_refused(run_cli(_out_argv(command, out, spec), capsys), "cannot write there")
    assert out in line
    assert blocker.read_text() == "not a folder\n"
    assert not os.path.lexists(out) and not os.path.lexists(out + ".cir")


@pytest.mark.parametrize("command", ["train", "calibrate", "sweep"])
def test_out_that_is_a_file(tmp_path, capsys, spec, command):
    out = tmp_path / "taken"
    out.write_text("keep me")
    assert_refused(run_cli(_out_argv(command, str(out), spec), capsys), "is not a folder")
    assert out.read_text() == "keep me"


@pytest.mark.parametrize("command", ["train", "calibrate", "sweep", "demo"])
def test_existing_folder_is_left_unchanged(tmp_path, capsys, spec, command):
    out = tmp_path / "results"
    (out / "sub").mkdir(parents=True)
    (out / "notes.txt").write_text("precious")
    (out / "sub" / "data.csv").write_text("a,b\n1,2\n")
    before = snapshot(out)
    # A valid command without --overwrite/--resume refuses the non-empty folder ...
    assert_refused(run_cli(_out_argv(command, str(out), spec), capsys), "not empty")
    assert snapshot(out) == before
    # ... and so does a bad value, even with --overwrite.
    bad = {
        "train": ["--p", "7"],
        "calibrate": ["--tolerance", "0.9"],
        "demo": ["--steps", "0"],
        "sweep": ["--workers", "0"],
    }[command]
    argv = [*_out_argv(command, str(out), spec), *bad, "--overwrite"]
    assert_refused(run_cli(argv, capsys))
    assert snapshot(out) == before


def test_empty_existing_folder_stays(tmp_path, capsys):
    out = tmp_path / "empty"
    out.mkdir()
    assert_refused(run_cli(["train", *QUICK_TRAIN, "--eta", "nan", "--out", str(out)], capsys))
    assert out.is_dir() and not any(out.iterdir())


def test_empty_out_path(capsys):
    assert_refused(run_cli(["train", *QUICK_TRAIN, "--out", ""], capsys), "--out '': empty")
    assert_refused(
        run_cli(["netlist", "--network", "experiment16", "--out", " "], capsys), "--out ' ': empty"
    )


# -- --debug and the real process --------------------------------------------------------------


def test_debug_raises_the_exception_instead(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(UserError, match="--p 2.0: must be in"):
        main(["--debug", "train", *QUICK_TRAIN, "--p", "2", "--out", str(out)])
    assert not out.exists()


def _coupled(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "coupled", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_in_a_real_process_one_line_and_exit_2(tmp_path):
    (tmp_path / "cut.txt").write_text(TEXT_HEAD + "0 1\n")
    cases = [
        ("train", "--network", "square:3x3", "--p", "nan", "--out", "run"),
        ("solve", "cut.txt", "--drive", "0=1"),
        ("netlist", "--network", "experiment16", "--out", "cut.txt/board.cir"),
        ("calibrate", "--network", "experiment16", "--tolerance", "inf", "--out", "cal"),
    ]
    for argv in cases:
        done = _coupled(*argv, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert done.stdout == ""
        assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
        assert done.stderr.startswith(f"coupled {argv[0]}: error: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.txt"]


def test_debug_in_a_real_process_shows_the_traceback(tmp_path):
    done = _coupled(
        "--debug", "train", "--network", "square:3x3", "--p", "nan", "--out", "run", cwd=tmp_path
    )
    assert done.returncode == 1
    assert "Traceback" in done.stderr
    assert "coupled.core.errors.UserError: --p nan: must be a finite number" in done.stderr
    assert not (tmp_path / "run").exists()


def test_impossible_sizes_are_one_line_out_of_memory(tmp_path, capsys):
    # numpy refuses the 14.6 TiB distance array before touching memory. An input too large for
    # the machine is bad input: exit status 2, as the README's table of exit statuses says.
    out = tmp_path / "run"
    for argv in (
        ["solve", "rgg:1000000:0.1", "--drive", "0=1"],
        ["train", "--network", "square:1000000x1000000", "--out", str(out)],
    ):
        code, stdout, err = run_cli(argv, capsys)
        assert code == 2 and stdout == ""
        assert len(err.splitlines()) == 1 and "Traceback" not in err
        assert f"coupled {argv[0]}: error: out of memory" in err and "Unable to allocate" in err
    assert not out.exists()
