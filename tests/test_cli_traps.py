"""Small traps of the command line: abbreviations, the help's list of reproduce targets, what a
refusal suggests, calibrate's board seed, the exit statuses the README documents."""

import argparse
import re
from pathlib import Path

import pytest

from coupled.cli.main import COMMANDS, EXIT_STATUSES, build_parser, main
from coupled.reproduction.base import figure_names

README = Path(__file__).resolve().parents[1] / "README.md"


def run_cli(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices)


def test_no_parser_takes_abbreviations(capsys, tmp_path):
    parser = build_parser()
    assert parser.allow_abbrev is False
    commands = _subparsers(parser)
    assert len(commands) == len(COMMANDS)
    assert all(sub.allow_abbrev is False for sub in commands.values())
    code, out, err = run_cli(
        ["train", "--network", "experiment16", "--step", "10", "--out", str(tmp_path / "r")],
        capsys,
    )
    assert code == 2 and out == ""
    assert "unrecognized arguments: --step 10" in err
    assert not (tmp_path / "r").exists()


def test_help_lists_every_reproduce_target_from_the_registry(capsys):
    code, out, _ = run_cli(["--help"], capsys)
    assert code == 0
    text = re.sub(r"-\n\s+", "-", out)  # argparse may wrap after a hyphen
    text = re.sub(r"\s+", " ", text)
    (line,) = re.findall(r"reproduce reproduce a paper figure or a board study: (.*?) solve ", text)
    listed = [name.strip() for name in line.split(",")]
    assert listed == list(figure_names())
    assert {"sense-gain", "gates", "temporal", "clockless"} <= set(listed)


def test_reproduce_on_a_full_folder_suggests_overwrite_not_resume(tmp_path, capsys):
    out = tmp_path / "fig"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, stdout, err = run_cli(["reproduce", "fig4c", "--quick", "--out", str(out)], capsys)
    assert code == 2 and stdout == ""
    assert "--overwrite" in err and "--resume" not in err
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    # train has --resume, so its refusal still offers it
    train_out = tmp_path / "run"
    train_out.mkdir()
    (train_out / "keep.txt").write_text("mine")
    code, _, err = run_cli(["train", "--network", "experiment16", "--out", str(train_out)], capsys)
    assert code == 2 and "--resume" in err and "--overwrite" in err


def test_calibrate_takes_board_seed_and_keeps_seed_as_its_alias():
    parser = build_parser()
    base = ["calibrate", "--network", "experiment16", "--out", "cal"]
    assert parser.parse_args([*base, "--board-seed", "23"]).seed == 23
    assert parser.parse_args([*base, "--seed", "23"]).seed == 23
    assert parser.parse_args(base).seed == 0
    assert "--board-seed" in _subparsers(parser)["calibrate"].format_help()


def test_the_calibration_refusal_names_each_board_seed(tmp_path, capsys):
    cal = tmp_path / "cal"
    code, _, err = run_cli(
        [
            "calibrate",
            "--network",
            "experiment16",
            "--quick",
            "--events",
            "phase",
            "--no-effective-bias",
            "--no-plots",
            "--board-seed",
            "23",
            "--out",
            str(cal),
        ],
        capsys,
    )
    assert code == 0, err
    train = ["train", "--network", "experiment16", "--task", "allostery", "--rule", "discrete"]
    train += ["--p-mode", "oscillator", "--sigma-mode", "board", "--steps", "2"]
    train += ["--calibration", str(cal / "calibration.json"), "--no-plot"]
    train += ["--out", str(tmp_path / "run")]
    code, out, err = run_cli([*train, "--seed", "23"], capsys)  # the tasks' seed: wrong one
    assert code == 2 and out == "" and not (tmp_path / "run").exists()
    assert len(err.splitlines()) == 1 and "other oscillators" in err
    assert "calibration: board seed 23" in err and "this board: board seed 0" in err
    assert re.search(r"train the calibrated one: (--board-seed|--engine-option board_seed) 23", err)
    assert "coupled calibrate --board-seed 0 --tolerance 0.05" in err
    code, _, err = run_cli([*train, "--board-seed", "23"], capsys)  # as the message says
    assert code == 0, err


def test_readme_lists_the_exit_statuses_the_code_uses():
    text = README.read_text()
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", text, flags=re.MULTILINE)
    table = {int(code): meaning for code, meaning in rows if int(code) in (0, 1, 2, 130)}
    assert table == EXIT_STATUSES
    assert "bad input" in EXIT_STATUSES[2] and "memory" in EXIT_STATUSES[2]


@pytest.mark.parametrize("argv", [["--help"], ["reproduce", "--help"]])
def test_help_pages_still_exit_0(argv, capsys):
    code, out, _ = run_cli(argv, capsys)
    assert code == 0 and "clockless" in out
