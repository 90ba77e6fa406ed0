"""Checked option types shared by every subcommand (argparse ``type=`` callables).

Contract
--------
* Each ``type=`` callable (:data:`probability`, :data:`fraction`, :data:`positive_float`,
  :data:`nonnegative_float`, :data:`finite_float`, :data:`positive_int`,
  :data:`nonnegative_int`) takes the option's text and returns the parsed value, or raises
  ``argparse.ArgumentTypeError`` with a message that starts with the bad text and says what is
  allowed (``'nan' must be a finite number``, ``'0' must be in (0, 1]``, ``'abc' is not a whole
  number``), so ``coupled`` exits with status 2 and one line before any work starts.
* Library code (configs built from dicts, TOML or keyword arguments) checks values with the
  three ``check_*`` helpers, each raising :class:`coupled.core.errors.ParameterError` (a
  ``UserError``) about the parameter ``name`` (its Python name, e.g. ``p``: the command line
  puts its flag in its place) with one line ``"{name} {value}: {what is allowed}"`` and returning
  the checked value:
  :func:`check_range` (real numbers, never strings or booleans, in an interval),
  :func:`check_whole` (whole numbers: ``int`` or numpy integers, never booleans or floats,
  with optional bounds) and :func:`check_choice` (one of a tuple of names).
  :func:`is_whole` is the whole-number test alone, for messages phrased otherwise.
"""

from __future__ import annotations

import argparse
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from coupled.core.errors import ParameterError, named


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    return f"{left}{lo}, {hi}{right}"


def _problem(
    number: float,
    low: float | None,
    high: float | None,
    low_open: bool,
    high_open: bool,
) -> str | None:
    """Why ``number`` is not allowed (``None`` when it is)."""
    if not math.isfinite(number):
        return "must be a finite number"
    below = low is not None and (number <= low if low_open else number < low)
    above = high is not None and (number >= high if high_open else number > high)
    if below or above:
        return f"must be in {_interval(low, high, low_open, high_open)}"
    return None


def check_range(
    name: str,
    value: float,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a float if it is a finite real number within the bounds.

    Parameters
    ----------
    name
        The parameter, as the Python API calls it, e.g. ``"p"``.
    value
        The value to check: an ``int`` or ``float`` (numpy scalars too); strings and booleans
        are refused.
    low, high
        Bounds (``None``: unbounded).
    low_open, high_open
        Exclude the bound itself.

    Returns
    -------
    float

    Raises
    ------
    ParameterError
        ``"{name} {value}: must be in [low, high]"`` (or ``not a number``, ``must be a finite
        number``).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{named(name)} {value!r}: not a number", name)
    try:
        number = float(value)
    except OverflowError:  # a whole number beyond the float range
        number = math.inf if value > 0 else -math.inf
    problem = _problem(number, low, high, low_open, high_open)
    if problem is None:
        return number
    shown = f"{value}" if math.isfinite(number) or isinstance(value, int) else repr(number)
    raise ParameterError(f"{named(name)} {shown}: {problem}", name)


INT64_MAX = 2**63 - 1
"""Largest 64-bit integer; a bound equal to it is named ``2**63 - 1`` in messages."""


def is_whole(value: Any) -> bool:
    """True for a whole number: a Python ``int`` or numpy integer, but not a boolean."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _bound(value: int) -> str:
    return f"{value} (2**63 - 1)" if value == INT64_MAX else f"{value}"


def check_whole(name: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an ``int`` if it is a whole number within the bounds.

    Parameters
    ----------
    name
        The parameter, as the Python API calls it, e.g. ``"seed"`` or ``"n_disks"``.
    value
        The value to check: an ``int`` or numpy integer; floats (even ``2.0``), strings and
        booleans are refused.
    low, high
        Inclusive bounds (``None``: unbounded).

    Returns
    -------
    int

    Raises
    ------
    ParameterError
        ``"{name} {value!r}: must be a whole number >= {low}"`` when ``value`` is not a whole
        number (``"... must be a whole number"`` without ``low``). Out of range: the same line
        when only ``low`` is given (it states all that is allowed); with ``high`` as well,
        ``"{name} {value}: must be at least {low}"`` or ``"... must be at most {high}"``.
    """
    ranged = f" >= {low}" if low is not None else f" <= {high}" if high is not None else ""
    if not is_whole(value):
        raise ParameterError(f"{named(name)} {value!r}: must be a whole number{ranged}", name)
    number = int(value)
    below = low is not None and number < low
    above = high is not None and number > high
    if not (below or above):
        return number
    if high is None or low is None:
        raise ParameterError(f"{named(name)} {number!r}: must be a whole number{ranged}", name)
    if below:
        raise ParameterError(f"{named(name)} {number}: must be at least {_bound(low)}", name)
    raise ParameterError(f"{named(name)} {number}: must be at most {_bound(high)}", name)


def check_choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``allowed``.

    Parameters
    ----------
    name
        The parameter, as the Python API calls it, e.g. ``"executor"``.
    value
        The value to check; only strings can match.
    allowed
        The allowed values, in the order the message lists them.

    Returns
    -------
    str

    Raises
    ------
    ParameterError
        ``"{name} {value!r}: must be one of {a}, {b}, ..."``.
    """
    if isinstance(value, str) and value in tuple(allowed):
        return value
    raise ParameterError(
        f"{named(name)} {value!r}: must be one of {', '.join(map(str, allowed))}", name
    )


def _typed(
    name: str,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            number = float(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"{text!r} not a number") from None
        problem = _problem(number, low, high, low_open, high_open)
        if problem is not None:
            raise argparse.ArgumentTypeError(f"{text!r} {problem}")
        return number

    parse.__name__ = name
    return parse


def _integer(name: str, low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} must be at least {low}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"{value} must be at most {high}")
        return value

    parse.__name__ = name
    return parse


probability = _typed("probability", 0.0, 1.0, low_open=True)
"""A probability in (0, 1] (update probability p, batch fraction b, nudge eta)."""
fraction = _typed("fraction", 0.0, 1.0)
"""A fraction in [0, 1] (component tolerance)."""
positive_float = _typed("positive", 0.0, low_open=True)
"""A finite number > 0 (periods, rates)."""
nonnegative_float = _typed("non-negative", 0.0)
"""A finite number >= 0 (offsets, biases)."""
finite_float = _typed("number")
"""Any finite number (voltages)."""
positive_int = _integer("positive_int", 1)
"""A whole number >= 1 (counts)."""
nonnegative_int = _integer("nonnegative_int", 0)
"""A whole number >= 0 (seeds)."""


def int_range(low: int, high: int) -> Callable[[str], int]:
    """An argparse type for a whole number in [low, high] (counts that size memory or time)."""
    return _integer(f"int_{low}_{high}", low, high)
