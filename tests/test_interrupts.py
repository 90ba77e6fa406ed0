"""Ctrl-C and SIGTERM stop every command, the ngspice engines included, without a traceback.

The commands run as real subprocesses; each test waits for an event the command produces (its
first checkpoint file, a progress line on stderr, a worker process that has loaded ngspice),
then sends the signal and waits a bounded time for the process to be gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coupled.core import interrupts

GONE_WITHIN_S = 15.0  # generous on a shared machine; measured ~0.3 s (benchmarks/bench_interrupt)


def _start(*argv: str, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "coupled", *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_file(proc: subprocess.Popen, path: Path, timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"ended before {path.name} appeared: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"{path.name} did not appear")
        time.sleep(0.02)


def _stop(proc: subprocess.Popen, signum: int) -> tuple[int, str]:
    """Send ``signum``; the exit status and stderr once the process is gone (bounded wait)."""
    proc.send_signal(signum)
    try:
        _, err = proc.communicate(timeout=GONE_WITHIN_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, err


def _assert_clean(status: int, err: str, command: str) -> None:
    assert status == 130, err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert err.strip().splitlines()[-1].startswith(f"coupled {command}: interrupted"), err


def _train(engine: str, cwd: Path) -> subprocess.Popen:
    return _start(
        "train",
        "--network",
        "experiment16",
        "--task",
        "allostery",
        "--rule",
        "discrete",
        "--p",
        "0.5",
        "--engine",
        engine,
        "--steps",
        "1000000",
        "--checkpoint-every",
        "10",
        "--out",
        "run",
        cwd=cwd,
    )


@pytest.mark.parametrize("engine", ["spice", "circuit"])
def test_sigint_stops_an_ngspice_engine_run(tmp_path, engine):
    proc = _train(engine, tmp_path)
    _wait_for_file(proc, tmp_path / "run" / "checkpoint.npz")
    status, err = _stop(proc, signal.SIGINT)
    _assert_clean(status, err, "train")
    assert (tmp_path / "run" / "checkpoint.npz").exists()  # an interrupted run keeps its folder


def test_sigterm_stops_like_sigint(tmp_path):
    proc = _train("spice", tmp_path)
    _wait_for_file(proc, tmp_path / "run" / "checkpoint.npz")
    status, err = _stop(proc, signal.SIGTERM)
    _assert_clean(status, err, "train")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _uses_ngspice(pid: int) -> bool:
    try:
        return "libngspice" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigint_stops_calibration_and_its_worker_pool(tmp_path):
    # Long enough (13 biases x 20000 triggers per edge) that it is still running when the
    # signal comes; the stage's workers are found once they have loaded ngspice.
    proc = _start(
        "calibrate",
        "--network",
        "experiment16",
        "--events",
        "transient",
        "--workers",
        "2",
        "--triggers",
        "100000",
        "--p-triggers",
        "20000",
        "--no-plots",
        "--no-effective-bias",
        "--out",
        "cal",
        cwd=tmp_path,
    )
    lines = []
    while not any(line.startswith("calibrate: p against bias") for line in lines):
        line = proc.stderr.readline()
        assert line, f"calibrate ended early: {lines}"
        lines.append(line)
    deadline = time.monotonic() + 120
    workers: list[int] = []
    while len(workers) < 2 and time.monotonic() < deadline:
        workers = [pid for pid in _children(proc.pid) if _uses_ngspice(pid)]
        time.sleep(0.02)
    assert workers, "no calibration worker loaded ngspice"
    status, err = _stop(proc, signal.SIGINT)
    _assert_clean(status, "".join(lines) + err, "calibrate")
    assert not [pid for pid in workers if _alive(pid)]  # the pool was shut down


def test_signal_in_a_native_call_is_raised_when_the_call_returns():
    if not interrupts.install():
        pytest.skip("SIGINT has a handler of someone else here")
    interrupts.enter_native()
    try:
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):  # the handler runs at the next bytecodes: nothing is raised
            if interrupts.pending():
                break
        assert interrupts.pending()
    except KeyboardInterrupt:
        pytest.fail("raised inside the native call")
    finally:
        with pytest.raises(KeyboardInterrupt):
            interrupts.leave_native()
    assert not interrupts.pending()
    with pytest.raises(KeyboardInterrupt):  # outside native calls it is raised at once
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):
            pass


def _wait_for_line(proc: subprocess.Popen, text: str) -> None:
    """Read the command's stderr until a line containing ``text`` (the synchronising event)."""
    for line in proc.stderr:
        if text in line:
            return
    raise AssertionError(f"ended before printing {text!r}: {proc.communicate()}")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_board_check_inside_its_long_ngspice_transient(tmp_path, signum):
    """The 143-edge board's ERC transient (about a minute of ngspice) runs in ngspice's
    background thread: the signal halts it instead of waiting for its end."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "COUPLED_CACHE_DIR": str(tmp_path / "c")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "coupled", "check-board", "--network", "jammed143"]
        + ["--out", str(tmp_path / "check")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for_line(proc, "transient of the full board")
    sent = time.monotonic()
    status, err = _stop(proc, signum)
    assert time.monotonic() - sent < GONE_WITHIN_S
    _assert_clean(status, err, "check-board")
    assert not (tmp_path / "check" / "erc.csv").exists()
