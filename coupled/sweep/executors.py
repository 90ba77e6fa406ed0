"""Executors of a sweep: run :func:`coupled.sweep.worker.compute_point` serially, in a local
process pool or on Dask, and hand every outcome to a callback in the calling thread as soon as it
arrives (in completion order; the caller orders results).

``serial``
    In this process, in grid order.
``process``
    ``concurrent.futures.ProcessPoolExecutor`` with the ``forkserver`` start method, at most
    ``workers`` points in flight (so no backlog sits in the pool's queue; this also avoids the
    Python 3.11 deadlock of ``max_tasks_per_child`` with a backlog, CPython gh-115634). Each
    worker process holds its own ngspice; ``max_runs_per_worker`` replaces a process after that
    many runs. If a worker process dies the pool breaks and every point in flight is suspect:
    each suspect is retried once alone in a fresh process, so the point that kills its process
    fails (``status="failed"``) and the others complete; then the sweep goes on in a new pool.
``dask``
    A ``distributed.LocalCluster`` of ``workers`` single-threaded worker processes on the
    loopback interface (no dashboard), or the cluster whose scheduler is at ``scheduler``. One
    task per point. ``allowed-failures`` is 1 on a local cluster: a point whose worker dies is
    retried once on a worker, and a second death makes it a failed point (``KilledWorker``). On a
    remote scheduler the scheduler's own setting applies (see ``docs/scaling.md``).
    ``worker-saturation`` is 1.0, so a worker holds only the point it runs.

Which executor runs a point never changes its outcome (apart from ``wall_time_s`` and
``worker``): every point is a pure function of its configuration.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from coupled.core import interrupts
from coupled.core.errors import ParameterError
from coupled.core.options import check_choice, check_whole
from coupled.sweep.worker import PointOutcome, PointTask, compute_point, failed, first_line

EXECUTORS = ("serial", "process", "dask")
WORKER_DIED = "worker process died while running this point, twice (crash, kill or out of memory)"
_DASK_CONFIG = {
    "distributed.scheduler.allowed-failures": 1,
    "distributed.scheduler.worker-saturation": 1.0,
}

OnDone = Callable[[PointOutcome], None]


@dataclass(frozen=True)
class ExecutorOptions:
    """How to run the points: executor name, worker count, Dask scheduler, recycling.

    ``workers`` is the number of processes (``process``, local ``dask``; 0 with a remote
    scheduler, whose cluster has its own); ``scheduler`` the
    address of a running Dask scheduler (``dask`` only, instead of a local cluster);
    ``max_runs_per_worker`` replaces a pool process after that many runs (``process`` only).
    """

    kind: str = "serial"
    workers: int = 1
    scheduler: str | None = None
    max_runs_per_worker: int | None = None

    def describe(self) -> str:
        """One-line description for logs (e.g. ``process x2``)."""
        if self.kind == "dask" and self.scheduler:
            return f"dask at {self.scheduler}"
        return self.kind if self.kind == "serial" else f"{self.kind} x{self.workers}"


def available_cpus() -> int:
    """CPUs this process may use (the default worker count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def check_executor(
    kind: str,
    workers: int | None = None,
    scheduler: str | None = None,
    max_runs_per_worker: int | None = None,
) -> ExecutorOptions:
    """Checked executor options; ``UserError`` names a bad value or combination.

    ``workers`` defaults to 1 for ``serial`` and to the available CPUs otherwise.
    """
    check_choice("executor", kind, EXECUTORS)
    for name, value in (("workers", workers), ("max_runs_per_worker", max_runs_per_worker)):
        if value is not None:
            check_whole(name, value, 1)
    if scheduler is not None:
        if kind != "dask":
            raise ParameterError(
                f"{{scheduler}} {scheduler}: only with {{executor}} dask", "scheduler", "executor"
            )
        if workers is not None:
            raise ParameterError(
                f"{{workers}} {workers}: not with {{scheduler}} (the cluster has its own workers)",
                "workers",
                "scheduler",
            )
        if not str(scheduler).strip():
            raise ParameterError(
                "{scheduler}: empty; give an address such as tcp://host:8786", "scheduler"
            )
    if kind == "serial" and workers not in (None, 1):
        raise ParameterError(
            f"{{workers}} {workers}: the serial executor has one worker; use "
            "{executor} process or dask",
            "workers",
            "executor",
        )
    if max_runs_per_worker is not None and kind != "process":
        raise ParameterError(
            f"{{max_runs_per_worker}} {max_runs_per_worker}: only with {{executor}} process (Dask "
            "workers are recycled by Dask: dask worker --lifetime ... --lifetime-restart)",
            "max_runs_per_worker",
            "executor",
        )
    if workers is None:
        workers = 0 if scheduler else 1 if kind == "serial" else available_cpus()
    return ExecutorOptions(kind, workers, scheduler, max_runs_per_worker)


def execute(tasks: Sequence[PointTask], options: ExecutorOptions, on_done: OnDone) -> None:
    """Run every task with the chosen executor; ``on_done(outcome)`` for each, as it finishes."""
    if not tasks:
        return
    if options.kind == "serial":
        for task in tasks:
            on_done(compute_point(task))
    elif options.kind == "process":
        _run_process(tasks, options, on_done)
    else:
        _run_dask(tasks, options, on_done)


# -- local process pool ---------------------------------------------------------------------


def _context() -> multiprocessing.context.BaseContext:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["coupled.sweep.worker", "coupled.training.run"])
    return ctx


def _run_process(tasks: Sequence[PointTask], options: ExecutorOptions, on_done: OnDone) -> None:
    queue = deque(tasks)
    ctx = _context()
    while queue:
        suspects = _drain(queue, options, ctx, on_done)
        for task in suspects:
            on_done(_run_alone(task, ctx))


def _drain(queue: deque, options: ExecutorOptions, ctx, on_done: OnDone) -> list[PointTask]:
    """Run queued tasks in one pool until done or broken; returns the suspects of a break."""
    workers = options.workers
    with (
        ProcessPoolExecutor(
            workers,
            mp_context=ctx,
            max_tasks_per_child=options.max_runs_per_worker,
            initializer=interrupts.ignore_in_worker,
        ) as pool,
        interrupts.stopped_on_interrupt(pool),
    ):
        in_flight: dict = {}
        while queue or in_flight:
            while queue and len(in_flight) < workers:
                try:
                    future = pool.submit(compute_point, queue[0])
                except BrokenProcessPool:  # broke since the last wait: the point never started
                    return _settle(in_flight, on_done)
                in_flight[future] = queue.popleft()
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                task = in_flight.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    return [task, *_settle(in_flight, on_done)]
                except Exception as exc:  # noqa: BLE001 - e.g. an outcome that cannot be sent
                    outcome = failed(task, f"{type(exc).__name__}: {first_line(exc)}")
                on_done(outcome)
    return []


def _settle(in_flight: dict, on_done: OnDone) -> list[PointTask]:
    """After a break: deliver the in-flight points that did finish, return the others."""
    suspects = []
    wait(in_flight)
    for future, task in in_flight.items():
        if future.exception() is None:
            on_done(future.result())
        else:
            suspects.append(task)
    in_flight.clear()
    return suspects


def _run_alone(task: PointTask, ctx) -> PointOutcome:
    """Second attempt of a suspect point, alone in a fresh process."""
    with (
        ProcessPoolExecutor(1, mp_context=ctx, initializer=interrupts.ignore_in_worker) as pool,
        interrupts.stopped_on_interrupt(pool),
    ):
        try:
            return pool.submit(compute_point, task).result()
        except BrokenProcessPool:
            return failed(task, WORKER_DIED)
        except Exception as exc:  # noqa: BLE001
            return failed(task, f"{type(exc).__name__}: {first_line(exc)}")


# -- Dask -----------------------------------------------------------------------------------


def _run_dask(tasks: Sequence[PointTask], options: ExecutorOptions, on_done: OnDone) -> None:
    import uuid

    import dask
    from distributed import Client, KilledWorker, LocalCluster, as_completed

    with dask.config.set(_DASK_CONFIG):
        cluster = None
        try:
            if options.scheduler:
                client = _connect(Client, options.scheduler)
            else:
                cluster = LocalCluster(
                    n_workers=options.workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    scheduler_port=0,
                )
                client = Client(cluster)
            try:
                run = uuid.uuid4().hex[:8]
                futures = {
                    client.submit(
                        compute_point, t, key=f"coupled-point-{t.hash}-{run}", pure=False
                    ): t
                    for t in tasks
                }
                for future in as_completed(futures):
                    task = futures[future]
                    try:
                        outcome = future.result()
                    except KilledWorker:
                        outcome = failed(task, WORKER_DIED)
                    except Exception as exc:  # noqa: BLE001
                        outcome = failed(task, f"{type(exc).__name__}: {first_line(exc)}")
                    future.release()
                    on_done(outcome)
            finally:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()


def probe_scheduler(address: str) -> None:
    """Connect to a Dask scheduler and disconnect; ``UserError`` if it cannot be reached."""
    from distributed import Client

    _connect(Client, address).close()


def _connect(client_class, address: str):
    try:
        return client_class(address, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ParameterError(
            f"{{scheduler}} {address}: cannot connect ({first_line(exc)}); give the address a "
            "running dask scheduler prints, e.g. tcp://10.0.0.5:8786",
            "scheduler",
        ) from None
