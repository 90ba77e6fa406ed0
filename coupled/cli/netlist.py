"""``coupled netlist``: write the learning board of a network as a standalone ngspice netlist.

``coupled netlist --network NAME|PATH --out FILE.cir [--tolerance X] [--seed S] [--bom] ...``

The file is self-contained (the part library is inlined) and ends with a ``.control`` block, so
``ngspice -b FILE.cir`` runs anywhere: an operating point (every edge's latched direction, the
twins' outputs) and, for the full board, a short transient from the oscillators' drawn phases
through one trigger pulse (per edge: oscillator swing, latched enable and direction). With
``--trigger self`` the board has no trigger line: each edge's one-shot (``XOS_<i>``) gates its
latches from its own oscillator's crossing of the bias, and the transient runs 1.3 periods (per
edge: oscillator swing, first firing time ``fire_<i>``, latched enable and direction). The header
records the full configuration, the seed and the package version.

Task defaults: the network's declared roles when it declares any (a given ``--inputs``,
``--outputs`` or ``--grounds`` that differs from them is refused), else a seeded draw of two
inputs, two outputs and one ground; input and target voltages are one example of a seeded
regression task on those roles (:func:`coupled.physics.tasks.make_task`: inputs uniform on the task
default range, ``coupled.physics.tasks.DEFAULT_INPUT_RANGE_V``; targets realisable by a teacher
network).
Defaults equal ``coupled train``'s (eta, sense gain, inputs 0-5 V): one physical 5 V board.
The board is the board specification of these options (``--part ROLE=PART`` selects catalogue
parts, ``coupled parts`` lists them) drawn by :func:`coupled.circuits.spec.draw_board`: the
seed's streams 0..2 and 4 draw the parts' spread, stream 3
the task and random taps. Every value is checked before anything is written; bad input exits
with status 2 and one line.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from coupled.circuits import assembly, nudge
from coupled.circuits import board as boards
from coupled.circuits import design as designs
from coupled.circuits.spec import BoardSpec, draw_board
from coupled.cli.parts import add_part_option, parts_of
from coupled.core import options
from coupled.core.errors import UserError
from coupled.core.io import check_out_file, write_text
from coupled.engines.board.options import SUPPLY_LIMITS_V
from coupled.physics import sensing, tasks
from coupled.physics.catalogue import BUILTIN_NETWORKS, load_network
from coupled.physics.networks import Network
from coupled.training.config import TrainConfig

TRAIN_DEFAULTS = TrainConfig()
"""The netlist's defaults (eta, sense gain, input range) are train's."""

SUFFIXES = (".cir", ".sp", ".spi", ".spice", ".net", ".ckt")
TAP_CHOICES = ("nearest", "random")
ROLES = ("inputs", "outputs", "grounds")
DRAWN_COUNTS = (2, 2, 1)
"""Inputs, outputs and grounds drawn for networks without roles of their own."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``netlist`` subcommand."""
    parser = subparsers.add_parser(
        "netlist",
        help="write the learning board of a network as a standalone ngspice netlist",
        description=(
            "Generate the whole learning board (twin networks of digital potentiometers, "
            "difference stages, comparators, XOR, latches, oscillators, enables, nudges) as one "
            "flat ngspice netlist with the part library inlined and a .control block that runs "
            "an operating point and a short transient in 'ngspice -b FILE'."
        ),
    )
    parser.add_argument(
        "--network",
        required=True,
        metavar="NAME|PATH",
        help=f"built-in network ({', '.join(BUILTIN_NETWORKS)}) or a .json / text network file",
    )
    parser.add_argument(
        "--out", required=True, metavar="FILE.cir", help="netlist file to write (overwritten)"
    )
    parser.add_argument(
        "--tolerance",
        type=options.fraction,
        default=0.05,
        help="relative spread of every R and C, uniform in +-X, below 0.5 (default 0.05)",
    )
    parser.add_argument(
        "--seed", type=options.nonnegative_int, default=0, help="seed of all draws (default 0)"
    )
    parser.add_argument(
        "--comparator-offset",
        type=options.nonnegative_float,
        default=designs.DEFAULT_COMPARATOR_OFFSET_V,
        metavar="VOLTS",
        help="comparator offsets are uniform on [0, VOLTS] (default 0.05, the paper's bias)",
    )
    parser.add_argument(
        "--bom",
        action="store_true",
        help="print the parts list and write it as bom.csv beside --out",
    )
    parser.add_argument(
        "--sense-gain",
        dest="sense_gain",
        type=float,
        default=TRAIN_DEFAULTS.sense_gain,
        metavar="G",
        help="gain of the sense stages between the edge drops and the comparators, 1 to 1000 "
        f"(default {TRAIN_DEFAULTS.sense_gain:g}, as train)",
    )
    parser.add_argument(
        "--mode",
        choices=designs.MODES,
        default="full",
        help="'full' board (default) or 'op': decision path only, no oscillators",
    )
    parser.add_argument(
        "--trigger",
        choices=designs.TRIGGERS,
        default="global",
        help="'global': one trigger line for every edge (default); 'self': no trigger line, "
        "each edge's latches gated by a one-shot on its own oscillator's crossing of the bias "
        "(full mode)",
    )
    parser.add_argument(
        "--nudge",
        choices=nudge.VARIANTS,
        default="analog",
        help="'analog' nudge summers (default) or 'ideal' clamp sources",
    )
    parser.add_argument(
        "--eta",
        type=options.probability,
        default=TRAIN_DEFAULTS.eta,
        help=f"nudge amplitude (default {TRAIN_DEFAULTS.eta:g}, as train)",
    )
    parser.add_argument(
        "--supply-v",
        dest="supply_v",
        type=options.finite_float,
        default=5.0,
        metavar="V",
        help="the board's single supply, volts (default 5.0)",
    )
    parser.add_argument(
        "--bias-v",
        type=options.finite_float,
        default=None,
        metavar="VOLTS",
        help="bias of the enable comparators (sets p; default mid-supply, 2.5 V)",
    )
    parser.add_argument(
        "--monte-carlo",
        dest="monte_carlo",
        type=options.positive_int,
        default=None,
        metavar="RUNS",
        help="write the parts' datasheet tolerances as ngspice agauss/aunif parameters (nominal "
        "parts, --tolerance ignored) and repeat the control block RUNS times, each after a "
        "reset that draws them anew (coupled.circuits.montecarlo)",
    )
    parser.add_argument(
        "--raw",
        default=None,
        metavar="FILE",
        help="make the netlist's control block write ngspice's raw file of its last analysis "
        "(every node of the transient, or of the operating point) to FILE",
    )
    for role in ROLES:
        parser.add_argument(
            f"--{role}",
            default=None,
            metavar="NODES",
            help=f"comma-separated {role} (names or 0-based indices; default: see below)",
        )
    parser.add_argument(
        "--input-v", default=None, metavar="VOLTS,...", help="input voltages, in --inputs order"
    )
    parser.add_argument(
        "--target-v", default=None, metavar="VOLTS,...", help="target voltages, --outputs order"
    )
    parser.add_argument(
        "--taps",
        choices=TAP_CHOICES,
        default="nearest",
        help="initial taps: 'nearest' to the network's resistances (default) or 'random'",
    )
    add_part_option(parser)
    parser.set_defaults(func=run)


def _node_list(network: Network, text: str | None, option: str) -> tuple[int, ...] | None:
    if text is None:
        return None
    items = [t.strip() for t in text.split(",")]
    if not text.strip():
        return ()
    nodes = []
    for item in items:
        try:
            nodes.append(network.node(item))
        except UserError:
            raise UserError(
                f"--{option} {text!r}: unknown node {item!r}; use names or indices "
                f"0..{network.n_nodes - 1}"
            ) from None
    return tuple(nodes)


def _volt_list(text: str | None, count: int, option: str) -> np.ndarray | None:
    if text is None:
        return None
    try:
        volts = np.array([float(t) for t in text.split(",")])
    except ValueError:
        raise UserError(f"--{option} {text!r}: must be comma-separated numbers of volts") from None
    if not np.all(np.isfinite(volts)) or volts.size != count:
        raise UserError(f"--{option} {text!r}: need {count} finite voltages")
    return volts


def _check_out(path_text: str) -> Path:
    path = Path(path_text)
    if path.is_dir():
        raise UserError(f"--out {path_text}: is a folder; give a file such as board.cir")
    if path.suffix.lower() not in SUFFIXES:
        raise UserError(f"--out {path_text}: the suffix must be one of {', '.join(SUFFIXES)}")
    return check_out_file(path)


def _roles(network: Network, args: argparse.Namespace, rng: np.random.Generator) -> tuple:
    """The network's declared roles (if it declares any), else given roles and a seeded draw.

    A given role that contradicts a declared one is refused (``UserError`` naming both).
    """
    given = {r: _node_list(network, getattr(args, r), r) for r in ROLES}
    if tasks.declares_roles(network):
        own = dict(zip(ROLES, (network.inputs, network.outputs, network.grounds), strict=True))
        roles = tuple(own[r] if given[r] is None else given[r] for r in ROLES)
        nodes = [v for group in roles for v in group]
        if len(set(nodes)) == len(nodes):  # a node in two roles: build_board names it
            _check_declared(network, given, own)
        return roles
    taken = {v for nodes in given.values() if nodes for v in nodes}
    free = [v for v in rng.permutation(network.n_nodes).tolist() if v not in taken]
    roles = []
    for role, count in zip(ROLES, DRAWN_COUNTS, strict=True):
        nodes = given[role]
        if nodes is None:
            nodes, free = tuple(free[:count]), free[count:]
        roles.append(nodes)
    return tuple(roles)


def _check_declared(network: Network, given: dict, own: dict) -> None:
    """Refuse a given role that differs from the network's declared one."""
    for role in ROLES:
        if given[role] is not None and sorted(given[role]) != sorted(own[role]):
            names = " ".join(network.node_names[v] for v in given[role])
            declared = " ".join(network.node_names[v] for v in own[role]) or "none"
            raise UserError(
                f"--{role} {names} contradicts network {network.name}, which declares {role} "
                f"{declared}; leave --{role} out (or edit the network file)"
            )


def build(args: argparse.Namespace) -> boards.Board:
    """The board described by the parsed options (everything validated, nothing written)."""
    _check_out(args.out)
    if not args.tolerance < designs.MAX_TOLERANCE:
        raise UserError(f"--tolerance {args.tolerance}: must be below {designs.MAX_TOLERANCE}")
    network = load_network(args.network)
    task_stream = np.random.SeedSequence(args.seed).spawn(4)[3]
    rng = np.random.default_rng(task_stream)
    inputs, outputs, grounds = _roles(network, args, rng)
    tasks.check_counts(network, len(inputs), len(outputs), len(grounds))
    task = tasks.make_task(
        network,
        "regression",
        len(inputs),
        len(outputs),
        len(grounds),
        rng,
        train_size=1,
        test_size=1,
        roles=(inputs, outputs, grounds),
    )
    input_v = _volt_list(args.input_v, len(inputs), "input-v")
    target_v = _volt_list(args.target_v, len(outputs), "target-v")
    options.check_range("supply_v", args.supply_v, *SUPPLY_LIMITS_V)
    spec = BoardSpec(
        network=args.network,
        inputs=inputs,
        outputs=outputs,
        grounds=grounds,
        parts=parts_of(args),
        sense_gain=sensing.check_sense_gain(args.sense_gain),
        trigger=args.trigger,
        mode=args.mode,
        nudge=args.nudge,
        vdd_v=float(args.supply_v),
        tolerance=args.tolerance,
        comparator_offset_v=args.comparator_offset,
        board_seed=args.seed,
    )
    drawn = draw_board(spec, network)
    parameters, design = drawn.parameters, drawn.design
    taps = None
    if args.taps == "random":
        taps = rng.integers(0, design.pot.n_taps, size=network.n_edges)
    return assembly.build_board(
        network,
        parameters,
        design,
        inputs=inputs,
        outputs=outputs,
        grounds=grounds,
        input_v=task.train_inputs_v[0] if input_v is None else input_v,
        target_v=task.train_targets_v[0] if target_v is None else target_v,
        eta=args.eta,
        taps=taps,
        bias_v=args.bias_v,
    )


def run(args: argparse.Namespace) -> int:
    """Write the netlist (and print the parts list); returns the exit status."""
    from coupled.circuits.bom import bill_of_materials, element_counts, format_bom

    if args.monte_carlo is not None:
        args.tolerance = 0.0  # nominal parts; ngspice draws the spread
    board = build(args)
    raw = None if args.raw is None else str(Path(args.raw).resolve())
    text = assembly.standalone_netlist(board, raw_file=raw)
    if args.monte_carlo is not None:
        from coupled.circuits.montecarlo import monte_carlo_netlist
        from coupled.circuits.tolerances import DEFAULT_TOLERANCES

        text = monte_carlo_netlist(text, DEFAULT_TOLERANCES, args.monte_carlo, args.seed)
    path = write_text(args.out, text)
    counts = element_counts(board.netlist)
    n_lines = text.count("\n")
    print(
        f"wrote {path}: {board.n_edges} edges, {sum(counts.values())} top-level elements, "
        f"{n_lines} lines; run it with: ngspice -b {path}"
    )
    if args.bom:
        from coupled.core.io import write_table

        frame = bill_of_materials(board)
        bom_path = write_table(Path(path).parent / "bom.csv", frame)
        print(format_bom(frame, board.n_edges))
        print(f"wrote {bom_path}")
    return 0
