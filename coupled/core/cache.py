"""A small on-disk cache of expensive, deterministic results (JSON files keyed by a hash).

Contract
--------
* The folder is ``COUPLED_CACHE_DIR`` when that variable is set and not empty, otherwise
  ``platformdirs.user_cache_dir("coupled")`` when platformdirs is installed, otherwise
  ``$XDG_CACHE_HOME/coupled`` or ``~/.cache/coupled`` (:func:`cache_dir`).
* An entry is one file ``<kind>-<hash>.json``; the hash is the SHA-256 of the canonical JSON of
  everything the result depends on (:func:`cache_key`), so a changed input is a different file:
  entries are never invalidated in place, a changed design simply misses.
* :func:`store` writes atomically (a temporary file in the same folder, renamed into place), so
  concurrent processes computing the same entry both succeed and a reader never sees half a
  file. A folder that cannot be written only costs the cache (nothing is raised).
* :func:`load` returns ``None`` for a missing entry and for one that cannot be read, is not
  valid JSON or records another key (a corrupted file is ignored; the caller recomputes and
  :func:`store` rewrites it). ``STATS`` counts hits, misses, invalid entries and writes of this
  process, for tests and reports.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from coupled.core.errors import UserError
from coupled.core.io import write_json
from coupled.core.version import __version__

ENV_VAR = "COUPLED_CACHE_DIR"
STATS: Counter = Counter()
"""Counts of this process: ``hits``, ``misses``, ``invalid`` (unreadable entries), ``writes``."""


def cache_dir() -> Path:
    """The cache folder (not created here); see the module docstring for the order of choice."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    try:
        import platformdirs
    except ImportError:
        base = os.environ.get("XDG_CACHE_HOME", "").strip()
        root = Path(base).expanduser() if base else Path.home() / ".cache"
        return root / "coupled"
    return Path(platformdirs.user_cache_dir("coupled"))


def cache_key(kind: str, inputs: Any) -> str:
    """SHA-256 hex digest of ``kind``, the package version and ``inputs`` (canonical JSON).

    Parameters
    ----------
    kind
        Name of the cached quantity (also the file name's prefix).
    inputs
        JSON-serialisable description of everything the result depends on.
    """
    text = json.dumps(
        {"kind": kind, "version": __version__, "inputs": inputs},
        sort_keys=True,
        separators=(",", ":"),
        allow_nan=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def entry_path(kind: str, key: str) -> Path:
    """The file of an entry."""
    return cache_dir() / f"{kind}-{key[:40]}.json"


def load(kind: str, key: str) -> dict | None:
    """The stored ``data`` of an entry, or ``None`` (missing or invalid; counted in STATS)."""
    path = entry_path(kind, key)
    try:
        text = path.read_text()
    except FileNotFoundError:
        STATS["misses"] += 1
        return None
    except OSError:
        STATS["invalid"] += 1
        return None
    try:
        entry = json.loads(text)
        if not isinstance(entry, dict) or entry.get("key") != key or "data" not in entry:
            raise ValueError("not an entry of this key")
    except ValueError:
        STATS["invalid"] += 1
        return None
    STATS["hits"] += 1
    return entry["data"]


def reject() -> None:
    """Count an entry whose data did not parse (the caller recomputes and stores it again)."""
    STATS["hits"] -= 1
    STATS["invalid"] += 1


def store(kind: str, key: str, data: Any, about: Any = None) -> Path | None:
    """Write an entry atomically; ``about`` is kept beside it for people reading the folder.

    Returns the file, or ``None`` when the folder cannot be written (the cache is skipped).
    """
    path = entry_path(kind, key)
    entry = {"kind": kind, "key": key, "version": __version__, "about": about, "data": data}
    try:
        write_json(path, entry)
    except (UserError, OSError):
        return None
    STATS["writes"] += 1
    return path


__all__ = ["ENV_VAR", "STATS", "cache_dir", "cache_key", "entry_path", "load", "reject", "store"]
