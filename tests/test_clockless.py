"""``coupled reproduce clockless`` and ``coupled train --trigger self`` end to end."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from coupled.cli.main import main
from coupled.core.version import __version__
from coupled.reporting.clockless import claim_clockless

TRAIN = ["train", "--network", "experiment16", "--task", "allostery", "--rule", "discrete"]


def test_clockless_quick_writes_its_table_figure_and_provenance(tmp_path, capsys):
    out = tmp_path / "clockless"
    assert main(["reproduce", "clockless", "--quick", "--out", str(out)]) == 0
    assert "conjecture" in capsys.readouterr().out
    table = pd.read_csv(out / "clockless.csv")
    assert {"network", "task_kind", "trigger", "ratio", "p", "task", "final_scaled_error"} <= set(
        table.columns
    )
    assert set(table["trigger"]) == {"global", "self"}
    # Equal updates per edge: steps x p is the same for every ratio and trigger.
    assert np.allclose(table["steps"] * table["p"], 100, rtol=0.01)
    # Allostery shows one example: the example period changes nothing but the step count, so
    # at equal updates the self-triggered board's firings, and its errors, are the same at
    # every ratio (an independent expectation: the clocked board's differ with p).
    allo = table[(table["network"] == "experiment16") & (table["trigger"] == "self")]
    by_ratio = allo.pivot(index="task", columns="ratio", values="final_scaled_error")
    np.testing.assert_array_equal(by_ratio[1.0], by_ratio[2.0])
    assert (out / "clockless.png").stat().st_size > 0
    meta = json.loads((out / "clockless.json").read_text())
    assert meta["version"] == __version__ and meta["seed"] == 0
    assert meta["train_config"]["trigger"] in ("global", "self")
    summary = pd.read_csv(out / "clockless_summary.csv")
    assert {"self_over_global", "mean", "sem"} <= set(summary.columns)


def _table(self_means: dict, global_means: dict) -> pd.DataFrame:
    rows = []
    for trigger, means in (("self", self_means), ("global", global_means)):
        for ratio, value in means.items():
            for task, scale in enumerate((0.5, 1.5)):  # task mean = value
                rows.append(
                    {
                        "network": "n",
                        "trigger": trigger,
                        "ratio": ratio,
                        "task": task,
                        "final_scaled_error": value * scale,
                    }
                )
    return pd.DataFrame(rows)


def test_conjecture_claim_from_hand_computed_tables():
    good = claim_clockless({"table": _table({1.0: 0.03, 5.0: 0.02}, {1.0: 0.02, 5.0: 0.02})})
    assert good["agrees"] == "yes" and "ratio 1: 1.5x" in good["measured_value"]
    bad = claim_clockless({"table": _table({1.0: 0.05, 5.0: 0.02}, {1.0: 0.02, 5.0: 0.02})})
    assert bad["agrees"] == "no" and "ratio 1: 2.5x" in bad["measured_value"]
    assert claim_clockless({})["agrees"] == "not measured"


def _status(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trigger", "self"], "--p-mode oscillator"),  # bernoulli gates on the ideal engine
        (["--trigger", "self", "--engine", "spice", "--p-mode", "oscillator"], "--engine spice"),
        (["--trigger", "clock"], "invalid choice: 'clock'"),
        (["--example-period-s", "1e-5"], "--trigger self only"),
        (["--trigger", "self", "--p-mode", "oscillator", "--example-period-s", "0"], "(0,"),
    ],
)
def test_train_refuses_self_trigger_where_it_makes_no_sense(tmp_path, capsys, args, message):
    out = tmp_path / "never"
    assert _status([*TRAIN, "--steps", "3", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_continuous_rule_refused_with_self_trigger(tmp_path, capsys):
    out = tmp_path / "never"
    argv = ["train", "--network", "experiment16", "--rule", "continuous", "--trigger", "self"]
    assert _status([*argv, "--p-mode", "oscillator", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--rule discrete" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_clockless_on_another_engine_is_refused(tmp_path, capsys):
    out = tmp_path / "never"
    assert (
        _status(["reproduce", "clockless", "--quick", "--engine", "spice", "--out", str(out)]) == 2
    )
    assert "runs on ideal" in capsys.readouterr().err
    assert not out.exists()


def test_train_self_triggered_board_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "run"
    argv = [*TRAIN, "--trigger", "self", "--p-mode", "oscillator", "--sigma-mode", "board"]
    argv += ["--p", "0.5", "--steps", "40", "--engine-option", "phase_model=formula"]
    assert _status([*argv, "--record-events", "csv", "--out", str(out), "--no-plot"]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["config"]["trigger"] == "self"
    events = pd.read_csv(out / "update_events.csv")
    # Each edge fires about p = 0.5 times per example period: about half the edge-steps.
    assert events["enabled"].mean() == pytest.approx(0.5, abs=0.08)
    capsys.readouterr()
