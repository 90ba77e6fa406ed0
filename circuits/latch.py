"""Latches of the board: they hold each edge's direction and enable at the trigger.

Subcircuit ``latch_sh`` (``netlists/latch.lib``) is a transparent-high D latch (74HC75-class)
built as an analog track-and-hold with a restoring output buffer: it follows ``d`` while the
trigger ``clk`` is high and holds while it is low. Each edge has ``XLAT_<i>`` (data: the XOR of
the decision comparators; its complementary output ``qb`` is the direction, high = tap up) and
``XLATEN_<i>`` (data: the enable comparator; ``q`` high = the edge updates at this trigger).
At an operating point with the trigger held high the latches are transparent, so one ``op``
evaluates the whole decision path.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from coupled.core.errors import UserError
from coupled.spice.numbers import spice_number

SUBCKT = "latch_sh"
LIBRARY = "latch"


@dataclass(frozen=True)
class LatchModel:
    """Electrical values of the latches (shared by all of them).

    Parameters
    ----------
    on_conductance_s
        Switch conductance while the trigger is high (S).
    hold_capacitance_f
        Hold capacitance (F); ``hold_capacitance_f / on_conductance_s`` is the tracking time
        constant (1 ns by default).
    leak_resistance_ohm
        Leakage of the hold node (ohm).
    buffer_gain
        Gain of the restoring output buffer (V/V).
    """

    on_conductance_s: float = 1e-3
    hold_capacitance_f: float = 1e-12
    leak_resistance_ohm: float = 1e12
    buffer_gain: float = 100.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not np.isfinite(value) or value <= 0:
                raise UserError(f"latch {name} {value!r}: must be a positive number")

    def to_dict(self) -> dict:
        """Plain values, for result files."""
        return asdict(self)


def latch_instance(
    name: str,
    d: str,
    clk: str,
    q: str,
    qb: str,
    model: LatchModel,
    low_v: float,
    high_v: float,
) -> str:
    """One instance line of ``latch_sh`` with logic levels ``low_v`` and ``high_v`` (V)."""
    return (
        f"{name} {d} {clk} {q} {qb} {SUBCKT} "
        f"gon={spice_number(model.on_conductance_s)} "
        f"chold={spice_number(model.hold_capacitance_f)} "
        f"rleak={spice_number(model.leak_resistance_ohm)} gain={spice_number(model.buffer_gain)} "
        f"vlo={spice_number(low_v)} vhi={spice_number(high_v)}"
    )


def buffer_v(
    hold_v: np.ndarray | float, model: LatchModel, low_v: float, high_v: float
) -> np.ndarray:
    """The restoring output buffer of ``latch_sh``: output voltage (V) for a hold voltage (V).

    ``q = mid + amp * tanh(gain * (hold - mid) / amp)`` with ``mid = (high + low) / 2`` and
    ``amp = (high - low) / 2``, the transfer of the ``Bq`` source in ``netlists/latch.lib``;
    the circuit engine applies it to the hold voltages its fast windows bring out
    (``netlists/latch_fast.lib``).
    """
    mid, amp = 0.5 * (high_v + low_v), 0.5 * (high_v - low_v)
    return mid + amp * np.tanh(model.buffer_gain * (np.asarray(hold_v, dtype=float) - mid) / amp)
