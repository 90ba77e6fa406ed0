"""Atomic result writing and output-folder handling.

Contract
--------
* Every result file is written to a temporary file in the same folder and renamed into place
  (:func:`atomic_write`, :func:`write_json`, :func:`write_text`, :func:`write_table`), so a
  killed run never leaves a half-written file behind. A folder that cannot be created or
  written raises :class:`~coupled.core.errors.UserError` naming the path, never a bare ``OSError``.
* :func:`prepare_out_dir` checks an output folder before any result exists: it refuses an empty
  path, a file, and an existing non-empty folder unless the caller resumes or overwrites it, and
  proves the folder writable by creating and removing a probe file. When the probe fails, the
  folders it created are removed again, so a refused ``--out`` leaves nothing behind.
* :func:`check_out_file` checks the target of a single output file (``coupled netlist --out``)
  without creating anything.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coupled.core.errors import ParameterError, UserError, named


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Path):
        return str(value)
    return value


_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path: str | Path, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp_path)`` and rename the temporary file onto ``path``.

    Raises
    ------
    UserError
        When the folder of ``path`` cannot be created or written.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UserError(f"{path}: cannot write there ({_reason(exc)})") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        writer(tmp_path)
        # mkstemp creates 0600 files; results are shared like any other file (umask applies).
        os.chmod(tmp_path, 0o666 & ~_UMASK)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
    return path


def write_json(path: str | Path, data: Any) -> Path:
    """Write ``data`` as indented JSON, atomically; numpy values become plain numbers."""
    text = json.dumps(_jsonable(data), indent=2, allow_nan=True) + "\n"
    return atomic_write(path, lambda p: p.write_text(text))


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` atomically."""
    return atomic_write(path, lambda p: p.write_text(text))


def write_table(path: str | Path, frame: pd.DataFrame) -> Path:
    """Write a tidy table as CSV or Parquet (chosen by the suffix), atomically."""
    path = Path(path)
    if path.suffix == ".parquet":
        return atomic_write(path, lambda p: frame.to_parquet(p, index=False))
    return atomic_write(path, lambda p: frame.to_csv(p, index=False))


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _nearest_existing(path: Path) -> Path:
    """``path`` or its closest ancestor that exists (the current folder at worst)."""
    path = Path(os.path.abspath(path))
    while not os.path.lexists(path) and path != path.parent:
        path = path.parent
    return path


def _probe(folder: Path) -> None:
    """Create and remove a file in ``folder`` (raises ``OSError`` when that is impossible)."""
    fd, name = tempfile.mkstemp(prefix=".write-test-", dir=folder)
    os.close(fd)
    os.unlink(name)


def prepare_out_dir(
    path: str | Path,
    *,
    overwrite: bool = False,
    resume: bool = False,
    option: str = "out_dir",
    resumable: bool = True,
) -> Path:
    """Check that ``path`` can be written and create it.

    Parameters
    ----------
    path
        The output folder.
    overwrite
        Empty an existing, non-empty folder.
    resume
        Keep an existing, non-empty folder as it is.
    option
        The parameter that gave ``path``, as messages name it (the command line puts its flag in
        its place).
    resumable
        Whether the caller can resume (``train``: ``resume=True``, ``--resume``): the refusal of
        a non-empty folder suggests resuming only then (always ``overwrite=True``).

    Returns
    -------
    Path
        The folder, which exists and is writable.

    Raises
    ------
    ParameterError
        Naming the folder: an empty path, a file, a non-empty folder without ``resume`` or
        ``overwrite``, or a folder that cannot be created or written (folders created for the
        check are removed again).
    """
    label = named(option)
    if not str(path).strip():
        raise ParameterError(f"{label} {str(path)!r}: empty; give a folder path", option)
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ParameterError(f"{label} {path}: exists and is not a folder", option)
    if path.is_dir() and any(path.iterdir()) and not resume:
        if not overwrite:
            if not resumable:
                raise ParameterError(
                    f"{label} {path}: folder exists and is not empty; use {{overwrite=True}} "
                    "to replace it, or another folder",
                    option,
                    "overwrite=True",
                )
            raise ParameterError(
                f"{label} {path}: folder exists and is not empty; use {{resume=True}} to "
                "continue the run in it or {overwrite=True} to replace it",
                option,
                "resume=True",
                "overwrite=True",
            )
        shutil.rmtree(path)
    anchor = _nearest_existing(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        _probe(path)
    except OSError as exc:
        created = _first_created(anchor, path)
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise ParameterError(
            f"{label} {path}: cannot write there ({_reason(exc)})", option
        ) from None
    return path


def _first_created(anchor: Path, path: Path) -> Path | None:
    """The top folder between ``anchor`` (existed before) and ``path`` that exists now."""
    full = Path(os.path.abspath(path))
    if full == anchor or anchor not in full.parents:
        return None
    top = anchor / full.relative_to(anchor).parts[0]
    return top if top.is_dir() and not top.is_symlink() else None


def missing_anchor(path: str | Path) -> Path | None:
    """Before a command runs: the closest existing ancestor of ``path`` if ``path`` does not
    exist yet (pass it to :func:`remove_created` after a failure), else ``None``."""
    if not str(path).strip() or os.path.lexists(path):
        return None
    return _nearest_existing(Path(path))


def remove_created(path: str | Path, anchor: Path | None) -> None:
    """Remove what a failed command created at ``path`` (and the missing folders above it)
    since :func:`missing_anchor` returned ``anchor``; nothing when ``anchor`` is ``None``."""
    if anchor is None:
        return
    full = Path(os.path.abspath(path))
    top = _first_created(anchor, full)
    if top is not None:
        shutil.rmtree(top, ignore_errors=True)
    elif full.parent == anchor and os.path.lexists(full) and not full.is_dir():
        full.unlink()


def check_out_file(path: str | Path, *, option: str = "out_file") -> Path:
    """Check, without creating anything, that a single result file can be written at ``path``.

    Parameters
    ----------
    path
        The file to be written later (through :func:`atomic_write`).
    option
        The parameter that gave ``path``, as messages name it (the command line puts its flag in
        its place).

    Returns
    -------
    Path

    Raises
    ------
    ParameterError
        When ``path`` is empty or a folder, when the closest existing ancestor of its folder is
        not a folder, or when no file can be created there.
    """
    label = named(option)
    if not str(path).strip():
        raise ParameterError(f"{label} {str(path)!r}: empty; give a file path", option)
    path = Path(path)
    if path.is_dir():
        raise ParameterError(f"{label} {path}: is a folder; give a file path", option)
    anchor = _nearest_existing(path.parent)
    if not anchor.is_dir():
        raise ParameterError(
            f"{label} {path}: cannot write there ({anchor} is not a folder)", option
        )
    try:
        _probe(anchor)
    except OSError as exc:
        raise ParameterError(
            f"{label} {path}: cannot write there ({_reason(exc)})", option
        ) from None
    return path
