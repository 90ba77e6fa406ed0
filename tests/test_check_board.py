"""Electrical rule check and power budget of the board (real ngspice)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coupled.calibration.erc import ERC_COLUMNS, check_board
from coupled.circuits import ratings
from coupled.circuits.design import BoardDesign
from coupled.cli.main import main


@pytest.fixture(scope="module")
def default_check():
    return check_board("experiment16")


@pytest.mark.parametrize("network,edges", [("experiment16", 16), ("jammed143", 143)])
def test_every_pin_of_the_default_board_is_inside_its_parts_rails(network, edges, default_check):
    """Operating points over training examples and a transient through a trigger."""
    check = default_check if network == "experiment16" else check_board(network)
    erc = check.erc
    assert tuple(erc.columns) == ERC_COLUMNS
    assert check.ok, erc.loc[~erc["ok"]].head()
    design = BoardDesign()
    volts = erc.loc[erc["unit"] == "V"]
    # Every node voltage the check saw lies between the rails (no pin needs its margins; 5 mV
    # for the models: a comparator output stage lifted by its pull-up, gear overshoot).
    assert volts["value"].between(design.vss_v - 5e-3, design.vdd_v + 5e-3).all()
    # Every pot terminal, amplifier pin, comparator and oscillator of every edge was checked.
    for prefix, rows_per_edge in (
        ("XPOTF", 3),
        ("XPOTC", 3),
        ("XSENA", 3),
        ("XCMPB", 3),
        ("XOSC", 1),
        ("XLATEN", 2),
    ):
        assert erc["part"].str.startswith(prefix + "_").sum() == edges * rows_per_edge, prefix


def test_a_board_driven_above_its_supply_fails_naming_the_part(tmp_path, capsys):
    status = main(
        ["check-board", "--network", "experiment16", "--input-max-v", "20", "--out", str(tmp_path)]
    )
    assert status == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert "violated; worst XPOT" in last and "terminal_voltage" in last
    erc = pd.read_csv(tmp_path / "erc.csv")
    bad = erc.loc[~erc["ok"]]
    limit = ratings.pot_terminal(0.0, 5.0)
    assert (bad["quantity"] == "terminal_voltage").any()
    assert (bad.loc[bad["quantity"] == "terminal_voltage", "value"] > limit.high).all()


def test_default_board_exits_zero_with_a_summary(tmp_path, capsys):
    assert main(["check-board", "--network", "experiment16", "--out", str(tmp_path)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("check-board experiment16: all") and "uJ per step" in last
    assert {p.name for p in tmp_path.iterdir()} >= {"erc.csv", "power.csv", "check_board.json"}


def test_energy_per_step_is_supply_power_integrated_over_the_trigger_period(default_check):
    power = default_check.power
    period = default_check.config["trigger_period_s"]
    assert (power["power_w"] > 0).all()
    assert np.allclose(power["energy_per_step_j"], power["power_w"] * period, rtol=1e-12)
    classes = power.loc[power["scope"] == "part_class", "power_w"].sum()
    rails = power.loc[power["scope"] == "rail", "power_w"].sum()
    total = power.loc[power["scope"] == "total", "power_w"].item()
    assert classes == pytest.approx(total) and rails == pytest.approx(total)
    # Twin networks: at most every edge of both twins at 5 V across its lowest tap (1 kOhm).
    pots = power.loc[power["name"] == "pots (twin networks)", "power_w"].item()
    assert 0 < pots < 2 * 16 * 5.0**2 / 1000.0
    # Pull-ups: between none and all 32 comparator outputs low (5 V over 10 kOhm each).
    pulls = power.loc[power["name"] == "comparator pull-ups", "power_w"].item()
    assert 0 < pulls <= 32 * 5.0**2 / 10_000.0 + 1e-9


def test_train_refuses_a_circuit_board_that_violates_the_check(capsys):
    args = ["train", "--engine", "circuit", "--rule", "discrete", "--network", "experiment16"]
    assert main([*args, "--steps", "1", "--input-max-v", "20"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--allow-erc-violations" in err and "XPOT" in err


def test_a_second_check_of_the_same_board_is_read_from_the_cache_bit_for_bit(tmp_path, monkeypatch):
    """The cache returns exactly what ngspice computed; another board (other drawn parts, other
    drives) is solved again."""
    from coupled.core import cache

    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path))
    first = check_board("experiment16", seed=3)
    second = check_board("experiment16", seed=3)
    assert not first.cached and second.cached
    pd.testing.assert_frame_equal(first.erc, second.erc, check_exact=True)
    pd.testing.assert_frame_equal(first.power, second.power, check_exact=True)
    assert (first.summary, first.config, first.ok) == (second.summary, second.config, second.ok)
    assert not check_board("experiment16", seed=4).cached
    assert not check_board("experiment16", seed=3, input_max_v=4.0).cached
    assert not check_board("experiment16", seed=3, use_cache=False).cached


def test_train_says_when_the_cached_check_was_used(tmp_path, monkeypatch, capsys):
    from coupled.core import cache

    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    argv = ["train", "--network", "experiment16", "--engine", "circuit", "--rule", "discrete"]
    argv += ["--steps", "1", "--no-plot", "--no-progress"]
    assert main(argv) == 0
    assert "cached check" not in capsys.readouterr().err
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "check-board experiment16: all" in err and "cached check of this board used" in err
