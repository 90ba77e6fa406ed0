"""``make bench``: every benchmark script has a quick mode that ``benchmarks/run_all.py`` runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(BENCHMARKS.glob("bench_*.py"))


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120)


def test_there_are_benchmarks_and_run_all_finds_them():
    assert len(SCRIPTS) >= 5
    result = _run(str(BENCHMARKS / "run_all.py"), "--only", "no_such_bench")
    assert result.returncode == 2
    names = ", ".join(p.stem for p in SCRIPTS)
    assert f"unknown benchmark 'no_such_bench': available {names}" in result.stderr


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_every_benchmark_offers_quick_mode(script):
    result = _run(str(script), "--help")
    assert result.returncode == 0, result.stderr
    assert "--quick" in result.stdout
