"""Every run.json says what solved it and what the engine applied (issue: honest provenance)."""

from __future__ import annotations

import hashlib
import json

import pytest

from coupled.calibration.files import calibrate
from coupled.calibration.run import CalibrationConfig
from coupled.engines.board.curve import bias_for_p, load_calibration
from coupled.training.config import TrainConfig
from coupled.training.run import train

BOARD = dict(network="experiment16", task="allostery", rule="discrete", steps=40, seed=2)


def test_a_circuit_run_records_bias_share_and_the_calibration_checksum(tmp_path):
    cal = CalibrationConfig(
        network="experiment16", n_triggers=200, n_triggers_p=100, n_bias=5, events="phase"
    )
    calibrate(cal, tmp_path / "cal", effective_bias=False)
    path = tmp_path / "cal" / "calibration.json"
    cfg = TrainConfig(**BOARD, engine="circuit", p=0.5, engine_options={"calibration": str(path)})
    train(cfg, tmp_path / "run")
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["engine"] == "circuit"
    assert run["bias_v"] == pytest.approx(bias_for_p(0.5, load_calibration(path)))
    assert run["calibration_path"] == str(path.resolve())
    assert run["calibration_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    events_share = run["updated_share"]
    assert 0.2 < events_share < 0.8  # the oscillators' share at the calibrated bias, 640 edge-steps
    assert "ngspice" in run["simulator"].lower()


def test_an_ideal_run_records_the_share_of_edges_it_updated(tmp_path):
    cfg = TrainConfig(**{**BOARD, "steps": 400}, p=0.3)
    train(cfg, tmp_path / "run")
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["updated_share"] == pytest.approx(0.3, abs=0.03)  # 6400 Bernoulli(0.3) draws
    assert run["simulator"].startswith("numpy")
    assert run["version"] and run["seed"] == 2 and run["config"]["p"] == 0.3
