"""Bill of materials of a generated board: parts with counts, values and what to order.

Counts come from the netlist itself (its top-level element lines, grouped by designator prefix:
``XPOTF_3`` belongs to ``XPOTF``), so the parts list cannot drift from what ngspice simulates;
values come from the board's models and drawn parameters (nominal, min and max over the parts);
manufacturer, part number and package from the board's real parts
(:mod:`coupled.circuits.parts`, :data:`ROLE_OF`), and ``quantity`` is the packages to order for
the row's functions (``count`` divided by the functions per package, rounded up; resistors one
each; sources, which are not parts, 0).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from coupled.circuits import diffamp
from coupled.circuits.board import Board

_ELEMENT = re.compile(r"^([A-Za-z]+)_?(\w*)\s")

EDGE_PREFIXES = (
    "RSERF",
    "XPOTF",
    "RSERC",
    "XPOTC",
    "XDIFF",
    "XDIFC",
    "XDIFN",
    "XSENA",
    "XSENB",
    "XCMPA",
    "XCMPB",
    "RPUA",
    "RPUB",
    "XXOR",
    "XLAT",
    "XOSC",
    "XCMPEN",
    "RPUEN",
    "XLATEN",
)
"""Designator prefixes of the parts every edge carries (netlist elements)."""
GAIN_RESISTORS = ("RGA", "RGB")
"""Gain resistors of the sense stages: parts of the BOM, folded into the stages' gain in the
netlist (one each per edge when the sense gain exceeds 1)."""

# prefix -> (part, what it stands for)
PARTS: dict[str, tuple[str, str]] = {
    "XPOTF": ("digital potentiometer, free twin", "AD5220-class, 128 taps, rheostat"),
    "XPOTC": ("digital potentiometer, clamped twin", "AD5220-class, 128 taps, rheostat"),
    "RSERF": ("series resistor, free twin", "fixed resistor"),
    "RSERC": ("series resistor, clamped twin", "fixed resistor"),
    "XDIFF": ("drop stage, free drop", "INA-class rail-to-rail, G = 1, ref mid-supply"),
    "XDIFC": ("drop stage, clamped drop", "INA-class rail-to-rail, G = 1, ref mid-supply"),
    "XDIFN": ("drop stage, negated free drop", "INA-class rail-to-rail, G = 1, ref mid-supply"),
    "XSENA": ("sense stage A, G (dV_C - dV_F)", "INA-class rail-to-rail, gain set by R_G"),
    "XSENB": ("sense stage B, G (dV_C + dV_F)", "INA-class rail-to-rail, gain set by R_G"),
    "RGA": ("gain resistor of XSENA", "fixed resistor, G = 1 + 100 kOhm / R_G"),
    "RGB": ("gain resistor of XSENB", "fixed resistor, G = 1 + 100 kOhm / R_G"),
    "RPUA": ("pull-up, comparator A output", "fixed resistor to VDD (open collector)"),
    "RPUB": ("pull-up, comparator B output", "fixed resistor to VDD (open collector)"),
    "RPUEN": ("pull-up, enable comparator output", "fixed resistor to VDD (open collector)"),
    "VREF": ("mid-supply reference", "divider + buffer (voltage source)"),
    "XCMPA": ("comparator A, dV_C > dV_F", "LM339-class"),
    "XCMPB": ("comparator B, dV_C > -dV_F", "LM339-class"),
    "XXOR": ("XOR gate", "74HC86-class (analog model)"),
    "XLAT": ("direction latch", "74HC75-class D latch (track and hold)"),
    "XOSC": ("relaxation oscillator", "555-class astable"),
    "XCMPEN": ("enable comparator", "LM393-class, oscillator vs bias"),
    "XLATEN": ("enable latch", "74HC75-class D latch (track and hold)"),
    "XNUDGE": ("nudge summer", "op-amp weighted summer (ideal VCVS)"),
    "VCLAMP": ("clamp source (ideal nudge)", "voltage source"),
    "VIN": ("input source", "voltage source"),
    "VGND": ("ground source", "0 V source"),
    "VTGT": ("target source", "voltage source"),
    "VBIAS": ("bias source", "voltage source"),
    "VTRIG": ("trigger / clock", "voltage source"),
    "VOSC": ("oscillator supply", "voltage source"),
    "VDD": ("logic supply", "voltage source"),
    "VSS": ("negative rail / ground", "voltage source"),
}


ROLE_OF: dict[str, str] = {
    "XPOTF": "pot",
    "XPOTC": "pot",
    "XDIFF": "drop_amp",
    "XDIFC": "drop_amp",
    "XDIFN": "drop_amp",
    "XSENA": "sense_amp",
    "XSENB": "sense_amp",
    "XCMPA": "comparator",
    "XCMPB": "comparator",
    "XCMPEN": "comparator",
    "XXOR": "logic",
    "XLAT": "logic",
    "XLATEN": "logic",
    "XOSC": "oscillator",
    "XOS": "oneshot",
}
"""Designator prefix -> part role (the latches are the logic family's companion latch)."""
_LATCHES = ("XLAT", "XLATEN")


def _order(board: Board, prefix: str, count: int) -> dict:
    """The ordering columns of one row: manufacturer, part_number, package, quantity."""
    parts = board.design.part_set
    role = ROLE_OF.get(prefix)
    if role is None:
        quantity = count if prefix.startswith("R") else 0
        return {"manufacturer": "", "part_number": "", "package": "", "quantity": quantity}
    part = getattr(parts, role)
    if prefix in _LATCHES:
        columns = part.latch_parts_list()
        return {**columns, "quantity": -(-count // part.latch_channels)}
    return {**part.parts_list(), "quantity": part.packages(count)}


def element_counts(netlist: str) -> dict[str, int]:
    """Top-level elements of a netlist per designator prefix (subcircuit bodies skipped)."""
    counts: dict[str, int] = {}
    inside = False
    for line in netlist.splitlines()[1:]:
        word = line.strip().lower()
        if word.startswith(".subckt"):
            inside = True
        elif word.startswith(".ends"):
            inside = False
        elif not inside and word and word[0] not in "*.+":
            match = _ELEMENT.match(line.strip())
            if match:
                prefix = match.group(1).upper()
                counts[prefix] = counts.get(prefix, 0) + 1
    return counts


def _spread(values: np.ndarray, unit: str) -> str:
    values = np.asarray(values, dtype=float)
    low, high = float(values.min()), float(values.max())
    if np.isclose(low, high, rtol=1e-12, atol=0.0):
        return f"{low:.4g} {unit}"
    return f"{float(values.mean()):.4g} {unit} ({low:.4g} .. {high:.4g})"


def _values(board: Board) -> dict[str, str]:
    d, p = board.design, board.parameters
    pot = f"R_AB {{}}, R_W {d.pot.r_wiper_ohm:g} ohm, {d.pot.n_taps} taps"
    comparator = f"gain {d.comparator.gain:g}, offset {{}}"
    latch = f"hold {d.latch.hold_capacitance_f:g} F, switch {d.latch.on_conductance_s:g} S"
    osc = p.oscillators
    return {
        "XPOTF": pot.format(_spread(p.r_ab_free_ohm, "ohm")),
        "XPOTC": pot.format(_spread(p.r_ab_clamped_ohm, "ohm")),
        "RSERF": _spread(p.r_series_free_ohm, "ohm"),
        "RSERC": _spread(p.r_series_clamped_ohm, "ohm"),
        "XDIFF": "gain 1",
        "XDIFC": "gain 1",
        "XDIFN": "gain 1",
        "XSENA": f"gain {d.sense_gain:g}",
        "XSENB": f"gain {d.sense_gain:g}",
        "RGA": f"{diffamp.gain_resistor_ohm(d.sense_gain):.4g} ohm",
        "RGB": f"{diffamp.gain_resistor_ohm(d.sense_gain):.4g} ohm",
        "RPUA": f"{d.pull_up_ohm:g} ohm",
        "RPUB": f"{d.pull_up_ohm:g} ohm",
        "RPUEN": f"{d.pull_up_ohm:g} ohm",
        "VREF": f"{d.reference_v:g} V",
        "XCMPA": comparator.format(_spread(p.offset_a_v, "V")),
        "XCMPB": comparator.format(_spread(p.offset_b_v, "V")),
        "XXOR": f"levels {d.vss_v:g} / {d.vdd_v:g} V",
        "XLAT": latch,
        "XLATEN": latch,
        "XOSC": f"R {_spread(osc.r_ohm, 'ohm')}, C {_spread(osc.c_f, 'F')}, "
        f"period {_spread(osc.period_s, 's')}",
        "XCMPEN": f"bias {board.bias_v:g} V",
        "XNUDGE": f"eta {board.eta:g}",
        "VIN": _spread(board.input_v, "V"),
        "VTGT": _spread(board.target_v, "V"),
        "VGND": "0 V",
        "VBIAS": f"{board.bias_v:g} V",
        "VTRIG": f"pulse to {d.vdd_v:g} V at {d.trigger_time_s:g} s"
        if d.mode == "full"
        else f"{d.vdd_v:g} V (latches transparent)",
        "VOSC": f"{d.vdd_v:g} V",
        "VDD": f"{d.vdd_v:g} V",
        "VSS": f"{d.vss_v:g} V",
    }


def _with_gain_resistors(counts: dict[str, int], n_edges: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for prefix, count in counts.items():
        out[prefix] = count
        if prefix in ("XSENA", "XSENB"):
            out["RG" + prefix[-1]] = n_edges
    return out


def bill_of_materials(board: Board) -> pd.DataFrame:
    """The parts list of ``board`` as a tidy table.

    Returns
    -------
    pandas.DataFrame
        One row per designator prefix, columns ``designator`` (``XPOTF_<i>``: one per edge
        i), ``part``, ``stands_for``, ``scope`` (``"edge"`` or ``"board"``), ``count``,
        ``value``, ``manufacturer``, ``part_number``, ``package`` and ``quantity`` (packages to
        order), in netlist order.
    """
    counts = element_counts(board.netlist)
    if board.design.sense_gain > 1:
        # The gain resistors sit at the sense stages' RG pins (inside the part model's gain).
        counts = _with_gain_resistors(counts, board.n_edges)
    values = _values(board)
    rows = []
    for prefix, count in counts.items():
        part, stands_for = PARTS.get(prefix, (prefix, "see netlist"))
        chosen = getattr(board.design.part_set, ROLE_OF.get(prefix, ""), None)
        if chosen is not None and not chosen.default and prefix not in _LATCHES:
            stands_for = chosen.description
        edge = prefix in EDGE_PREFIXES or prefix in GAIN_RESISTORS
        rows.append(
            {
                "designator": f"{prefix}_<i>" if edge else (f"{prefix}_*" if count > 1 else prefix),
                "part": part,
                "stands_for": stands_for,
                "scope": "edge" if edge else "board",
                "count": count,
                "value": values.get(prefix, ""),
                **_order(board, prefix, count),
            }
        )
    return pd.DataFrame(rows)


def format_bom(frame: pd.DataFrame, n_edges: int) -> str:
    """The parts list as aligned text, with totals (sources are not counted as parts)."""
    columns = list(frame.columns)
    cells = [columns] + [[str(v) for v in row] for row in frame.itertuples(index=False)]
    widths = [max(len(row[k]) for row in cells) for k in range(len(columns))]
    text = "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )
    is_part = frame["designator"].str.startswith(("X", "R"))
    total = int(frame.loc[is_part, "count"].sum())
    per_edge = frame.loc[is_part & (frame["scope"] == "edge"), "count"].sum() / n_edges
    return (
        f"{text}\n\n{total} parts for {n_edges} edges ({per_edge:g} per edge), not counting sources"
    )
