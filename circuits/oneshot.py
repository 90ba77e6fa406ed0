"""The per-edge one-shot of the self-triggered board (``--trigger self``).

Subcircuit ``oneshot_rc`` (``netlists/oneshot.lib``): an RC delay and an AND gate, high from
the rising edge of the edge's enable comparator (its oscillator crossing the bias upward) for
about ``r c ln 2``. ``XOS_<i>`` drives ``trig_<i>``, the gate of the edge's direction and enable
latches, in place of the board's global trigger line: each edge latches its decision on its own
oscillator's edge (:mod:`coupled.engines.board.selftrigger` has the firing times).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from coupled.circuits.parts.oneshots import DELAY_R_OHM, LIBRARY, SUBCKT
from coupled.spice.numbers import spice_number

if TYPE_CHECKING:
    from coupled.circuits.board import Board

__all__ = [
    "DELAY_R_OHM",
    "LIBRARY",
    "SUBCKT",
    "delay_c_f",
    "oneshot_instance",
    "self_triggered",
    "standalone_lines",
]


def delay_c_f(width_s: float, r_ohm: float = DELAY_R_OHM) -> float:
    """Delay capacitor giving a pulse of ``width_s``: the delayed copy reaches mid-level then."""
    return float(width_s) / (float(r_ohm) * math.log(2.0))


def oneshot_instance(
    edge: int,
    enable_node: str,
    trigger_node: str,
    width_s: float,
    enabled_at_start: bool,
    low_v: float,
    high_v: float,
) -> str:
    """The instance line ``XOS_<edge>`` (pulse ``width_s``; ``enabled_at_start``: en high at 0)."""
    d0 = high_v if enabled_at_start else low_v
    return (
        f"XOS_{int(edge)} {enable_node} {trigger_node} {SUBCKT} r={spice_number(DELAY_R_OHM)} "
        f"c={spice_number(delay_c_f(width_s))} d0={spice_number(d0)} "
        f"vlo={spice_number(low_v)} vhi={spice_number(high_v)}"
    )


def self_triggered(board: Board) -> bool:
    """Whether the board has no trigger line (``trigger="self"`` in ``full`` mode)."""
    return board.design.trigger == "self" and board.design.mode == "full"


def _time(seconds: float) -> str:
    return f"{float(spice_number(seconds, 'time')):.9g}"


def standalone_lines(board: Board) -> list[str]:
    """``.control`` lines of a self-triggered board's transient (1.3 periods: each edge fires).

    Per edge: the oscillator's swing, the time its one-shot first fires (``fire_<i>``: the
    trigger's rising crossing of mid-supply after the first microsecond) and the latched
    direction and enable one pulse width before the end.
    """
    d, osc = board.design, board.parameters.oscillators
    period = float(np.min(osc.period_s))
    max_step = min(period / 1000, d.trigger_width_s / 10)  # firing times within ~0.2 %
    stop = 1.3 * float(np.max(osc.period_s)) + 2 * d.trigger_width_s
    mid, at = spice_number(d.threshold_v), _time(stop - d.trigger_width_s)
    lines = [
        f"alter {board.oscillator_supply_source} = {spice_number(d.vdd_v)}",
        "echo transient: self-triggered edges, each on its own oscillator's crossing of the bias",
        f"tran {_time(max_step / 10)} {_time(stop)} 0 {_time(max_step)} uic",
    ]
    for i in range(board.n_edges):
        lines += [
            f"meas tran osc_pp_{i} pp v(osc_{i})",
            f"meas tran fire_{i} when v(trig_{i})={mid} rise=1 td=1e-06",
            f"meas tran enable_{i} find v(enl_{i}) at={at}",
            f"meas tran direction_{i} find v(dir_{i}) at={at}",
        ]
    return lines
