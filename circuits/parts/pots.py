"""Digital potentiometers (role ``pot``): two per edge, one in each twin network, as rheostats.

Datasheets (figures marked * were checked against the datasheet text; the others are the
datasheet values as recorded here, to be checked before ordering):

``AD5220BRZ10`` (default)
    Analog Devices, "AD5220: Increment/Decrement Digital Potentiometer" (Rev. B): 128
    positions*, 10/50/100 kOhm* end to end, up/down counter interface*, 40 uA max supply
    current*, 2.7 V to 5.5 V single supply, ``R_WB(D) = D / 128 * R_AB + R_W``* (step
    ``R_AB / 128``*). Model: wiper resistance 50 ohm, wiper current 5 mA max.
``MCP4011-103E/SN``
    Microchip, "MCP4011/2/3/4 Low-Cost 64-Step Volatile Digital POT" (DS21978C): 64 taps,
    63 resistors* (step ``R_AB / 63``*), 2.1/5/10/50 kOhm* +-20 %*, up/down interface*, wiper
    resistance 75 ohm typical*, 1 uA max static current*, 2.7 V to 5.5 V operating range*,
    terminals -0.3 V .. VDD + 0.3 V*, +-2.5 mA at the potentiometer pins (absolute maximum)*.
    Subcircuit ``pot_mcp401x`` (``netlists/pot_mcp401x.lib``: the 63-resistor law). The
    2.5 mA limits the drive: a 1 kOhm tap takes at most 2.5 V across it (``check-board``
    with inputs up to 5 V fails on it; up to 2 V passes).

The board's pot model puts tap 0 and the last tap on the discrete rule's range
(:meth:`coupled.circuits.pot.PotModel.for_range`), so the nominal end-to-end resistance is
``(r_max - r_min) * resistors / (n_taps - 1)`` (9.07 kOhm for the AD5220, 9 kOhm for the
MCP4011 on 1..10 kOhm: the 10 kOhm options within their end-to-end tolerance).
"""

from __future__ import annotations

from dataclasses import dataclass

from coupled.circuits import ratings
from coupled.circuits.parts.base import Part
from coupled.circuits.pot import LIBRARY, SUBCKT, PotModel


@dataclass(frozen=True)
class PotPart(Part):
    """A digital potentiometer: tap count, resistance law, wiper resistance, ratings.

    ``R_WB(D) = r_wiper_ohm + D * r_ab / resistors`` for ``D = 0 .. n_taps - 1``.
    """

    n_taps: int = 128
    resistors: int = 128
    r_wiper_ohm: float = 50.0
    r_ab_options_ohm: tuple[float, ...] = ()
    r_ab_tolerance: float = 0.3
    wiper_current_max_a: float = ratings.POT_WIPER_CURRENT_MAX_A

    def model(self, r_min_ohm: float, r_max_ohm: float) -> PotModel:
        """The pot model whose tap 0 is ``r_min_ohm`` and last tap ``r_max_ohm`` (with series R)."""
        return PotModel.for_range(
            r_min_ohm,
            r_max_ohm,
            self.n_taps,
            self.r_wiper_ohm,
            resistors=None if self.resistors == self.n_taps else self.resistors,
            subckt=self.subckt,
            library=self.library,
        )

    def terminal_limit(self, vss_v: float, vdd_v: float) -> ratings.Limit:
        """Terminal voltage: between the rails."""
        return ratings.pot_terminal(vss_v, vdd_v)

    def wiper_current_limit(self) -> ratings.Limit:
        """Wiper current (magnitude)."""
        return ratings.Limit("wiper_current", 0.0, self.wiper_current_max_a, "A")


PARTS = (
    PotPart(
        role="pot",
        part_number="AD5220BRZ10",
        manufacturer="Analog Devices",
        package="SOIC-8",
        datasheet="AD5220 Increment/Decrement Digital Potentiometer, Rev. B",
        description="128-position up/down digital potentiometer, 10 kOhm",
        supply_min_v=2.7,
        supply_max_v=5.5,
        quiescent_current_a=40e-6,
        figures=(
            ("taps", "128"),
            ("R_AB", "10 kOhm"),
            ("R_W", "50 ohm (model)"),
            ("step", "R_AB / 128"),
            ("I_DD", "40 uA max"),
            ("interface", "up/down"),
        ),
        default=True,
        library=LIBRARY,
        subckt=SUBCKT,
        n_taps=128,
        resistors=128,
        r_wiper_ohm=50.0,
        r_ab_options_ohm=(10e3, 50e3, 100e3),
        r_ab_tolerance=0.3,
    ),
    PotPart(
        role="pot",
        part_number="MCP4011-103E/SN",
        manufacturer="Microchip Technology",
        package="SOIC-8",
        datasheet="MCP4011/2/3/4 Low-Cost 64-Step Volatile Digital POT, DS21978C",
        description="64-tap up/down volatile digital potentiometer, 10 kOhm",
        supply_min_v=2.7,
        supply_max_v=5.5,
        quiescent_current_a=1e-6,
        figures=(
            ("taps", "64"),
            ("R_AB", "10 kOhm"),
            ("R_W", "75 ohm typ"),
            ("step", "R_AB / 63"),
            ("I_DD", "1 uA max static"),
            ("I_terminal", "2.5 mA max"),
            ("interface", "up/down"),
        ),
        library="pot_mcp401x",
        subckt="pot_mcp401x",
        n_taps=64,
        resistors=63,
        r_wiper_ohm=75.0,
        r_ab_options_ohm=(2.1e3, 5e3, 10e3, 50e3),
        r_ab_tolerance=0.2,
        wiper_current_max_a=2.5e-3,
    ),
)
