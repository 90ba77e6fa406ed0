"""Oscillators (role ``oscillator``): each edge's relaxation oscillator (a CMOS 555 astable).

The subcircuit ``osc_relax`` (``netlists/oscillator.lib``) is a CMOS 555 in the astable that
charges its timing capacitor from its own rail-to-rail output (thresholds 1/3 and 2/3 of the
supply); timing parts 15 kOhm and 1 nF (20.8 us period), drawn with the board's tolerance
(:func:`coupled.circuits.oscillator.draw_oscillators`). Both parts have rail-to-rail CMOS
outputs, as the model needs.

Datasheets (values as recorded here, to be checked before ordering):

``TLC555CDR`` (default)
    Texas Instruments, "TLC555 LinCMOS Timer" (SLFS043): 2 V to 15 V, thresholds VDD/3 and
    2 VDD/3, CMOS output. Power-budget figure 0.5 mA (model: timer plus timing network).
``LMC555CMX/NOPB``
    Texas Instruments, "LMC555 CMOS Timer" (SNAS558): 1.5 V to 15 V, thresholds VDD/3 and
    2 VDD/3, CMOS output, 100 uA typical at 5 V; power-budget figure 0.25 mA (timer plus
    timing network).
"""

from __future__ import annotations

from dataclasses import dataclass

from coupled.circuits import oscillator, ratings
from coupled.circuits.parts.base import Part


@dataclass(frozen=True)
class OscillatorPart(Part):
    """A timer for the per-edge relaxation oscillator."""

    timing_r_ohm: float = oscillator.DEFAULT_R_OHM
    timing_c_f: float = oscillator.DEFAULT_C_F


FAST_FORMS = (
    (oscillator.OSCILLATOR_SUBCKT, "osc_relax_fast", "oscillator_fast"),
    (oscillator.ENABLE_SUBCKT, "comp_enable_fast", "enable_fast"),
)
"""Fast-window forms of the oscillator and its enable comparator (``netlists/*_fast.lib``)."""

PARTS = (
    OscillatorPart(
        role="oscillator",
        part_number="TLC555CDR",
        manufacturer="Texas Instruments",
        package="SOIC-8",
        datasheet="TLC555 LinCMOS Timer, SLFS043",
        description="CMOS 555 timer, astable, 15 kOhm / 1 nF timing parts",
        supply_min_v=2.0,
        supply_max_v=15.0,
        quiescent_current_a=ratings.OSCILLATOR_SUPPLY_CURRENT_A,
        figures=(("thresholds", "VDD/3, 2 VDD/3"), ("period", "20.8 us"), ("I_DD", "0.5 mA")),
        default=True,
        library="oscillator",
        subckt=oscillator.OSCILLATOR_SUBCKT,
        fast_forms=FAST_FORMS,
    ),
    OscillatorPart(
        role="oscillator",
        part_number="LMC555CMX/NOPB",
        manufacturer="Texas Instruments",
        package="SOIC-8",
        datasheet="LMC555 CMOS Timer, SNAS558",
        description="CMOS 555 timer, astable, 15 kOhm / 1 nF timing parts",
        supply_min_v=1.5,
        supply_max_v=15.0,
        quiescent_current_a=0.25e-3,
        figures=(("thresholds", "VDD/3, 2 VDD/3"), ("period", "20.8 us"), ("I_DD", "0.25 mA")),
        library="oscillator",
        subckt=oscillator.OSCILLATOR_SUBCKT,
        fast_forms=FAST_FORMS,
    ),
)
