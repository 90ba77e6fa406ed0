"""Numbers in netlists: the one formatting every netlist generator uses.

Python's ``repr`` of a float is exact and round-trips, and ngspice reads it; NaN, infinities and
non-numbers are refused here, naming what they were for, before a netlist is written.
"""

from __future__ import annotations

import math

from coupled.core.errors import UserError


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
