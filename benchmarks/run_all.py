"""Run every benchmark script of this folder in quick mode and print their ratio tables.

Usage (``make bench`` runs the first form)::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/run_all.py [--full] [--only NAME ...]

Each ``bench_*.py`` beside this file runs in a fresh process of this interpreter with
``--quick`` (``--full``: without it, the scripts' full sizes), one after the other, so that two
benchmarks never compete for the cores; its output (the table of ratios against a baseline
measured in that same run) is printed as it comes, under a banner. At the end a summary lists
each script's exit status and wall time. Exit status 0 when every script succeeded, 1 otherwise;
timing itself never fails anything.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts() -> list[Path]:
    """The benchmark scripts, ``bench_*.py`` in this folder, in name order."""
    return sorted(HERE.glob("bench_*.py"))


def run_one(script: Path, quick: bool, timeout_s: float) -> tuple[int, float]:
    """Run one script (output passed through); return its exit status and wall time (s)."""
    command = [sys.executable, str(script)] + (["--quick"] if quick else [])
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    started = time.perf_counter()
    try:
        status = subprocess.run(command, env=env, cwd=HERE.parent, timeout=timeout_s).returncode
    except subprocess.TimeoutExpired:
        print(f"{script.name}: stopped after {timeout_s:g} s", flush=True)
        status = -1
    return status, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; 0 when all of them succeeded."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--full", action="store_true", help="full sizes (no --quick)")
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", help="scripts to run, e.g. bench_solve (default all)"
    )
    parser.add_argument(
        "--timeout-s", type=float, default=1800.0, help="longest wall time per script (s)"
    )
    args = parser.parse_args(argv)
    found = {path.stem: path for path in scripts()}
    chosen = list(found) if not args.only else [name.removesuffix(".py") for name in args.only]
    unknown = [name for name in chosen if name not in found]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}: available {', '.join(found)}")
    if args.timeout_s <= 0:
        parser.error(f"--timeout-s {args.timeout_s!r}: must be a positive number of seconds")
    mode = "full" if args.full else "quick"
    print(f"{len(chosen)} benchmarks, {mode} mode, load average {os.getloadavg()[0]:.2f}")
    results = []
    for name in chosen:
        print(f"\n===== {name} ({mode}) =====", flush=True)
        results.append((name, *run_one(found[name], not args.full, args.timeout_s)))
    print(f"\n===== summary ({mode} mode) =====")
    for name, status, wall_s in results:
        verdict = "ok" if status == 0 else f"FAILED (exit status {status})"
        print(f"{name:<20} {wall_s:8.1f} s   {verdict}")
    print(f"total {sum(r[2] for r in results):.1f} s, load average {os.getloadavg()[0]:.2f}")
    return 0 if all(status == 0 for _, status, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
