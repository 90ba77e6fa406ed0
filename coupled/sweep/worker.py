"""The unit of work of a sweep: one whole training run, as a pure function of its configuration.

:func:`compute_point` runs on a worker (this process, a pool process or a Dask worker). It trains
into a private temporary folder on the worker, reads the files that ``coupled train`` wrote there
(``history.csv``, ``final_state.json``, ``run.json``, events if recorded) and returns them as
bytes with the final errors. Workers never write into the sweep's output folder: the process
that runs the sweep is its only writer, so workers on other machines need no shared disk.

A run that raises is returned as a failed :class:`PointOutcome` (``status="failed"``, the
exception's class and first line in ``error``); it never propagates. A worker that dies (killed,
out of memory, a crash in native code) is handled by the executor (:mod:`coupled.sweep.executors`).

Testing hook: if the environment variable ``COUPLED_SWEEP_TEST_DIE`` is ``HASH`` the worker
process running that point exits at once with status 70 (as if it crashed); if it is
``HASH:PATH`` it does so only when ``PATH`` does not exist yet, creating it first (so the first
attempt dies and the retry succeeds). Never set it outside tests.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from coupled.core.errors import UserError
from coupled.core.version import __version__

STATUS_OK = "ok"
STATUS_FAILED = "failed"
TEST_DIE_ENV = "COUPLED_SWEEP_TEST_DIE"
"""Testing hook: see the module docstring."""
DIE_EXIT_STATUS = 70


@dataclass(frozen=True)
class PointTask:
    """What a worker needs to run one point: its hash, configuration (dict) and the version."""

    index: int
    hash: str
    config: dict
    version: str = __version__


@dataclass(frozen=True)
class PointOutcome:
    """A finished point: status, final errors per task, the run's files and where it ran.

    ``finals`` holds one dict per task (``task``, ``final_error``, ``final_scaled_error``,
    ``final_train_error``); ``files`` maps file names to their bytes.
    """

    index: int
    hash: str
    status: str
    error: str = ""
    finals: list[dict] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    engine: str = ""
    wall_time_s: float = float("nan")
    worker: str = ""
    version: str = __version__


def compute_point(task: PointTask) -> PointOutcome:
    """Train one point and return its outcome (never raises for a failing run).

    Parameters
    ----------
    task
        The point to run.

    Returns
    -------
    PointOutcome
    """
    _test_hook(task.hash)
    worker = f"{socket.gethostname()}:{os.getpid()}"
    started = time.perf_counter()
    if task.version != __version__:
        return failed(
            task, f"worker has coupled {__version__}, the sweep needs {task.version}", worker
        )
    try:
        return _train(task, worker, started)
    except Exception as exc:  # noqa: BLE001 - a failing run is data, not a crash of the sweep
        kind = "UserError" if isinstance(exc, UserError) else type(exc).__name__  # bad input
        outcome = failed(task, f"{kind}: {first_line(exc)}", worker)
        return _with_time(outcome, time.perf_counter() - started)


def failed(task: PointTask, error: str, worker: str = "") -> PointOutcome:
    """A failed outcome for ``task`` with a one-line ``error``."""
    return PointOutcome(
        index=task.index,
        hash=task.hash,
        status=STATUS_FAILED,
        error=error,
        worker=worker,
        engine=str(task.config.get("engine", "")),
    )


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message (or its class name)."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


def _train(task: PointTask, worker: str, started: float) -> PointOutcome:
    from coupled.training.config import TrainConfig
    from coupled.training.run import train

    config = TrainConfig.from_dict(task.config)
    with tempfile.TemporaryDirectory(prefix="coupled-point-") as tmp:
        out = Path(tmp) / "run"
        result = train(config, out, progress=False)
        files = {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}
    history = result.history
    last = history[history["step"] == result.state.step].sort_values("task")
    finals = [
        {
            "task": int(row.task),
            "final_error": float(row.error),
            "final_scaled_error": float(row.scaled_error),
            "final_train_error": float(row.train_error),
        }
        for row in last.itertuples(index=False)
    ]
    return PointOutcome(
        index=task.index,
        hash=task.hash,
        status=STATUS_OK,
        finals=finals,
        files=files,
        engine=_engine_name(files, config.engine),
        wall_time_s=time.perf_counter() - started,
        worker=worker,
    )


def _engine_name(files: dict[str, bytes], default: str) -> str:
    try:
        return str(json.loads(files["run.json"])["engine"])
    except (KeyError, ValueError):
        return default


def _with_time(outcome: PointOutcome, wall_time_s: float) -> PointOutcome:
    return replace(outcome, wall_time_s=wall_time_s)


def _test_hook(point_hash: str) -> None:
    spec: Any = os.environ.get(TEST_DIE_ENV)
    if not spec:
        return
    target, _, marker = spec.partition(":")
    if target != point_hash:
        return
    if marker:
        if Path(marker).exists():
            return
        Path(marker).touch()
    os._exit(DIE_EXIT_STATUS)
