"""The board's sensing stage: how an edge's drops reach its decision comparators.

Two stages of INA-class difference amplifiers per edge, reference pins at mid-supply ``V_ref``
so that both signs are representable on the single supply:

1. Drop stages (gain 1, ``XDIFF``, ``XDIFC``, ``XDIFN``): ``V_ref + a(y)``, ``V_ref + a(x)`` and
   ``V_ref - a(y)`` for the free drop ``y = dV_F`` and the clamped drop ``x = dV_C``, with
   ``a(dV) = clip(dV, -h, +h)``, ``h = supply / 2 - swing margin`` (an output cannot leave the
   amplifier's output swing; the swing is symmetric about ``V_ref``).
2. Sense stages (gain ``G`` set by a resistor, ``XSENA``, ``XSENB``): ``V_ref + G (a(x) - a(y))``
   and ``V_ref + G (a(x) + a(y))``, clipped at the same swing.

The comparators hold the sense outputs against ``V_ref``; their offsets (the paper's
sigma ~ U[0, 0.05] V, measured *at the comparators*) add there. Clipping a sense output keeps
its sign and ``h`` exceeds every offset, so the XOR of the two comparators decides::

    up  <=>  (a(x) - a(y) + o_A / G) (a(x) + a(y) + o_B / G) > 0
        <=>  |a(x)| - |a(y)| + sigma / G > 0          (sigma: the branch's offset)

the discrete rule (Eq. 10) with a bias of ``sigma / G`` on the drops. A gain makes the
comparator bias small against the contrastive signal without raising the board's voltages, and
because the gain acts on the *differences* ``x -+ y`` (small), not on each drop (large), it never
saturates the decision. Only a drop beyond ``h`` (2.45 V on a 5 V supply) saturates its drop
stage; two such drops of the same sign tie (the rule's strict inequality reads "down").

The ``ideal`` and ``spice`` engines decide with :func:`sensed_direction`; the ``circuit`` engine
simulates the same chain as parts (:mod:`coupled.circuits.diffamp`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from coupled.core.errors import ParameterError, UserError, named
from coupled.physics import rules

SUPPLY_V = 5.0
"""The board's single supply (V): AD5220-class pots (2.7-5.5 V), LM339-class comparators,
INA-class amplifiers and 74HC logic all run from it."""
SWING_MARGIN_V = 0.05
"""How close an amplifier output gets to either rail (V): rail-to-rail output at light load."""
DEFAULT_SENSE_GAIN = 40.0
"""Default gain of the sensing stage (V/V); see the README for how it was chosen."""
STANDARD_GAINS = (1.0, 2.0, 5.0, 10.0, 20.0, 40.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
"""Gains the sense-gain study and the documentation call "standard" (1-2-5 series plus 40)."""
MAX_SENSE_GAIN = 1000.0
"""Largest gain an INA-class part reaches with one gain resistor (V/V)."""


def check_sense_gain(gain: float, option: str = "sense_gain") -> float:
    """``gain`` as a float if it lies in [1, MAX_SENSE_GAIN]; else ``ParameterError`` naming
    the parameter ``option``."""
    if isinstance(gain, bool) or not isinstance(gain, int | float | np.integer | np.floating):
        raise ParameterError(
            f"{named(option)} {gain!r}: must be a number from 1 to {MAX_SENSE_GAIN:g} (V/V)", option
        )
    try:
        value = float(gain)
    except OverflowError:
        value = float("inf")
    if not np.isfinite(value) or not 1.0 <= value <= MAX_SENSE_GAIN:
        raise ParameterError(
            f"{named(option)} {gain!r}: must be from 1 to {MAX_SENSE_GAIN:g} (V/V; an INA-class "
            "amplifier's gain set by one resistor)",
            option,
        )
    return value


@dataclass(frozen=True)
class SenseChain:
    """Gain and output swing of the sensing stage.

    Parameters
    ----------
    gain
        Voltage gain G of each difference amplifier (V/V), 1 to :data:`MAX_SENSE_GAIN`.
    supply_v
        Single supply of the amplifiers (V); the reference sits at ``supply_v / 2``.
    swing_margin_v
        Output swing limit: the output stays ``swing_margin_v`` inside either rail (V).
    """

    gain: float = DEFAULT_SENSE_GAIN
    supply_v: float = SUPPLY_V
    swing_margin_v: float = SWING_MARGIN_V

    def __post_init__(self) -> None:
        object.__setattr__(self, "gain", check_sense_gain(self.gain, "sense gain"))
        if not np.isfinite(self.supply_v) or self.supply_v <= 0:
            raise UserError(f"sense supply_v {self.supply_v!r}: must be a positive number of V")
        if not np.isfinite(self.swing_margin_v) or not 0 <= self.swing_margin_v < self.supply_v / 2:
            raise UserError(
                f"sense swing_margin_v {self.swing_margin_v!r}: must be in [0, supply_v / 2) V"
            )

    @property
    def reference_v(self) -> float:
        """Reference pin voltage (V): mid-supply."""
        return 0.5 * self.supply_v

    @property
    def half_swing_v(self) -> float:
        """Largest amplified drop either side of the reference (V)."""
        return 0.5 * self.supply_v - self.swing_margin_v

    def drop_stage_v(self, drop_v: np.ndarray | float) -> np.ndarray:
        """Output of a drop stage relative to the reference, ``clip(dV, -h, h)`` (V)."""
        h = self.half_swing_v
        return np.clip(np.asarray(drop_v, dtype=float), -h, h)

    def sense_stage_v(self, difference_v: np.ndarray | float) -> np.ndarray:
        """Output of a sense stage relative to the reference, ``clip(G u, -h, h)`` (V)."""
        h = self.half_swing_v
        return np.clip(self.gain * np.asarray(difference_v, dtype=float), -h, h)

    def to_dict(self) -> dict:
        """Plain values, for result files."""
        return asdict(self)


def sensed_direction(
    free_drop_v: np.ndarray,
    clamped_drop_v: np.ndarray,
    sigma_v: np.ndarray | float,
    chain: SenseChain,
) -> np.ndarray:
    """Tap direction through the sensing stage: +1 where ``|a(x)| - |a(y)| + sigma / G > 0``.

    ``sigma_v`` is the comparator bias (V) at the comparators, after the gain; ``a`` is the drop
    stage (:meth:`SenseChain.drop_stage_v`). See the module docstring. Returns int8, +1 or -1.
    """
    return rules.discrete_direction(
        chain.drop_stage_v(free_drop_v),
        chain.drop_stage_v(clamped_drop_v),
        np.asarray(sigma_v, dtype=float) / chain.gain,
    )
