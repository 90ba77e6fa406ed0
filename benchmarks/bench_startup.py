"""Where users wait: the start of a circuit run, the quick calibration, an interrupted check.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_startup.py [--quick]``

Every command runs as a fresh process (Python start-up included) with its own empty
``COUPLED_CACHE_DIR``; the figures are the wall and CPU seconds the operating system counts for
that process and its children. Each row is a ratio against a baseline measured in the same run:

1. **Start of a circuit run** (``--quick``: experiment16, else jammed143 with
   ``--input-max-v 4``, which its ERC passes): ``coupled train --engine circuit --rule discrete
   --steps 1`` three times on one cache. The first run fits
   the oscillators and runs the electrical rule check (ERC); the second and third find both in
   the cache. Baseline: the first run. The target is a second run within 3 s of wall time on
   an idle machine (jammed143).
2. **Quick calibration** of experiment16 with ``--events periodic`` (what ``--quick`` uses)
   against ``--events transient`` with the same sizes (``--quick``: 200 correlation triggers,
   40 per bias point, 5 bias points; else ``calibrate --quick``'s 1000, 100 and 9). The target
   is ``calibrate --quick`` within 10 s on an idle machine.
3. **A signal during the ERC's full-board transient** (jammed143, about a minute of ngspice,
   run in ngspice's background thread): seconds from SIGINT to the process's exit, against the
   same command's start-up to its first line (the cost of a fresh process). The target is 2 s.
4. **A board that does not fit**: ``train --network square:300x300`` is refused (exit 2) before
   anything is built; seconds to the refusal against a 1-step ideal run on experiment16.

``uptime``'s load average is printed first: on a loaded machine wall times stretch, CPU times
much less. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], cache: Path) -> tuple[float, float, int, str]:
    """(wall s, CPU s, exit status, stderr) of ``python -m coupled ARGV``."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "COUPLED_CACHE_DIR": str(cache)}
    cpu, wall = _children_cpu(), time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "coupled", *argv], env=env, capture_output=True, text=True
    )
    return time.perf_counter() - wall, _children_cpu() - cpu, done.returncode, done.stderr


def row(name: str, wall: float, cpu: float, base: tuple[float, float] | None = None) -> None:
    text = f"  {name}: wall {wall:.2f} s, CPU {cpu:.2f} s"
    if base is not None:
        text += f"  ({wall / base[0]:.3f}x the baseline's wall, {cpu / base[1]:.3f}x its CPU)"
    print(text, flush=True)


def startup(network: str, root: Path) -> None:
    print(f"1. start of a circuit run, {network}, 1 step (baseline: the first run)")
    argv = ["train", "--network", network, "--engine", "circuit", "--rule", "discrete"]
    argv += ["--steps", "1", "--no-progress"]
    if network == "jammed143":  # at the default 5 V two pots' wiper currents exceed 5 mA
        argv += ["--input-max-v", "4"]
    cache = root / "cache-startup"
    base = None
    for k in range(3):
        wall, cpu, status, err = timed(argv, cache)
        cached = "cached check of this board used" in err
        row(f"run {k + 1} (exit {status}, cached ERC: {cached})", wall, cpu, base)
        base = base or (wall, cpu)


def calibration(quick: bool, root: Path) -> None:
    sizes = ["--triggers", "200", "--p-triggers", "40", "--bias-points", "5"] if quick else []
    print(
        "2. quick calibration of experiment16 "
        f"({'reduced sizes ' + ' '.join(sizes) if quick else 'calibrate --quick sizes'}; "
        "baseline: --events transient)"
    )
    runs = {}
    for events in ("transient", "periodic"):
        argv = ["calibrate", "--network", "experiment16", "--quick", *sizes]
        argv += ["--events", events, "--out", str(root / f"cal-{events}")]
        wall, cpu, status, _ = timed(argv, root / f"cache-cal-{events}")
        runs[events] = (wall, cpu)
        row(f"--events {events} (exit {status})", wall, cpu, runs.get("transient"))


def interrupt(root: Path) -> None:
    print("3. SIGINT during the ERC transient of jammed143 (baseline: start-up to first line)")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "COUPLED_CACHE_DIR": str(root / "c-int")}
    argv = [sys.executable, "-m", "coupled", "check-board", "--network", "jammed143"]
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*argv, "--out", str(root / "check")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = None
    for line in proc.stderr:
        first = first or time.perf_counter() - started
        if "transient of the full board" in line:
            break
    time.sleep(1.0)
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    proc.communicate()
    gone = time.perf_counter() - sent
    print(
        f"  exit {proc.returncode} {gone:.2f} s after the signal; start-up to the first line "
        f"{first:.2f} s ({gone / first:.3f}x)",
        flush=True,
    )


def refusal(root: Path) -> None:
    print("4. a board that does not fit (baseline: a 1-step ideal run of experiment16)")
    wall0, cpu0, status0, _ = timed(["train", "--network", "experiment16", "--steps", "1"], root)
    row(f"baseline (exit {status0})", wall0, cpu0)
    argv = ["train", "--network", "square:300x300", "--engine", "circuit", "--rule", "discrete"]
    wall, cpu, status, err = timed([*argv, "--steps", "1"], root)
    row(f"square:300x300 refused (exit {status})", wall, cpu, (wall0, cpu0))
    print(f"  {err.strip().splitlines()[-1][:160]}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller board and calibration")
    args = parser.parse_args()
    print("load:", os.getloadavg(), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        root = Path(tmp)
        startup("experiment16" if args.quick else "jammed143", root)
        calibration(args.quick, root)
        interrupt(root)
        refusal(root)
    print("load:", os.getloadavg(), flush=True)


if __name__ == "__main__":
    main()
