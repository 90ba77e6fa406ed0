"""Seconds from a signal to the exit of ``coupled train``, per engine, against ``ideal``.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_interrupt.py [--repeats N]
[--signal INT|TERM]``

Starts ``coupled train --network experiment16 --task allostery --rule discrete --p 0.5 --steps
2000000 --checkpoint-every 20 --out DIR`` with each engine, waits until the first checkpoint
file exists (the run is stepping), waits 1 s more, sends the signal and measures the wall time
until the process has exited. The ``ideal`` engine (pure numpy, no native callbacks) is the
baseline measured in the same run. Prints per engine the exit status, the median and the
largest latency and the ratio of the median to the baseline's. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENGINES = ("ideal", "spice", "circuit")


def one_run(engine: str, out: Path, signum: int) -> tuple[int, float, bool]:
    """Exit status, seconds from the signal to the exit, and whether stderr held a traceback."""
    command = [sys.executable, "-m", "coupled", "train", "--network", "experiment16"]
    command += ["--task", "allostery", "--rule", "discrete", "--p", "0.5", "--engine", engine]
    command += ["--steps", "2000000", "--checkpoint-every", "20", "--out", str(out)]
    with subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL) as process:
        deadline = time.monotonic() + 300
        while not (out / "checkpoint.npz").exists():
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"{engine}: no checkpoint ({process.stderr.read()!r})")
            time.sleep(0.05)
        time.sleep(1.0)
        sent = time.monotonic()
        process.send_signal(signum)
        status = process.wait(timeout=120)
        latency = time.monotonic() - sent
        stderr = process.stderr.read().decode()
    return status, latency, "Traceback" in stderr or "Exception ignored" in stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--signal", choices=("INT", "TERM"), default="INT")
    parser.add_argument("--quick", action="store_true", help="one run per engine")
    args = parser.parse_args()
    if args.quick:
        args.repeats = 1
    signum = getattr(signal, f"SIG{args.signal}")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    latencies: dict[str, list[float]] = {}
    print(f"SIG{args.signal} to coupled train on experiment16, {args.repeats} runs per engine")
    with tempfile.TemporaryDirectory() as folder:
        for engine in ENGINES:
            for repeat in range(args.repeats):
                status, latency, traceback = one_run(
                    engine, Path(folder) / f"{engine}{repeat}", signum
                )
                latencies.setdefault(engine, []).append(latency)
                print(
                    f"  {engine:8s} run {repeat}: exit {status}, {latency:.3f} s"
                    + (", TRACEBACK on stderr" if traceback else "")
                )
    base = statistics.median(latencies["ideal"])
    print(f"{'engine':8s} {'median s':>9s} {'max s':>7s} {'x ideal':>8s}")
    for engine, values in latencies.items():
        median = statistics.median(values)
        print(f"{engine:8s} {median:9.3f} {max(values):7.3f} {median / base:8.2f}")


if __name__ == "__main__":
    main()
