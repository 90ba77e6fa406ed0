"""What ``make setup`` installs: every package folder declared (setuptools prints a "Package
would be ignored" banner for one that is not), the licence in SPDX form, the notebook extra."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_package_folder_is_declared():
    folders = {
        ".".join(path.relative_to(ROOT).parts)
        for path in [ROOT / "coupled", *(ROOT / "coupled").rglob("*")]
        if path.is_dir() and path.name != "__pycache__"
    }
    assert folders == set(PROJECT["tool"]["setuptools"]["packages"])


def test_licence_is_an_spdx_string_and_notebooks_have_an_extra():
    assert PROJECT["project"]["license"] == "MIT"
    assert "notebook" in PROJECT["project"]["optional-dependencies"]
    assert "'.[test,notebook]'" in (ROOT / "Makefile").read_text()
