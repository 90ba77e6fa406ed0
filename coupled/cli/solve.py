"""``coupled solve``: node voltages of a network with some nodes driven, exact or by ngspice.

``coupled solve NETWORK --drive NODE=VOLTS [--drive ...] [--float-grounds] [--engine ideal|spice]
[--json]``

The network's declared grounds are held at 0 V unless ``--float-grounds`` is given (a
``--drive`` of a declared ground is then refused without it, naming both).

NETWORK is a built-in name or a file (see :func:`coupled.physics.catalogue.load_network`); NODE is a
node
index or name. Without ``--json`` a table (node, name, volts) goes to stdout; with ``--json``
exactly ``{"node_voltages_v": [...]}`` in node order. Every drive is checked before solving:
an unknown node, a value that is not a finite number, a node driven twice or no drive at all
raise ``UserError`` (exit status 2, nothing printed on stdout).
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np

from coupled.core.errors import UserError
from coupled.physics.catalogue import BUILTIN_NETWORKS, load_network
from coupled.physics.networks import Network

ENGINES = ("ideal", "spice")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``solve`` subcommand."""
    parser = subparsers.add_parser(
        "solve",
        help="node voltages of a network with driven nodes (numpy or ngspice)",
        description=(
            "Solve Kirchhoff's current law for a resistor network whose driven nodes are held "
            "at given voltages by ideal sources (every other node floats), and print every "
            "node voltage in volts."
        ),
    )
    parser.add_argument(
        "network",
        metavar="NETWORK",
        help=(
            f"built-in network ({', '.join(BUILTIN_NETWORKS)}) or a network file (.json or the "
            "plain-text 'N E L' format); resistances in ohm come from the network"
        ),
    )
    parser.add_argument(
        "--drive",
        action="append",
        default=[],
        metavar="NODE=VOLTS",
        help=(
            "hold NODE (0-based index or name) at VOLTS volts, e.g. --drive I1=1.5 or "
            "--drive 3=0 for a ground; repeat for every driven node (at least one)"
        ),
    )
    parser.add_argument(
        "--float-grounds",
        dest="float_grounds",
        action="store_true",
        help="let the network's declared grounds float (default: held at 0 V)",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="ideal",
        help="'ideal': exact numpy solve (default); 'spice': an operating point in ngspice",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='print {"node_voltages_v": [...]} (volts, node order) instead of a table',
    )
    parser.set_defaults(func=run)


def parse_drives(network: Network, drives: list[str]) -> dict[int, float]:
    """Turn ``NODE=VOLTS`` strings into ``{node index: volts}``; ``UserError`` on bad input."""
    if not drives:
        raise UserError("no node driven: give at least one --drive NODE=VOLTS (e.g. --drive 0=1)")
    result: dict[int, float] = {}
    for text in drives:
        node_text, sep, volts_text = text.partition("=")
        if not sep or not node_text.strip() or not volts_text.strip():
            raise UserError(f"--drive {text!r}: expected NODE=VOLTS, e.g. --drive 0=1.5")
        node_text = node_text.strip()
        try:
            node = network.node(node_text)
        except UserError:
            names = ", ".join(network.node_names[:10])
            more = ", ..." if network.n_nodes > 10 else ""
            raise UserError(
                f"--drive {text!r}: unknown node {node_text!r}; use an index "
                f"0..{network.n_nodes - 1} or a name ({names}{more})"
            ) from None
        try:
            volts = float(volts_text)
        except ValueError:
            volts = math.nan
        if not math.isfinite(volts):
            raise UserError(
                f"--drive {text!r}: {volts_text.strip()!r} is not a finite number of volts"
            )
        if node in result:
            raise UserError(
                f"--drive {text!r}: node {network.node_names[node]} (index {node}) is driven twice"
            )
        result[node] = volts
    return result


def hold_grounds(network: Network, drive: dict[int, float]) -> dict[int, float]:
    """``drive`` plus the network's declared grounds at 0 V; ``UserError`` if one is driven."""
    for node in network.grounds:
        if node in drive:
            name = network.node_names[node]
            raise UserError(
                f"--drive {name}={drive[node]:g} contradicts network {network.name}, which "
                f"declares {name} a ground (0 V); drop that --drive or give --float-grounds"
            )
    return {**drive, **{int(v): 0.0 for v in network.grounds}}


def run(args: argparse.Namespace) -> int:
    """Solve and print; returns the exit status."""
    network = load_network(args.network)
    drive = parse_drives(network, args.drive)
    if not args.float_grounds:
        drive = hold_grounds(network, drive)
    if args.engine == "spice":
        from coupled.spice.network import spice_solve

        node_v = spice_solve(network, drive)
    else:
        from coupled.physics.solver import solve

        node_v = solve(network, drive)
    print(format_json(node_v) if args.json else format_table(network, node_v, drive))
    return 0


def format_json(node_v: np.ndarray) -> str:
    """``{"node_voltages_v": [...]}`` with every float written exactly."""
    return json.dumps({"node_voltages_v": [float(v) for v in node_v]})


def format_table(network: Network, node_v: np.ndarray, drive: dict[int, float]) -> str:
    """A fixed-width table: node index, name, volts, and ``driven`` beside driven nodes."""
    width = max(4, *(len(n) for n in network.node_names))
    lines = [f"{'node':>4}  {'name':<{width}}  {'volts':>16}"]
    for i, (name, v) in enumerate(zip(network.node_names, node_v.tolist(), strict=True)):
        mark = "  driven" if i in drive else ""
        lines.append(f"{i:>4}  {name:<{width}}  {v:>16.10f}{mark}")
    return "\n".join(lines)
