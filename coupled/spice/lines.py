"""ngspice's text in and out: which output lines are errors, which commands are refused, how
vectors are named, how commands are joined.

ngspice reports everything on stderr, informational lines included; a line is an error only when
it matches :data:`ERROR_PATTERNS` (:func:`is_error_line`). The regular expressions here are what
:class:`coupled.spice.session.SpiceSession` checks commands and output against (see
``docs/ngspice.md`` for the traps behind them). Vector keys are ``"v(node)"`` for node voltages
and ``"i(element)"`` for branch currents (:func:`vector_key`, :func:`vector_name`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

from coupled.core.errors import SpiceError

MAX_COMMAND_CHARS = 1023
"""Longest command ngspice accepts through ``ngSpice_Command``."""
ERROR_PATTERNS: tuple[str, ...] = (
    r"^error",
    r"fatal error",
    r"^doanalyses:",
    r"simulation\(s\) aborted",
    r"simulation interrupted due to error",
    r"timestep too small",
    r"singular matrix",
    r"too many iterations",
    r"no such (vector|device|parameter|command|model|file)",
    r"is not available or has zero length",
    r"unknown (parameter|subckt|model|device|node|command)",
    r"could not find",
    r"circuit not parsed",
    r"cannot recover",
    r"command '\w+' failed",
    r"syntax error",
    r"undefined (parameter|function|variable|number)",
    r"not in the circuit",
)
"""Regular expressions (searched, case-insensitive) that make a stderr line an error."""

_ERROR_RE = re.compile("|".join(ERROR_PATTERNS), re.IGNORECASE)
CRASHING_RE = re.compile(r"(^|;)\s*(show(\s+all\b|\s*:|\s*;|\s*$)|quit\b|exit\b)", re.I)
"""Commands that crash the process in ngspice 39's shared library (refused)."""
CIRCUIT_COMMANDS_RE = re.compile(r"\b(source|remcirc|setcirc|circbyline)\b", re.I)
"""Commands that add, remove or switch circuits (the session re-reads the circuit list)."""
STOP_MET_RE = re.compile(r"condition met: stop", re.I)
"""stderr line of a met ``stop when`` condition (a paused transient)."""
INTERP_RE = re.compile(r"Interpolated raw file data")
"""stdout line of a transient stored with ``interp``."""
INTERP_OPTION_RE = re.compile(r"^\s*(\.options?\b.*\binterp\b|set\s+interp\b)", re.I)
"""A netlist line that sets ``interp`` (refused unless allowed)."""
PAUSE_LINES = (r"^doanalyses: pause requested", r"^simulation interrupted$")
"""stderr lines of a requested pause, which are not errors then."""
PROGRESS_RE = re.compile(r"^((Trying gmin|Supplies reduced to)\s*=?\s*[-+.\dEe%]+\s*)+")
"""Gmin and source stepping progress glued to the front of a stderr line."""
CIRCUIT_LINE_RE = re.compile(r"^(?:Current\s+)?(\d+)\s+(.*)$")
"""A line of ngspice's ``setcirc`` listing: number and title."""


def is_error_line(line: str, tolerate: Iterable[str] = ()) -> bool:
    """True when a stderr line of ngspice reports a failure (see :data:`ERROR_PATTERNS`).

    Parameters
    ----------
    line
        One line that ngspice wrote to stderr (without the ``"stderr "`` prefix).
    tolerate
        Extra regular expressions; a line matching one of them is never an error.
    """
    text = line.strip()
    if not _ERROR_RE.search(text):
        return False
    return not any(re.search(p, text, re.IGNORECASE) for p in tolerate)


def vector_key(vector_name: str) -> str:
    """The key of an ngspice vector name: ``"v(node)"``, ``"i(element)"`` or the name itself."""
    name = vector_name.lower()
    if name.endswith("#branch"):
        return f"i({name[: -len('#branch')]})"
    special = "(" in name or "[" in name or "#" in name  # e.g. XSPICE "a1#branch_1_0"
    if special or name in {"time", "frequency"} or name.endswith("-sweep"):
        return name
    return f"v({name})"


@functools.lru_cache(maxsize=65536)
def vector_name(key: str) -> bytes:
    """The ngspice vector name of a key, encoded for ``ngGet_Vec_Info``."""
    return plain_vector_name(key).encode()


def plain_vector_name(key: str) -> str:
    """The ngspice vector name of a key: ``"v(mid)"`` -> ``mid``, ``"i(v1)"`` -> ``v1#branch``."""
    name = key.strip().lower()
    if name.startswith("v(") and name.endswith(")") and "," not in name:
        return name[2:-1]
    if name.startswith("i(") and name.endswith(")"):
        return f"{name[2:-1]}#branch"
    return name


def strip_control(lines: list[str]) -> list[str]:
    """The netlist lines without ``.control`` ... ``.endc`` blocks."""
    kept, inside = [], False
    for line in lines:
        word = line.strip().lower()
        if word.startswith(".control"):
            inside = True
        elif word.startswith(".endc"):
            inside = False
        elif not inside:
            kept.append(line)
    return kept


def join_commands(parts: Sequence[str]) -> list[str]:
    """Commands joined with ``;`` into as few as fit :data:`MAX_COMMAND_CHARS` each."""
    chunks: list[str] = []
    current = ""
    for part in parts:
        if len(part) > MAX_COMMAND_CHARS:
            raise SpiceError(f"ngspice command too long ({len(part)} characters): {part[:60]}...")
        candidate = f"{current}; {part}" if current else part
        if len(candidate) > MAX_COMMAND_CHARS:
            chunks.append(current)
            candidate = part
        current = candidate
    if current:
        chunks.append(current)
    return chunks
