"""Difference amplifiers (roles ``drop_amp`` and ``sense_amp``): five per edge.

Each edge has three drop stages at gain 1 (``XDIFF``, ``XDIFC``, ``XDIFN``: role ``drop_amp``)
and two sense stages at the board's sense gain (``XSENA``, ``XSENB``: role ``sense_amp``); each
role takes any part below. Rail-to-rail input and output on one 1.8 to 5.5 V supply, gain set
by resistors, reference pin at mid-supply.

Datasheets (figures marked * were checked against the datasheet text):

``AD8237ARMZ`` (default)
    Analog Devices, "AD8237 Micropower, Zero Drift, True Rail-to-Rail Instrumentation
    Amplifier" (Rev. B): 1.8 V to 5.5 V*, 115 uA typical / 130 uA max supply current*,
    rail-to-rail input and output*, gain error 0.005 % max (all gains)*. The model keeps the
    board's historical figures, bounds on these: offset 100 uV, gain error 0.1 % (the gain
    resistors' match dominates), 0.5 mA supply current, 1 MHz gain-bandwidth, inputs 0.15 V
    beyond the rails.
``MCP6N16-001E/MS``
    Microchip, "MCP6N16 Zero-Drift Instrumentation Amplifier" (DS20005318): 1.8 V to 5.5 V*,
    1.1 mA typical supply current*, rail-to-rail input and output*, gain error 0.15 % max*,
    bandwidth 500 kHz at G = G_MIN*, offset 17 uV max (G_MIN = 100)*; model offset 100 uV for the
    G_MIN = 1 option, inputs 0.15 V beyond the rails.

Both use the subcircuit ``diffamp_ina`` (``netlists/diffamp.lib``): the behavioural model is the
same, the figures differ.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from coupled.circuits.diffamp import LIBRARY, SUBCKT, DiffampModel
from coupled.circuits.parts.base import Part
from coupled.physics import sensing


@dataclass(frozen=True)
class AmplifierPart(Part):
    """A difference amplifier: offset, gain error, bandwidth, swing and input margins."""

    offset_max_v: float = 1e-4
    gain_error_max: float = 1e-3
    gain_bandwidth_hz: float = 1e6
    swing_margin_v: float = sensing.SWING_MARGIN_V
    input_margin_v: float = 0.15

    def model(self) -> DiffampModel:
        """The board's difference-amplifier model of this part."""
        return DiffampModel(
            swing_margin_v=self.swing_margin_v,
            offset_max_v=self.offset_max_v,
            gain_error_max=self.gain_error_max,
            supply_current_a=self.quiescent_current_a,
            gain_bandwidth_hz=self.gain_bandwidth_hz,
            supply_min_v=self.supply_min_v,
            supply_max_v=self.supply_max_v,
            input_margin_v=self.input_margin_v,
            subckt=self.subckt,
            library=self.library,
        )


_AMPLIFIERS = (
    AmplifierPart(
        role="",
        part_number="AD8237ARMZ",
        manufacturer="Analog Devices",
        package="MSOP-8",
        datasheet="AD8237 Micropower, Zero Drift, True Rail-to-Rail Instrumentation Amplifier",
        description="rail-to-rail zero-drift instrumentation amplifier",
        supply_min_v=1.8,
        supply_max_v=5.5,
        quiescent_current_a=0.5e-3,
        figures=(
            ("offset", "100 uV (model)"),
            ("gain error", "0.1 % (model)"),
            ("GBW", "1 MHz (model)"),
            ("I_Q", "115 uA typ (model 0.5 mA)"),
            ("input", "rail-to-rail"),
        ),
        default=True,
        library=LIBRARY,
        subckt=SUBCKT,
    ),
    AmplifierPart(
        role="",
        part_number="MCP6N16-001E/MS",
        manufacturer="Microchip Technology",
        package="MSOP-8",
        datasheet="MCP6N16 Zero-Drift Instrumentation Amplifier, DS20005318",
        description="rail-to-rail zero-drift instrumentation amplifier, G_MIN = 1",
        supply_min_v=1.8,
        supply_max_v=5.5,
        quiescent_current_a=1.1e-3,
        figures=(
            ("offset", "100 uV (model)"),
            ("gain error", "0.15 % max"),
            ("bandwidth", "500 kHz"),
            ("I_Q", "1.1 mA typ"),
            ("input", "rail-to-rail"),
        ),
        library=LIBRARY,
        subckt=SUBCKT,
        offset_max_v=1e-4,
        gain_error_max=1.5e-3,
        gain_bandwidth_hz=5e5,
    ),
)

PARTS = tuple(
    replace(part, role=role) for role in ("drop_amp", "sense_amp") for part in _AMPLIFIERS
)
