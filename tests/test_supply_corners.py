"""``--supply-v`` and ``check-board --corners``: the board follows its supply; corners report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from coupled.calibration.corners import corner_names, default_corners, parse_corners
from coupled.calibration.erc import check_board
from coupled.cli.main import main
from coupled.core.errors import UserError
from coupled.engines.board.twin import BoardTwin
from coupled.physics.catalogue import load_network
from coupled.training.config import TrainConfig

RING6 = str(Path(__file__).parent / "data" / "ring6.json")


def test_default_corners_and_names():
    assert default_corners(5.0) == [4.5, 5.0, 5.5]
    assert corner_names([4.5, 5.0, 5.5], 5.0) == ["min", "nominal", "max"]
    assert parse_corners("5.5,4.5", 5.0) == [4.5, 5.5]
    with pytest.raises(UserError, match="corners 'a,b'"):
        parse_corners("a,b", 5.0)
    with pytest.raises(UserError, match="corners 40"):
        parse_corners("40", 5.0)


def test_the_twin_follows_the_supply():
    cfg = TrainConfig(network=RING6, rule="discrete", p_mode="oscillator", sigma_mode="board")
    options = {"supply_v": 3.3, "phase_model": "formula"}
    twin = BoardTwin.from_options(load_network(RING6), cfg, {**_board(), **options})
    assert twin.design.vdd_v == 3.3 and twin.design.reference_v == pytest.approx(1.65)
    # the bias for p = 1 sits below the oscillators' lowest swing, a third of 3.3 V
    assert twin.bias_v < 3.3 / 3 + 0.05


def _board() -> dict:
    from coupled.engines.board.options import BOARD_OPTIONS

    return dict(BOARD_OPTIONS)


def test_inputs_above_a_low_supply_fail_the_erc():
    # ring6's inputs are drawn up to 5 V; on a 3 V board the pots' terminals exceed the rail
    low = check_board(RING6, supply_v=3.0, input_max_v=5.0, seed=1)
    nominal = check_board(RING6, supply_v=5.0, input_max_v=5.0, seed=1)
    assert nominal.ok and not low.ok
    bad = low.erc[~low.erc["ok"]]
    assert (bad["quantity"] == "terminal_voltage").any()
    assert (bad["limit_max"] == 3.0).any()
    assert low.config["supply_v"] == 3.0


def test_check_board_corners_command(tmp_path, capsys):
    out = tmp_path / "check"
    argv = ["check-board", "--network", RING6, "--corners", "3,5", "--corner-steps", "20"]
    assert main([*argv, "--out", str(out)]) == 1  # the 3 V corner fails its ERC
    table = pd.read_csv(out / "corners.csv")
    assert list(table["supply_v"]) == [3.0, 5.0]
    assert list(table["erc_ok"]) == [False, True]
    assert table["final_scaled_error"].notna().all() and set(table["steps"]) == {20}
    assert (out / "corner_3V" / "erc.csv").exists() and (out / "corner_5V" / "erc.csv").exists()
    printed = capsys.readouterr().out
    assert "min 3 V: ERC FAILS" in printed and "nominal 5 V: ERC ok" in printed
