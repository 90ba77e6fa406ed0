"""``coupled demo`` end to end: calibration, training runs with update events, the report.

The circuit-level run needs the ``circuit`` engine (``coupled/engines/circuit.py``); where it is
not installed that test is skipped with that reason, and the same pipeline is exercised with the
``ideal`` engine. Events come from the calibration's phase model to keep the runs short.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from coupled.cli.main import main
from coupled.core.version import __version__
from coupled.engines import available_engines

FAST = ["--no-figures", "--calibration-events", "phase"]
HAS_CIRCUIT = "circuit" in available_engines()


def run_demo(out, capsys, engine: str, steps: int, p: str) -> str:
    code = main(
        ["demo", "--engine", engine, "--steps", str(steps), "--p", p, *FAST, "--out", str(out)]
    )
    assert code == 0
    return capsys.readouterr().out.strip().splitlines()[-1]


def check_outputs(out, page: str, engine: str, steps: int, ps: list[float]) -> dict:
    """Common checks; returns the per-step share of enabled edges per p."""
    assert page == str(out / "report.html")
    html = (out / "report.html").read_text()
    assert "Training on the board" in html and 'alt="update-event raster"' in html
    assert html.count('<img src="data:image/png;base64,') >= 3 + 2  # training + calibration
    shares = {}
    for p in ps:
        run = out / "training" / f"p_{p:g}"
        config = json.loads((run / "run.json").read_text())
        assert config["engine"] == engine and config["config"]["p"] == p
        assert config["config"]["network"] == "experiment16" and config["version"] == __version__
        history = pd.read_csv(run / "history.csv")
        assert history["step"].max() == steps and history["scaled_error"].iloc[0] == 1.0
        events = pd.read_parquet(run / "update_events.parquet")
        assert len(events) == steps * 16  # one row per step and edge
        assert set(events["direction"]) <= {-1, 1}
        shares[p] = events.groupby("step")["enabled"].mean()
    demo = json.loads((out / "demo.json").read_text())
    assert demo["version"] == __version__ and demo["seed"] == 0
    # the board was checked before training: every part inside its ratings, in the report
    erc = pd.read_csv(out / "check-board" / "erc.csv")
    assert demo["check_board"]["all_ok"] and erc["ok"].all()
    assert demo["check_board"]["rows_checked"] == len(erc)
    assert f"all {len(erc)} ERC rows ok" in demo["check_board"]["summary"]
    assert "Electrical rule check and power of the board" in html
    assert demo["check_board"]["summary"] in html
    assert demo["config"]["engine"] == engine and demo["config"]["p"] == ps
    record = json.loads((out / "report.json").read_text())
    assert sorted(r["p"] for r in record["training"]) == sorted(ps)
    return shares


def test_demo_pipeline_with_the_ideal_engine(tmp_path, capsys):
    out = tmp_path / "demo"
    page = run_demo(out, capsys, "ideal", 60, "1,0.5")
    shares = check_outputs(out, page, "ideal", 60, [1.0, 0.5])
    assert (shares[1.0] == 1.0).all()
    # 60 steps x 16 edges at p = 0.5: binomial s.e. of the mean share 0.016
    assert abs(shares[0.5].mean() - 0.5) < 0.08
    first = pd.read_csv(out / "training" / "p_1" / "history.csv")
    assert first["scaled_error"].iloc[-1] < 0.5  # the board learns its allosteric task


@pytest.mark.skipif(
    not HAS_CIRCUIT,
    reason="the circuit engine (coupled/engines/circuit.py) is not in this installation",
)
def test_demo_trains_the_board_at_circuit_level(tmp_path, capsys):
    out = tmp_path / "demo"
    page = run_demo(out, capsys, "circuit", 30, "1,0.5")
    shares = check_outputs(out, page, "circuit", 30, [1.0, 0.5])
    assert (shares[1.0] == 1.0).all()  # bias below every oscillator: every edge enabled
    # the bias for p = 0.5 comes from the calibration: 480 enable bits, s.e. 0.023
    assert abs(shares[0.5].mean() - 0.5) < 0.15


@pytest.mark.parametrize(
    "args,message",
    [
        (["--p", "1,0"], "--p: '0' must be in (0, 1]"),
        (["--p", "0.5,x"], "--p: 'x' not a number"),
        (["--p", "0.5,0.5"], "a probability is repeated"),
        (["--steps", "0"], "--steps: 0 must be at least 1"),
        (["--engine", "warp"], "--engine 'warp': unknown engine; available:"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "demo"
    try:
        code = main(["demo", *args, "--out", str(out)])
    except SystemExit as stop:
        code = stop.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and err.strip().count("\n") == 0
    assert not out.exists()


def test_a_board_beyond_its_ratings_is_refused_and_nothing_written(tmp_path, capsys):
    out = tmp_path / "demo"
    argv = ["demo", "--engine", "ideal", "--steps", "5", "--p", "1", *FAST]
    code = main([*argv, "--input-max-v", "40", "--out", str(out)])  # inputs 1.9 and 10.9 V
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and not out.exists()
    assert len(err) == 1 and "ERC rows violated" in err[0] and "XPOT" in err[0]
    assert "--input-max-v" in err[0]


def test_non_empty_out_needs_overwrite(tmp_path, capsys):
    out = tmp_path / "demo"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["demo", "--engine", "ideal", *FAST, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "folder exists and is not empty; use --overwrite" in err
    assert (out / "keep.txt").read_text() == "mine"


@pytest.mark.slow
def test_make_demo_default_run(tmp_path, capsys):
    """What ``make demo`` runs: defaults (circuit engine, quick figures)."""
    if not HAS_CIRCUIT:
        pytest.skip("the circuit engine (coupled/engines/circuit.py) is not in this installation")
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--overwrite"]) == 0
    claims = pd.read_csv(out / "report_claims.csv")
    assert len(claims) == 9
