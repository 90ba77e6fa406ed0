"""Decision comparators of the board and how their offsets enter the update rule.

Each edge has two comparators of subcircuit ``comp_lm339`` (``netlists/comparator.lib``), both
fed the clamped drop ``x = dV_C`` on the non-inverting input: ``XCMPA_<i>`` against the free drop
``y = dV_F`` and ``XCMPB_<i>`` against ``-y``. With input offsets ``o_A``, ``o_B`` (output high
when ``v(+) - v(-) + offset > 0``)::

    A = [x - y + o_A > 0],   B = [x + y + o_B > 0],   up = A XNOR B
      <=>  (x - y + o_A) (x + y + o_B) > 0

With zero offsets this is ``|x| > |y|``, the sign of the discrete rule (paper Eq. 10;
``coupled/physics/rules.py``) with ``sigma = 0``.

Offsets and the paper's sigma (a decision of this project). Outside the corner
``|x| + |y| < max(|o_A|, |o_B|)`` the law above is *exactly* the rule
``|x| - |y| + sigma > 0`` with the edge's effective bias (:func:`effective_sigma_v`)::

    sigma = sgn(x) * o_A   where x and y have the same sign (comparator A decides)
    sigma = sgn(x) * o_B   where they have opposite signs   (comparator B decides)

So a comparator offset *is* the paper's sigma of that branch, upward (resistance grows) when the
clamped drop is positive and downward when it is negative. No static offsets can do better: the
comparators see linear combinations of ``x`` and ``y``, so reversing both drops reverses every
comparator input and turns an offset ``o`` into ``-o``, while the rule's sigma is unchanged. The
board draws ``o_A``, ``o_B ~ U[0, comparator_offset_v]`` per comparator (the paper's measured
range, 0 to 0.05 V) and records them; an engine that wants a fresh sigma per step alters the
offsets through :func:`offset_element`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from coupled.core.errors import UserError
from coupled.spice.numbers import spice_number

SUBCKT = "comp_lm339"
LIBRARY = "comparator"


@dataclass(frozen=True)
class ComparatorModel:
    """Electrical model of the decision comparators (shared by all of them).

    Parameters
    ----------
    gain
        Small-signal voltage gain at the threshold (V/V); LM339-class parts have about 2e5.
    hysteresis_v
        Hysteresis width (V); 0 for none.
    delay_s
        Propagation delay of the output (s); 0 for none.
    subckt, library
        The subcircuit and its ``.lib`` file (:mod:`coupled.circuits.parts.comparators`).
    """

    gain: float = 2e5
    hysteresis_v: float = 0.0
    delay_s: float = 0.0
    subckt: str = SUBCKT
    library: str = LIBRARY

    def __post_init__(self) -> None:
        if not np.isfinite(self.gain) or self.gain <= 0:
            raise UserError(f"comparator gain {self.gain!r}: must be a positive number (V/V)")
        if not np.isfinite(self.hysteresis_v) or self.hysteresis_v < 0:
            raise UserError(f"comparator hysteresis_v {self.hysteresis_v!r}: must be >= 0 V")
        if not np.isfinite(self.delay_s) or self.delay_s < 0:
            raise UserError(f"comparator delay_s {self.delay_s!r}: must be >= 0 s")

    def resolution_v(self, swing_v: float) -> float:
        """Input (V) that drives the output within 1 % of a rail, plus the hysteresis.

        ``tanh(2 g v / swing) = 0.98`` at ``v = 1.16 swing / g``; a decision whose comparator
        inputs are farther than this from the threshold is a clean logic level.
        """
        return float(np.arctanh(0.98)) * swing_v / (2 * self.gain) + self.hysteresis_v

    def to_dict(self) -> dict:
        """Plain values, for result files (the part fields only where they are not the default)."""
        data = asdict(self)
        for name, default in (("subckt", SUBCKT), ("library", LIBRARY)):
            if data[name] == default:
                del data[name]
        return data


def comparator_instance(
    name: str,
    inp: str,
    inn: str,
    out: str,
    offset_v: float,
    model: ComparatorModel,
    low_v: float,
    high_v: float,
) -> str:
    """One instance line of the comparator's subcircuit (``comp_lm339`` by default).

    The output is ``high_v`` when ``v(inp) - v(inn) + offset_v > 0``, else ``low_v``.
    """
    return (
        f"{name} {inp} {inn} {out} {model.subckt} "
        f"gain={spice_number(model.gain)} voff={spice_number(offset_v, 'comparator offset')} "
        f"vhyst={spice_number(model.hysteresis_v)} tpd={spice_number(model.delay_s)} "
        f"vlo={spice_number(low_v)} vhi={spice_number(high_v)}"
    )


def offset_element(instance: str) -> str:
    """The flattened source whose value is the offset (V) of ``instance``, for ``alter``."""
    return f"i.{instance.lower()}.ios"


def decide_up(
    dv_clamped_v: np.ndarray,
    dv_free_v: np.ndarray,
    offset_a_v: np.ndarray | float = 0.0,
    offset_b_v: np.ndarray | float = 0.0,
) -> np.ndarray:
    """The board's direction logic: True where the tap goes up (resistance increases).

    ``[x - y + o_A > 0] XNOR [x + y + o_B > 0]`` with ``x = dv_clamped_v``, ``y = dv_free_v``.
    """
    x = np.asarray(dv_clamped_v, dtype=float)
    y = np.asarray(dv_free_v, dtype=float)
    return (x - y + offset_a_v > 0) == (x + y + offset_b_v > 0)


def decision_margin_v(
    dv_clamped_v: np.ndarray,
    dv_free_v: np.ndarray,
    offset_a_v: np.ndarray | float = 0.0,
    offset_b_v: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Distance (V) of the nearer comparator input from its threshold.

    The board's decision is a clean logic level wherever this exceeds the comparators'
    :meth:`ComparatorModel.resolution_v`.
    """
    x = np.asarray(dv_clamped_v, dtype=float)
    y = np.asarray(dv_free_v, dtype=float)
    return np.minimum(np.abs(x - y + offset_a_v), np.abs(x + y + offset_b_v))


def effective_sigma_v(
    dv_clamped_v: np.ndarray,
    dv_free_v: np.ndarray,
    offset_a_v: np.ndarray | float,
    offset_b_v: np.ndarray | float,
) -> np.ndarray:
    """The bias sigma (V) of the rule ``|x| - |y| + sigma > 0`` that the offsets realise.

    ``sgn(x) * o_A`` where ``x`` and ``y`` have the same sign, ``sgn(x) * o_B`` elsewhere, with
    0 counted as positive (see the module docstring; exact for non-negative offsets outside
    ``|x| + |y| < max(o_A, o_B)``).
    """
    x = np.asarray(dv_clamped_v, dtype=float)
    y = np.asarray(dv_free_v, dtype=float)
    positive = x >= 0
    same = (y >= 0) == positive
    return np.where(positive, 1.0, -1.0) * np.where(same, offset_a_v, offset_b_v)
