"""``coupled reproduce``: quick versions of the paper's figures, end to end.

Each figure's quick version is checked against what the physics says it must show, computed here
from the written CSV rather than from the module's own summary: Fig. 1 collapses in steps x p
(and does not collapse in steps), Fig. 2 distances grow with 1 - p with a finite positive
exponent, Fig. 4 writes one row per condition and task. The worker count and the seed are checked
for their contracts (results independent of workers; another seed, other tasks).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from coupled.cli.main import main
from coupled.core.errors import UserError
from coupled.core.version import __version__
from coupled.reproduction.base import reproduce, tail_mean
from coupled.reproduction.fig2 import fit_power_law


def _meta_ok(path, seed=0):
    meta = json.loads(path.read_text())
    assert meta["version"] == __version__
    assert meta["seed"] == seed
    assert meta["train_config"]["seed"] == seed
    assert meta["engine"] == "ideal"
    return meta


def test_fig1_quick_collapses_in_steps_x_p(tmp_path):
    out = tmp_path / "fig1"
    from coupled.analysis.figures import draw_figure

    reproduce("fig1", out, quick=True, draw=draw_figure)
    table = pd.read_csv(out / "fig1.csv")
    assert list(table.columns) == ["p", "task", "step", "steps_x_p", "scaled_error"]
    np.testing.assert_allclose(table["steps_x_p"], table["step"] * table["p"])
    assert np.allclose(table.loc[table["step"] == 0, "scaled_error"], 1.0)
    means = table[table["step"] > 0].groupby(["steps_x_p", "p"])["scaled_error"].mean()
    ps = table["p"].unique()
    common = [x for x in means.index.get_level_values(0).unique() if len(means.loc[x]) == len(ps)]
    assert len(common) >= 5
    for x in common:
        m = means.loc[x]
        assert m.max() / m.min() < 2.0, (x, m.to_dict())
    # Against plain steps the curves do not collapse: p = 1 is ahead of the slowest p.
    last_slow = table.loc[table["p"] == ps.min(), "steps_x_p"].max()
    at_step = table[table["step"] == int(last_slow)].groupby("p")["scaled_error"].mean()
    assert at_step.loc[ps.min()] > 1.2 * at_step.loc[1.0]
    # Learning happened.
    final = table[table["step"] == table["step"].max()].groupby("p")["scaled_error"].mean()
    assert final.loc[1.0] < 0.5
    summary = pd.read_csv(out / "fig1_summary.csv")
    assert set(summary["p"]) == set(ps)
    assert np.all(summary["final_min"] <= summary["final_mean"])
    assert np.all(summary["final_mean"] <= summary["final_max"])
    _meta_ok(out / "fig1.json")
    assert (out / "fig1.png").stat().st_size > 1000


def test_fig2a_quick_distances_follow_a_power_law(tmp_path):
    out = tmp_path / "fig2a"
    result = reproduce("fig2a", out, quick=True)
    table = pd.read_csv(out / "fig2a.csv")
    for column in ("series", "p", "b", "one_minus", "task", "distance_ohm"):
        assert column in table
    assert set(table["series"]) == {"p", "b", "p=b"}
    assert np.all(table["distance_ohm"] > 0)
    mean = table.groupby(["series", "one_minus"])["distance_ohm"].mean()
    for series in ("p", "b", "p=b"):
        assert np.all(np.diff(mean.loc[series].to_numpy()) > 0), series
    p_rows = table[table["series"] == "p"]
    assert np.all(p_rows["b"] == 1.0)
    np.testing.assert_allclose(p_rows["p"], 1.0 - p_rows["one_minus"])
    fit = json.loads((out / "fig2a_fit.json").read_text())
    for series, f in fit["fits"].items():
        assert np.isfinite(f["exponent"]) and f["exponent"] > 0, series
        assert f["prefactor_ohm"] > 0
    assert fit["meta"]["version"] == __version__
    # Matched learning rates: every run learns the task as far as the reference does.
    assert table["final_scaled_error"].max() < 2 * fit["reference_final_scaled_error_mean"] + 0.01
    assert any("exponent" in line for line in result.summary)


@pytest.mark.parametrize(
    "name,keys",
    [("fig4c", ["p"]), ("fig4d", ["outputs", "p"]), ("fig4e", ["p"])],
)
def test_fig4_quick_writes_one_row_per_condition_and_task(tmp_path, capsys, name, keys):
    out = tmp_path / name
    assert main(["reproduce", name, "--quick", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "paper's conclusion" in printed
    table = pd.read_csv(out / f"{name}.csv")
    for column in keys + ["task", "final_scaled_error"]:
        assert column in table
    if name != "fig4d":
        assert "outputs" not in table
    meta = _meta_ok(out / f"{name}.json")
    prm = meta["params"]
    conditions = len(prm["p_values"]) * (len(prm["outputs"]) if name == "fig4d" else 1)
    assert len(table) == conditions * prm["tasks"]
    assert not table.duplicated(keys + ["task"]).any()
    assert np.all(np.isfinite(table["final_scaled_error"]))
    assert np.all(table["final_scaled_error"] > 0)
    # Equal steps x p: each p trains steps_x_p / p steps.
    np.testing.assert_allclose(table["steps"] * table["p"], prm["steps_x_p"], rtol=0.01)
    assert (out / f"{name}.png").stat().st_size > 1000


def test_workers_and_seed(tmp_path):
    one = reproduce("fig4c", tmp_path / "w1", quick=True, workers=1)
    two = reproduce("fig4c", tmp_path / "w2", quick=True, workers=2)
    pd.testing.assert_frame_equal(one.tables["fig4c.csv"], two.tables["fig4c.csv"])
    other = reproduce("fig4c", tmp_path / "s1", quick=True, seed=1)
    a, b = one.tables["fig4c.csv"], other.tables["fig4c.csv"]
    assert not np.allclose(a["initial_error_v2"], b["initial_error_v2"])
    _meta_ok(tmp_path / "s1" / "fig4c.json", seed=1)


def test_bad_figure_name_exits_2_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "never"
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "fig3", "--out", str(out)])
    assert exc.value.code == 2
    assert "fig3" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--engine", "warp"], "--engine 'warp'"),
        (["--workers", "0"], "--workers"),
        (["--seed", "-1"], "--seed"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(tmp_path, capsys, argv, message):
    out = tmp_path / "never"
    try:
        code = main(["reproduce", "fig4c", "--quick", "--out", str(out), *argv])
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_non_empty_out_is_refused(tmp_path):
    out = tmp_path / "full"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(UserError, match="not empty"):
        reproduce("fig4c", out, quick=True)
    assert (out / "keep.txt").read_text() == "x"
    assert list(out.iterdir()) == [out / "keep.txt"]


def test_fit_power_law_recovers_a_known_law():
    x = np.array([0.01, 0.03, 0.1, 0.3])
    fit = fit_power_law(x, 3.0 * x**0.5)
    assert fit["exponent"] == pytest.approx(0.5)
    assert fit["prefactor"] == pytest.approx(3.0)
    assert fit["exponent_stderr"] == pytest.approx(0.0, abs=1e-9)
    noisy = fit_power_law(x, 3.0 * x**0.5 * np.array([1.1, 0.9, 1.1, 0.9]))
    assert noisy["exponent_stderr"] > 0


def test_tail_mean_averages_the_last_fraction():
    history = pd.DataFrame(
        {
            "task": [0, 1] * 5,
            "step": np.repeat([0, 25, 50, 75, 100], 2),
            "scaled_error": [1, 1, 0.5, 0.6, 0.4, 0.2, 0.2, 0.4, 0.1, 0.3],
        }
    )
    tail = tail_mean(history, 100, 0.3)  # steps 75 and 100
    assert tail.loc[0] == pytest.approx(0.15)
    assert tail.loc[1] == pytest.approx(0.35)
    assert tail_mean(history, 100, 0.0).loc[1] == pytest.approx(0.3)


def test_the_library_writes_data_only_and_the_command_draws(tmp_path):
    from coupled.cli.main import main

    reproduce("fig4c", tmp_path / "lib", quick=True)
    assert (tmp_path / "lib" / "fig4c.csv").exists()
    assert not list((tmp_path / "lib").glob("*.png"))
    assert main(["reproduce", "fig4c", "--quick", "--out", str(tmp_path / "cli")]) == 0
    assert (tmp_path / "cli" / "fig4c.png").exists()


def test_sense_gain_quick_gain_lowers_the_bias_floor(tmp_path, capsys):
    """At 0-5 V the bias sigma / G swamps learning at unity gain; a gain of 40 lifts it (the
    final error falls by an order of magnitude on both panels, for every p)."""
    assert main(["reproduce", "sense-gain", "--quick", "--out", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "sense_gain.csv")
    assert {"network", "task_kind", "sense_gain", "p", "task", "final_scaled_error"} <= set(
        table.columns
    )
    assert (tmp_path / "sense-gain.png").stat().st_size > 0
    meta = json.loads((tmp_path / "sense-gain.json").read_text())
    assert meta["version"] == __version__
    means = table.groupby(["network", "sense_gain", "p"])["final_scaled_error"].mean()
    for network in ("experiment16", "jammed143"):
        for p in (0.5, 1.0):
            assert means[(network, 40.0, p)] < 0.5 * means[(network, 1.0, p)], (network, p)
    assert "sense-gain" in capsys.readouterr().out


def test_every_figure_states_its_board():
    from coupled.analysis.figures import board_text

    discrete = {"rule": "discrete", "input_min_v": 0.0, "input_max_v": 5.0, "sense_gain": 40.0}
    discrete["sigma_v"] = 0.05
    assert board_text("fig4c", discrete) == (
        "5 V board, inputs 0-5 V, G = 40, sigma ~ U[0, 0.05] V at the comparators"
    )
    assert "G varied" in board_text("sense-gain", discrete)
    continuous = {"rule": "continuous", "input_min_v": 0.0, "input_max_v": 5.0}
    assert "continuous rule (no comparators" in board_text("fig1", continuous)
    assert board_text("temporal", {"supply_v": 5.0, "network": "experiment16"}).startswith(
        "5 V oscillators"
    )
