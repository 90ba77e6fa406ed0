"""Oscillator period jitter: its default from the parts' noise, the calibration's phase random
walk (the board twin's walk), and the ``temporal`` study of the enables' correlation in time."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest

from coupled.calibration.run import CalibrationConfig, board_oscillators, run_calibration
from coupled.calibration.stats import autocorrelation
from coupled.circuits import jitter
from coupled.cli.main import main
from coupled.core.errors import UserError
from coupled.core.version import __version__
from coupled.engines.board.events import simulate_events


def test_default_jitter_is_the_noise_of_the_nominal_parts():
    # by hand, T = 300 K, C = 1 nF, R = 15 kOhm, thresholds 1/3 and 2/3 of 5 V, t_q = 100 ns
    noise = jitter.crossing_noise_v(1e-9)
    assert noise["capacitor_v"] == pytest.approx(2.0352e-6, rel=1e-4)  # sqrt(kT / C)
    assert noise["bandwidth_hz"] == pytest.approx(2.5e6)  # 1 / (4 t_q)
    assert noise["divider_v"] == pytest.approx(1.1750e-5, rel=1e-4)  # sqrt(4kT 3.33k B)
    assert noise["comparator_v"] == pytest.approx(3.1623e-5, rel=1e-4)  # 20 nV/rtHz sqrt(B)
    assert noise["total_v"] == pytest.approx(3.3797e-5, rel=1e-4)
    # slope 5 V (1/3) / 15 us = 1.1111e5 V/s at both thresholds; 0.30417 ns per crossing,
    # sqrt(2) of it per period of 2 RC ln 2 = 20.794 us
    want = math.sqrt(2) * 3.3797e-5 / 1.11111e5 / 20.7944e-6
    assert jitter.period_jitter(15e3, 1e-9) == pytest.approx(want, rel=1e-4)
    assert want == pytest.approx(2.0686e-5, rel=1e-3)
    assert jitter.DEFAULT_JITTER == 2.1e-5
    # a larger capacitor slows the waveform as much as it lowers kT/C: the jitter hardly moves,
    # a noisier comparator raises it in proportion to its share of the noise
    assert jitter.period_jitter(15e3, 1e-9, comparator_noise_v_per_rthz=40e-9) > 1.8 * want


def test_defaults_agree_across_calibrate_train_and_the_twin():
    from coupled.engines.board.twin import BOARD_OPTIONS
    from coupled.engines.circuit import CircuitEngine

    assert CalibrationConfig(network="experiment16").jitter == jitter.DEFAULT_JITTER
    assert BOARD_OPTIONS["jitter"] == jitter.DEFAULT_JITTER
    assert CircuitEngine.options["jitter"] == jitter.DEFAULT_JITTER


def _config(**kw) -> CalibrationConfig:
    sizes = {"n_triggers": 3000, "n_triggers_p": 200, "n_bias": 7, "events": "phase"}
    return CalibrationConfig("experiment16", **{**sizes, **kw})


def test_jitter_zero_reproduces_the_jitter_free_calibration():
    zero = run_calibration(_config(jitter=0.0), 16)
    osc = board_oscillators(16, 0.05, 0)
    plain = simulate_events(osc, [zero.correlation["bias_v"]], 50e-6, 3000, source="phase")[0]
    # the jitter-free phase model, bit for bit, through both paths of the events
    tiny = simulate_events(
        osc, [zero.correlation["bias_v"]], 50e-6, 3000, source="phase", jitter=1e-13
    )[0]
    assert np.array_equal(plain, tiny)
    assert zero.correlation["p"] == pytest.approx(plain.mean(), abs=0)
    want = autocorrelation(plain).mean(axis=0)
    got = zero.correlation["autocorrelation"]["mean_autocorrelation"]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert zero.correlation["jitter"] == 0.0 and zero.config.to_dict()["jitter"] == 0.0
    # the default jitter is a different, seeded walk that barely moves the statistics
    default = run_calibration(_config(), 16)
    assert default.config.jitter == jitter.DEFAULT_JITTER
    lag1 = default.correlation["autocorrelation"]["mean_autocorrelation"][0]
    assert lag1 == pytest.approx(got[0], abs=0.01)


def test_calibration_walk_is_the_board_twins():
    from coupled.engines.board.twin import BOARD_OPTIONS, BoardTwin
    from coupled.physics.catalogue import load_network
    from coupled.training.config import TrainConfig

    network = load_network("experiment16")
    config = TrainConfig(network="experiment16", rule="discrete", p=0.5, p_mode="oscillator")
    options = {**BOARD_OPTIONS, "board_seed": 3, "phase_model": "formula", "jitter": 0.05}
    twin = BoardTwin.from_options(network, config, options)
    osc = board_oscillators(16, 0.05, 3)
    n = 1500  # more than one block of the walk
    events = simulate_events(
        osc, [twin.bias_v], 50e-6, n, source="phase", jitter=0.05, board_seed=3
    )[0]
    gates = np.array([twin.enables(k) for k in range(1, n + 1)])
    assert np.mean(events == gates) > 0.999
    still = simulate_events(osc, [twin.bias_v], 50e-6, n, source="phase")[0]
    assert np.mean(still != gates) > 0.05  # the walk matters


def test_larger_jitter_drives_lag1_toward_zero():
    lag1 = []
    for j in (0.0, 1e-2, 1e-1, 0.3, 1.0):
        result = run_calibration(_config(jitter=j, n_triggers=6000), 16)
        lag1.append(result.correlation["autocorrelation"]["mean_autocorrelation"][0])
        assert abs(result.correlation["p"] - 0.5) < 0.02  # jitter leaves p alone
    assert lag1[0] == pytest.approx(-0.43, abs=0.02)  # the rotation at 50 us
    magnitude = np.abs(lag1)
    assert np.all(np.diff(magnitude) < 0.01), lag1
    assert magnitude[2] < 0.8 * magnitude[0] and magnitude[-1] < 4 / math.sqrt(6000), lag1


def test_transient_events_refuse_a_jitter():
    osc = board_oscillators(2, 0.05, 0)
    with pytest.raises(UserError, match="jitter 0.01: transient events"):
        simulate_events(osc, [2.5], 50e-6, 10, source="transient", jitter=0.01)


@pytest.mark.parametrize("value", ["-0.1", "1.5", "nan", "x", "inf"])
def test_bad_jitter_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, value):
    out = tmp_path / "cal"
    argv = ["calibrate", "--network", "experiment16", "--quick", "--events", "phase"]
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main([*argv, "--jitter", value, "--out", str(out)]))
    code = exc.value.code
    err = capsys.readouterr().err.strip()
    assert code == 2 and not out.exists()
    assert len(err.splitlines()) == 1 and "--jitter" in err and value in err
    with pytest.raises(UserError, match=r"jitter 2\.0: must be a number in \[0, 1\]"):
        CalibrationConfig("experiment16", jitter=2.0)


def test_calibrate_records_the_jitter(tmp_path):
    out = tmp_path / "cal"
    argv = ["calibrate", "--network", "experiment16", "--quick", "--events", "phase"]
    assert (
        main([*argv, "--jitter", "0.02", "--no-effective-bias", "--no-plots", "--out", str(out)])
        == 0
    )
    corr = json.loads((out / "correlation.json").read_text())
    assert corr["jitter"] == 0.02 and corr["config"]["jitter"] == 0.02
    assert corr["jitter_applied_to"] == "every train" and corr["version"] == __version__
    assert json.loads((out / "calibration.json").read_text())["config"]["jitter"] == 0.02


def test_temporal_quick_reports_jitter_and_period(tmp_path, capsys):
    out = tmp_path / "temporal"
    assert main(["reproduce", "temporal", "--quick", "--out", str(out)]) == 0
    table = pd.read_csv(out / "temporal.csv")
    summary = pd.read_csv(out / "temporal_summary.csv").set_index(["events", "jitter"])
    assert (out / "temporal.png").stat().st_size > 10_000
    meta = json.loads((out / "temporal.json").read_text())
    assert meta["version"] == __version__ and meta["seed"] == 0 and meta["quick"] is True
    assert meta["params"]["jitters"][1] == jitter.DEFAULT_JITTER
    # at jitter 0 the measured rotation follows its formula at every lag and period
    zero = table[(table["events"] == "phase") & (table["jitter"] == 0.0)]
    err = (zero["mean_autocorrelation"] - zero["formula_autocorrelation"]).abs()
    assert err.max() < 0.05 and set(zero["lag"]) == set(range(1, 11))
    at_50 = summary[summary["trigger_period_s"] == 50e-6]
    lag1 = at_50.loc["phase", "lag1_autocorrelation"]
    assert lag1.loc[0.0] == pytest.approx(-0.43, abs=0.02)
    assert abs(lag1.loc[0.1]) < 0.8 * abs(lag1.loc[0.0])
    # the ngspice cross-check takes nearly the phase model's bits
    cross = at_50.loc["transient", "lag1_autocorrelation"].iloc[0]
    same_edges = at_50.loc["phase (cross-check)", "lag1_autocorrelation"].iloc[0]
    assert cross == pytest.approx(same_edges, abs=0.1)
    assert "cross-check" in capsys.readouterr().err + "".join(meta["summary"])
    assert meta["train_config"]["transient_phase_bit_agreement"] > 0.75  # RC-formula drift


def test_temporal_rejects_bad_parameters():
    from coupled.reproduction import temporal
    from coupled.reproduction.base import Setup

    bad = dataclasses.replace(temporal.QUICK, jitters=(0.0, -1.0))
    with pytest.raises(UserError, match="jitter"):
        temporal.check("temporal", bad, Setup())


@pytest.mark.slow
def test_temporal_full_size_gives_the_readme_numbers(tmp_path):
    from coupled.reproduction.base import reproduce

    result = reproduce("temporal", tmp_path / "t")
    s = result.tables["temporal_summary.csv"].set_index(["events", "jitter", "trigger_period_s"])
    lag1 = s["lag1_autocorrelation"]
    assert lag1[("phase", 0.0, 50e-6)] == pytest.approx(-0.426, abs=0.005)
    assert lag1[("phase", jitter.DEFAULT_JITTER, 50e-6)] == pytest.approx(-0.426, abs=0.005)
    assert lag1[("phase", 0.1, 50e-6)] == pytest.approx(-0.25, abs=0.02)
    assert abs(lag1[("phase", 0.3, 50e-6)]) < 0.03
    assert lag1[("phase", 0.0, 10e-6)] == pytest.approx(-0.864, abs=0.005)
    assert lag1[("transient", 0.0, 50e-6)] == pytest.approx(-0.443, abs=0.02)
    pearson = s["mean_abs_pearson"]
    assert pearson[("phase", 0.0, 50e-6)] < s["null_mean_abs_pearson"][("phase", 0.0, 50e-6)]
