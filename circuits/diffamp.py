"""Difference stages of the board: each edge's free and clamped drops, without loading.

Subcircuit ``diffamp_ina`` (``netlists/diffamp.lib``) is an ideal unity-gain difference
amplifier (an instrumentation amplifier such as an INA128 at G = 1), written as a linear
voltage-controlled current source into 1 ohm: ``v(out) = gain * (v(ina) - v(inb))``, no current
drawn from the sensed nodes, no branch equation. Each edge ``i`` joining nodes ``a`` and ``b``
has three: ``XDIFF_<i>`` (free drop ``dV_F = V_F(a) - V_F(b)``), ``XDIFC_<i>`` (clamped drop
``dV_C``) and ``XDIFN_<i>`` (``-dV_F``, the same stage with its inputs swapped), which feed the
two decision comparators.
"""

from __future__ import annotations

from coupled.spice.numbers import spice_number

SUBCKT = "diffamp_ina"
LIBRARY = "diffamp"


def diffamp_instance(name: str, ina: str, inb: str, out: str, gain: float = 1.0) -> str:
    """One instance line of ``diffamp_ina``: ``v(out) = gain * (v(ina) - v(inb))``."""
    return f"{name} {ina} {inb} {out} {SUBCKT} gain={spice_number(gain, 'difference gain')}"
