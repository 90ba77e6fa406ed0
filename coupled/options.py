"""Checked option types shared by every subcommand (argparse ``type=`` callables).

Each returns the parsed value or raises ``argparse.ArgumentTypeError`` with a message that names
the bad value and the allowed range, so ``coupled`` exits with status 2 and one line before any
work starts. The same checks are available to library code through :func:`check_range`.
"""

from __future__ import annotations

import argparse
import math

from coupled.errors import UserError


def check_range(
    name: str,
    value: float,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` if it is a finite number within the bounds, else raise ``UserError``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{name} {value!r}: not a number") from None
    if not math.isfinite(number):
        raise UserError(f"{name} {value!r}: must be a finite number")
    below = low is not None and (number <= low if low_open else number < low)
    above = high is not None and (number >= high if high_open else number > high)
    if below or above:
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        interval = f"{'(' if low_open or low is None else '['}{lo}, {hi}{')' if high_open or high is None else ']'}"
        raise UserError(f"{name} {value}: must be in {interval}")
    return number


def _typed(name: str, **bounds):
    def parse(text: str) -> float:
        try:
            return check_range(name, text, **bounds)
        except UserError as exc:
            raise argparse.ArgumentTypeError(str(exc).split(": ", 1)[1]) from None

    parse.__name__ = name
    return parse


def _integer(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} must be at least {low}")
        return value

    return parse


probability = _typed("probability", low=0.0, high=1.0, low_open=True)
"""A probability in (0, 1] (update probability p, batch fraction b, nudge eta)."""
fraction = _typed("fraction", low=0.0, high=1.0)
"""A fraction in [0, 1] (component tolerance)."""
positive_float = _typed("positive", low=0.0, low_open=True)
nonnegative_float = _typed("non-negative", low=0.0)
finite_float = _typed("number")
positive_int = _integer(1)
nonnegative_int = _integer(0)
