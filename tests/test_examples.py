"""The user examples run as written: the quick-start script and its notebook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbclient
import nbformat
import numpy as np
import pandas as pd

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _check_run(out: Path) -> None:
    """A finished 400-step discrete run on experiment16 whose error fell, and its plot."""
    history = pd.read_csv(out / "run" / "history.csv")
    assert history["step"].iloc[-1] == 400 and history["step"].diff().iloc[1:].eq(10).all()
    assert history["scaled_error"].iloc[0] == 1.0
    assert history["scaled_error"].iloc[-5:].max() < 0.1  # learning happened
    final = json.loads((out / "run" / "final_state.json").read_text())
    assert final["config"]["network"] == "experiment16" and final["config"]["rule"] == "discrete"
    assert np.asarray(final["taps"]).shape[-1] == 16
    assert (out / "quickstart.png").read_bytes()[:8] == PNG_MAGIC


def test_quickstart_script_trains_loads_and_plots(tmp_path):
    out = tmp_path / "quick"
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py"), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out / "quickstart.png")
    _check_run(out)


def test_quickstart_script_without_folder_prints_usage():
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py")], capture_output=True, text=True
    )
    assert result.returncode == 1 and "usage:" in result.stderr


def test_quickstart_notebook_executes(tmp_path, monkeypatch):
    notebook = nbformat.read(EXAMPLES / "quickstart.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    out = tmp_path / "notebook"
    monkeypatch.setenv("QUICKSTART_OUT", str(out))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()
    _check_run(out)


def test_jupyter_execute_runs_the_notebook_with_a_summary_and_a_figure(tmp_path):
    # What the README tells a notebook user to run; the kernel's own (inline) backend, as in
    # Jupyter, so the figure that result.plot() returns shows as an image.
    import tomllib

    extras = tomllib.loads((EXAMPLES.parent / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert {"nbclient", "ipykernel"} <= {r.split(">")[0] for r in extras["notebook"]}
    jupyter = Path(sys.executable).parent / "jupyter"
    out = tmp_path / "notebook"
    notebook = tmp_path / "quickstart.ipynb"
    notebook.write_bytes((EXAMPLES / "quickstart.ipynb").read_bytes())
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    done = subprocess.run(
        [str(jupyter), "execute", str(notebook), "--output", "executed"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env={**env, "QUICKSTART_OUT": str(out)},
    )
    assert done.returncode == 0, done.stderr
    _check_run(out)
    executed = nbformat.read(tmp_path / "executed.ipynb", as_version=4)
    cells = {c.source.splitlines()[-1]: c for c in executed.cells if c.cell_type == "code"}
    (summary,) = cells["result  # a one-line summary"].outputs
    text = summary["data"]["text/plain"]
    assert text.startswith("<TrainResult network experiment16") and "\n" not in text
    (figure,) = cells["result.plot()"].outputs
    assert "image/png" in figure["data"]
