"""Memory available to a run and the refusal of a run that would not fit.

:func:`available_bytes` reads ``MemAvailable`` from ``/proc/meminfo`` (Linux; elsewhere the
free physical pages from ``sysconf``; ``None`` when neither is known, and then nothing is
refused). :func:`refuse_if_too_large` raises :class:`~coupled.core.errors.ParameterError` (exit
status 2, before anything is built) with one line naming the estimate, the memory available and
what the estimate counts.
"""

from __future__ import annotations

import os

from coupled.core.errors import ParameterError

GIB = 1024**3


def available_bytes() -> int | None:
    """Memory the system can give a new process without swapping (bytes), or ``None``."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return None


def refuse_if_too_large(parameter: str, value: object, estimate_bytes: float, counted: str) -> None:
    """Raise :class:`~coupled.core.errors.ParameterError` when ``estimate_bytes`` exceeds the
    memory available.

    Parameters
    ----------
    parameter, value
        The parameter that sizes the run and its value (e.g. ``"network"``,
        ``"square:300x300"``); the message names it (``--network`` on the command line).
    estimate_bytes
        The run's estimated peak memory (bytes).
    counted
        What the estimate counts, for the message.
    """
    free = available_bytes()
    if free is None or estimate_bytes <= free:
        return
    raise ParameterError(
        f"{{{parameter}}} {value}: needs about {estimate_bytes / GIB:.3g} GiB of memory "
        f"({counted}); {free / GIB:.3g} GiB available: use a smaller network or fewer tasks",
        parameter,
    )


__all__ = ["GIB", "available_bytes", "refuse_if_too_large"]
