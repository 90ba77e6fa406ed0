"""Atomic result writing and output-folder handling.

Every result file is written to a temporary file in the same folder and renamed into place, so a
killed run never leaves a half-written file behind. ``prepare_out_dir`` refuses to reuse an
existing, non-empty folder unless the caller resumes or overwrites it.
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

from coupled.errors import UserError


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


def atomic_write(path: str | Path, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp_path)`` and rename the temporary file onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        writer(tmp_path)
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


def prepare_out_dir(path: str | Path, *, overwrite: bool = False, resume: bool = False) -> Path:
    """Check that ``path`` can be written and create it.

    A folder that exists and is not empty is refused unless ``resume`` (keep it) or ``overwrite``
    (empty it) is set. Raises ``UserError`` naming the folder when it cannot be written.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"--out {path}: exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not resume:
        if not overwrite:
            raise UserError(
                f"--out {path}: folder exists and is not empty; "
                "use --resume to continue the run in it or --overwrite to replace it"
            )
        shutil.rmtree(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"--out {path}: cannot write there ({exc.strerror})") from None
    return path
