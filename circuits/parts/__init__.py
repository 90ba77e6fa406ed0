"""The catalogue of real parts the board can be built from, and the selection of one per role.

Every role of the board (:data:`ROLES`) has at least two real, orderable parts, each a typed
model (:mod:`coupled.circuits.parts.base`) in its role's module with the datasheet it was taken
from: :mod:`~coupled.circuits.parts.pots`, :mod:`~coupled.circuits.parts.comparators`,
:mod:`~coupled.circuits.parts.amplifiers`, :mod:`~coupled.circuits.parts.logic`,
:mod:`~coupled.circuits.parts.oscillators`, :mod:`~coupled.circuits.parts.oneshots`.
A new part is one entry in its role's module (and its ``.lib`` file when it needs its own
subcircuit).

:class:`PartSet` is the choice of one part per role (``PartSet.from_mapping({"comparator":
"TLV3201AIDBVR"})``; unnamed roles take the default). Part numbers match case-insensitively and
by prefix when the prefix names one part (``TLV3201`` for ``TLV3201AIDBVR``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from coupled.circuits.parts import amplifiers, comparators, logic, oneshots, oscillators, pots
from coupled.circuits.parts.amplifiers import AmplifierPart
from coupled.circuits.parts.base import ROLE_TITLES, ROLES, Part
from coupled.circuits.parts.comparators import ComparatorPart
from coupled.circuits.parts.logic import LogicPart
from coupled.circuits.parts.oneshots import OneShotPart
from coupled.circuits.parts.oscillators import OscillatorPart
from coupled.circuits.parts.pots import PotPart
from coupled.core.errors import ParameterError, UserError

_ALL: tuple[Part, ...] = (
    *pots.PARTS,
    *amplifiers.PARTS,
    *comparators.PARTS,
    *logic.PARTS,
    *oscillators.PARTS,
    *oneshots.PARTS,
)


def catalogue(role: str | None = None) -> tuple[Part, ...]:
    """Every part of the catalogue (of one role), in role order."""
    if role is not None:
        check_role(role)
    return tuple(
        sorted(
            (p for p in _ALL if role is None or p.role == role),
            key=lambda p: (ROLES.index(p.role), not p.default, p.part_number),
        )
    )


parts_catalogue = catalogue
"""The public name of :func:`catalogue` (``coupled.parts_catalogue()``)."""


def check_role(role: str) -> str:
    """``role``, or ``ParameterError`` (of ``parts``) naming the roles."""
    if role not in ROLES:
        raise ParameterError(f"{{parts}} role {role!r}: must be one of {', '.join(ROLES)}", "parts")
    return role


def get_part(role: str, part_number: str) -> Part:
    """The part of ``role`` whose number is ``part_number`` (case-insensitive, unique prefix)."""
    candidates = catalogue(role)
    wanted = str(part_number).strip().upper()
    exact = [p for p in candidates if p.part_number.upper() == wanted]
    found = exact or [p for p in candidates if wanted and p.part_number.upper().startswith(wanted)]
    if len(found) != 1:
        allowed = ", ".join(p.part_number for p in candidates)
        raise ParameterError(f"{{parts}} {role}={part_number!r}: must be one of {allowed}", "parts")
    return found[0]


def default_part(role: str) -> Part:
    """The default board's part in ``role``."""
    (part,) = [p for p in catalogue(role) if p.default]
    return part


@dataclass(frozen=True)
class PartSet:
    """One part per role: the board's parts list by role (see :data:`ROLES`)."""

    pot: PotPart
    drop_amp: AmplifierPart
    sense_amp: AmplifierPart
    comparator: ComparatorPart
    logic: LogicPart
    oscillator: OscillatorPart
    oneshot: OneShotPart

    @classmethod
    def from_mapping(cls, parts: Mapping[str, str] | None = None) -> PartSet:
        """The default parts, with the roles named in ``parts`` (role -> part number) replaced."""
        if not isinstance(parts, Mapping | None):
            raise ParameterError(f"{{parts}} {parts!r}: must be a mapping of role to part", "parts")
        given = dict(parts or {})
        for role in given:
            check_role(role)
        return cls(
            **{
                role: get_part(role, given[role]) if role in given else default_part(role)
                for role in ROLES
            }
        )

    def to_dict(self) -> dict[str, str]:
        """Role -> part number, every role."""
        return {f.name: getattr(self, f.name).part_number for f in fields(self)}

    def changed(self) -> dict[str, str]:
        """Role -> part number of the roles that differ from the default board."""
        return {role: part.part_number for role, part in self.items() if not part.default}

    def items(self) -> list[tuple[str, Part]]:
        """(role, part) pairs in role order."""
        return [(f.name, getattr(self, f.name)) for f in fields(self)]

    @property
    def is_default(self) -> bool:
        """Whether every part is the default board's."""
        return not self.changed()

    def supply_range_v(self) -> tuple[float, float]:
        """The supply range every part accepts (V): the intersection of their ranges."""
        parts = [part for _, part in self.items()]
        return max(p.supply_min_v for p in parts), min(p.supply_max_v for p in parts)


def parse_assignments(items: list[str] | None, what: str = "--part") -> dict[str, str]:
    """``["ROLE=PART", ...]`` as a mapping, checked against the catalogue."""
    result: dict[str, str] = {}
    for item in items or []:
        role, sep, number = str(item).partition("=")
        role = role.strip().replace("-", "_")
        if not sep or not number.strip():
            raise UserError(f"{what} {item!r}: must be ROLE=PART (roles: {', '.join(ROLES)})")
        check_role(role)
        result[role] = get_part(role, number.strip()).part_number
    return result


__all__ = [
    "ROLES",
    "ROLE_TITLES",
    "AmplifierPart",
    "ComparatorPart",
    "LogicPart",
    "OneShotPart",
    "OscillatorPart",
    "Part",
    "PartSet",
    "PotPart",
    "catalogue",
    "check_role",
    "default_part",
    "get_part",
    "parse_assignments",
    "parts_catalogue",
]
