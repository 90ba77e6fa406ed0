"""`coupled --version` names the package version and the ngspice it found; runs record it."""

import json
import os
import subprocess
import sys

from coupled.core.version import __version__
from coupled.training.config import TrainConfig
from coupled.training.run import train


def _version(env_extra=None):
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run(
        [sys.executable, "-m", "coupled", "--version"], capture_output=True, text=True, env=env
    )


def test_version_names_the_ngspice_found():
    done = _version()
    assert done.returncode == 0
    first, second = done.stdout.splitlines()
    assert first == f"coupled {__version__}"
    assert second.startswith("ngspice ") and "shared library" in second
    assert int(second.split()[1]) >= 30


def test_version_without_ngspice_gives_the_install_hint():
    done = _version({"NGSPICE_LIBRARY_PATH": "/nonexistent/libngspice.so"})
    assert done.returncode == 0
    assert "ngspice not usable" in done.stdout and "apt-get install" in done.stdout


def test_run_json_records_what_solved_the_circuits(tmp_path):
    config = TrainConfig(network="experiment16", steps=3, tasks=1, engine="spice", rule="discrete")
    train(config, tmp_path / "spice", progress=False)
    run = json.loads((tmp_path / "spice" / "run.json").read_text())
    assert run["simulator"].startswith("ngspice ")
    train(
        config.__class__(**{**config.to_dict(), "engine": "ideal"}),
        tmp_path / "ideal",
        progress=False,
    )
    run = json.loads((tmp_path / "ideal" / "run.json").read_text())
    assert run["simulator"].startswith("numpy ")
