"""``coupled parts``: the catalogue of real parts the board can be built from.

``coupled parts [--role ROLE] [--json]`` lists every part (role, part number, manufacturer,
package, key datasheet figures, whether the default board uses it); ``--json`` prints a list
of objects with ``role``, ``part_number``, ``manufacturer``, ``package``, ``default``,
``figures`` and the rest of :meth:`coupled.circuits.parts.Part.to_dict`.

``--part ROLE=PART`` (repeatable) selects a part in ``netlist``, ``check-board``, ``calibrate``
and ``train`` (:func:`add_part_option`, :func:`parts_of`).
"""

from __future__ import annotations

import argparse
import json

from coupled.circuits.parts import ROLES, catalogue, parse_assignments


def add_part_option(parser: argparse.ArgumentParser) -> None:
    """Add the repeatable ``--part ROLE=PART`` option."""
    parser.add_argument(
        "--part",
        action="append",
        default=[],
        metavar="ROLE=PART",
        help=f"use catalogue part PART in ROLE ({', '.join(ROLES)}); repeatable; "
        "'coupled parts' lists them (default: the default board's parts)",
    )


def parts_of(args: argparse.Namespace) -> dict[str, str]:
    """The ``--part`` options as role -> part number (checked against the catalogue)."""
    return parse_assignments(getattr(args, "part", None), "--part")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``parts`` subcommand."""
    parser = subparsers.add_parser(
        "parts",
        help="list the catalogue of real parts (role, part number, key figures)",
        description="List the real, orderable parts each role of the board can take, with the "
        "datasheet figures the models use; --part ROLE=PART selects one in netlist, "
        "check-board, calibrate and train.",
    )
    parser.add_argument("--role", choices=ROLES, help="only this role")
    parser.add_argument("--json", action="store_true", help="print a JSON list of objects")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the catalogue; returns the exit status."""
    parts = catalogue(args.role)
    if args.json:
        print(json.dumps([p.to_dict() for p in parts], indent=1))
        return 0
    rows = [("role", "part_number", "manufacturer", "package", "default", "key figures")]
    rows += [
        (
            p.role,
            p.part_number,
            p.manufacturer,
            p.package,
            "yes" if p.default else "",
            p.key_figures(),
        )
        for p in parts
    ]
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        print("  ".join([*cells, row[-1]]).rstrip())
    return 0
