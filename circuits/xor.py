"""The XOR gate of each edge's direction logic.

Subcircuit ``xor_74hc86`` (``netlists/xor.lib``): an analog XOR on supply-normalised levels,
``y = sa + sb - 2 sa sb``, exact at logic levels and below mid-supply exactly when the two
comparator outputs are on the same side of mid-supply. ``XXOR_<i>`` combines the comparators
``XCMPA_<i>`` and ``XCMPB_<i>``; the direction latch's complementary output is the XNOR, high
when the tap goes up.
"""

from __future__ import annotations

from coupled.spice.numbers import spice_number

SUBCKT = "xor_74hc86"
LIBRARY = "xor"


def xor_instance(name: str, a: str, b: str, out: str, low_v: float, high_v: float) -> str:
    """One instance line of ``xor_74hc86`` with logic levels ``low_v`` and ``high_v`` (V)."""
    return f"{name} {a} {b} {out} {SUBCKT} vlo={spice_number(low_v)} vhi={spice_number(high_v)}"
