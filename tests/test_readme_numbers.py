"""The README's electrical-rule-check numbers are what ``scripts/erc_numbers.py`` prints."""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_readme_erc_numbers_come_from_the_script(capsys, monkeypatch):
    spec = importlib.util.spec_from_file_location(
        "erc_numbers", ROOT / "scripts" / "erc_numbers.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    monkeypatch.setattr("sys.argv", ["erc_numbers.py"])
    script.main()
    default, demo = capsys.readouterr().out.splitlines()
    readme = re.sub(r"\s+", " ", (ROOT / "README.md").read_text())
    rows, at_limit, mw, uj = re.search(
        r"(\d+) rows, 0 violated, (\d+) at a limit; power (\d+) mW \(([\d.]+) uJ", default
    ).groups()
    assert f"experiment16 {rows} rows" in readme and f"({at_limit} and 736 rows" in readme
    assert f"Power {mw} mW ({uj} uJ per 50 us step)" in readme
    rows, at_limit, mw, uj = re.search(
        r"(\d+) rows, 0 violated, (\d+) at a limit; power (\d+) mW \(([\d.]+) uJ", demo
    ).groups()
    assert f"{rows} rows, none violated, {at_limit} at a limit, {mw} mW ({uj} uJ per step" in readme
