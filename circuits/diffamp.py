"""Sensing stage of the board: difference amplifiers between the edge drops and the comparators.

Subcircuit ``diffamp_ina`` (``netlists/diffamp.lib``) is an instrumentation-amplifier-class
part (rail-to-rail input and output on the single 5 V supply, gain set by one resistor,
reference pin at mid-supply ``vref``): ``v(out) = clip(gain (v(ina) - v(inb) + voff) + v(ref))``
at the output swing, no current drawn from the sensed nodes. Each edge ``i`` joining nodes ``a``
and ``b`` has five (:data:`STAGES`):

``XDIFF_<i>``, ``XDIFC_<i>``, ``XDIFN_<i>`` (drop stages, gain 1)
    ``dvf_i = V_ref + dV_F``, ``dvc_i = V_ref + dV_C``, ``dvn_i = V_ref - dV_F``.
``XSENA_<i>``, ``XSENB_<i>`` (sense stages, the board's gain G)
    ``sena_i = V_ref + G (dvc - dvf)``, ``senb_i = V_ref + G (dvc - dvn)``: the two contrasts
    ``G (dV_C - dV_F)`` and ``G (dV_C + dV_F)`` that the comparators hold against ``vref``.

The gain acts on the differences (small), not on each drop (large), so a sense stage that
saturates keeps its sign and the decision is unchanged; see :mod:`coupled.physics.sensing` for
the rule this realises (the comparator offset acts on the drops as ``sigma / G``).

Part spread (:func:`draw_amplifiers`): with a tolerance above 0 each stage gets an input offset
``U[-1, 1] * offset_max_v`` and a gain error ``U[-1, 1] * gain_error_max`` (datasheet maxima);
at tolerance 0 the stages are ideal.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from coupled.core.errors import UserError
from coupled.physics import sensing
from coupled.spice.numbers import spice_number

SUBCKT = "diffamp_ina"
LIBRARY = "diffamp"
STAGES = ("XDIFF", "XDIFC", "XDIFN", "XSENA", "XSENB")
"""Designator prefixes of an edge's five stages, in the row order of the drawn spread."""
DROP_STAGES = STAGES[:3]
SENSE_STAGES = STAGES[3:]
GAIN_NETWORK_OHM = 100_000.0
"""``R_F`` of the gain equation ``G = 1 + R_F / R_G`` (the BOM's gain resistor values)."""


@dataclass(frozen=True)
class DiffampModel:
    """Datasheet values of the board's difference amplifiers (shared by all of them).

    Parameters
    ----------
    swing_margin_v
        The output stays this far inside either rail (V).
    offset_max_v
        Largest input offset voltage (V).
    gain_error_max
        Largest relative gain error (gain resistor and internal resistors).
    supply_current_a
        Quiescent supply current per part (A).
    gain_bandwidth_hz
        Gain-bandwidth product (Hz): a stage of gain G settles with time constant
        ``G / (2 pi GBW)``.
    supply_min_v, supply_max_v
        Allowed single supply (V).
    input_margin_v
        Inputs may go this far beyond either rail (V, rail-to-rail input).
    subckt, library
        The subcircuit and its ``.lib`` file (:mod:`coupled.circuits.parts.amplifiers`).
    """

    swing_margin_v: float = sensing.SWING_MARGIN_V
    offset_max_v: float = 1e-4
    gain_error_max: float = 1e-3
    supply_current_a: float = 0.5e-3
    gain_bandwidth_hz: float = 1e6
    supply_min_v: float = 1.8
    supply_max_v: float = 5.5
    input_margin_v: float = 0.15
    subckt: str = SUBCKT
    library: str = LIBRARY

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if name in ("subckt", "library"):
                continue
            if not np.isfinite(value) or value < 0:
                raise UserError(f"diffamp {name} {value!r}: must be a finite number >= 0")

    def settling_time_s(self, gain: float, bits: float = 10.0) -> float:
        """Time (s) a stage of ``gain`` takes to settle within ``2**-bits`` of a step."""
        tau = gain / (2 * np.pi * self.gain_bandwidth_hz)
        return float(bits * np.log(2.0) * tau)

    def to_dict(self) -> dict:
        """Plain values, for result files (the part fields only where they are not the default)."""
        data = asdict(self)
        for name, default in (("subckt", SUBCKT), ("library", LIBRARY)):
            if data[name] == default:
                del data[name]
        return data


def gain_resistor_ohm(gain: float) -> float:
    """The gain resistor ``R_G`` of ``G = 1 + R_F / R_G`` (ohm); ``inf`` (none) at ``G = 1``."""
    gain = float(gain)
    return float("inf") if gain <= 1.0 else GAIN_NETWORK_OHM / (gain - 1.0)


def draw_amplifiers(
    n_edges: int,
    tolerance: float,
    rng: np.random.Generator,
    model: DiffampModel,
    sense_model: DiffampModel | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Input offsets (V) and relative gain errors of every stage, each shape (5, E).

    Both are zero at ``tolerance == 0``; the draws are made whatever the tolerance so that the
    other streams do not move. ``sense_model`` (default ``model``) scales the sense stages' rows.
    """
    u = rng.uniform(-1.0, 1.0, size=(2, len(STAGES), n_edges))
    if tolerance <= 0:
        return np.zeros(u.shape[1:]), np.zeros(u.shape[1:])
    if sense_model is None or sense_model == model:
        return model.offset_max_v * u[0], model.gain_error_max * u[1]
    drops, senses = len(DROP_STAGES), len(SENSE_STAGES)
    offset = np.array([model.offset_max_v] * drops + [sense_model.offset_max_v] * senses)
    error = np.array([model.gain_error_max] * drops + [sense_model.gain_error_max] * senses)
    return offset[:, None] * u[0], error[:, None] * u[1]


def diffamp_instance(
    name: str,
    ina: str,
    inb: str,
    ref: str,
    out: str,
    gain: float = 1.0,
    offset_v: float = 0.0,
    swing_v: tuple[float, float] = (0.05, 4.95),
    subckt: str = SUBCKT,
) -> str:
    """One instance line of ``subckt`` (``diffamp_ina``): ``v(out) = clip(gain (v(ina) - v(inb)
    + offset))``."""
    low, high = swing_v
    return (
        f"{name} {ina} {inb} {ref} {out} {subckt} gain={spice_number(gain, 'difference gain')} "
        f"voff={spice_number(offset_v, 'amplifier offset')} vlo={spice_number(low)} "
        f"vhi={spice_number(high)}"
    )
