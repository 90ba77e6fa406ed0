"""The circuit engine's netlist: the learning boards of K tasks in one ngspice circuit.

Each task gets a copy of the board from :func:`coupled.circuits.assembly.build_board` (same parts,
its own
node roles); copies share the rails, the trigger and the bias (``vdd``, ``vss``, ``trig``,
``bias``, ``vosc``, ``0``), and every other node and element of task ``t`` gets the suffix
``_t<t>`` (``XPOTF_3`` becomes ``XPOTF_3_t0``, its tap resistor ``r.xpotf_3_t0.rwb``).

Two timing schemes replace the board's one-pulse trigger:

``fast`` (one short simulated window of ``window_s`` per training step)
    A periodic behavioural trigger and a periodic oscillator *preset*: during the first
    ``release`` fraction of each window the trigger is low (the latches hold while the engine
    moves taps and drives) and switches ``SPV``/``SPQ`` (0.01 ohm when on) pin each
    oscillator's timing capacitor to ``VPV + slope * ramp`` and its comparator state to
    ``VPQ``, where ``ramp`` is the time to the end of the window (``BRAMP``, <= 0) and the
    slope is the gain of ``EPS``. The engine sets those from the oscillator's phase model at
    the step's trigger instant, so when the switches open the oscillator runs on from exactly
    the state it has at that physical time; the rest of the window the trigger is high (the
    latches track the oscillator's enable comparator and the decision path) and the engine
    pauses at the window's end, which is the trigger instant: the latched bits are read there.
    No breakpoints are created inside a window (behavioural waveforms, not PWL corners), so a
    step takes a handful of time points.
``golden`` (simulated time = physical time)
    The trigger is high for ``trigger_width_s`` before every multiple of the trigger period
    and low otherwise; the oscillators run freely through the whole run, no presets.

In the fast scheme the latches, oscillators and enable comparators are instantiated as their
native-element equivalents of ``FAST_PARTS`` (``netlists/*_fast.lib``): the same decisions at
the trigger's logic levels and on ideal supplies, about half the Newton iterations and cheaper
ones. Without comparator hysteresis or delay (the default), each edge's five difference stages
and two decision comparators become two fused behavioural sources
(:mod:`coupled.circuits.sense_fast`):
the same comparator outputs with five behavioural sources and five nodes fewer per edge, each
source cheaper. The latch outputs then carry the hold voltages; the engine applies the latches'
restoring buffer (:func:`coupled.circuits.latch.buffer_v`) to what it reads.

The per-edge readout nodes are ``dir_<i>_t<t>`` (high: tap up) and ``enl_<i>_t<t>`` (high: the
edge moves); ``save_nodes`` lists them for ``save`` commands issued before each transient starts
(not ``.save`` lines: ngspice re-creates those after every script and leaks the old ones).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from coupled.circuits import sense_fast
from coupled.circuits.board import Board
from coupled.circuits.library import inline_library, library_file
from coupled.circuits.parts import PartSet
from coupled.core.errors import UserError
from coupled.engines.board.options import OSCILLATOR_MODES
from coupled.spice.numbers import spice_text

GLOBAL_NODES = frozenset({"0", "vdd", "vss", "trig", "bias", "vosc"})
"""Nodes shared by every task's board copy."""
GLOBAL_SOURCES = frozenset({"VDD", "VSS", "VBIAS", "VOSC"})
"""Sources kept once (from the first board); ``VTRIG`` is replaced by the engine's trigger."""
FAST_OPTIONS = ".options method=gear maxord=1 trtol=1e4 reltol=1e-2 vntol=1e-3 abstol=1e-6"
"""Fast scheme: backward Euler (exact on the stiff preset and latch transients, no ringing),
time steps set by the window and the breakpoint at its end rather than by truncation error;
Newton converged to 1 mV / 1 uA absolute (logic levels are 5 V apart, the comparators' inputs
are linear in the network's nodes): a third fewer iterations, the same decisions."""


def fast_parts(parts: PartSet) -> dict[str, tuple[str, str]]:
    """Board subcircuit -> (fast-window equivalent, its library file) of the board's parts
    (each part's ``fast_forms``)."""
    return {sub: (fast, lib) for _, part in parts.items() for sub, fast, lib in part.fast_forms}


FAST_PARTS = fast_parts(PartSet.from_mapping())
"""The default board's fast-window parts: board subcircuit -> (fast-window equivalent, its
library file): the same decisions at the trigger's logic levels and on ideal supplies, with
native elements instead of behavioural sources (``netlists/latch_fast.lib``,
``oscillator_fast.lib``, ``enable_fast.lib``)."""
_SUPPLY_PARTS = frozenset({"osc_relax", "comp_enable"})
PRESET_MODEL = ".model swpre sw vt=0.5 vh=0 ron=0.01 roff=1e12"
_TWO_NODES = frozenset("RVCIBL")
_FOUR_NODES = frozenset("EGSFH")


@dataclass(frozen=True)
class FastTiming:
    """Fast scheme timing: ``window_s`` of simulated time per step, presets until ``release``.

    ``oscillators``: ``"held"`` (each oscillator's waveform node held by a source at its
    phase-model voltage at the trigger instant, the default) or ``"released"`` (the oscillator
    parts preset and released to run up to the trigger instant).
    """

    window_s: float
    release: float = 0.5
    oscillators: str = "held"

    def __post_init__(self) -> None:
        if self.oscillators not in OSCILLATOR_MODES:
            raise UserError(
                f"fast oscillators {self.oscillators!r}: must be one of "
                f"{', '.join(OSCILLATOR_MODES)}"
            )


@dataclass(frozen=True)
class GoldenTiming:
    """Golden scheme timing: a trigger pulse of ``width_s`` ending at every ``k period_s``."""

    period_s: float
    width_s: float


@dataclass(frozen=True, eq=False)
class EngineCircuit:
    """The merged netlist and the names the engine alters and reads.

    Per task ``t`` (lists indexed by task): ``tap_elements[t][i]`` = (free, clamped) tap
    resistors of edge ``i``; ``input_sources[t]``, ``target_sources[t]`` in role order;
    ``direction_keys[t]``, ``enable_keys[t]`` = vector keys ``v(dir_<i>_t<t>)`` ...;
    ``preset_sources[t][i]`` = (VPV, VPQ, EPS gain parameter) of edge ``i`` (fast scheme);
    ``save_nodes``: the latch outputs, the only vectors a transient needs to keep;
    ``noise_sources[t][i]`` = (VNZA, VNZB) comparator noise sources of edge ``i`` (fast windows
    with ``noise``; else None).
    """

    netlist: str
    tap_elements: list[list[tuple[str, str]]]
    input_sources: list[tuple[str, ...]]
    target_sources: list[tuple[str, ...]]
    direction_keys: list[list[str]]
    enable_keys: list[list[str]]
    preset_sources: list[list[tuple[str, str, str]]]
    save_nodes: tuple[str, ...] = ()
    noise_sources: list[list[tuple[str, str]]] | None = None


def suffix(name: str, task: int) -> str:
    """Element (or flattened element) name in task ``task``'s copy.

    ``VIN_a`` -> ``VIN_a_t0``; ``r.xpotf_3.rwb`` -> ``r.xpotf_3_t0.rwb``.
    """
    parts = name.split(".")
    if len(parts) >= 3:
        parts[1] = f"{parts[1]}_t{task}"
        return ".".join(parts)
    return f"{name}_t{task}"


def _node(node: str, task: int) -> str:
    return node if node.lower() in GLOBAL_NODES else f"{node}_t{task}"


def _split_netlist(netlist: str) -> tuple[list[str], list[str], set[str]]:
    """(library lines, element lines, subcircuit names) of a board netlist."""
    library, elements, subckts = [], [], set()
    inside = False
    for line in netlist.splitlines()[1:]:
        word = line.strip().lower()
        if not word or word.startswith("*") or word.startswith(".options"):
            continue
        if word.startswith(".subckt"):
            inside = True
            subckts.add(word.split()[1])
        if inside or word.startswith("+"):
            library.append(line)
            if word.startswith(".ends"):
                inside = False
            continue
        if word == ".end":
            break
        elements.append(line)
    return library, elements, subckts


def _renamed(
    line: str,
    task: int,
    subckts: set[str],
    fast_supply_v: float | None = None,
    fast: dict[str, tuple[str, str]] | None = None,
) -> str:
    tokens = line.split()
    name, kind = tokens[0], tokens[0][0].upper()
    if kind == "X":
        end = next((k for k, tok in enumerate(tokens) if tok.lower() in subckts), None)
        if end is None:
            raise UserError(f"board line {line[:40]!r}: no known subcircuit")
        part = tokens[end].lower()
        fast = FAST_PARTS if fast is None else fast
        if fast_supply_v is not None and part in fast:
            tokens[end] = fast[part][0]
            if part in _SUPPLY_PARTS:
                tokens.append(f"vs={fast_supply_v!r}")
    elif kind in _TWO_NODES:
        end = 3
    elif kind in _FOUR_NODES:
        end = 5
    else:
        raise UserError(f"board line {line[:40]!r}: element type {kind} not supported")
    nodes = [_node(tok, task) for tok in tokens[1:end]]
    return " ".join([suffix(name, task), *nodes, *tokens[end:]])


def _trigger_lines(board: Board, timing: FastTiming | GoldenTiming) -> list[str]:
    low, high = repr(board.design.vss_v), repr(board.design.vdd_v)
    if isinstance(timing, FastTiming):
        w = repr(float(timing.window_s))
        phase = f"(time/{w} - floor(time/{w}))"
        hold = f"(({phase} > 1e-6) && ({phase} < {timing.release!r}))"
        trigger = f"BTRIG trig 0 V = {hold} ? {low} : {high}"
        if timing.oscillators == "held":
            return [trigger]
        return [
            trigger,
            f"BLOAD oscload 0 V = {hold} ? 1 : 0",
            f"BRAMP ramp 0 V = time - {w}*ceil(time/{w} - 1e-6)",
            PRESET_MODEL,
        ]
    t = repr(float(timing.period_s))
    phase = f"(time/{t} - floor(time/{t}))"
    open_until = repr(1.0 - float(timing.width_s) / float(timing.period_s))
    return [f"BTRIG trig 0 V = (({phase} > 1e-9) && ({phase} < {open_until})) ? {low} : {high}"]


def _held_lines(board: Board, task: int) -> tuple[list[str], list[tuple[str]]]:
    lines, names = [], []
    for i in range(board.n_edges):
        s = f"{i}_t{task}"
        lines.append(f"VHOLD_{s} osc_{s} 0 DC 0")
        names.append((f"VHOLD_{s}",))
    return lines, names


def _preset_lines(board: Board, task: int) -> tuple[list[str], list[tuple[str, str, str]]]:
    lines, names = [], []
    for i in range(board.n_edges):
        s = f"{i}_t{task}"
        lines += [
            f"VPV_{s} pv_{s} 0 DC 0",
            f"EPS_{s} pt_{s} pv_{s} ramp 0 0",
            f"SPV_{s} osc_{s} pt_{s} oscload 0 swpre",
            f"VPQ_{s} pq_{s} 0 DC 0",
            f"SPQ_{s} xosc_{s}.q pq_{s} oscload 0 swpre",
        ]
        names.append((f"VPV_{s}", f"VPQ_{s}", f"@eps_{s}[gain]"))
    return lines, names


def engine_circuit(
    boards: Sequence[Board],
    timing: FastTiming | GoldenTiming,
    options_line: str | None = None,
    noise: bool = False,
) -> EngineCircuit:
    """Merge the boards of K tasks into one netlist with the scheme's trigger (and presets).

    Parameters
    ----------
    boards
        One ``mode="full"`` board per task, all from the same design and parameters.
    timing
        :class:`FastTiming` or :class:`GoldenTiming`.
    options_line
        ``.options`` line; default :data:`FAST_OPTIONS` for the fast scheme, the board's own
        (gear) for the golden one.
    noise
        Give every decision comparator a noise source (fused fast windows only; ``UserError``
        otherwise).
    """
    if not boards:
        raise UserError("engine circuit: no boards given")
    fast = isinstance(timing, FastTiming)
    first = boards[0]
    if options_line is None:
        options_line = FAST_OPTIONS if fast else ".options method=gear"
    library, _, subckts = _split_netlist(first.netlist)
    scheme = "fast windows" if fast else "golden (free running)"
    title = (
        f"* circuit engine: {len(boards)} board(s) of {spice_text(first.network.name)}, {scheme}"
    )
    lines = [title, options_line, *library]
    supply = None
    fuse = fast and sense_fast.fusable(first)
    forms = fast_parts(first.design.part_set)
    if noise and not fuse:
        raise UserError(
            "--engine-option comparator_noise_v: the circuit engine models comparator noise in "
            "its fast windows with the fused sensing stage (no golden mode, no comparator "
            "hysteresis or delay)"
        )
    noise_names: list[list[tuple[str, str]]] = []
    if fast:
        fast_libs = [library_file(lib) for _, lib in forms.values()]
        lines += inline_library(fast_libs).splitlines()
        supply = float(first.design.swing_v)
    lines += _trigger_lines(first, timing)
    taps, inputs, targets, dirs, enables, presets, save = [], [], [], [], [], [], []
    for t, board in enumerate(boards):
        _, elements, _ = _split_netlist(board.netlist)
        fused = sense_fast.replaced_names(board) if fuse else frozenset()
        held = fast and timing.oscillators == "held"
        for line in elements:
            name = line.split()[0].upper()
            if name == "VTRIG" or (name in GLOBAL_SOURCES and t > 0) or name in fused:
                continue
            if held and name.startswith("XOSC_"):
                continue
            if name not in GLOBAL_SOURCES:
                line = _renamed(line, t, subckts, supply, forms)
            lines.append(line)
        if fuse:
            for i in range(board.n_edges):
                lines += sense_fast.fused_lines(
                    board, i, lambda n, t=t: _node(n, t), f"_t{t}", noise=noise
                )
            noise_names.append([(f"VNZA_{i}_t{t}", f"VNZB_{i}_t{t}") for i in range(board.n_edges)])
        if fast:
            extra, names = _held_lines(board, t) if held else _preset_lines(board, t)
            lines += extra
            presets.append(names)
        else:
            presets.append([])
        taps.append([(suffix(f, t), suffix(c, t)) for f, c in board.tap_elements])
        inputs.append(tuple(suffix(s, t) for s in board.input_sources))
        targets.append(tuple(suffix(s, t) for s in board.target_sources))
        dirs.append([f"v({n}_t{t})" for n in board.direction_nodes])
        enables.append([f"v({n}_t{t})" for n in board.enable_nodes])
        save += [f"{n}_t{t}" for n in board.direction_nodes + board.enable_nodes]
    lines.append(".end")
    return EngineCircuit(
        netlist="\n".join(lines) + "\n",
        tap_elements=taps,
        input_sources=inputs,
        target_sources=targets,
        direction_keys=dirs,
        enable_keys=enables,
        preset_sources=presets,
        save_nodes=tuple(save),
        noise_sources=noise_names if noise else None,
    )
