"""The circuit engine's fused sensing stage: an edge's drop stages, sense stages and comparators.

In the fast windows of the circuit engine (:mod:`coupled.engines.board.session`) an edge's
sensing stage (:mod:`coupled.circuits.diffamp`: drop stages ``XDIFF``, ``XDIFC``, ``XDIFN``, sense
stages ``XSENA``, ``XSENB``) and its two decision comparators (:mod:`coupled.circuits.comparator`,
``XCMPA``, ``XCMPB``, without hysteresis or delay) become two behavioural sources, ``BFSA_<i>``
and ``BFSB_<i>``, each into 1 ohm (``RFSA_<i>``, ``RFSB_<i>``), driving the board's comparator
outputs ``cmpa_<i>`` and ``cmpb_<i>`` (the pull-ups and the XOR stay). Every part between the
sensed nodes and the comparator outputs drives only high-impedance inputs, so the chain is one
function of the two twins' edge drops, each part keeping its drawn gain error and offset. The
drops are copied onto two nodes by linear VCCS into 1 ohm (``GDSC_<i>``: ``dsc_<i> =
v(ca,cb)``, ``GDSF_<i>``: ``dsf_<i> = v(fa,fb)``), so that each behavioural source depends on
two variables instead of four (ngspice evaluates one derivative tree per variable):

    x_f = clip(g_f (v(fa,fb) + o_f)),  x_c = clip(g_c (v(ca,cb) + o_c))
    x_n = clip(g_n (v(fb,fa) + o_n))
    cmpa = mid + amp tanh(2 gain (g_A (x_c - x_f + o_A) + voff_A) / (vhi - vlo))
    cmpb = mid + amp tanh(2 gain (g_B (x_c - x_n + o_B) + voff_B) / (vhi - vlo))

with ``clip`` the drop stages' output swing about the reference (the reference cancels in every
difference a sense stage takes).

Why it is exact and cheaper:

* Each clip is ``pwl()`` through its two corners, flat beyond: the values of ``min(max())``
  at a quarter of its cost per evaluation (one compiled function node instead of nested
  comparisons and their derivative trees). ngspice takes only literal positive points in
  ``pwl()``, so the points are written as numbers and argument and value are shifted by
  :data:`ARGUMENT_SHIFT_V` and :data:`VALUE_SHIFT_V` (the value shift cancels in the
  difference; the argument shift costs about 1e-14 V).
* The sense stage's own output clip is left out: it keeps the sign of its output, every
  comparator offset lies inside the swing, and tanh saturates to the same logic level either
  way.

Seven behavioural sources and seven nodes per edge become two sources and two nodes;
``tests/test_fast_parts.py`` checks the outputs against the board's parts side by side in
ngspice.
"""

from __future__ import annotations

from collections.abc import Callable

from coupled.circuits.board import Board
from coupled.circuits.diffamp import STAGES
from coupled.spice.numbers import spice_number

REPLACED = (*STAGES, "XCMPA", "XCMPB")
"""Designator prefixes of an edge's parts that the fused sources replace."""
ARGUMENT_SHIFT_V = 100.0
"""Added to a drop before ``pwl()`` so that every point is positive (V)."""
VALUE_SHIFT_V = 10.0
"""Added to a clipped drop inside ``pwl()`` so that every value is positive (V)."""


def fusable(board: Board) -> bool:
    """Whether the board's comparators have the fused equivalent (no hysteresis, no delay)."""
    model = board.design.comparator
    return model.hysteresis_v == 0.0 and model.delay_s == 0.0


def replaced_names(board: Board) -> frozenset[str]:
    """Element names (upper case) of the parts the fused sources replace, every edge."""
    return frozenset(f"{prefix}_{i}" for i in range(board.n_edges) for prefix in REPLACED)


def _clip(drop: str, gain: float, offset_v: float, low_v: float, high_v: float) -> str:
    """``clip(gain (drop + offset))`` at [low, high] as a shifted ``pwl()`` (+VALUE_SHIFT_V)."""
    s, v = ARGUMENT_SHIFT_V, VALUE_SHIFT_V
    corners = (low_v / gain - offset_v + s, high_v / gain - offset_v + s)
    if not 0.0 < corners[0] < corners[1] < 2 * s:
        raise ValueError(f"drop stage corners {corners!r} outside the shifted pwl range")
    points = (0.0, low_v + v, corners[0], low_v + v, corners[1], high_v + v, 2 * s, high_v + v)
    return f"pwl({drop} + {spice_number(s)}, {', '.join(spice_number(x) for x in points)})"


def fused_lines(
    board: Board,
    i: int,
    node: Callable[[str], str] = str,
    suffix: str = "",
    noise: bool = False,
) -> list[str]:
    """The fused sources of edge ``i``: the drop copies and ``BFSA``, ``RFSA``, ``BFSB``, ``RFSB``.

    ``node`` maps a board node name to the netlist's (the engine's task suffix); ``suffix`` is
    appended to every element name. Row ``k`` of the drawn amplifier spread is stage
    ``STAGES[k]``. With ``noise``, each comparator's input also carries the voltage of a source
    ``VNZA_<i>`` / ``VNZB_<i>`` (0 V until altered: the comparator input noise of a step).
    """
    d, p = board.design, board.parameters
    a, b = (int(v) for v in board.network.edges[i])
    fa, fb = node(board.free_node(a)), node(board.free_node(b))
    ca, cb = node(board.clamped_node(a)), node(board.clamped_node(b))
    ref = d.reference_v
    low, high = (v - ref for v in d.amplifier_swing_v)

    def gain(prefix: str, nominal: float) -> float:
        return nominal * (1.0 + float(p.amp_gain_error[STAGES.index(prefix), i]))

    def offset(prefix: str) -> float:
        return float(p.amp_offset_v[STAGES.index(prefix), i])

    def clip(prefix: str, drop: str) -> str:
        return _clip(drop, gain(prefix, 1.0), offset(prefix), low, high)

    mid = spice_number(0.5 * (d.vdd_v + d.vss_v))
    amp = spice_number(0.5 * (d.vdd_v - d.vss_v))
    slope = spice_number(2 * d.comparator.gain / (d.vdd_v - d.vss_v))
    drop_c, drop_f = node(f"dsc_{i}"), node(f"dsf_{i}")
    lines = [
        f"GDSC_{i}{suffix} 0 {drop_c} {ca} {cb} 1",
        f"RDSC_{i}{suffix} {drop_c} 0 1",
        f"GDSF_{i}{suffix} 0 {drop_f} {fa} {fb} 1",
        f"RDSF_{i}{suffix} {drop_f} 0 1",
    ]
    clamped = clip("XDIFC", f"v({drop_c})")
    for branch, second, sense, comparator_offset_v in (
        ("A", clip("XDIFF", f"v({drop_f})"), "XSENA", p.offset_a_v[i]),
        ("B", clip("XDIFN", f"(-v({drop_f}))"), "XSENB", p.offset_b_v[i]),
    ):
        out = node(f"cmp{branch.lower()}_{i}")
        sensed = (
            f"{spice_number(gain(sense, d.sense_gain))}*({clamped} - {second} + "
            f"{spice_number(offset(sense))})"
        )
        voff = spice_number(float(comparator_offset_v), "comparator offset")
        if noise:
            noise_node = node(f"nz{branch.lower()}_{i}")
            lines.append(f"VNZ{branch}_{i}{suffix} {noise_node} 0 DC 0")
            voff = f"{voff} + v({noise_node})"
        lines += [
            f"BFS{branch}_{i}{suffix} 0 {out} I = {mid} + {amp}*tanh({slope}*({sensed} + {voff}))",
            f"RFS{branch}_{i}{suffix} {out} 0 1",
        ]
    return lines
