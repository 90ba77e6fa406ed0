"""``coupled plot``: figures of one's own training runs, and bad input refused."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from coupled.analysis.training import plot_training
from coupled.cli.main import main


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("runs")
    for p in ("0.5", "1"):
        argv = ["train", "--network", "experiment16", "--task", "allostery", "--rule"]
        argv += ["discrete", "--p", p, "--steps", "200", "--log-every", "20"]
        assert main([*argv, "--out", str(base / f"p{p}")]) == 0
    return base


def test_plot_overlays_runs_and_records_their_configs(runs, tmp_path, capsys):
    out = tmp_path / "fig" / "training.png"
    assert main(["plot", str(runs / "p0.5"), str(runs / "p1"), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    image = Image.open(out)
    meta = json.loads(image.info["Description"])
    assert meta["p0.5"]["p"] == 0.5 and meta["p1"]["p"] == 1.0
    two_panels = image.size[0]
    # with recorded resistances a third panel (taps against step) is drawn
    steps = pd.read_csv(runs / "p0.5" / "history.csv")["step"].unique()
    rows = [(s, 0, e, 1000.0 + s * e, int(s) % 128) for s in steps for e in range(3)]
    table = pd.DataFrame(rows, columns=["step", "task", "edge", "resistance_ohm", "tap"])
    table.to_parquet(runs / "p0.5" / "resistance_history.parquet")
    try:
        path = plot_training([runs / "p0.5"], tmp_path / "r.png")
    finally:
        (runs / "p0.5" / "resistance_history.parquet").unlink()
    assert Image.open(path).size[0] > 1.3 * two_panels
    assert np.asarray(Image.open(path)).std() > 0  # something is drawn


@pytest.mark.parametrize(
    "make_args,message",
    [
        (lambda r, t: [str(t / "missing")], "does not exist or is not a folder"),
        (lambda r, t: [str(t)], "no history.csv"),
    ],
)
def test_bad_run_folders_exit_2_and_write_nothing(runs, tmp_path, capsys, make_args, message):
    out = tmp_path / "new" / "fig.png"
    assert main(["plot", *make_args(runs, tmp_path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "new").exists()


def test_unsupported_figure_type_is_refused(runs, tmp_path, capsys):
    assert main(["plot", str(runs / "p1"), "--out", str(tmp_path / "fig.txt")]) == 2
    assert "unsupported figure type" in capsys.readouterr().err
    assert not (tmp_path / "fig.txt").exists()
