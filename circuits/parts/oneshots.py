"""One-shots (role ``oneshot``): the self-triggered board's per-edge pulse gate.

The subcircuit ``oneshot_rc`` (``netlists/oneshot.lib``) is an RC delay and a 2-input AND gate
(10 kOhm and the capacitor of the pulse width, :func:`coupled.circuits.oneshot.delay_c_f`); both
parts below are single AND gates.

Datasheets (values as recorded here, to be checked before ordering):

``SN74LVC1G08DBVR`` (default)
    Texas Instruments, "SN74LVC1G08 Single 2-Input Positive-AND Gate" (SCES217): 1.65 V to
    5.5 V, 10 uA max static current.
``74AHC1G08GW``
    Nexperia, "74AHC1G08; 74AHCT1G08 2-input AND gate": 2.0 V to 5.5 V, 10 uA max static
    current over temperature (1 uA at 25 C).
"""

from __future__ import annotations

from dataclasses import dataclass

from coupled.circuits.parts.base import Part

LIBRARY, SUBCKT = "oneshot", "oneshot_rc"
"""The one-shot's ``.lib`` file and subcircuit (:mod:`coupled.circuits.oneshot` writes its
instances; not imported here: it refers to the board, which refers to the parts)."""
DELAY_R_OHM = 10_000.0
"""Delay resistor (ohm), :data:`coupled.circuits.DELAY_R_OHM`."""


@dataclass(frozen=True)
class OneShotPart(Part):
    """The AND gate of the RC one-shot."""

    delay_r_ohm: float = DELAY_R_OHM


PARTS = (
    OneShotPart(
        role="oneshot",
        part_number="SN74LVC1G08DBVR",
        manufacturer="Texas Instruments",
        package="SOT-23-5",
        datasheet="SN74LVC1G08 Single 2-Input Positive-AND Gate, SCES217",
        description="single AND gate with RC delay",
        supply_min_v=1.65,
        supply_max_v=5.5,
        quiescent_current_a=10e-6,
        figures=(("delay R", "10 kOhm"), ("I_CC", "10 uA max")),
        default=True,
        library=LIBRARY,
        subckt=SUBCKT,
    ),
    OneShotPart(
        role="oneshot",
        part_number="74AHC1G08GW",
        manufacturer="Nexperia",
        package="TSSOP-5",
        datasheet="74AHC1G08; 74AHCT1G08 2-input AND gate",
        description="single AND gate with RC delay",
        supply_min_v=2.0,
        supply_max_v=5.5,
        quiescent_current_a=10e-6,
        figures=(("delay R", "10 kOhm"), ("I_CC", "10 uA max")),
        library=LIBRARY,
        subckt=SUBCKT,
    ),
)
