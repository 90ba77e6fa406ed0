"""``coupled waveforms``: the latched bits in the waveforms are the circuit engine's decisions."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from coupled.calibration.waveforms import COLUMNS, latched_bits, parse_steps
from coupled.cli.main import main
from coupled.core.errors import UserError
from coupled.training.config import TrainConfig
from coupled.training.run import train

BOARD = ["--network", "experiment16", "--task", "allostery", "--rule", "discrete", "--p", "0.5"]


@pytest.mark.slow
def test_waveform_decision_equals_the_circuit_engine(tmp_path, capsys):
    out = tmp_path / "wf"
    argv = ["waveforms", *BOARD, "--steps", "2", "--edges", "1", "--out", str(out)]
    argv += ["--engine-option", "golden_steps_per_period=200"]
    assert main(argv) == 0
    table = pd.read_parquet(out / "waveforms.parquet")
    assert list(table.columns) == list(COLUMNS)
    assert {
        "trig",
        "bias",
        "osc",
        "en",
        "enl",
        "sena",
        "senb",
        "cmpa",
        "cmpb",
        "xor",
        "dir",
    } <= set(table["signal"])
    meta = json.loads((out / "waveforms.json").read_text())
    assert meta["config"]["engine_options"]["golden"] is True and meta["seed"] == 0
    assert (out / "waveforms.raw").stat().st_size > 0 and (out / "step2_edge1.png").exists()
    # the latches read from the waveform at the trigger instant ...
    bits = latched_bits(table, 2, meta["trigger_times_s"]["2"], meta["thresholds_v"])
    # ... equal an independent run of the circuit engine (its default fast windows)
    cfg = TrainConfig(
        network="experiment16",
        task="allostery",
        rule="discrete",
        p=0.5,
        engine="circuit",
        steps=2,
        checkpoint_every=0,
        record_events="parquet",
    )
    events = train(cfg, tmp_path / "ref", progress=False).events
    ref = events[events["step"] == 2].sort_values("edge")
    assert np.array_equal(bits["enabled"].to_numpy(), ref["enabled"].to_numpy())
    assert np.array_equal(bits["direction"].to_numpy(), ref["direction"].to_numpy())
    decisions = pd.read_csv(out / "decisions.csv")
    at2 = decisions[decisions["step"] == 2]
    moved = at2["tap_after"] - at2["tap_before"]
    assert np.array_equal(moved.to_numpy(), (at2["enabled"] * at2["direction"]).to_numpy())


def test_bad_steps_are_refused():
    with pytest.raises(UserError, match="--steps '0,2'"):
        parse_steps("0,2")
    with pytest.raises(UserError, match="listed twice"):
        parse_steps("3,3")
    assert parse_steps("5, 1") == [1, 5]


@pytest.mark.slow
def test_self_triggered_waveform_decisions_equal_the_fast_engine(tmp_path):
    from coupled.calibration.waveforms import step_waveforms
    from coupled.training.run import Run

    cfg = TrainConfig(
        network="experiment16",
        task="allostery",
        rule="discrete",
        p=0.5,
        trigger="self",
        engine="circuit",
        steps=2,
        checkpoint_every=0,
        engine_options={"golden_steps_per_period": 200},
    )
    result = step_waveforms(cfg, [2])
    fired = result.decisions[result.decisions["step"] == 2]
    assert len(fired) > 0 and {"trig", "osc", "dir"} <= set(result.table["signal"])
    # the latch read a little after each firing holds the engine's decision ...
    for row in fired.itertuples():
        bits = latched_bits(result.table, 2, row.time_s + 5e-8, result.thresholds_v)
        assert bits.set_index("edge").loc[row.edge, "direction"] == row.direction
    # ... and the fast windows of the circuit engine take the same decisions at those firings
    with Run(dataclasses.replace(cfg, engine_options={})) as run:
        run.steps(2)
        events = run.engine.clockless.last_events
    assert list(events.edge) == list(fired["edge"])
    assert list(events.direction[0]) == list(fired["direction"])
