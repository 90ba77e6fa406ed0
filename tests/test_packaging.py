"""What ``make setup`` installs: every package folder declared (setuptools prints a "Package
would be ignored" banner for one that is not), the licence in SPDX form, the notebook extra."""

import os
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_package_folder_is_declared():
    # os.walk follows the symbolic links coupled/circuits etc., so their subpackages count too
    folders = {
        ".".join(Path(folder).relative_to(ROOT).parts)
        for folder, _, _ in os.walk(ROOT / "coupled", followlinks=True)
        if Path(folder).name != "__pycache__"
    }
    assert "coupled.circuits.parts" in folders
    assert folders == set(PROJECT["tool"]["setuptools"]["packages"])


def test_licence_is_an_spdx_string_and_notebooks_have_an_extra():
    assert PROJECT["project"]["license"] == "MIT"
    assert "notebook" in PROJECT["project"]["optional-dependencies"]
    assert "'.[test,notebook]'" in (ROOT / "Makefile").read_text()
