"""The per-edge relaxation oscillator and enable comparator, against ngspice and the RC formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coupled.circuits.oscillator import (
    DEFAULT_SUPPLY_V,
    OscillatorParameters,
    advance,
    draw_oscillators,
    duty_above,
    enable_instance,
    initial_state,
    library_files,
    oscillator_bench,
    oscillator_instance,
    waveform_fraction,
    waveform_v,
)
from coupled.core.errors import UserError
from coupled.engines.board.events import _tran, characterise_oscillators

VS = DEFAULT_SUPPLY_V


def _transient(params, edge, bias, periods, steps_per_period=400):
    period = float(params.period_s[edge])
    names = ["time", "v(osc)"] + [f"v(en{k})" for k in range(len(bias))]
    step = period / steps_per_period
    return _tran(oscillator_bench(params, edge, bias), step, periods * period, step, names)


def test_period_matches_rc_formula_within_5_percent():
    drawn = draw_oscillators(3, 0.1, np.random.default_rng(7))
    odd = OscillatorParameters(  # thresholds far from 1/3, 2/3: t = RC [ln(0.8/0.3) + ln(3.5)]
        r_ohm=[10e3], c_f=[2.2e-9], low_fraction=[0.2], high_fraction=[0.7], phase_fraction=[0.3]
    )
    assert odd.period_s[0] == pytest.approx(10e3 * 2.2e-9 * (math.log(0.8 / 0.3) + math.log(3.5)))
    for params in (drawn, odd):
        table, _ = characterise_oscillators(params, supply_v=VS)
        error = table["period_s"] / table["period_formula_s"] - 1
        assert np.all(np.abs(error) < 0.05), error.tolist()
        # The waveform turns at the comparator thresholds (within 1 % of the supply).
        assert np.allclose(table["v_min_v"], VS * params.low_fraction, atol=0.01 * VS)
        assert np.allclose(table["v_max_v"], VS * params.high_fraction, atol=0.01 * VS)
    # Component spread does give different periods.
    assert np.ptp(drawn.period_s) / drawn.period_s.mean() > 0.02


def test_phase_model_agrees_with_transient():
    params = draw_oscillators(3, 0.05, np.random.default_rng(11))
    for edge in range(params.n_edges):
        data = _transient(params, edge, [2.5], periods=6)
        t, v = data["time"], data["v(osc)"]
        model = waveform_v(params, t, VS)[:, edge]
        rms = np.sqrt(np.mean((v - model) ** 2))
        assert rms < 0.02 * VS, (edge, rms)
        # Enable bits at 500 instants: the comparator output against the model's prediction.
        instants = np.linspace(0.1, 5.9, 500) * params.period_s[edge]
        en = np.interp(instants, t, data["v(en0)"]) > VS / 2
        predicted = waveform_v(params, instants, VS)[:, edge] > 2.5
        assert np.mean(en == predicted) > 0.97


def test_enable_duty_goes_from_one_to_zero_as_the_bias_rises():
    params = draw_oscillators(1, 0.05, np.random.default_rng(3))
    low, high = VS * params.low_fraction[0], VS * params.high_fraction[0]
    bias = np.array([low - 0.1, low + 0.1, 2.5, high - 0.1, high + 0.1])
    data = _transient(params, 0, bias, periods=5)
    t = data["time"]
    keep = t > params.period_s[0]
    dt = np.gradient(t)[keep]
    duty = np.array(
        [np.sum(dt * (data[f"v(en{k})"][keep] > VS / 2)) / np.sum(dt) for k in range(bias.size)]
    )
    assert duty[0] > 0.99 and duty[-1] < 0.01
    assert np.all(np.diff(duty) < 0)
    assert np.allclose(duty[1:-1], duty_above(params, bias[1:-1], VS)[:, 0], atol=0.03)


def test_draws_are_seeded_and_spread_as_documented():
    a = draw_oscillators(50, 0.05, np.random.default_rng(1))
    b = draw_oscillators(50, 0.05, np.random.default_rng(1))
    c = draw_oscillators(50, 0.05, np.random.default_rng(2))
    assert np.array_equal(a.r_ohm, b.r_ohm) and np.array_equal(a.phase_fraction, b.phase_fraction)
    assert not np.array_equal(a.r_ohm, c.r_ohm)
    assert np.all(np.abs(a.r_ohm / 15e3 - 1) <= 0.05) and np.all(np.abs(a.c_f / 1e-9 - 1) <= 0.05)
    ideal = draw_oscillators(50, 0.0, np.random.default_rng(1))
    assert np.allclose(ideal.period_s, 2 * 15e3 * 1e-9 * math.log(2))
    assert np.allclose(ideal.low_fraction, 1 / 3) and np.allclose(ideal.high_fraction, 2 / 3)
    # Desynchronised start: phases still differ without spread, unless a common one is asked.
    assert np.ptp(ideal.phase_fraction) > 0.5
    common = draw_oscillators(5, 0.0, np.random.default_rng(1), common_phase=0.25)
    assert np.all(common.phase_fraction == 0.25)
    back = OscillatorParameters.from_dict(a.to_dict())
    assert np.array_equal(back.c_f, a.c_f) and np.array_equal(back.high_fraction, a.high_fraction)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(n_edges=0, tolerance=0.05),
        dict(n_edges=3, tolerance=0.5),
        dict(n_edges=3, tolerance=-0.1),
        dict(n_edges=3, tolerance=float("nan")),
    ],
)
def test_bad_draws_raise_user_error(kwargs):
    with pytest.raises(UserError):
        draw_oscillators(rng=np.random.default_rng(0), **kwargs)


def test_bad_parameters_raise_user_error():
    with pytest.raises(UserError, match="low_fraction < high_fraction"):
        OscillatorParameters([1e3], [1e-9], [0.7], [0.3], [0.0])
    with pytest.raises(UserError, match="positive"):
        OscillatorParameters([-1e3], [1e-9], [0.3], [0.7], [0.0])
    with pytest.raises(UserError, match="different lengths"):
        OscillatorParameters([1e3, 2e3], [1e-9], [0.3], [0.7], [0.0])


def test_phase_model_laws():
    params = draw_oscillators(4, 0.05, np.random.default_rng(5))
    t = np.linspace(0, 3e-4, 2001)
    x = waveform_fraction(params, t)
    # Between the thresholds, continuous, and periodic with its own period.
    assert np.all(x >= params.low_fraction - 1e-12) and np.all(x <= params.high_fraction + 1e-12)
    shifted = waveform_fraction(params, t[:, None] + params.period_s)
    assert np.allclose(np.diagonal(shifted, axis1=1, axis2=2), x)
    # Carrying the phase forward equals evaluating later.
    later = advance(params, 7.3e-5)
    assert np.allclose(waveform_fraction(later, t), waveform_fraction(params, t + 7.3e-5))
    # The analytic duty equals the time share of a densely sampled period.
    dense = np.linspace(0, 1, 200001)[:-1]
    for e in range(params.n_edges):
        x_e = waveform_fraction(params.select([e]), dense * params.period_s[e])[:, 0]
        for bias in (1.8, 2.5, 3.1):
            assert duty_above(params.select([e]), bias, VS)[0] == pytest.approx(
                np.mean(VS * x_e > bias), abs=1e-4
            )
    assert np.all(duty_above(params, 0.5, VS) == 1) and np.all(duty_above(params, 4.5, VS) == 0)
    vc0, q0 = initial_state(params.with_phase(0.0), VS)
    assert np.allclose(vc0, VS * params.low_fraction) and np.all(q0 == 1)


def test_instance_lines_and_libraries():
    params = draw_oscillators(3, 0.05, np.random.default_rng(0))
    line = oscillator_instance(2, "osc_2", params, "vdd", "vss")
    words = line.split()
    assert words[:5] == ["XOSC_2", "osc_2", "vdd", "vss", "osc_relax"]
    values = dict(w.split("=") for w in words[5:])
    assert float(values["r"]) == pytest.approx(params.r_ohm[2], rel=1e-8)
    assert float(values["c"]) == pytest.approx(params.c_f[2], rel=1e-8)
    assert enable_instance(4, "en_4", "osc_4", "bias", "vdd", "0").split()[:7] == [
        "XCMPEN_4",
        "en_4",
        "osc_4",
        "bias",
        "vdd",
        "0",
        "comp_enable",
    ]
    with pytest.raises(UserError):
        oscillator_instance(3, "o", params, "vdd", "0")
    files = library_files()
    assert [f.name for f in files] == ["oscillator.lib", "enable.lib"]
    assert all(f.is_file() for f in files)
    assert ".subckt osc_relax" in files[0].read_text()
    assert ".subckt comp_enable" in files[1].read_text()
