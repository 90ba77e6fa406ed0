"""``coupled yield``: the batched board twin against the training loop, executors, resume."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from coupled.circuits.tolerances import DEFAULT_TOLERANCES, PART_CLASSES
from coupled.cli.main import main
from coupled.sweep.yields import YieldConfig, binomial_interval, run_yield, simulate_boards
from coupled.training.config import TrainConfig
from coupled.training.run import Run

SMALL = dict(boards=4, steps=40, tasks=2, chunk=2)


def test_ideal_parts_take_the_training_loops_decisions():
    # every part ideal, p = 1: the batched twin must move the taps exactly as the training loop
    # does on a board twin without spread (ideal engine, --sigma-mode board, sigma 0)
    cfg = YieldConfig(p=1.0, steps=30, tasks=2)
    ideal = {c: t.scaled(0.0) for c, t in DEFAULT_TOLERANCES.items()}
    frame = simulate_boards(cfg, ideal, [0, 1])
    loop = TrainConfig(
        network="experiment16",
        task="allostery",
        rule="discrete",
        p=1.0,
        sigma_mode="board",
        sigma_v=0.0,
        steps=30,
        tasks=2,
        engine_options={"tolerance": 0.0, "phase_model": "formula"},
    )
    with Run(loop) as run:
        run.steps(30)
        expected = run.state.taps
    for board in range(2):
        assert np.array_equal(frame.attrs["taps"][board], expected)


def test_numbers_are_paired_and_batch_independent():
    cfg = YieldConfig(**SMALL)
    tolerances = cfg.tolerances()
    whole = simulate_boards(cfg, tolerances, [0, 1, 2, 3])
    part = simulate_boards(cfg, tolerances, [2, 3])
    assert np.array_equal(whole.attrs["taps"][2:], part.attrs["taps"])
    assert np.allclose(whole["final_scaled_error"][2:], part["final_scaled_error"])
    assert np.allclose(whole["mean_p"], 0.5, atol=0.1)


def test_interval():
    low, high = binomial_interval(190, 200)
    assert 0.90 < low < 0.95 < high < 0.98
    assert binomial_interval(0, 10)[0] == 0.0


def test_serial_and_process_agree_and_resume(tmp_path):
    cfg = YieldConfig(**SMALL, budget=False)
    serial, boards_s, _ = run_yield(cfg, tmp_path / "s")
    process, boards_p, _ = run_yield(cfg, tmp_path / "p", executor="process", workers=2)
    pd.testing.assert_frame_equal(boards_s, boards_p)
    assert serial["yield"] == process["yield"]
    # a killed study: one chunk and the summaries missing; --resume recomputes only that chunk
    chunk = sorted((tmp_path / "s" / "chunks").glob("*.csv"))[-1]
    chunk.unlink()
    (tmp_path / "s" / "boards.csv").unlink()
    _, again, _ = run_yield(cfg, tmp_path / "s", resume=True)
    pd.testing.assert_frame_equal(again, boards_s)


def test_cli_writes_the_files_and_the_budget(tmp_path, capsys):
    out = tmp_path / "y"
    argv = ["yield", "--boards", "3", "--steps", "30", "--tasks", "1", "--chunk", "3"]
    assert main([*argv, "--out", str(out)]) == 0
    record = json.loads((out / "yield.json").read_text())
    assert {"boards", "yield", "ci_low", "ci_high", "target_error"} <= set(record)
    assert record["boards"] == 3 and record["target_error"] == 0.1 and "version" in record
    assert set(record["tolerances"]) == set(PART_CLASSES)
    assert all(t["source"] for t in record["tolerances"].values())
    boards = pd.read_csv(out / "boards.csv")
    assert list(boards.columns[:3]) == ["board", "final_scaled_error", "learned"]
    budget = pd.read_csv(out / "budget.csv")
    assert list(budget.columns[:5]) == ["part_class", "change", "yield", "ci_low", "ci_high"]
    assert len(budget) == 2 * len(PART_CLASSES) and (out / "yield.png").exists()
    assert (budget["ratio_ci_low"] <= budget["median_error_ratio"]).all()
    assert (budget["median_error_ratio"] <= budget["ratio_ci_high"]).all()
    assert "yield" in capsys.readouterr().out


@pytest.mark.slow
def test_dask_agrees(tmp_path):
    cfg = YieldConfig(**SMALL, budget=False)
    _, serial, _ = run_yield(cfg, tmp_path / "s")
    _, dask, _ = run_yield(cfg, tmp_path / "d", executor="dask", workers=2)
    pd.testing.assert_frame_equal(serial, dask)


def test_train_shorthands_are_sweep_keys():
    from coupled.core.errors import UserError
    from coupled.sweep.spec import parse_spec, plan_sweep

    spec = parse_spec(
        {
            "base": {"network": "experiment16", "rule": "discrete", "steps": 5},
            "grid": {"tolerance": [0, 0.1], "supply_v": [4.5, 5.5]},
        }
    )
    plan = plan_sweep(spec)
    options = [p.config.engine_options for p in plan.points]
    assert options[0] == {"tolerance": 0.0, "supply_v": 4.5}
    assert options[3] == {"tolerance": 0.1, "supply_v": 5.5}
    clash = {"base": {"tolerance": 0.1, "engine_options": {"tolerance": 0.2}}}
    with pytest.raises(UserError, match="given both as a key and in engine_options"):
        plan_sweep(parse_spec(clash))


def test_twin_decides_as_the_circuit():
    from coupled.sweep.yields import check_circuit

    checked = check_circuit(YieldConfig(tasks=1), [3], 8)
    assert checked.loc[0, "direction_agreement"] == 1.0
    assert checked.loc[0, "enable_agreement"] == 1.0


def test_a_catalogue_pot_sets_its_tolerance_and_tap_count_and_resumes(tmp_path, capsys):
    """--part pot=MCP4011: the pot's datasheet end-to-end tolerance (+-20 %, not the AD5220's
    +-30 %), its 64 taps in the boards' final taps, and a resume of the same study."""
    out = tmp_path / "y"
    argv = ["yield", "--boards", "2", "--steps", "30", "--tasks", "1", "--no-budget"]
    argv += ["--part", "pot=MCP4011", "--out", str(out)]
    assert main(argv) == 0
    record = json.loads((out / "yield.json").read_text())
    assert record["config"]["board_parts"] == [["pot", "MCP4011-103E/SN"]]
    assert record["tolerances"]["pot_r_ab"]["limit"] == 0.2
    assert "MCP4011" in record["tolerances"]["pot_r_ab"]["source"]
    assert DEFAULT_TOLERANCES["pot_r_ab"].limit == 0.3
    cfg = YieldConfig(**{**SMALL, "boards": 2}, budget=False)
    assert cfg.train_config().n_taps == 128
    assert YieldConfig(board_parts=(("pot", "MCP4011-103E/SN"),)).train_config().n_taps == 64
    (out / "boards.csv").unlink()
    assert main([*argv, "--resume"]) == 0, capsys.readouterr().err
    assert (out / "boards.csv").exists()
