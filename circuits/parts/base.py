"""The part interface: every role on the board is a typed model of a real, orderable part.

A part (:class:`Part` and one subclass per role) gives what every consumer of the board needs
from it, in one place:

* its subcircuit text (:meth:`Part.library_text`, the ``.lib`` file in ``netlists/``) and the
  electrical model the instance lines are written from (``model()`` of the role's class);
* its datasheet ratings for the electrical rule check (``*_limit`` methods, returning
  :class:`coupled.circuits.ratings.Limit`) and its quiescent current for the power budget
  (:attr:`Part.quiescent_current_a`, per function the board instantiates);
* its tolerance figures (datasheet spread; the board's drawn spread is the board
  specification's ``tolerance``) and the parameters the twin needs (tap count and resistance law
  of a pot, offset and gain error of an amplifier, gain of a comparator);
* its parts-list line (:meth:`Part.parts_list`: manufacturer, part number, package; and
  :meth:`Part.packages`: how many packages a count of functions takes).

Roles (:data:`ROLES`): ``pot`` (digital potentiometer), ``drop_amp`` and ``sense_amp`` (the
difference stages at gain 1 and at the sense gain), ``comparator`` (decision and enable
comparators), ``logic`` (XOR gate and latches), ``oscillator`` (the per-edge timer) and
``oneshot`` (the self-triggered board's per-edge one-shot gate). The catalogue of real parts is
:mod:`coupled.circuits.parts`; a new part is one entry in its role's module (plus its ``.lib``
file when it needs a subcircuit of its own).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from coupled import netlists
from coupled.circuits import ratings

ROLES = ("pot", "drop_amp", "sense_amp", "comparator", "logic", "oscillator", "oneshot")
"""The part roles of the board, in parts-list order."""
ROLE_TITLES = {
    "pot": "digital potentiometer",
    "drop_amp": "drop amplifier (G = 1)",
    "sense_amp": "sense amplifier (gain G)",
    "comparator": "comparator",
    "logic": "logic (XOR, latches)",
    "oscillator": "oscillator (timer)",
    "oneshot": "one-shot gate",
}


@dataclass(frozen=True)
class Part:
    """A real part in one role of the board (datasheet figures, SI units).

    Parameters
    ----------
    role
        One of :data:`ROLES`.
    part_number
        Manufacturer part number as ordered (with its package and grade suffix).
    manufacturer
        Manufacturer's name.
    package
        Package as in the datasheet's ordering guide.
    datasheet
        The datasheet the figures come from (title and revision).
    description
        One line: what the part is.
    supply_min_v, supply_max_v
        Recommended single supply range (V).
    quiescent_current_a
        Supply current per function the board instantiates (one comparator channel, one gate,
        one amplifier, one timer), for the power budget (A).
    channels
        Functions per package (the parts list's ``quantity`` is packages).
    figures
        The datasheet figures used, as (name, text with unit) pairs.
    default
        Whether the default board uses this part in this role.
    library, subckt
        The ``.lib`` file (stem, in ``netlists/``) and the subcircuit the board instantiates
        (empty when the role has no subcircuit of its own).
    fast_forms
        The circuit engine's fast-window forms of the part's subcircuits, as (board subcircuit,
        fast subcircuit, its ``.lib`` file) triples (:mod:`coupled.engines.board.session`).
    """

    role: str
    part_number: str
    manufacturer: str
    package: str
    datasheet: str
    description: str
    supply_min_v: float
    supply_max_v: float
    quiescent_current_a: float
    channels: int = 1
    figures: tuple[tuple[str, str], ...] = ()
    default: bool = False
    library: str = ""
    subckt: str = ""
    fast_forms: tuple[tuple[str, str, str], ...] = ()

    def key_figures(self) -> str:
        """The figures as one short line (for ``coupled parts``)."""
        return "; ".join(f"{name} {value}" for name, value in self.figures)

    def parts_list(self) -> dict[str, str]:
        """The parts-list columns: ``manufacturer``, ``part_number``, ``package``."""
        return {
            "manufacturer": self.manufacturer,
            "part_number": self.part_number,
            "package": self.package,
        }

    def packages(self, count: int) -> int:
        """Packages needed for ``count`` functions of this part."""
        return math.ceil(int(count) / self.channels)

    def supply_limit(self) -> ratings.Limit:
        """The part's recommended supply range."""
        return ratings.Limit("supply_voltage", self.supply_min_v, self.supply_max_v, "V")

    def library_text(self) -> str:
        """The subcircuit text (the ``.lib`` file), or ``""`` without one."""
        return netlists.lib_path(self.library).read_text() if self.library else ""

    def to_dict(self) -> dict:
        """Plain values (for ``coupled parts --json``)."""
        return {
            "role": self.role,
            "part_number": self.part_number,
            "manufacturer": self.manufacturer,
            "package": self.package,
            "description": self.description,
            "datasheet": self.datasheet,
            "default": self.default,
            "supply_min_v": self.supply_min_v,
            "supply_max_v": self.supply_max_v,
            "quiescent_current_a": self.quiescent_current_a,
            "channels": self.channels,
            "figures": dict(self.figures),
            "library": self.library,
            "subckt": self.subckt,
            "fast_forms": [list(form) for form in self.fast_forms],
        }
