"""``coupled train`` end to end: outputs, one-line errors with exit status 2, kill and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from coupled.cli.main import main
from coupled.core.version import __version__

QUICK = ["--network", "square:4x4", "--steps", "30", "--log-every", "10"]


def test_train_writes_results_and_summary(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", *QUICK, "--tasks", "2", "--p", "0.5", "--out", str(out)])
    assert code == 0
    assert "trained 2 task(s) for 30 steps" in capsys.readouterr().out
    history = pd.read_csv(out / "history.csv")
    assert {"task", "step", "error", "scaled_error", "train_error", "steps_x_p"} <= set(history)
    assert set(history["task"]) == {0, 1}
    final = json.loads((out / "final_state.json").read_text())
    assert len(final["resistance_ohm"]) == 2 and final["config"]["p"] == 0.5
    assert final["version"] == __version__ and final["seed"] == 0
    run = json.loads((out / "run.json").read_text())
    assert run["engine"] == "ideal" and run["config"]["steps"] == 30


def test_discrete_allostery_with_events(tmp_path):
    out = tmp_path / "run"
    code = main(
        [
            "train",
            *QUICK,
            "--task",
            "allostery",
            "--outputs",
            "3",
            "--rule",
            "discrete",
            "--record-events",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    final = json.loads((out / "final_state.json").read_text())
    assert final["config"]["inputs"] == 3 and final["config"]["grounds"] == 1
    assert len(final["taps"][0]) == 24
    events = pd.read_parquet(out / "update_events.parquet")
    assert list(events.columns) == ["step", "task", "edge", "enabled", "direction"]
    assert set(events["direction"]) <= {-1, 1}


@pytest.mark.parametrize(
    "args,message",
    [
        (["--p", "0"], "--p 0.0: must be in (0, 1]"),
        (["--p", "1.5"], "--p 1.5"),
        (["--eta", "0"], "--eta 0.0"),
        (["--eta", "1.5"], "--eta 1.5"),
        (["--steps", "-3"], "--steps -3: must be at least 1"),
        (["--outputs", "40"], "only 16 nodes"),
        (["--engine", "warp"], "--engine 'warp': unknown engine; available:"),
        (["--batch-fraction", "2"], "--batch-fraction 2.0"),
        (["--engine-option", "nonsense"], "--engine-option 'nonsense': expected KEY=VALUE"),
        (["--p", "abc"], "invalid float value: 'abc'"),
    ],
)
def test_bad_values_exit_2_one_line_nothing_written(tmp_path, capsys, args, message):
    out = tmp_path / "never"
    assert _exit_status(["train", *QUICK, *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def _exit_status(argv: list[str]) -> int:
    """Exit status of the command line, whether argparse exits or ``main`` returns."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code)


def test_nonempty_out_refused_then_overwrite(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["train", *QUICK, "--out", str(out)]) == 2
    assert "--resume" in capsys.readouterr().err and (out / "notes.txt").exists()
    assert main(["train", *QUICK, "--out", str(out), "--overwrite"]) == 0
    assert not (out / "notes.txt").exists()


def _command(out: Path, steps: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "coupled",
        "train",
        "--network",
        "jammed143",
        "--tasks",
        "4",
        "--steps",
        str(steps),
        "--p",
        "0.5",
        "--log-every",
        "50",
        "--checkpoint-every",
        "100",
        "--no-progress",
        "--out",
        str(out),
    ]


def test_killed_run_resumes_to_the_uninterrupted_result(tmp_path):
    steps = 3000
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    whole = tmp_path / "whole"
    subprocess.run(_command(whole, steps), check=True, env=env, capture_output=True)
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        _command(killed, steps), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while not (killed / "checkpoint.npz").exists() and time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if (killed / "history.csv").exists():
        pytest.skip("the run finished before it could be killed")
    assert (killed / "checkpoint.npz").exists()
    done = subprocess.run(
        _command(killed, steps) + ["--resume"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    for name in ("history.csv", "final_state.json"):
        assert (killed / name).read_bytes() == (whole / name).read_bytes()


def test_a_misspelt_engine_lists_the_engines_only(tmp_path, capsys):
    from coupled.cli.main import main

    code = main(["train", "--engine", "spcie", "--steps", "2", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].endswith("--engine 'spcie': unknown engine; available: circuit, ideal, spice")
    assert not (tmp_path / "r").exists()
