"""Plots of one's own runs: ``training.png`` from ``coupled train --out`` and ``coupled plot``."""

from __future__ import annotations

import pandas as pd
from PIL import Image

from coupled.cli.main import main

RUN = [
    "train",
    "--network",
    "experiment16",
    "--task",
    "allostery",
    "--rule",
    "discrete",
    "--steps",
    "60",
    "--tasks",
    "2",
]


def test_train_draws_training_png_and_plot_overlays_runs(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main([*RUN, "--p", "1", "--record-resistance-every", "20", "--out", str(a)]) == 0
    assert main([*RUN, "--p", "0.5", "--out", str(b)]) == 0
    for run in (a, b):
        with Image.open(run / "training.png") as image:
            assert image.size[0] > 500 and image.size[1] > 300
    table = pd.read_parquet(a / "resistance_history.parquet")
    assert set(table["step"]) == {0, 20, 40, 60} and (table["tap"] >= 0).all()
    out = tmp_path / "figs" / "both.png"
    assert main(["plot", str(a), str(b), "--out", str(out)]) == 0
    with Image.open(out) as image:  # three panels with the recorded taps of run a
        wide = image.size[0]
    assert main(["plot", str(b), "--out", str(tmp_path / "one.png")]) == 0
    with Image.open(tmp_path / "one.png") as image:
        assert image.size[0] < wide
    capsys.readouterr()


def test_plot_refuses_what_is_not_a_run(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code = main(["plot", str(tmp_path / "empty"), "--out", str(tmp_path / "x.png")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "no history.csv" in err[0]
    code = main(["plot", str(tmp_path / "missing"), "--out", str(tmp_path / "x.png")])
    assert code == 2 and "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
