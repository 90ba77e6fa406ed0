"""Logic (role ``logic``): each edge's XOR gate and its direction and enable latches.

The part number is the XOR gate's; the latches are the same family's companion part
(``latch_part_number``). The subcircuits (``xor_74hc86``, ``latch_sh``) are behavioural on the
logic levels, so both families share them; the family sets the input ratings, the supply range
and the quiescent current.

Datasheets (figures marked * were checked against the datasheet text):

``SN74HC86DR`` + ``SN74HC75DR`` (default)
    Texas Instruments, "SNx4HC86 Quadruple 2-Input Exclusive-OR Gates" (SCLS100) and
    "SNx4HC75 4-Bit Bistable Latches" (SCLS096): 2 V to 6 V, inputs -0.5 V .. VCC + 0.5 V
    (absolute), 2 uA static current per gate (model; 20 uA max per package at 6 V).
``SN74LVC1G86DBVR`` + ``SN74LVC1G373DBVR``
    Texas Instruments, "SN74LVC1G86 Single 2-Input Exclusive-OR Gate" (SCES222) and
    "SN74LVC1G373 Single D-Type Latch" (SCES520): 1.65 V to 5.5 V, inputs -0.5 V .. 6.5 V
    whatever VCC (5-V tolerant), 10 uA max static current.
"""

from __future__ import annotations

from dataclasses import dataclass

from coupled.circuits import latch, ratings, xor
from coupled.circuits.parts.base import Part


@dataclass(frozen=True)
class LogicPart(Part):
    """A logic family: XOR gate (the part number) and its companion latch."""

    latch_part_number: str = ""
    latch_package: str = ""
    latch_channels: int = 1
    input_below_v: float = ratings.LOGIC_MARGIN_V
    input_above_v: float = ratings.LOGIC_MARGIN_V
    input_max_abs_v: float | None = None
    """Absolute input maximum (V) when it does not follow the supply (5-V tolerant inputs)."""

    def input_limit(self, vss_v: float, vdd_v: float) -> ratings.Limit:
        """A logic input."""
        high = vdd_v + self.input_above_v if self.input_max_abs_v is None else self.input_max_abs_v
        return ratings.Limit("logic_input", vss_v - self.input_below_v, high, "V")

    def latch_parts_list(self) -> dict[str, str]:
        """The parts-list columns of the companion latch."""
        return {
            "manufacturer": self.manufacturer,
            "part_number": self.latch_part_number,
            "package": self.latch_package,
        }


LATCH_FAST = ((latch.SUBCKT, "latch_sh_fast", "latch_fast"),)
"""The latches' fast-window form (``netlists/latch_fast.lib``)."""

PARTS = (
    LogicPart(
        role="logic",
        part_number="SN74HC86DR",
        manufacturer="Texas Instruments",
        package="SOIC-14",
        datasheet="SNx4HC86 Quadruple 2-Input XOR Gates (SCLS100); SNx4HC75 latches (SCLS096)",
        description="74HC quad XOR with 74HC75 latches",
        supply_min_v=2.0,
        supply_max_v=6.0,
        quiescent_current_a=ratings.LOGIC_SUPPLY_CURRENT_A,
        channels=4,
        figures=(("family", "74HC"), ("inputs", "-0.5 .. VCC + 0.5 V"), ("I_CC", "2 uA/gate")),
        default=True,
        library=xor.LIBRARY,
        subckt=xor.SUBCKT,
        fast_forms=LATCH_FAST,
        latch_part_number="SN74HC75DR",
        latch_package="SOIC-16",
        latch_channels=4,
    ),
    LogicPart(
        role="logic",
        part_number="SN74LVC1G86DBVR",
        manufacturer="Texas Instruments",
        package="SOT-23-5",
        datasheet="SN74LVC1G86 Single XOR Gate (SCES222); SN74LVC1G373 Single Latch (SCES520)",
        description="single-gate LVC XOR with single LVC latches",
        supply_min_v=1.65,
        supply_max_v=5.5,
        quiescent_current_a=10e-6,
        channels=1,
        figures=(("family", "74LVC1G"), ("inputs", "-0.5 .. 6.5 V"), ("I_CC", "10 uA max")),
        library=xor.LIBRARY,
        subckt=xor.SUBCKT,
        fast_forms=LATCH_FAST,
        latch_part_number="SN74LVC1G373DBVR",
        latch_package="SOT-23-6",
        latch_channels=1,
        input_max_abs_v=6.5,
    ),
)
