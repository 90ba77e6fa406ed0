"""Sweeps: a grid of training runs on serial, process or Dask executors, resumable, tidy results.

``run_sweep(plan, out_dir)`` runs every point of a :class:`~coupled.sweep.spec.SweepPlan` (see
:mod:`coupled.sweep.spec` for the TOML spec) that is not already in ``out_dir`` and writes:

``points/<hash>/``
    One folder per finished point, named by its hash (configuration + network content +
    package version): the run's ``history.csv``, ``final_state.json``, ``run.json`` (as
    ``coupled train`` writes them) and ``point.json`` (config, seed, version, final errors per
    task, wall time, worker). A folder is filled under a temporary name and renamed into place,
    so it is complete or absent, whatever kills the sweep.
``results.parquet``, ``results.csv``
    One row per grid point and task, in grid order then task: ``point`` (grid index), ``hash``,
    ``status`` (``ok``/``failed``), ``error``, every option of the resolved configuration
    (``engine_options`` and ``parts`` as JSON; ``task`` is the task kind), ``task_index``,
    ``final_error``, ``final_scaled_error``, ``final_train_error``, ``version``, and last
    ``wall_time_s`` (the point's training time).
    Apart from :data:`VOLATILE_COLUMNS` the table is a function of the spec alone: bit-identical
    whatever the executor, the worker count, and however often the sweep was interrupted.
``sweep.json``, ``spec.toml``
    The spec, version, executor, counts (points, computed, reused, failed), failures, wall time.

Resume: a point whose folder exists is read, not recomputed; a point that failed is recomputed
on the next run. A changed spec changes the hashes of the points it changes, so stale folders are
never used (they stay on disk, unreferenced). One sweep at a time may use a folder (a lock file).
Failures: a point that raises, or whose worker dies twice, is a ``failed`` row with its error;
the sweep continues and :attr:`SweepResult.n_failed` counts them.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from coupled.core.errors import ParameterError, UserError
from coupled.core.io import prepare_out_dir, write_json, write_table, write_text
from coupled.core.version import __version__
from coupled.sweep.executors import ExecutorOptions, check_executor, execute, probe_scheduler
from coupled.sweep.spec import SweepPlan, SweepPoint
from coupled.sweep.worker import STATUS_FAILED, STATUS_OK, PointOutcome, PointTask
from coupled.training.config import TrainConfig

POINTS_DIR = "points"
POINT_FILE = "point.json"
RESULT_NAME = "results"
VOLATILE_COLUMNS = ("wall_time_s",)
"""Columns that depend on the machine and the moment, not on the spec (leave out to compare)."""
FINAL_COLUMNS = ("final_error", "final_scaled_error", "final_train_error")
_LOCK = ".sweep.lock"
_PARTIAL = ".partial-"


@dataclass(frozen=True, eq=False)
class SweepResult:
    """Outcome of :func:`run_sweep`: the results table, the folder and the counts."""

    table: pd.DataFrame
    out_dir: Path
    n_points: int
    n_computed: int
    n_reused: int
    n_failed: int
    wall_time_s: float

    @property
    def failures(self) -> pd.DataFrame:
        """One row per failed point: ``point``, ``hash``, ``error``."""
        bad = self.table[self.table["status"] == STATUS_FAILED]
        return bad.drop_duplicates("point")[["point", "hash", "error"]].reset_index(drop=True)


def run_sweep(
    plan: SweepPlan,
    out_dir: str | Path,
    *,
    executor: ExecutorOptions | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool | None = None,
) -> SweepResult:
    """Run the points of ``plan`` that ``out_dir`` lacks and write the results.

    Parameters
    ----------
    plan
        Validated points (:func:`coupled.sweep.spec.plan_sweep`).
    out_dir
        Output folder; a non-empty folder needs ``resume`` (continue it) or ``overwrite``
        (empty it first), as for ``coupled train``.
    executor
        Where to run (default serial; see :func:`coupled.sweep.executors.check_executor`).
    resume, overwrite
        See ``out_dir``; they exclude each other.
    progress
        tqdm bar over points on stderr; ``None`` shows it only when stderr is a terminal.

    Returns
    -------
    SweepResult
    """
    started = time.perf_counter()
    executor = executor or check_executor("serial")
    if resume and overwrite:
        raise ParameterError(
            "{resume=True} and {overwrite=True} exclude each other", "resume=True", "overwrite=True"
        )
    if executor.scheduler:
        probe_scheduler(executor.scheduler)
    if (Path(out_dir) / _LOCK).is_file():
        with _locked(Path(out_dir)):  # refuses (UserError) while another sweep runs there
            pass
    out = prepare_out_dir(out_dir, overwrite=overwrite, resume=resume)
    with _locked(out):
        points_dir = out / POINTS_DIR
        points_dir.mkdir(exist_ok=True)
        _remove_partials(points_dir)
        if plan.spec.text:
            write_text(out / "spec.toml", plan.spec.text)
        done = {p.hash for p in plan.points if (points_dir / p.hash / POINT_FILE).is_file()}
        todo = [p for p in plan.points if p.hash not in done]
        _write_summary(
            out,
            plan,
            executor,
            started,
            status="running",
            counts={"points": len(plan.points), "reused": len(done), "to_compute": len(todo)},
        )
        failures: dict[str, PointOutcome] = {}
        bar = _progress_bar(len(plan.points), len(done), progress)
        by_hash = {p.hash: p for p in plan.points}

        def on_done(outcome: PointOutcome) -> None:
            if outcome.status == STATUS_OK:
                store_point(points_dir, outcome, by_hash[outcome.hash])
            else:
                failures[outcome.hash] = outcome
            bar.update(1)

        try:
            tasks = [PointTask(p.index, p.hash, p.config.to_dict()) for p in todo]
            execute(tasks, executor, on_done)
        finally:
            bar.close()
        table = build_table(plan, points_dir, failures)
        write_table(out / f"{RESULT_NAME}.parquet", table)
        write_table(out / f"{RESULT_NAME}.csv", table)
        result = SweepResult(
            table=table,
            out_dir=out,
            n_points=len(plan.points),
            n_computed=len(todo),
            n_reused=len(done),
            n_failed=len(failures),
            wall_time_s=time.perf_counter() - started,
        )
        _write_summary(
            out,
            plan,
            executor,
            started,
            status="finished",
            counts={
                "points": result.n_points,
                "computed": result.n_computed,
                "reused": result.n_reused,
                "failed": result.n_failed,
            },
            failures=result.failures,
        )
    return result


def store_point(points_dir: Path, outcome: PointOutcome, point: SweepPoint) -> Path:
    """Write a finished point's folder atomically (fill a temporary folder, rename it)."""
    final = points_dir / outcome.hash
    if (final / POINT_FILE).is_file():
        return final
    partial = points_dir / f"{_PARTIAL}{outcome.hash}-{os.getpid()}"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir()
    for name, data in outcome.files.items():
        (partial / name).write_bytes(data)
    meta = {
        "hash": outcome.hash,
        "config": point.config.to_dict(),
        "seed": point.config.seed,
        "version": outcome.version,
        "engine": outcome.engine,
        "finals": outcome.finals,
        "wall_time_s": outcome.wall_time_s,
        "worker": outcome.worker,
        "files": sorted(outcome.files),
    }
    write_json(partial / POINT_FILE, meta)
    if final.exists():  # an incomplete folder left by something else: replace it
        shutil.rmtree(final)
    os.rename(partial, final)
    return final


def build_table(
    plan: SweepPlan, points_dir: Path, failures: dict[str, PointOutcome] | None = None
) -> pd.DataFrame:
    """The tidy results table of ``plan`` from the point folders and this run's failures."""
    failures = failures or {}
    rows = []
    for point in plan.points:
        options = _option_columns(point.config)
        head = {"point": point.index, "hash": point.hash}
        meta_path = points_dir / point.hash / POINT_FILE
        if point.hash not in failures and meta_path.is_file():
            meta = json.loads(meta_path.read_text())
            for final in meta["finals"]:
                rows.append(
                    {
                        **head,
                        "status": STATUS_OK,
                        "error": "",
                        **options,
                        "task_index": int(final["task"]),
                        **{c: float(final[c]) for c in FINAL_COLUMNS},
                        "version": meta["version"],
                        "wall_time_s": float(meta["wall_time_s"]),
                    }
                )
            continue
        outcome = failures.get(point.hash)
        error = outcome.error if outcome is not None else "not run"
        wall = outcome.wall_time_s if outcome is not None else math.nan
        first = point.config.first_task
        for task in range(first, first + point.config.tasks):
            rows.append(
                {
                    **head,
                    "status": STATUS_FAILED,
                    "error": error,
                    **options,
                    "task_index": task,
                    **dict.fromkeys(FINAL_COLUMNS, math.nan),
                    "version": __version__,
                    "wall_time_s": float(wall),
                }
            )
    table = pd.DataFrame(rows)
    return table.astype(
        {"point": np.int64, "task_index": np.int64, **dict.fromkeys(FINAL_COLUMNS, np.float64)}
    )


def load_results(out_dir: str | Path) -> pd.DataFrame:
    """Read ``results.parquet`` of a sweep folder (``UserError`` if there is none)."""
    path = Path(out_dir) / f"{RESULT_NAME}.parquet"
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise UserError(f"{out_dir}: no sweep results ({exc})") from None


def load_histories(out_dir: str | Path) -> pd.DataFrame:
    """All histories of a finished sweep's points in one tidy table.

    Columns ``point``, ``hash`` and the training history (``task_index`` (the history's ``task``),
    ``step``, ``steps_x_p``, ``error``, ``scaled_error``, ``train_error``), for the points with
    ``status == "ok"``; join with :func:`load_results` on ``point`` and ``task_index``.
    """
    out = Path(out_dir)
    results = load_results(out)
    frames = []
    ok = results[results["status"] == STATUS_OK].drop_duplicates("point")
    for point, digest in zip(ok["point"], ok["hash"], strict=True):
        history = pd.read_csv(out / POINTS_DIR / digest / "history.csv")
        history = history.rename(columns={"task": "task_index"})
        frames.append(history.assign(point=point, hash=digest))
    if not frames:
        return pd.DataFrame(columns=["point", "hash"])
    table = pd.concat(frames, ignore_index=True)
    return table[["point", "hash", *[c for c in table.columns if c not in ("point", "hash")]]]


def comparable(table: pd.DataFrame) -> pd.DataFrame:
    """The table without :data:`VOLATILE_COLUMNS` (what must match across executors)."""
    return table.drop(columns=[c for c in VOLATILE_COLUMNS if c in table.columns])


# -- helpers --------------------------------------------------------------------------------


def _option_columns(config: TrainConfig) -> dict:
    from coupled.sweep.spec import ENGINE_OPTION_KEYS

    data = config.to_dict()
    shorthands = {k: v for k, v in data["engine_options"].items() if k in ENGINE_OPTION_KEYS}
    data["engine_options"] = json.dumps(data["engine_options"], sort_keys=True)
    data["parts"] = json.dumps(data["parts"], sort_keys=True)
    return {**data, **shorthands}


def _remove_partials(points_dir: Path) -> None:
    for path in points_dir.glob(f"{_PARTIAL}*"):
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    with open(out / _LOCK, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ParameterError(
                f"{{out_dir}} {out}: another sweep is running in this folder", "out_dir"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _progress_bar(total: int, initial: int, progress: bool | None):
    from tqdm import tqdm

    show = sys.stderr.isatty() if progress is None else progress
    return tqdm(total=total, initial=initial, disable=not show, file=sys.stderr, unit="point")


def _write_summary(
    out: Path,
    plan: SweepPlan,
    executor: ExecutorOptions,
    started: float,
    *,
    status: str,
    counts: dict,
    failures: pd.DataFrame | None = None,
) -> None:
    summary = {
        "status": status,
        "spec": plan.spec.to_dict(),
        "version": __version__,
        "executor": {
            "kind": executor.kind,
            "workers": executor.workers,
            "scheduler": executor.scheduler,
            "max_runs_per_worker": executor.max_runs_per_worker,
        },
        "counts": counts,
        "failures": [] if failures is None else failures.to_dict(orient="records"),
        "wall_time_s": time.perf_counter() - started,
    }
    write_json(out / "sweep.json", summary)
