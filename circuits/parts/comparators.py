"""Comparators (role ``comparator``): two decision comparators and one enable comparator per edge.

Datasheets (figures marked * were checked against the datasheet text):

``LM339DR`` (default)
    Texas Instruments, "LMx39, LMx39x Quad Differential Comparators" (SLCS006): open-collector
    output (pull-up to the logic supply), common-mode range ``0 .. VCC - 1.5 V`` at 25 C,
    inputs not below ``-0.3 V``*, large-signal gain 200 V/mV typical, 0.8 mA for the four
    channels at 5 V, 1.3 us small-signal response time*, offset 5 mV max.
``TLV3201AIDBVR``
    Texas Instruments, "TLV3201, TLV3202 40-ns, microPOWER, Push-Pull Output Comparators"
    (SBOS561): push-pull output*, 40 ns propagation delay*, 40 uA supply current*, rail-to-rail
    input with a common-mode range 200 mV beyond both rails*, 2.7 V to 5.5 V*; offset 5 mV
    max; no gain figure (the model keeps the LM339's 2e5). Subcircuit ``comp_tlv3201``
    (``netlists/comparator_tlv3201.lib``).

The board's comparator model (:class:`coupled.circuits.comparator.ComparatorModel`) has no
propagation delay or hysteresis: the board reads decisions after they settle, so the datasheet
delay is recorded, not modelled. The decision offsets are drawn from the board specification's
``comparator_offset_v`` (the paper's measured bias range), not from the datasheet maximum.
"""

from __future__ import annotations

from dataclasses import dataclass

from coupled.circuits import ratings
from coupled.circuits.comparator import LIBRARY, SUBCKT, ComparatorModel
from coupled.circuits.parts.base import Part


@dataclass(frozen=True)
class ComparatorPart(Part):
    """A comparator: gain, offset, output kind and input ranges (relative to the rails, V)."""

    gain: float = 2e5
    offset_max_v: float = 5e-3
    delay_s: float = 1.3e-6
    output: str = "open-collector"
    common_mode_low_v: float = 0.0
    """Lowest common-mode input, relative to vss (V)."""
    common_mode_headroom_v: float = ratings.COMPARATOR_HEADROOM_V
    """Highest common-mode input is ``vdd - headroom`` (negative: beyond vdd) (V)."""
    input_below_v: float = ratings.COMPARATOR_BELOW_V
    input_above_v: float = 0.0

    def model(self) -> ComparatorModel:
        """The board's comparator model of this part."""
        return ComparatorModel(gain=self.gain, subckt=self.subckt, library=self.library)

    def common_mode_limit(self, vss_v: float, vdd_v: float) -> ratings.Limit:
        """The lower input of the comparator (the output is right while one input is in range)."""
        return ratings.Limit(
            "input_common_mode",
            vss_v + self.common_mode_low_v,
            vdd_v - self.common_mode_headroom_v,
            "V",
        )

    def input_limit(self, vss_v: float, vdd_v: float) -> ratings.Limit:
        """Either input."""
        return ratings.Limit(
            "input_voltage", vss_v - self.input_below_v, vdd_v + self.input_above_v, "V"
        )


PARTS = (
    ComparatorPart(
        role="comparator",
        part_number="LM339DR",
        manufacturer="Texas Instruments",
        package="SOIC-14",
        datasheet="LMx39, LMx39x Quad Differential Comparators, SLCS006",
        description="quad open-collector comparator",
        supply_min_v=2.0,
        supply_max_v=36.0,
        quiescent_current_a=ratings.COMPARATOR_SUPPLY_CURRENT_A,
        channels=4,
        figures=(
            ("output", "open collector"),
            ("common mode", "0 .. VCC - 1.5 V"),
            ("gain", "200 V/mV"),
            ("response", "1.3 us"),
            ("I_CC", "0.8 mA / 4 channels"),
        ),
        default=True,
        library=LIBRARY,
        subckt=SUBCKT,
    ),
    ComparatorPart(
        role="comparator",
        part_number="TLV3201AIDBVR",
        manufacturer="Texas Instruments",
        package="SOT-23-5",
        datasheet="TLV3201, TLV3202 40-ns, microPOWER, Push-Pull Output Comparators, SBOS561",
        description="single push-pull rail-to-rail-input comparator, 40 ns",
        supply_min_v=2.7,
        supply_max_v=5.5,
        quiescent_current_a=40e-6,
        channels=1,
        figures=(
            ("output", "push-pull"),
            ("common mode", "-0.2 V .. VCC + 0.2 V"),
            ("delay", "40 ns"),
            ("I_CC", "40 uA"),
        ),
        library="comparator_tlv3201",
        subckt="comp_tlv3201",
        delay_s=40e-9,
        output="push-pull",
        common_mode_low_v=-0.2,
        common_mode_headroom_v=-0.2,
        input_below_v=0.2,
        input_above_v=0.2,
    ),
)
