"""Engines: interchangeable back ends that carry out one learning step.

``get_engine(name)`` imports ``coupled.engines.<name>`` on demand and returns a fresh instance of
its ``ENGINE`` class, so adding an engine is adding a module with an ``ENGINE`` attribute (a
subclass of :class:`coupled.engines.base.Engine`); nothing here needs editing. Built in:
``ideal`` (exact numpy solver); ``spice`` (ngspice twin networks) and ``circuit`` (the whole
learning board in ngspice) live in their own modules.
"""

from __future__ import annotations

import importlib
import pkgutil

from coupled.engines.base import Engine, Measurement, StepDraws, TrainState
from coupled.errors import UserError

__all__ = ["Engine", "Measurement", "StepDraws", "TrainState", "available_engines", "engine_class",
           "get_engine"]

_NOT_ENGINES = {"base"}


def available_engines() -> tuple[str, ...]:
    """Names of the engine modules present in this installation (nothing is imported)."""
    return tuple(
        sorted(
            m.name
            for m in pkgutil.iter_modules(__path__)
            if not m.name.startswith("_") and m.name not in _NOT_ENGINES
        )
    )


def check_engine_name(name: str) -> str:
    """Return ``name`` if an engine module of that name exists, else raise ``UserError``."""
    names = available_engines()
    if name not in names:
        raise UserError(f"--engine {name!r}: unknown engine; available: {', '.join(names)}")
    return name


def engine_class(name: str) -> type[Engine]:
    """The engine class of module ``coupled.engines.<name>`` (its ``ENGINE`` attribute)."""
    module = importlib.import_module(f"coupled.engines.{check_engine_name(name)}")
    found = getattr(module, "ENGINE", None)
    if found is None:
        raise UserError(f"--engine {name!r}: module coupled.engines.{name} defines no ENGINE")
    return found


def get_engine(name: str) -> Engine:
    """A new engine instance by name (``ideal``, ``spice``, ``circuit``, ...)."""
    return engine_class(name)()
