"""The public Python API: every exported name resolves, is documented, and import stays cheap."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np

import coupled

ROOT = Path(__file__).resolve().parents[1]


def test_every_exported_name_resolves_and_has_a_docstring():
    missing = []
    for name in coupled.__all__:
        value = getattr(coupled, name)
        if name != "__version__" and not inspect.getdoc(value):
            missing.append(name)
    assert not missing, f"undocumented: {missing}"


def test_every_exported_name_is_in_the_api_page():
    page = (ROOT / "docs" / "api.md").read_text()
    absent = [n for n in coupled.__all__ if n != "__version__" and f"coupled.{n}" not in page]
    assert not absent, f"not in docs/api.md: {absent}"


def test_unknown_names_raise_attribute_error():
    try:
        coupled.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_import_coupled_loads_no_engine_pandas_or_matplotlib():
    code = (
        "import sys, coupled; "
        "heavy = [m for m in ('coupled.training.run', 'coupled.engines.ideal', 'pandas', "
        "'matplotlib', 'numba') if m in sys.modules]; print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_notebook_session_through_the_public_names(tmp_path):
    cfg = coupled.TrainConfig(
        network="experiment16", task="allostery", rule="discrete", steps=60, tasks=2, seed=4
    )
    result = coupled.train(cfg, tmp_path / "run")
    loaded = coupled.load_result(tmp_path / "run")
    np.testing.assert_array_equal(loaded.state.taps, result.state.taps)
    with coupled.Run(cfg) as run:
        state = run.steps(60)
    np.testing.assert_array_equal(state.taps, result.state.taps)
    net = coupled.load_network("experiment16")
    assert isinstance(net, coupled.Network) and net.n_edges == 16
    assert "fig4c" in coupled.figure_names()
