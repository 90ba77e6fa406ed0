"""The board's subcircuit library: finding the ``.lib`` files, inlining them, writing numbers.

Every physical part of the board is one ``.subckt`` in its own file in the ``netlists`` package
(``netlists/<part>.lib``; see :func:`coupled.netlists.folder`). A generated netlist inlines the
files it
uses (:func:`inline_library`), so it runs in standalone ``ngspice -b`` anywhere and loads in the
shared-library session without ``.include`` paths. Each file is checked to define exactly the
subcircuit the generator expects (:func:`library_file`), and each file is inlined once.
Numbers go into netlists through :func:`coupled.spice.spice_number` (exact, finite).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from coupled import netlists
from coupled.core.errors import UserError

_SUBCKT_RE = re.compile(r"^\s*\.subckt\s+(\S+)", re.IGNORECASE | re.MULTILINE)


def subckt_names(text: str) -> list[str]:
    """Names of the subcircuits defined in a netlist or library text (lower case)."""
    return [m.lower() for m in _SUBCKT_RE.findall(text)]


def library_file(part: str) -> Path:
    """The ``.lib`` file of a part (``"pot"`` -> ``netlists/pot.lib``); it must exist."""
    path = netlists.lib_path(part)
    if not path.is_file():
        raise UserError(f"library part {part!r}: no file {path}")
    return path


def inline_library(paths: Iterable[Path]) -> str:
    """The text of the given library files, each once, between banner comments.

    Raises ``UserError`` if two files define the same subcircuit.
    """
    blocks: list[str] = []
    seen_files: set[Path] = set()
    defined: dict[str, Path] = {}
    for path in paths:
        path = Path(path).resolve()
        if path in seen_files:
            continue
        seen_files.add(path)
        text = path.read_text().strip("\n")
        for name in subckt_names(text):
            if name in defined:
                raise UserError(f"subcircuit {name} defined twice ({defined[name]} and {path})")
            defined[name] = path
        blocks.append(f"* ---- begin {path.name} ----\n{text}\n* ---- end {path.name} ----")
    return "\n".join(blocks)
