"""Finding and opening the ngspice shared library, and the ctypes types of its API.

:func:`open_library` loads ``NGSPICE_LIBRARY_PATH`` if set, else ``libngspice.so``
(``libngspice0-dev``), else ``libngspice.so.0`` (``libngspice0``); a missing library raises
:class:`~coupled.core.errors.SpiceNotFoundError` with :data:`INSTALL_HINT`. The callback types
(:data:`SendChar`, :data:`SendStat`, :data:`ControlledExit`) and :class:`VectorInfo` are the C
signatures of ``sharedspice.h`` that :class:`coupled.spice.session.SpiceSession` declares.
"""

from __future__ import annotations

import ctypes
import os
import re

from coupled.core.errors import SpiceNotFoundError

MIN_VERSION = 30
"""Oldest ngspice release accepted (the package is tested with 39)."""
INSTALL_HINT = (
    "install it with 'apt-get install ngspice libngspice0-dev' (or 'make setup'), "
    "or point NGSPICE_LIBRARY_PATH at libngspice.so"
)
VERSION_RE = re.compile(r"ngspice-(\d+)")
"""The version in ngspice's banner or ``version -s`` output (group 1: the major number)."""


class VectorInfo(ctypes.Structure):
    """``vector_info`` of ``sharedspice.h``: what ``ngGet_Vec_Info`` returns."""

    _fields_ = [
        ("v_name", ctypes.c_char_p),
        ("v_type", ctypes.c_int),
        ("v_flags", ctypes.c_short),
        ("v_realdata", ctypes.POINTER(ctypes.c_double)),
        ("v_compdata", ctypes.c_void_p),
        ("v_length", ctypes.c_int),
    ]


SendChar = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p)
"""Callback receiving each line ngspice prints (``"stdout ..."`` or ``"stderr ..."``)."""
SendStat = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p)
"""Callback receiving simulation status text."""
ControlledExit = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_int, ctypes.c_bool, ctypes.c_bool, ctypes.c_int, ctypes.c_void_p
)
"""Callback ngspice calls when it wants to exit (status, unload, quit, ident, user data)."""
SendData = ctypes.c_void_p
"""Placeholder type of the per-time-point data callbacks (not used: passed as NULL)."""
BGThreadRunning = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_bool, ctypes.c_int, ctypes.c_void_p)
"""Callback ngspice calls when its background thread starts (False) and ends (True)."""


def open_library() -> tuple[ctypes.CDLL, str]:
    """Load the ngspice shared library; return it and the file it was loaded from.

    Raises
    ------
    SpiceNotFoundError
        When no candidate loads (the message names what was tried and how to install it).
    """
    explicit = os.environ.get("NGSPICE_LIBRARY_PATH")
    candidates = [explicit] if explicit else ["libngspice.so", "libngspice.so.0"]
    errors = []
    for name in candidates:
        try:
            lib = ctypes.CDLL(name)
        except OSError as exc:
            errors.append(str(exc))
            continue
        return lib, _resolved_path(name)
    where = f"NGSPICE_LIBRARY_PATH={explicit}" if explicit else "libngspice.so or libngspice.so.0"
    raise SpiceNotFoundError(f"ngspice shared library not found ({where}); {INSTALL_HINT}")


def _resolved_path(name: str) -> str:
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                if "libngspice" in line and "/" in line:
                    return line[line.index("/") :].strip()
    except OSError:
        pass
    return name
