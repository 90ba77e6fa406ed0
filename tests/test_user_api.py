"""What a new user meets in the Python API: network objects, run folders that travel, predict's
shapes, a short TrainResult repr and ``result.plot()``."""

import json
import subprocess
import sys

import numpy as np
import pytest

import coupled
from coupled.cli.main import main
from coupled.core.errors import UserError
from coupled.training.results import NETWORK_FILE

RING6 = {
    "nodes": 6,
    "edges": [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 0], [0, 3]],
    "resistance_ohm": [2000.0, 3000.0, 4000.0, 5000.0, 6000.0, 7000.0, 8000.0],
    "name": "ring6",
}
SMALL = {
    "task": "allostery",
    "outputs": 1,
    "roles": "random",
    "rule": "discrete",
    "p": 0.5,
    "tasks": 2,
    "seed": 3,
}


@pytest.fixture()
def ring6(tmp_path, monkeypatch):
    """A user's own network file, ``ring6.json``, in the working directory ``tmp_path/work``."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "ring6.json").write_text(json.dumps(RING6))
    monkeypatch.chdir(work)
    return work


def test_a_network_object_trains_as_its_file_does(ring6, tmp_path):
    net = coupled.load_network("ring6.json")
    by_object = coupled.train(coupled.TrainConfig(network=net, steps=30, **SMALL), tmp_path / "a")
    by_file = coupled.train(
        coupled.TrainConfig(network="ring6.json", steps=30, **SMALL), tmp_path / "b"
    )
    assert by_object.history.equals(by_file.history)
    np.testing.assert_array_equal(by_object.state.taps, by_file.state.taps)
    # the JSON form records the whole network, and reads back into an equal config
    data = by_object.config.to_dict()
    assert data["network"] == net.to_dict()
    json.dumps(data)
    assert coupled.TrainConfig.from_dict(data) == by_object.config
    # every run folder keeps the network it trained
    for folder in ("a", "b"):
        assert coupled.load_network(str(tmp_path / folder / NETWORK_FILE)) == net


def test_network_objects_in_run_calibration_and_board_check():
    net = coupled.load_network("experiment16")
    with coupled.Run(coupled.TrainConfig(network=net, steps=5, **SMALL)) as run:
        assert run.network is net
        run.steps(2)
    calibration = coupled.CalibrationConfig(network=net)
    assert calibration.to_dict()["network"] == net.to_dict()
    from coupled.calibration.erc import check_board

    by_object = check_board(net, examples=1)
    by_name = check_board("experiment16", examples=1)
    assert by_object.erc.equals(by_name.erc)


def test_a_wrong_network_type_is_one_short_line():
    with pytest.raises(UserError) as info:
        coupled.TrainConfig(network=np.zeros((300, 2))).validate()
    message = str(info.value)
    assert "\n" not in message and len(message) < 120
    assert "coupled.Network" in message and "ndarray" in message


def test_load_result_and_resume_work_from_another_working_directory(ring6, tmp_path, capsys):
    config = coupled.TrainConfig(network="ring6.json", steps=40, checkpoint_every=10, **SMALL)
    whole = coupled.train(config, tmp_path / "whole")
    coupled.train(config, tmp_path / "killed", stop_at=25)  # as if killed after step 25
    assert (tmp_path / "killed" / "checkpoint.npz").exists()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    import os

    os.chdir(elsewhere)  # ring6.json is not here
    argv = ["train", "--network", "ring6.json", "--task", "allostery", "--outputs", "1"]
    argv += ["--roles", "random"]
    argv += ["--rule", "discrete", "--p", "0.5", "--tasks", "2", "--seed", "3", "--steps", "40"]
    argv += ["--checkpoint-every", "10", "--no-plot", "--out", str(tmp_path / "killed")]
    assert main([*argv, "--resume"]) == 0, capsys.readouterr().err
    resumed = coupled.load_result(tmp_path / "killed")
    assert resumed.history.equals(whole.history)
    np.testing.assert_array_equal(resumed.state.taps, whole.state.taps)
    assert resumed.config.network == "ring6.json"  # recorded as typed
    assert coupled.load_result(tmp_path / "whole").tasks[0].inputs == whole.tasks[0].inputs


def test_predict_checks_the_shape_and_names_what_it_expects():
    config = coupled.TrainConfig(network="experiment16", steps=5, **SMALL)
    with coupled.Run(config) as run:
        run.steps(2)
        k = len(run.tasks[0].inputs)
        inputs = np.full((2, 3, k), 1.5)
        full = run.predict(inputs)
        assert full.shape == (2, 3, 1)
        # (X, k): the same examples for every task
        np.testing.assert_array_equal(run.predict(inputs[0]), full)
        for bad in ([[1.0, 2.0]], [1.0], np.ones((3, 3, k)), [[np.nan] * k]):
            with pytest.raises(UserError) as info:
                run.predict(bad)
            message = str(info.value)
            assert message.startswith("predict: inputs_v") and "\n" not in message
            assert f"(K, X, k) = (2, X, {k})" in message


def test_train_result_repr_is_a_short_summary(tmp_path):
    config = coupled.TrainConfig(network="experiment16", steps=20, **SMALL)
    result = coupled.train(config, tmp_path / "run")
    text = repr(result)
    assert len(text) < 300 and "\n" not in text
    final = result.history[result.history["step"] == 20]["scaled_error"]
    for piece in (
        "network experiment16",
        "engine ideal",
        "2 allostery task(s) x 20 of 20 steps",
        f"mean {final.mean():.4g}",
    ):
        assert piece in text
    assert repr(coupled.load_result(tmp_path / "run")).startswith("<TrainResult network")


def test_result_plot_returns_the_figure_of_coupled_plot(tmp_path):
    config = coupled.TrainConfig(
        network="experiment16", steps=20, record_resistance_every=5, **SMALL
    )
    result = coupled.train(config, tmp_path / "run")
    fig = result.plot()
    from matplotlib.figure import Figure

    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3  # error against step, against steps x p, recorded taps
    line = fig.axes[0].get_lines()[0]
    mean = result.history.groupby("step")["scaled_error"].mean()
    np.testing.assert_allclose(line.get_ydata(), mean.to_numpy())
    assert fig.axes[0].get_legend() is not None


def test_importing_coupled_and_training_do_not_import_matplotlib(tmp_path):
    code = (
        "import sys, coupled\n"
        "cfg = coupled.TrainConfig(network='experiment16', task='allostery', rule='discrete',"
        " steps=3)\n"
        "r = coupled.train(cfg)\n"
        "repr(r)\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
        "r.plot()\n"
        "assert 'matplotlib' in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert done.returncode == 0, done.stderr
