"""Assembling the board: :func:`build_board` and the netlist text of every part.

:func:`build_board` checks the roles and voltages and returns a
:class:`coupled.circuits.board.Board`
whose ``netlist`` is written here (header, sources, one block of parts per edge);
:func:`standalone_netlist` adds the analyses for a standalone ``ngspice -b`` run.
"""

from __future__ import annotations

import json

import numpy as np

from coupled.circuits import comparator, diffamp, latch, nudge, oneshot, oscillator, pot, xor
from coupled.circuits.board import Board, node_labels
from coupled.circuits.design import BoardDesign, BoardParameters
from coupled.circuits.library import inline_library, library_file
from coupled.core.errors import UserError
from coupled.core.version import __version__
from coupled.physics import solver
from coupled.physics.networks import Network
from coupled.spice.numbers import spice_number, spice_text


def _roles(
    network: Network, given: tuple | None, own: tuple[int, ...], role: str
) -> tuple[int, ...]:
    nodes = own if given is None else tuple(network.node(v) for v in given)
    if len(set(nodes)) != len(nodes):
        raise UserError(f"{role}: a node is listed twice ({list(nodes)})")
    return nodes


def _volts(values: np.ndarray | list | None, count: int, what: str) -> np.ndarray:
    volts = np.zeros(count) if values is None else np.asarray(values, dtype=float).ravel()
    if volts.shape != (count,) or not np.all(np.isfinite(volts)):
        raise UserError(f"{what}: need {count} finite voltages, got {np.size(values)}")
    return volts


def build_board(
    network: Network,
    parameters: BoardParameters,
    design: BoardDesign | None = None,
    *,
    inputs: tuple[int | str, ...] | None = None,
    outputs: tuple[int | str, ...] | None = None,
    grounds: tuple[int | str, ...] | None = None,
    input_v: np.ndarray | list | None = None,
    target_v: np.ndarray | list | None = None,
    eta: float = 0.5,
    taps: np.ndarray | None = None,
    bias_v: float | None = None,
) -> Board:
    """Generate the board of ``network`` with drawn ``parameters``.

    Parameters
    ----------
    network
        The network; its node roles are the defaults of ``inputs``, ``outputs``, ``grounds``.
    parameters
        Part values from :func:`draw_board_parameters` (one entry per edge).
    design
        Part models, supply, mode and nudge variant (default :class:`BoardDesign`).
    inputs, outputs, grounds
        Node roles (indices or names); at least one input and one output.
    input_v, target_v
        Input and target voltages (V), in role order; zeros when omitted.
    eta
        Nudge amplitude in (0, 1].
    taps
        Initial taps (E,); default: the taps nearest to the network's resistances.
    bias_v
        Bias voltage (V) of the enable comparators; default mid-supply.

    Returns
    -------
    Board
    """
    design = BoardDesign() if design is None else design
    if parameters.n_edges != network.n_edges:
        raise UserError(
            f"board parameters cover {parameters.n_edges} edges, network {network.name} has "
            f"{network.n_edges}"
        )
    ins = _roles(network, inputs, network.inputs, "inputs")
    outs = _roles(network, outputs, network.outputs, "outputs")
    gnds = _roles(network, grounds, network.grounds, "grounds")
    if not ins or not outs:
        raise UserError(
            f"network {network.name}: the board needs at least one input and one output node "
            f"(got {len(ins)} inputs, {len(outs)} outputs)"
        )
    roles = ins + outs + gnds
    if len(set(roles)) != len(roles):
        raise UserError(f"network {network.name}: a node has two roles")
    if taps is None:
        taps = design.pot.nearest_tap(
            network.resistance_ohm, parameters.r_ab_free_ohm, parameters.r_series_free_ohm
        )
    taps = design.pot.check_taps(taps)
    if taps.shape != (network.n_edges,):
        raise UserError(f"taps: need one per edge ({network.n_edges}), got shape {taps.shape}")
    taps.setflags(write=False)
    board = Board(
        network=network,
        design=design,
        parameters=parameters,
        inputs=ins,
        outputs=outs,
        grounds=gnds,
        eta=nudge.check_eta(eta),
        taps=taps,
        input_v=_volts(input_v, len(ins), "input_v"),
        target_v=_volts(target_v, len(outs), "target_v"),
        bias_v=design.threshold_v if bias_v is None else float(spice_number(bias_v, "bias_v")),
        labels=node_labels(network),
        netlist="",
    )
    object.__setattr__(board, "netlist", _netlist(board))
    return board


def free_state_v(board: Board, taps: np.ndarray | None = None) -> np.ndarray:
    """Exact free-twin node voltages (numpy solver) at ``taps`` (default: initial), shape (N,)."""
    free_ohm, _ = board.resistance_ohm(taps)
    driven = list(board.inputs) + list(board.grounds)
    volts = np.concatenate([board.input_v, np.zeros(len(board.grounds))])
    return solver.solve(
        board.network, driven_nodes=driven, driven_voltages_v=volts, resistance_ohm=free_ohm
    )


def clamped_state_v(board: Board, taps: np.ndarray | None = None) -> np.ndarray:
    """Exact clamped-twin node voltages (numpy solver), outputs at the nudged values, (N,)."""
    free_v = free_state_v(board, taps)
    _, clamped_ohm = board.resistance_ohm(taps)
    clamp = nudge.nudged_v(free_v[list(board.outputs)], board.target_v, board.eta)
    driven = list(board.inputs) + list(board.grounds) + list(board.outputs)
    volts = np.concatenate([board.input_v, np.zeros(len(board.grounds)), clamp])
    return solver.solve(
        board.network, driven_nodes=driven, driven_voltages_v=volts, resistance_ohm=clamped_ohm
    )


# -- netlist text -----------------------------------------------------------------------------


def library_paths(design: BoardDesign) -> list:
    """The ``.lib`` files a board of this design uses."""
    parts = [design.pot.library, design.diffamp.library, design.sense_amp.library]
    parts += [design.comparator.library, xor.LIBRARY, latch.LIBRARY]
    if design.nudge == "analog":
        parts.append(nudge.LIBRARY)
    paths = [library_file(p) for p in parts]
    if design.mode == "full":
        paths += oscillator.library_files()
        if design.trigger == "self":
            paths.append(library_file(oneshot.LIBRARY))
    return paths


def _time(seconds: float) -> str:
    """A time for the netlist, rounded to 9 digits so that 1.01 us reads 1.01e-06."""
    return f"{float(spice_number(seconds, 'time')):.9g}"


def _header(board: Board) -> list[str]:
    net = board.network
    mode = "decision path only, trigger held high" if board.design.mode == "op" else "full board"
    lines = [
        f"* coupled learning board: network {spice_text(net.name)}, {net.n_nodes} nodes, "
        f"{net.n_edges} edges ({mode})",
        f"* generated by coupled {__version__} (circuits.board); one instance per physical part",
        "* config (JSON):",
    ]
    lines += [f"*   {line}" for line in json.dumps(board.config(), indent=1).splitlines()]
    lines.append("* network nodes (label: name, role):")
    roles = {v: "input" for v in board.inputs}
    roles.update({v: "output" for v in board.outputs})
    roles.update({v: "ground" for v in board.grounds})
    for v, label in enumerate(board.labels):
        lines.append(f"*   {label}: {spice_text(net.node_names[v])}, {roles.get(v, 'hidden')}")
    return lines


def _sources(board: Board) -> list[str]:
    d = board.design
    vdd, vss = spice_number(d.vdd_v), spice_number(d.vss_v)
    lines = ["* -- rails, trigger, bias --", f"VDD vdd 0 DC {vdd}", f"VSS vss 0 DC {vss}"]
    lines.append(f"VREF vref 0 DC {spice_number(d.reference_v)}")
    if d.mode == "op":
        lines.append(f"VTRIG trig 0 DC {vdd}")
    else:
        t1, t2, w, e = d.trigger_low_s, d.trigger_time_s, d.trigger_width_s, d.trigger_edge_s
        points = [
            (0.0, vdd),
            (t1, vdd),
            (t1 + e, vss),
            (t2, vss),
            (t2 + e, vdd),
            (t2 + w - e, vdd),
            (t2 + w, vss),
        ]
        pwl = " ".join(f"{_time(t)} {v}" for t, v in points)
        if oneshot.self_triggered(board):
            lines.append("* no trigger line: each edge's one-shot XOS_<i> gates its latches")
        else:
            lines.append(f"VTRIG trig 0 PWL({pwl})")
        lines.append(f"VBIAS bias 0 DC {spice_number(board.bias_v)}")
        lines.append(f"VOSC vosc 0 DC {vdd}")
    lines.append("* -- task sources: inputs and grounds drive both twins --")
    for v, volts in zip(board.inputs, board.input_v.tolist(), strict=True):
        lines.append(f"VIN_{board.labels[v]} {board.free_node(v)} 0 DC {spice_number(volts)}")
    for v in board.grounds:
        lines.append(f"VGND_{board.labels[v]} {board.free_node(v)} 0 DC 0")
    lines.append(f"* -- nudge ({d.nudge}): clamped outputs at (1 - eta) V_F + eta V_D --")
    if d.nudge == "analog":
        for v, volts in zip(board.outputs, board.target_v.tolist(), strict=True):
            label = board.labels[v]
            lines.append(f"VTGT_{label} tgt_{label} 0 DC {spice_number(volts)}")
            lines.append(
                nudge.nudge_instance(
                    f"XNUDGE_{label}",
                    board.free_node(v),
                    f"tgt_{label}",
                    board.clamped_node(v),
                    board.eta,
                )
            )
    else:
        free_v = free_state_v(board)
        clamp = nudge.nudged_v(free_v[list(board.outputs)], board.target_v, board.eta)
        for v, volts in zip(board.outputs, clamp.tolist(), strict=True):
            label = board.labels[v]
            lines.append(nudge.clamp_source(f"VCLAMP_{label}", board.clamped_node(v), volts))
    return lines


def _edge(board: Board, i: int) -> list[str]:
    d, p = board.design, board.parameters
    a, b = (int(v) for v in board.network.edges[i])
    names = board.network.node_names
    fa, fb, ca, cb = (
        board.free_node(a),
        board.free_node(b),
        board.clamped_node(a),
        board.clamped_node(b),
    )
    levels = (d.vss_v, d.vdd_v)
    trig = f"trig_{i}" if oneshot.self_triggered(board) else "trig"
    lines = [f"* -- edge {i}: {spice_text(names[a])} - {spice_text(names[b])} --"]
    tap = int(board.taps[i])
    for twin, na, nb, r_ab, r_ser in (
        ("F", fa, fb, p.r_ab_free_ohm[i], p.r_series_free_ohm[i]),
        ("C", ca, cb, p.r_ab_clamped_ohm[i], p.r_series_clamped_ohm[i]),
    ):
        wiper = na
        if d.pot.r_series_ohm > 0:
            wiper = f"p{twin.lower()}_{i}"
            lines.append(f"RSER{twin}_{i} {na} {wiper} {spice_number(r_ser)}")
        lines.append(pot.pot_instance(f"XPOT{twin}_{i}", wiper, wiper, nb, r_ab, tap, d.pot))
    stages = (
        ("XDIFF", fa, fb, f"dvf_{i}", 1.0),
        ("XDIFC", ca, cb, f"dvc_{i}", 1.0),
        ("XDIFN", fb, fa, f"dvn_{i}", 1.0),
        ("XSENA", f"dvc_{i}", f"dvf_{i}", f"sena_{i}", d.sense_gain),
        ("XSENB", f"dvc_{i}", f"dvn_{i}", f"senb_{i}", d.sense_gain),
    )
    for k, (prefix, ina, inb, out, gain) in enumerate(stages):
        sense = prefix in diffamp.SENSE_STAGES
        lines.append(
            diffamp.diffamp_instance(
                f"{prefix}_{i}",
                ina,
                inb,
                "vref",
                out,
                gain * (1.0 + float(p.amp_gain_error[k, i])),
                float(p.amp_offset_v[k, i]),
                d.sense_swing_v if sense else d.amplifier_swing_v,
                subckt=(d.sense_amp if sense else d.diffamp).subckt,
            )
        )
    pull_up = spice_number(d.pull_up_ohm)
    lines += [
        comparator.comparator_instance(
            f"XCMPA_{i}",
            f"sena_{i}",
            "vref",
            f"cmpa_{i}",
            p.offset_a_v[i],
            d.comparator,
            *levels,
        ),
        comparator.comparator_instance(
            f"XCMPB_{i}",
            f"senb_{i}",
            "vref",
            f"cmpb_{i}",
            p.offset_b_v[i],
            d.comparator,
            *levels,
        ),
        f"RPUA_{i} cmpa_{i} vdd {pull_up}",
        f"RPUB_{i} cmpb_{i} vdd {pull_up}",
        xor.xor_instance(f"XXOR_{i}", f"cmpa_{i}", f"cmpb_{i}", f"xor_{i}", *levels),
        latch.latch_instance(
            f"XLAT_{i}", f"xor_{i}", trig, f"dirb_{i}", f"dir_{i}", d.latch, *levels
        ),
    ]
    if d.mode == "full":
        lines += [
            oscillator.oscillator_instance(
                i, f"osc_{i}", p.oscillators, "vosc", "vss", supply_v=d.swing_v
            ),
            oscillator.enable_instance(i, f"en_{i}", f"osc_{i}", "bias", "vdd", "vss"),
            f"RPUEN_{i} en_{i} vdd {pull_up}",
            latch.latch_instance(
                f"XLATEN_{i}", f"en_{i}", trig, f"enl_{i}", f"enlb_{i}", d.latch, *levels
            ),
        ]
        if oneshot.self_triggered(board):
            above = oscillator.waveform_v(p.oscillators.select([i]), 0.0, d.vdd_v, d.vss_v)
            lines.append(
                oneshot.oneshot_instance(
                    i, f"en_{i}", trig, d.trigger_width_s, bool(above[0] > board.bias_v), *levels
                )
            )
    return lines


def _netlist(board: Board) -> str:
    lines = _header(board)
    if board.design.mode == "full":
        lines.append(".options method=gear")
    lines += ["* -- subcircuit library --", inline_library(library_paths(board.design))]
    lines += _sources(board)
    for i in range(board.n_edges):
        lines += _edge(board, i)
    lines.append(".end")
    title = lines.pop(0).lstrip("* ")
    return "\n".join([title, *lines]) + "\n"


# -- standalone run ---------------------------------------------------------------------------


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[k : k + size] for k in range(0, len(items), size)]


def standalone_netlist(board: Board, *, tran: bool = True, raw_file: str | None = None) -> str:
    """The board's netlist with a ``.control`` block for ``ngspice -b``.

    The block runs an operating point (latches transparent; in ``full`` mode with the
    oscillators' supply held off) and prints every edge's latched direction and the twins'
    outputs; in ``full`` mode (and with ``tran``) it then runs a transient from the oscillators'
    drawn phases (``uic``) through one trigger pulse and measures, per edge, the oscillator's
    peak-to-peak swing and the latched enable and direction after the trigger. It ends with
    ``quit 0``: ngspice 39 in batch mode otherwise exits with status 1 on any netlist without
    ``.print`` lines, so failures show as error lines, not as the exit status. With
    ``raw_file`` the block ends by writing ngspice's raw file of its last analysis there.
    """
    d = board.design
    lines = [".control", "set noaskquit", "set numdgt=7"]
    if board.oscillator_supply_source:
        lines.append(f"alter {board.oscillator_supply_source} = {spice_number(d.vss_v)}")
    lines.append("op")
    if not oneshot.self_triggered(board):  # without a trigger line no latch is transparent at an op
        lines.append("echo latched directions at the operating point (high = tap up):")
        lines += [
            "print " + " ".join(f"v({n})" for n in group)
            for group in _chunks(list(board.direction_nodes), 8)
        ]
    outputs = [f"v({board.free_node(v)}) v({board.clamped_node(v)})" for v in board.outputs]
    lines += ["echo outputs, free and clamped twin:", "print " + " ".join(outputs)]
    if oneshot.self_triggered(board) and tran:
        lines += oneshot.standalone_lines(board)
    elif d.mode == "full" and tran:
        period = float(np.min(board.parameters.oscillators.period_s))
        max_step = min(period / 100, d.trigger_width_s / 4)
        read_at = d.trigger_time_s + d.trigger_width_s + 0.5e-6
        stop = read_at + 0.5e-6
        lines += [
            f"alter {board.oscillator_supply_source} = {spice_number(d.vdd_v)}",
            f"echo transient: oscillators from their phases, trigger at {d.trigger_time_s:g} s",
            f"tran {_time(max_step / 10)} {_time(stop)} 0 {_time(max_step)} uic",
        ]
        at = _time(read_at)
        for i in range(board.n_edges):
            lines += [
                f"meas tran osc_pp_{i} pp v(osc_{i})",
                f"meas tran enable_{i} find v(enl_{i}) at={at}",
                f"meas tran direction_{i} find v(dir_{i}) at={at}",
            ]
    if raw_file is not None:  # every vector of the last analysis (the transient, else the op)
        if any(c.isspace() for c in str(raw_file)):
            raise UserError(f"raw file {raw_file!r}: ngspice's write takes a path without spaces")
        lines.append(f"write {raw_file}")
    lines += ["quit 0", ".endc"]
    body = board.netlist.rstrip("\n")
    if not body.endswith(".end"):
        raise UserError("board netlist does not end with .end")
    return body[: -len(".end")] + "\n".join(lines) + "\n.end\n"
