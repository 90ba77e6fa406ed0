"""The self-triggered board's netlist (``coupled netlist --trigger self``) in standalone ngspice."""

from __future__ import annotations

import numpy as np
import pytest

from coupled.circuits.design import draw_board_parameters
from coupled.cli.main import main
from coupled.engines.board.selftrigger import SelfTriggerSchedule
from coupled.physics.catalogue import load_network
from tests.test_cli_netlist import _standalone, needs_ngspice


@needs_ngspice
def test_self_triggered_netlist_fires_each_edge_on_its_oscillator(tmp_path, capsys):
    out = tmp_path / "self.cir"
    args = ["netlist", "--network", "experiment16", "--seed", "3"]
    assert main([*args, "--trigger", "self", "--out", str(out)]) == 0
    text = out.read_text()
    assert "\nVTRIG " not in text and text.count("\nXOS_") == 16  # no trigger line
    status, errors, values = _standalone(out)
    assert status == 0 and errors == []
    # Each edge's one-shot fires where the schedule says: its oscillator crossing the bias.
    parameters = draw_board_parameters(load_network("experiment16"), 0.05, 3)
    osc = parameters.oscillators
    schedule = SelfTriggerSchedule.build(osc, 2.5, 0.0, 5.0, 1.0)
    fired = np.array([values[f"fire_{i}"] for i in range(16)])
    first = np.where(schedule.first_s < 1e-6, schedule.first_s + osc.period_s, schedule.first_s)
    np.testing.assert_allclose(fired, first, atol=0.005 * float(osc.period_s.min()))
    # Having fired, each edge latched the decision the clocked board takes at its operating
    # point (same parts, same static taps and drives): the decision path is the board's.
    clocked = tmp_path / "clocked.cir"
    assert main([*args, "--out", str(clocked)]) == 0
    status, errors, reference = _standalone(clocked)
    assert status == 0 and errors == []
    for i in range(16):
        assert values[f"enable_{i}"] == pytest.approx(5.0, abs=0.05)
        assert values[f"direction_{i}"] == pytest.approx(reference[f"v(dir_{i})"], abs=0.05)
    capsys.readouterr()
