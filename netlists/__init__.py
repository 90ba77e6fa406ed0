"""The board's SPICE subcircuit library: one ``.lib`` file per physical part.

The ``.lib`` files live beside this module so they ship with the package. Each holds one
``.subckt`` whose header comment names the real part it stands for, its pins, parameters and
units. :mod:`coupled.circuits.library` finds and inlines them into netlists.
"""

from __future__ import annotations

from pathlib import Path

_FOLDER = Path(__file__).resolve().parent


def folder() -> Path:
    """The folder holding the ``.lib`` files (absolute path)."""
    return _FOLDER


def lib_path(name: str) -> Path:
    """Path of the library file ``<name>.lib`` (it may not exist; callers check)."""
    return _FOLDER / f"{name}.lib"
