"""Calibration of the board's update statistics: p against bias, inverse, correlations, sigma."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from coupled.calibration.run import CalibrationConfig, board_oscillators, run_calibration
from coupled.calibration.stats import (
    correlation_summary,
    effective_bias_summary,
    effective_comparator_bias,
    pearson_matrix,
)
from coupled.circuits.oscillator import draw_oscillators
from coupled.cli.main import main
from coupled.core.errors import UserError
from coupled.core.version import __version__
from coupled.engines.board.curve import (
    Calibration,
    bias_for_p,
    calibration_from_table,
    load_calibration,
    p_against_bias,
    p_for_bias,
)
from coupled.engines.board.events import bias_grid, simulate_events

VS = 5.0


# --- Pearson on synthetic trains ---------------------------------------------------------------


def test_pearson_of_independent_trains_is_near_zero():
    n = 20000
    trains = np.random.default_rng(0).random((n, 12)) < 0.5
    summary = correlation_summary(pearson_matrix(trains), n)
    assert summary["mean_abs_pearson"] < 1.5 * summary["null_mean_abs_pearson"]
    assert summary["null_mean_abs_pearson"] == pytest.approx(math.sqrt(2 / (math.pi * n)))
    assert summary["n_pairs"] == 66


def test_pearson_of_identical_and_complementary_trains_is_one():
    base = np.random.default_rng(1).random(500) < 0.3
    trains = np.stack([base, base, ~base, base], axis=1)
    r = pearson_matrix(trains)
    assert r[0, 1] == pytest.approx(1.0) and r[0, 3] == pytest.approx(1.0)
    assert r[0, 2] == pytest.approx(-1.0)
    assert correlation_summary(r, 500)["mean_abs_pearson"] == pytest.approx(1.0)
    # Agrees with numpy's own estimator.
    assert np.allclose(r, np.corrcoef(trains.T.astype(float)))


def test_constant_trains_have_no_correlation():
    trains = np.zeros((100, 3), dtype=bool)
    trains[::2, 0] = True
    trains[1::3, 1] = True
    r = pearson_matrix(trains)  # edge 2 never fires
    assert np.isnan(r[2]).all() and np.isnan(r[:, 2]).all() and np.isfinite(r[0, 1])
    assert correlation_summary(r, 100)["n_constant_edges"] == 1


# --- p against bias from the circuit --------------------------------------------------------------


def test_p_against_bias_is_monotone_and_spans_zero_to_one():
    params = draw_oscillators(3, 0.05, np.random.default_rng(2))
    grid = bias_grid(params, 5, VS)
    events = simulate_events(params, grid, 50e-6, 150)
    assert events.shape == (5, 150, 3)
    table = p_against_bias(events, grid, params, VS)
    p = table["p"].to_numpy()
    # Same instants, higher bias: every event at a higher bias also fires at a lower one.
    assert np.all(np.diff(p) <= 0)
    assert np.all(events[1:] <= events[:-1])
    assert p[0] > 0.9 and p[-1] < 0.1 and 0.1 < p[2] < 0.9
    # The circuit's share of triggers matches the phase model's share of time.
    # (150 periodic samples of a periodic waveform: a few per cent off the time share.)
    assert np.allclose(p, table["p_formula"], atol=0.12)


def _calibration(bias, p):
    return Calibration(bias_v=np.asarray(bias), p=np.asarray(p), p_std=np.zeros(len(bias)))


def test_inverse_round_trips_and_handles_plateaus():
    cal = _calibration([1.4, 1.6, 2.0, 2.5, 3.0, 3.35, 3.5], [1.0, 1.0, 0.8, 0.5, 0.2, 0.0, 0.0])
    for p in (0.05, 0.2, 0.35, 0.5, 0.8, 0.95):
        assert p_for_bias(bias_for_p(p, cal), cal) == pytest.approx(p, abs=1e-9)
    for bias in (1.7, 2.2, 2.9, 3.2):
        assert bias_for_p(float(p_for_bias(bias, cal)), cal) == pytest.approx(bias, abs=1e-9)
    assert bias_for_p(0.5, cal) == pytest.approx(2.5)
    # p = 1: below every oscillator (the lowest calibrated bias), always enabled.
    assert bias_for_p(1.0, cal) == 1.4
    biases = [bias_for_p(p, cal) for p in np.linspace(0.01, 1.0, 50)]
    assert np.all(np.diff(biases) < 0)
    # Through JSON, as the engine loads it.
    again = Calibration.from_dict(json.loads(json.dumps(cal.to_dict())))
    assert bias_for_p(0.3, again) == pytest.approx(bias_for_p(0.3, cal))
    assert bias_for_p(0.3, cal.to_dict()) == pytest.approx(bias_for_p(0.3, cal))


@pytest.mark.parametrize("p", [0.0, -0.2, 1.5, float("nan"), "half"])
def test_bad_p_raises_user_error(p):
    cal = _calibration([1.5, 2.5, 3.5], [1.0, 0.5, 0.0])
    with pytest.raises(UserError, match="p"):
        bias_for_p(p, cal)


def test_calibration_needs_a_full_curve():
    with pytest.raises(UserError, match="from 1"):
        _calibration([2.0, 2.5, 3.0], [0.8, 0.5, 0.0])
    with pytest.raises(UserError, match="increasing"):
        _calibration([2.0, 2.0, 3.0], [1.0, 0.5, 0.0])


def test_measured_inverse_round_trips():
    params = draw_oscillators(6, 0.05, np.random.default_rng(4))
    grid = bias_grid(params, 9, VS)
    events = simulate_events(params, grid, 50e-6, 2000, source="phase")
    cal = calibration_from_table(p_against_bias(events, grid, params, VS), VS)
    for p in (0.1, 0.5, 0.9):
        bias = bias_for_p(p, cal)
        measured = simulate_events(params, [bias], 50e-6, 2000, source="phase").mean()
        assert measured == pytest.approx(p, abs=0.04)
    assert bias_for_p(1.0, cal) < VS * params.low_fraction.min()


# --- correlation of update events from the circuit --------------------------------------------


def test_locked_oscillators_correlate_and_spread_ones_do_not():
    n_edges, n = 4, 150
    locked = draw_oscillators(3, 0.0, np.random.default_rng(5), common_phase=0.1)
    period = float(locked.period_s[0])
    # Identical parts started together, trigger a multiple of the period (plus a seventh so the
    # sampled phase moves): every edge fires at the same triggers.
    trains = simulate_events(locked, [2.5], (2 + 1 / 7) * period, n)[0]
    assert 0.2 < trains.mean() < 0.8
    assert correlation_summary(pearson_matrix(trains), n)["mean_abs_pearson"] > 0.95
    # Parts with 5 % spread and random start phases: correlations at the null level.
    spread = draw_oscillators(n_edges, 0.05, np.random.default_rng(5))
    trains = simulate_events(spread, [2.5], 50e-6, n)[0]
    summary = correlation_summary(pearson_matrix(trains), n)
    assert summary["mean_abs_pearson"] < 0.15


def test_trigger_at_exact_multiple_of_a_common_period_freezes_each_edge():
    locked = draw_oscillators(5, 0.0, np.random.default_rng(6))
    trains = simulate_events(locked, [2.5], 3 * float(locked.period_s[0]), 400, source="phase")[0]
    # Each edge sees the same phase at every trigger: its train is constant, p is 0 or 1.
    assert np.all((trains.mean(axis=0) == 0) | (trains.mean(axis=0) == 1))


# --- effective comparator bias ------------------------------------------------------------------


def test_effective_bias_matches_the_comparator_offsets():
    offsets_a = np.array([0.0, 0.013, 0.049])
    offsets_b = np.array([0.031, 0.002, 0.02])
    table = effective_comparator_bias(offsets_a, offsets_b)
    assert len(table) == 12
    # Independent expectation: with |dV_C| - |dV_F| = d the cell switches at d = -sigma, where
    # comparator A decides when the drops share a sign and B otherwise (sign follows dV_C).
    expected = []
    for a, b in zip(offsets_a, offsets_b, strict=True):
        expected += [a, -a, b, -b]
    assert np.allclose(table["sigma_v"], expected, atol=1e-5)
    summary = effective_bias_summary(table)
    assert summary["positive_clamped_drop"]["share_in_paper_range"] == 1.0
    assert summary["n_unresolved"] == 0


# --- the command and the whole run -------------------------------------------------------------


def test_board_oscillators_are_the_boards():
    from coupled.circuits.design import draw_board_parameters

    ours = board_oscillators(16, 0.05, 3)
    board = draw_board_parameters(16, 0.05, 3).oscillators
    assert np.array_equal(ours.r_ohm, board.r_ohm)
    assert np.array_equal(ours.phase_fraction, board.phase_fraction)


def test_run_is_seeded_and_deterministic():
    config = CalibrationConfig(
        "square:2x2", n_triggers=500, n_triggers_p=100, n_bias=5, events="phase"
    )
    one = run_calibration(config, 4)
    two = run_calibration(config, 4)
    other = run_calibration(CalibrationConfig(**{**config.to_dict(), "seed": 1}), 4)
    pd.testing.assert_frame_equal(one.p_table, two.p_table)
    assert np.array_equal(one.matrix, two.matrix, equal_nan=True)
    assert not one.p_table["p"].equals(other.p_table["p"])


@pytest.mark.parametrize(
    "args",
    [
        ["--tolerance", "0.7"],
        ["--tolerance", "x"],
        ["--events", "guess"],
        ["--bias-points", "2"],
        ["--triggers", "0"],
        ["--trigger-period-s", "-1"],
        ["--network", "no-such-network"],
        ["--seed", "-3"],
    ],
)
def test_bad_options_exit_2_and_write_nothing(tmp_path, args, capsys):
    out = tmp_path / "out"
    argv = ["calibrate", "--network", "experiment16", "--out", str(out), *args]
    with pytest.raises(SystemExit) as exc:
        code = main(argv)
        raise SystemExit(code)
    assert exc.value.code == 2
    assert not out.exists()
    assert "error" in capsys.readouterr().err


def test_command_writes_every_file_with_config_seed_and_version(tmp_path):
    out = tmp_path / "cal"
    code = main(
        [
            "calibrate",
            "--network",
            "square:2x3",
            "--events",
            "phase",
            "--triggers",
            "3000",
            "--p-triggers",
            "300",
            "--bias-points",
            "7",
            "--seed",
            "4",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    names = {p.name for p in out.iterdir()}
    assert {
        "oscillators.csv",
        "duty_vs_bias.csv",
        "p_vs_bias.csv",
        "p_vs_bias.png",
        "calibration.json",
        "correlation.json",
        "correlation_matrix.csv",
        "correlation_hist.png",
        "effective_bias.csv",
        "effective_bias.json",
        "effective_bias.png",
        "run.json",
    } <= names
    for name in ("calibration.json", "correlation.json", "effective_bias.json", "run.json"):
        data = json.loads((out / name).read_text())
        assert data["seed"] == 4 and data["version"] == __version__
        assert data["config"]["network"] == "square:2x3"
    for name in ("oscillators.csv", "p_vs_bias.csv", "correlation_matrix.csv"):
        table = pd.read_csv(out / name)
        assert (table["seed"] == 4).all() and (table["version"] == __version__).all()
    correlation = json.loads((out / "correlation.json").read_text())
    assert "phase model" in correlation["events"]
    assert correlation["n_triggers"] == 3000 and abs(correlation["p"] - 0.5) < 0.05
    cal = load_calibration(out)
    assert len(pd.read_csv(out / "oscillators.csv")) == 7  # square:2x3 has 7 edges
    assert np.array_equal(cal.oscillator_parameters().r_ohm, board_oscillators(7, 0.05, 4).r_ohm)
    assert 1.5 < bias_for_p(0.5, cal) < 3.5


# --- long studies (pytest -m slow) ---------------------------------------------------------------


@pytest.mark.slow
def test_circuit_correlation_at_half_resolves_the_papers_value():
    """16 edges, 10^4 triggers of the ngspice transient: mean |r| below 0.02 at p = 0.5."""
    params = board_oscillators(16, 0.05, 0)
    grid = bias_grid(params, 13, VS)
    cal = calibration_from_table(
        p_against_bias(simulate_events(params, grid, 50e-6, 1000), grid, params, VS), VS
    )
    bias = bias_for_p(0.5, cal)
    trains = simulate_events(params, [bias], 50e-6, 10_000, workers=2)[0]
    summary = correlation_summary(pearson_matrix(trains), 10_000)
    assert trains.mean() == pytest.approx(0.5, abs=0.03)
    assert summary["mean_abs_pearson"] < 0.02
    assert summary["null_mean_abs_pearson"] < 0.01


@pytest.mark.slow
def test_circuit_p_matches_the_time_share_over_1000_triggers():
    params = board_oscillators(16, 0.05, 1)
    grid = bias_grid(params, 9, VS)
    table = p_against_bias(simulate_events(params, grid, 50e-6, 1000, workers=2), grid, params, VS)
    assert np.allclose(table["p"], table["p_formula"], atol=0.03)


def test_quick_calibration_uses_the_reduced_sizes_and_explicit_sizes_win(tmp_path):
    import json

    from coupled.cli.main import main

    assert (
        main(
            [
                "calibrate",
                "--network",
                "experiment16",
                "--quick",
                "--events",
                "phase",
                "--no-effective-bias",
                "--no-plots",
                "--out",
                str(tmp_path / "q"),
            ]
        )
        == 0
    )
    cfg = json.loads((tmp_path / "q" / "run.json").read_text())["config"]
    assert (cfg["n_triggers"], cfg["n_triggers_p"], cfg["n_bias"]) == (1000, 100, 9)
    assert (
        main(
            [
                "calibrate",
                "--network",
                "experiment16",
                "--quick",
                "--triggers",
                "300",
                "--events",
                "phase",
                "--no-effective-bias",
                "--no-plots",
                "--out",
                str(tmp_path / "r"),
            ]
        )
        == 0
    )
    cfg = json.loads((tmp_path / "r" / "run.json").read_text())["config"]
    assert (cfg["n_triggers"], cfg["n_bias"]) == (300, 9)


def test_autocorrelation_of_a_bernoulli_stream_is_near_zero():
    from coupled.calibration.stats import autocorrelation

    events = np.random.default_rng(3).random((20_000, 8)) < 0.5
    r = autocorrelation(events, 10)
    assert r.shape == (8, 10)
    assert np.abs(r).max() < 5 / np.sqrt(20_000)  # five null standard deviations


def test_autocorrelation_of_a_rotation_matches_its_formula():
    from coupled.calibration.stats import autocorrelation, rotation_autocorrelation

    rotation, p, n = (np.sqrt(5) - 1) / 2 * 0.37, 0.5, 50_000
    phases = np.array([0.0, 0.3, 0.71])
    events = np.mod(np.arange(n)[:, None] * rotation + phases, 1.0) < p
    want = rotation_autocorrelation(rotation, p, 10)
    assert np.allclose(autocorrelation(events, 10), want, atol=2e-3)
    # Hand value at lag 1: shift d = 0.2287, overlap 0.5 - d, r = (0.2713 - 0.25) / 0.25.
    d = np.mod(rotation, 1.0)
    assert want[0] == pytest.approx((0.5 - d - 0.25) / 0.25)
    assert abs(want[0]) > 0.05  # a rotation is no coin flip


def test_periodic_events_agree_with_the_full_transient():
    """'periodic' reads each oscillator's own 12-period transient: inside it the bits are the
    transient's; later ones keep the circuit's duty (p per bias) as the full transient does."""
    params = board_oscillators(16, 0.05, 1).select([0, 1, 2, 3])
    grid = bias_grid(params, 5, VS)
    full = simulate_events(params, grid, 50e-6, 60)
    periodic = simulate_events(params, grid, 50e-6, 60, source="periodic")
    assert periodic.shape == full.shape == (5, 60, 4)
    inside = 4  # 12 periods of about 21 us cover the first four triggers (50 us apart)
    assert np.mean(periodic[:, :inside] == full[:, :inside]) >= 0.95
    assert np.allclose(periodic.mean(axis=(1, 2)), full.mean(axis=(1, 2)), atol=0.08)
    many = simulate_events(params, grid, 50e-6, 2000, source="periodic")
    table = p_against_bias(many, grid, params, VS)
    assert np.allclose(table["p"], table["p_formula"], atol=0.03)
    with pytest.raises(UserError, match="jitter"):
        simulate_events(params, grid, 50e-6, 10, source="periodic", jitter=0.01)


def test_quick_calibration_defaults_to_periodic_events_and_explicit_events_win():
    from coupled.cli.calibrate import config_from_args
    from coupled.cli.main import build_parser

    def events(*extra):
        argv = ["calibrate", "--network", "experiment16", "--out", "x", *extra]
        return config_from_args(build_parser().parse_args(argv)).events

    assert events("--quick") == "periodic"
    assert events("--quick", "--events", "transient") == "transient"
    assert events() == "transient"
