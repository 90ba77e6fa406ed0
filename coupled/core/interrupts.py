"""Ctrl-C (SIGINT) and SIGTERM as ``KeyboardInterrupt``, also while native code calls back.

Python runs signal handlers in the main thread between bytecodes. While ngspice (a C library
called through ctypes) calls back into Python to hand over its output, a ``KeyboardInterrupt``
raised by the default handler lands inside the callback, where ctypes prints "Exception ignored
on calling ctypes callback function" and drops it: the run goes on. The handler here raises
``KeyboardInterrupt`` as the default one does, except inside a native call (between
:func:`enter_native` and :func:`leave_native`), where it only notes the signal;
:func:`leave_native` raises it as soon as the native call has returned.

:func:`install` puts the handler on SIGINT (and, for the command line, SIGTERM), and
:func:`ignore_in_worker` keeps worker processes from reacting to a terminal's Ctrl-C on their
own: the parent stops them with :func:`stop_pool` (pending work cancelled, running workers
terminated), so a pool never makes an interrupted command wait for work it no longer needs.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_MAIN_THREAD_ID = threading.main_thread().ident
_depth = 0  # nesting of native calls in the main thread
_pending: int | None = None  # the signal noticed during a native call, not yet raised


def _handler(signum: int, frame: object) -> None:
    global _pending
    if _depth > 0:
        _pending = signum
        return
    raise KeyboardInterrupt(signal.Signals(signum).name)


def install(*, terminate: bool = False) -> bool:
    """Install the handler on SIGINT (and SIGTERM with ``terminate``) in the main thread.

    SIGINT gets it only when it still has Python's default handler (a handler someone else
    installed is kept). Returns whether SIGINT now has it; does nothing outside the main thread.
    """
    if threading.get_ident() != _MAIN_THREAD_ID:
        return False
    if signal.getsignal(signal.SIGINT) in (signal.default_int_handler, _handler):
        signal.signal(signal.SIGINT, _handler)
    if terminate:
        signal.signal(signal.SIGTERM, _handler)
    return signal.getsignal(signal.SIGINT) is _handler


def enter_native() -> None:
    """Mark the start of a native call (in the main thread; elsewhere nothing happens)."""
    global _depth
    if threading.get_ident() == _MAIN_THREAD_ID:
        _depth += 1


def leave_native() -> None:
    """Mark the end of a native call; raises ``KeyboardInterrupt`` for a signal noticed in it."""
    global _depth, _pending
    if threading.get_ident() != _MAIN_THREAD_ID:
        return
    _depth = max(0, _depth - 1)
    if _depth == 0 and _pending is not None:
        signum, _pending = _pending, None
        raise KeyboardInterrupt(signal.Signals(signum).name)


def pending() -> bool:
    """Whether a signal arrived during the current native call (it is raised on leaving)."""
    return _pending is not None


def ignore_in_worker() -> None:
    """Pool initializer: ignore SIGINT in a worker process (its parent stops it).

    Also gives tqdm a thread lock instead of its default multiprocessing one: a worker that is
    terminated cannot unlink that lock's semaphore, and multiprocessing's resource tracker then
    warns about "leaked semaphore objects" after the interrupted command has ended.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return
    tqdm.set_lock(threading.RLock())


def stop_pool(pool: Any) -> None:
    """Stop a ``ProcessPoolExecutor`` now: cancel pending work, terminate running workers."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
    pool.shutdown(wait=True)  # the pool's manager thread sees the dead workers and cleans up


@contextmanager
def stopped_on_interrupt(pool: Any) -> Iterator[Any]:
    """``with ProcessPoolExecutor(...) as pool, stopped_on_interrupt(pool):`` stops the pool
    (:func:`stop_pool`) when ``KeyboardInterrupt`` leaves the block, instead of waiting for it."""
    try:
        yield pool
    except KeyboardInterrupt:
        stop_pool(pool)
        raise
