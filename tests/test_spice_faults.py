"""ngspice faults, provoked for real: a missing library, an analysis that cannot converge, and
worker processes killed with SIGKILL in the middle of their work.

Nothing is mocked. The missing library is a subprocess whose ``NGSPICE_LIBRARY_PATH`` names a
file that is not there (or not ngspice); non-convergence is a circuit without any operating
point; dead workers are real processes found under the command's process tree and killed by
their id.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coupled.core.errors import SpiceError
from coupled.physics.catalogue import square_lattice
from coupled.physics.solver import solve
from coupled.spice.network import spice_solve
from coupled.spice.session import INSTALL_HINT

DIVIDER = "divider\nV1 in 0 1\nR1 in mid 1k\nR2 mid 0 1k\n"
# A current source that pushes node a down while it is above 0.5 V and up while it is below:
# V(a) = 1 kOhm * I(V(a)) has no solution, so Newton, gmin and source stepping all fail.
NO_OPERATING_POINT = "no fixed point\nR1 a 0 1k\nB1 0 a I = V(a) > 0.5 ? -1m : 2m\n"
NO_TRANSIENT = "no fixed point\nV1 in 0 pulse(0 1 0 1n 1n 5n 10n)\nR1 in a 1k\n" + (
    "B1 0 a I = V(a) > 0.5 ? -1m : 2m\n"
)


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "OPENBLAS_NUM_THREADS": "1", **extra}


def _coupled(*argv: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coupled", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_env(**env),
        timeout=180,
    )


# -- missing ngspice -----------------------------------------------------------------------------


@pytest.mark.parametrize("library", ["missing", "text_file", "other_library"])
def test_missing_library_gives_the_install_hint(tmp_path, library):
    fake = tmp_path / "libngspice.so"
    fake.write_text("not a shared library\n")
    path = {
        "missing": str(tmp_path / "nowhere" / "libngspice.so"),
        "text_file": str(fake),
        "other_library": "libm.so.6",  # a real shared library without ngspice's functions
    }[library]
    done = _coupled(
        "solve",
        "square:3x3",
        "--drive",
        "0=1",
        "--engine",
        "spice",
        cwd=tmp_path,
        NGSPICE_LIBRARY_PATH=path,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0].startswith("coupled solve: error: ")
    assert INSTALL_HINT in lines[0]
    assert "apt-get install ngspice libngspice0-dev" in lines[0]


def test_missing_library_in_python_and_the_exact_engine_still_works(tmp_path):
    code = (
        "from coupled.core.errors import SpiceNotFoundError\n"
        "from coupled.spice.network import smoke_test\n"
        "from coupled.physics.catalogue import experiment16\n"
        "from coupled.physics.solver import solve\n"
        "try:\n"
        "    smoke_test()\n"
        "except SpiceNotFoundError as exc:\n"
        "    print('refused:', exc)\n"
        "v = solve(experiment16(), {'I1': 1.0, 'I2': 0.0})\n"
        "print('ideal:', float(v.min()), float(v.max()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=_env(NGSPICE_LIBRARY_PATH="/nonexistent/libngspice.so"),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    refused, ideal = done.stdout.splitlines()
    assert refused.startswith("refused: ngspice shared library not found")
    assert "NGSPICE_LIBRARY_PATH=/nonexistent/libngspice.so" in refused
    assert ideal == "ideal: 0.0 1.0"  # maximum principle: node voltages within the drives
    done = _coupled(
        "train",
        "--network",
        "square:3x3",
        "--steps",
        "3",
        cwd=tmp_path,
        NGSPICE_LIBRARY_PATH="/nonexistent/libngspice.so",
    )
    assert done.returncode == 0 and "trained 1 task(s) for 3 steps" in done.stdout


def test_spice_engine_without_library_refuses_before_writing(tmp_path):
    argv = ["train", "--network", "square:3x3", "--steps", "2", "--engine", "spice", "--out", "run"]
    done = _coupled(*argv, cwd=tmp_path, NGSPICE_LIBRARY_PATH="/nonexistent.so")
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "coupled train: error: ngspice shared library not found "
        f"(NGSPICE_LIBRARY_PATH=/nonexistent.so); {INSTALL_HINT}"
    ]
    assert not (tmp_path / "run").exists()


def test_missing_library_found_late_leaves_no_output_folder(tmp_path):
    # calibrate checks its options, creates --out, then starts ngspice: the failure comes
    # after the folder exists, and the command line removes it again.
    done = _coupled(
        "calibrate",
        "--network",
        "experiment16",
        "--events",
        "phase",
        "--triggers",
        "20",
        "--p-triggers",
        "20",
        "--no-plots",
        "--out",
        "cal",
        cwd=tmp_path,
        NGSPICE_LIBRARY_PATH=str(tmp_path / "none.so"),
    )
    assert done.returncode == 2, done.stderr
    assert INSTALL_HINT in done.stderr.splitlines()[-1]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "cal").exists()


# -- an analysis that cannot converge ------------------------------------------------------------


def test_operating_point_without_solution_is_a_spice_error(session):
    session.load(NO_OPERATING_POINT, name="fault")
    with pytest.raises(SpiceError) as caught:
        session.op()
    message = str(caught.value)
    assert message.startswith("ngspice failed on 'op': ")
    assert "timestep too small" in message.lower() and 'node "a"' in message
    assert "\n" not in message
    # The session goes on: the failed circuit is still loaded and fails again the same way, and
    # a good circuit solves exactly.
    with pytest.raises(SpiceError, match="simulation\\(s\\) aborted"):
        session.op()
    session.load(DIVIDER, name="after")
    assert session.op()["v(mid)"] == pytest.approx(0.5, abs=1e-12)


def test_transient_without_solution_is_a_spice_error(session):
    session.load(NO_TRANSIENT, name="fault")
    with pytest.raises(SpiceError, match=r"ngspice failed on 'tran .*trouble with node \"a\""):
        session.tran(1e-10, 2e-8)
    assert not session.paused
    session.load("rc\nV1 in 0 1\nR1 in out 1k\nC1 out 0 1n ic=0\n", name="after")
    data = session.tran(1e-8, 3e-6, max_step_s=1e-8, uic=True)
    # RC charging: v(out) = 1 - exp(-t / RC) with RC = 1 us.
    expected = 1 - np.exp(-data["time"] / 1e-6)
    assert np.max(np.abs(data["v(out)"] - expected)) < 2e-3


def test_solver_agrees_with_numpy_after_a_failed_analysis(session):
    session.load(NO_OPERATING_POINT, name="fault")
    with pytest.raises(SpiceError):
        session.op()
    network = square_lattice(3, 4).with_resistance(np.linspace(100.0, 1200.0, 17))
    drive = {0: 1.5, 11: -0.5}
    assert np.allclose(spice_solve(network, drive), solve(network, drive), atol=1e-9)


# -- worker processes killed mid-run -------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _kill_busy_worker(parent: subprocess.Popen, is_worker, min_cpu_s: float) -> int:
    """SIGKILL the first process under ``parent`` that ``is_worker(pid)`` accepts once it has
    used ``min_cpu_s`` of CPU (so it is in the middle of its work); returns its id."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and parent.poll() is None:
        level = _children(parent.pid)
        candidates = level + [g for c in level for g in _children(c)]
        for pid in candidates:
            if is_worker(pid) and _cpu_s(pid) >= min_cpu_s:
                os.kill(pid, signal.SIGKILL)
                return pid
        time.sleep(0.05)
    raise AssertionError("no busy worker process appeared")


def _spice_worker_loop(ready) -> None:  # runs in a spawned process until it is killed
    network = square_lattice(4, 4)
    spice_solve(network, {0: 1.0, 15: 0.0})  # ngspice loaded and solving before the signal
    ready.set()
    while True:
        spice_solve(network, {0: 1.0, 15: 0.0})


def _spice_divider() -> float:
    from coupled.spice.network import smoke_test

    smoke_test()
    return float(spice_solve(square_lattice(1, 3), {0: 1.0, 2: 0.0})[1])


def test_killed_spice_worker_leaves_this_process_and_new_workers_working(session):
    ctx = get_context("spawn")
    ready = ctx.Event()
    worker = ctx.Process(target=_spice_worker_loop, args=(ready,), daemon=True)
    worker.start()
    try:
        assert ready.wait(60)  # it solves in ngspice from now on, until it is killed
        assert worker.is_alive()
        os.kill(worker.pid, signal.SIGKILL)
        worker.join(30)
        assert worker.exitcode == -signal.SIGKILL
    finally:
        if worker.is_alive():
            worker.kill()
    session.load(DIVIDER, name="after")
    assert session.op()["v(mid)"] == pytest.approx(0.5, abs=1e-12)
    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
        assert pool.submit(_spice_divider).result(timeout=120) == pytest.approx(0.5, abs=1e-12)


def _uses_ngspice(pid: int) -> bool:
    try:
        return "libngspice" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def test_killed_calibration_worker_is_reported_on_one_line(tmp_path):
    # The per-edge oscillator transients run in spawned worker processes, each with its own
    # ngspice; one is killed while it simulates. No race with the end of the calibration:
    # the test waits for the progress line of the long stage (13 biases x 20000 triggers per
    # edge, minutes of work) and for a worker that has loaded ngspice, then kills it.
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "coupled",
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
        ],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    try:
        while not any(line.startswith("calibrate: p against bias") for line in lines):
            line = proc.stderr.readline()
            assert line, f"calibrate ended before its long stage: {lines}"
            lines.append(line)
        _kill_busy_worker(
            proc, lambda pid: "spawn_main" in _cmdline(pid) and _uses_ngspice(pid), min_cpu_s=0
        )
        out, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = "".join(lines) + err
    last = err.strip().splitlines()[-1]
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    assert last.startswith("coupled calibrate: error: a worker process died")
    assert not (tmp_path / "cal").exists()


def test_sweep_recovers_a_worker_killed_mid_run(tmp_path):
    # Each point lasts seconds (40 000 steps), so the worker is killed in the middle of its
    # work once it has used 0.3 s of CPU, never after it finished.
    spec = tmp_path / "spec.toml"
    spec.write_text(
        '[base]\nnetwork = "jammed143"\nsteps = 40000\nlog_every = 10000\ncheckpoint_every = 0\n'
        "[grid]\np = [0.5, 1.0]\n"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "coupled",
            "sweep",
            str(spec),
            "--executor",
            "process",
            "--workers",
            "2",
            "--out",
            "sweep",
        ],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def is_pool_worker(pid: int) -> bool:  # a child of the forkserver, not the forkserver
        parents = [p for p in _children(proc.pid) if "forkserver" in _cmdline(p)]
        return any(pid in _children(p) for p in parents)

    try:
        killed = _kill_busy_worker(proc, is_pool_worker, min_cpu_s=0.3)
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    table = pd.read_csv(tmp_path / "sweep" / "results.csv")
    assert list(table["status"]) == ["ok", "ok"]
    workers = [
        json.loads((tmp_path / "sweep" / "points" / h / "point.json").read_text())["worker"]
        for h in table["hash"]
    ]
    assert len(workers) == 2 and not any(w.endswith(f":{killed}") for w in workers)
    # Every point as if nothing had happened: the same numbers as training it directly.
    from coupled.training.config import TrainConfig
    from coupled.training.run import train

    for row in table.itertuples():
        config = TrainConfig(
            network="jammed143", steps=40000, log_every=10000, checkpoint_every=0, p=row.p
        )
        history = train(config).history
        assert row.final_error == history["error"].iloc[-1]
    assert "swept 2 point(s)" in out and "failed 0" in out
