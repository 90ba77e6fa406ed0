"""Engines: interchangeable back ends that carry out one learning step.

:data:`ENGINES` is the registry: engine name -> module and class. ``get_engine(name)`` imports
the module on demand and returns a fresh instance, so a run pays only for the engine it uses.
Built in: ``ideal`` (exact numpy solver), ``spice`` (ngspice twin networks) and ``circuit`` (the
whole learning board in ngspice). Adding an engine is one module with a subclass of
:class:`coupled.engines.base.Engine` and one line here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from coupled.core.errors import ParameterError

if TYPE_CHECKING:
    from coupled.engines.base import Engine

ENGINES: dict[str, tuple[str, str]] = {
    "circuit": ("coupled.engines.circuit", "CircuitEngine"),
    "ideal": ("coupled.engines.ideal", "IdealEngine"),
    "spice": ("coupled.engines.spice", "SpiceEngine"),
}
"""Engine name -> (module, class name)."""

__all__ = ["ENGINES", "available_engines", "check_engine_name", "engine_class", "get_engine"]


def available_engines() -> tuple[str, ...]:
    """Names of the engines, sorted (nothing is imported)."""
    return tuple(sorted(ENGINES))


def check_engine_name(name: str) -> str:
    """Return ``name`` if it names an engine, else raise ``UserError`` listing the engines."""
    if not isinstance(name, str) or name not in ENGINES:
        raise ParameterError(
            f"{{engine}} {name!r}: unknown engine; available: {', '.join(ENGINES)}", "engine"
        )
    return name


def engine_class(name: str) -> type[Engine]:
    """The engine class registered as ``name``."""
    module, cls = ENGINES[check_engine_name(name)]
    return getattr(importlib.import_module(module), cls)


def get_engine(name: str) -> Engine:
    """A new engine instance by name (``ideal``, ``spice``, ``circuit``)."""
    return engine_class(name)()
