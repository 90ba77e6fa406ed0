"""Datasheet limits of the board's parts, for the electrical rule check (ERC).

Pure data: which quantity of which part class must stay inside which range, as functions of the
supply. The figures below are the default board's parts; each part of the catalogue
(:mod:`coupled.circuits.parts`) gives its own limits through these functions. The check itself
(running the board in ngspice and comparing) is
:mod:`coupled.calibration.erc`. Values are the datasheet ranges of the part classes the
board's models stand for (``coupled.circuits.bom.PARTS``):

pots (AD5220-class)
    terminal voltages between the rails, ``[vss, vdd]``; wiper current at most 5 mA (taken as
    the continuous terminal current rating of the part class; a 1 kOhm tap at 5 V draws 5 mA).
amplifiers (rail-to-rail INA-class)
    inputs within ``input_margin_v`` beyond the rails; outputs within the output swing.
comparators (LM339-class)
    the lower of the two inputs inside the common-mode range ``[vss, vdd - 1.5 V]`` (the output
    is correct while at least one input is inside it); both inputs above ``vss - 0.3 V``.
logic (74HC-class XOR and latches)
    inputs between ``vss - 0.5 V`` and ``vdd + 0.5 V``.
supply
    2.7 to 5.5 V (the pots' range, the narrowest of the parts).
"""

from __future__ import annotations

from dataclasses import dataclass

POT_WIPER_CURRENT_MAX_A = 5e-3
COMPARATOR_HEADROOM_V = 1.5
"""LM339: common-mode range up to ``vdd - 1.5 V`` at 25 C."""
COMPARATOR_BELOW_V = 0.3
LOGIC_MARGIN_V = 0.5
SUPPLY_RANGE_V = (2.7, 5.5)
COMPARATOR_SUPPLY_CURRENT_A = 0.8e-3 / 4
"""LM339: 0.8 mA for the four comparators of a package (typical)."""
LOGIC_SUPPLY_CURRENT_A = 2e-6
"""74HC gates and latches: quiescent current per gate (typical, static)."""
OSCILLATOR_SUPPLY_CURRENT_A = 0.5e-3
"""Relaxation oscillator (comparator with RC feedback), average supply current."""


@dataclass(frozen=True)
class Limit:
    """One rule: ``quantity`` of a pin of a part class in ``[low, high]`` (``unit``)."""

    quantity: str
    low: float
    high: float
    unit: str


def pot_terminal(vss_v: float, vdd_v: float) -> Limit:
    """Terminal voltage of a digital pot."""
    return Limit("terminal_voltage", vss_v, vdd_v, "V")


def pot_wiper_current() -> Limit:
    """Wiper current of a digital pot (magnitude)."""
    return Limit("wiper_current", 0.0, POT_WIPER_CURRENT_MAX_A, "A")


def amplifier_input(vss_v: float, vdd_v: float, margin_v: float) -> Limit:
    """Input common-mode voltage of a rail-to-rail amplifier."""
    return Limit("input_common_mode", vss_v - margin_v, vdd_v + margin_v, "V")


def amplifier_output(low_v: float, high_v: float) -> Limit:
    """Output voltage of an amplifier: inside its output swing."""
    return Limit("output_swing", low_v, high_v, "V")


def comparator_common_mode(vss_v: float, vdd_v: float) -> Limit:
    """The lower input of a comparator (the output is right while one input is in range)."""
    return Limit("input_common_mode", vss_v, vdd_v - COMPARATOR_HEADROOM_V, "V")


def comparator_input(vss_v: float, vdd_v: float) -> Limit:
    """Either input of a comparator: not below ground by more than 0.3 V, not above vdd."""
    return Limit("input_voltage", vss_v - COMPARATOR_BELOW_V, vdd_v, "V")


def logic_input(vss_v: float, vdd_v: float) -> Limit:
    """Input of a 74HC gate or latch."""
    return Limit("logic_input", vss_v - LOGIC_MARGIN_V, vdd_v + LOGIC_MARGIN_V, "V")


def supply(low_v: float = SUPPLY_RANGE_V[0], high_v: float = SUPPLY_RANGE_V[1]) -> Limit:
    """The board's supply voltage (default: the default board's parts' common range)."""
    return Limit("supply_voltage", low_v, high_v, "V")
