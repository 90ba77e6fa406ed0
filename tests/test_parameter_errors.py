"""The library speaks in parameters, the command line in flags.

The same bad value through the Python API gives a message naming the parameter (``p``,
``engine_options["tolerance"]``, ``out_dir``, ``resume=True``) and no flag; through the command
line it names the flag the user typed (``--p``, ``--tolerance`` or ``--engine-option
tolerance``, ``--out``, ``--resume``), on one line with exit status 2.
"""

from __future__ import annotations

import pickle

import pytest

from coupled.calibration.run import CalibrationConfig
from coupled.cli.flags import flag_labels
from coupled.cli.main import build_parser, main
from coupled.core.errors import ParameterError, UserError
from coupled.sweep.executors import check_executor
from coupled.training.config import TrainConfig
from coupled.training.run import train

SMALL = dict(network="square:3x3", steps=1)
CLI_SMALL = ["--network", "square:3x3", "--steps", "1"]


def _api_message(call) -> str:
    with pytest.raises(ParameterError) as caught:
        call()
    message = str(caught.value)
    assert "--" not in message, message
    return message


def _cli_message(argv: list[str], capsys, out=None) -> str:
    if out is not None:
        argv = [*argv, "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert out is None or not out.exists()
    return err[0]


def test_a_parameter_error_is_a_user_error_that_renders_other_labels():
    exc = ParameterError("{p} 1.5 {x}: must be in (0, 1]; see {q}", "p", "q")
    assert isinstance(exc, UserError) and exc.parameter == "p"
    assert str(exc) == "p 1.5 {x}: must be in (0, 1]; see q"  # other braces stay as they are
    assert exc.render({"p": "--p"}) == "--p 1.5 {x}: must be in (0, 1]; see q"
    again = pickle.loads(pickle.dumps(exc))  # crosses worker processes whole
    assert type(again) is ParameterError and again.render({"q": "--q"}).endswith("see --q")
    with pytest.raises(TypeError):
        ParameterError("no parameter named")


def test_the_command_line_maps_parameters_to_its_flags():
    parser = build_parser()
    train_parser = parser.commands["train"]
    names = (
        "p",
        "sense_gain",
        "out_dir",
        "resume=True",
        'engine_options["tolerance"]',
        "engine_options",
        "n_disks",
    )
    assert flag_labels(names, train_parser) == {
        "p": "--p",
        "sense_gain": "--sense-gain",
        "out_dir": "--out",
        "resume=True": "--resume",
        'engine_options["tolerance"]': "--engine-option tolerance",
        "engine_options": "--engine-option",
    }  # n_disks is no flag: it keeps its name
    given = {'engine_options["tolerance"]': "--tolerance"}
    assert flag_labels(names[4:5], train_parser, given=given) == given
    # A sweep specification's keys are TrainConfig's fields: they answer with train's flags.
    assert flag_labels(("p",), parser.commands["sweep"], train_parser) == {"p": "--p"}


def test_p(capsys, tmp_path):
    api = _api_message(lambda: TrainConfig(**SMALL, p=1.5).validate())
    assert api == "p 1.5: must be in (0, 1]"
    cli = _cli_message(["train", *CLI_SMALL, "--p", "1.5"], capsys, tmp_path / "run")
    assert cli == "coupled train: error: --p 1.5: must be in (0, 1]"


def test_tolerance_through_its_flag_or_engine_option(capsys, tmp_path):
    config = TrainConfig(**SMALL, engine_options={"tolerance": 0.7})
    api = _api_message(config.validate)
    assert api == 'engine_options["tolerance"] 0.7: must be in [0, 0.5)'
    cli = _cli_message(["train", *CLI_SMALL, "--tolerance", "0.7"], capsys, tmp_path / "run")
    assert cli.endswith(": --tolerance 0.7: must be in [0, 0.5)")
    cli = _cli_message(
        ["train", *CLI_SMALL, "--engine-option", "tolerance=0.7"], capsys, tmp_path / "run"
    )
    assert cli.endswith(": --engine-option tolerance 0.7: must be in [0, 0.5)")


def test_calibration_option(capsys, tmp_path):
    config = TrainConfig(**SMALL, engine_options={"calibration": 3})
    assert _api_message(config.validate) == 'engine_options["calibration"]=3: must be a file path'
    cli = _cli_message(
        ["train", *CLI_SMALL, "--engine-option", "calibration=3"], capsys, tmp_path / "run"
    )
    assert cli.endswith(": --engine-option calibration=3: must be a file path")


def test_calibrate_tolerance(capsys, tmp_path):
    api = _api_message(lambda: CalibrationConfig(network="experiment16", tolerance=0.5))
    assert api == "tolerance 0.5: must be in [0, 0.5)"
    argv = ["calibrate", "--network", "experiment16", "--tolerance", "0.5"]
    cli = _cli_message([*argv, "--out", str(tmp_path / "cal")], capsys)
    assert cli == "coupled calibrate: error: --tolerance 0.5: must be in [0, 0.5)"


def test_several_parameters_in_one_message(capsys, tmp_path):
    config = TrainConfig(**SMALL, trigger="self", rule="continuous")
    assert _api_message(config.validate).startswith(
        "trigger self with rule continuous: a self-triggered board moves taps; it needs rule "
        "discrete"
    )
    cli = _cli_message(
        ["train", *CLI_SMALL, "--trigger", "self", "--rule", "continuous"], capsys, tmp_path / "run"
    )
    assert "--trigger self with --rule continuous:" in cli and cli.endswith("--rule discrete")


def test_output_folder_and_its_switches(capsys, tmp_path):
    full = tmp_path / "full"
    full.mkdir()
    (full / "kept.txt").write_text("x")
    api = _api_message(lambda: train(TrainConfig(**SMALL), full))
    assert api.startswith(f"out_dir {full}: folder exists and is not empty")
    assert "use resume=True to continue the run in it or overwrite=True to replace it" in api
    cli = _cli_message(["train", *CLI_SMALL, "--out", str(full)], capsys)
    assert f"--out {full}: folder exists and is not empty" in cli
    assert "use --resume to continue the run in it or --overwrite to replace it" in cli
    assert (full / "kept.txt").read_text() == "x"


def test_sweep_executor(capsys, tmp_path):
    api = _api_message(lambda: check_executor("serial", workers=2))
    assert api == "workers 2: the serial executor has one worker; use executor process or dask"
    spec = tmp_path / "spec.toml"
    spec.write_text('[base]\nnetwork = "square:3x3"\nsteps = 2\n[grid]\np = [0.5, 1.0]\n')
    cli = _cli_message(["sweep", str(spec), "--workers", "2", "--out", str(tmp_path / "s")], capsys)
    assert cli.endswith(
        "--workers 2: the serial executor has one worker; use --executor process or dask"
    )
    assert not (tmp_path / "s").exists()
