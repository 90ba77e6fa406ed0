"""Numbers and text in netlists: the one formatting every netlist generator uses.

Python's ``repr`` of a float is exact and round-trips, and ngspice reads it; NaN, infinities and
non-numbers are refused here, naming what they were for, before a netlist is written.

Text that comes from a file (a network's name, its node names, any label) goes through
:func:`spice_text` before it reaches a netlist line, title and comments included: it keeps
printable ASCII and writes every other character as ``<U+XXXX>``, so such text can never end a
line and start one of its own (a planted ``.control`` block, say).
"""

from __future__ import annotations

import math

from coupled.core.errors import UserError

MAX_TEXT_CHARS = 120
"""Longest text :func:`spice_text` returns (longer text is cut and ends with ``...``)."""


def spice_text(text: object, limit: int = MAX_TEXT_CHARS) -> str:
    """Text from a file made safe for any netlist line (title or comment).

    Printable ASCII (space to ``~``) is kept except the backslash; every other character (line
    breaks of any kind, control characters, non-ASCII) becomes ``<U+XXXX>``. The result is at
    most ``limit`` characters.

    Parameters
    ----------
    text
        The text (anything; ``str()`` of it is used).
    limit
        Largest length of the result.

    Returns
    -------
    str
        One line of printable ASCII.

    Examples
    --------
    >>> spice_text("x\\n.control")
    'x<U+000A>.control'
    """
    safe = "".join(
        ch if " " <= ch <= "~" and ch != "\\" else f"<U+{ord(ch):04X}>" for ch in str(text)
    )
    return safe if len(safe) <= limit else safe[: max(0, limit - 3)] + "..."


def spice_number(value: float, what: str = "value") -> str:
    """A float as ngspice reads it back exactly (``repr`` of a Python float).

    Raises ``UserError`` naming ``what`` for values that are not finite numbers.
    """
    try:
        number = float(value)
    except OverflowError:
        raise UserError(f"{what} {str(value)[:20]}...: beyond the range of a double") from None
    except (TypeError, ValueError):
        raise UserError(f"{what} {value!r}: not a number") from None
    if not math.isfinite(number):
        raise UserError(f"{what} {value!r}: must be a finite number")
    return repr(number)
