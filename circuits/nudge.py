"""The nudge: each output of the clamped twin held at ``(1 - eta) V_F + eta V_D``.

Two variants (``BoardDesign.nudge``):

``"analog"``
    ``XNUDGE_<node>`` of subcircuit ``nudge_sum`` (``netlists/nudge.lib``), an op-amp weighted
    summer modelled by ideal VCVSs, reads the free twin's output and the target source
    ``VTGT_<node>`` live, so one analysis gives both states.
``"ideal"``
    An independent source ``VCLAMP_<node>`` on the clamped output; the engine sets its value
    (:func:`nudged_v` of the free state) before each analysis.
"""

from __future__ import annotations

import numpy as np

from coupled.core.errors import UserError
from coupled.physics import rules
from coupled.spice.numbers import spice_number

SUBCKT = "nudge_sum"
LIBRARY = "nudge"
VARIANTS = ("analog", "ideal")


def check_eta(eta: float) -> float:
    """``eta`` as a float, or ``UserError`` unless ``0 < eta <= 1``."""
    value = float(eta)
    if not np.isfinite(value) or not 0 < value <= 1:
        raise UserError(f"eta {eta!r}: the nudge amplitude must be in (0, 1]")
    return value


def nudged_v(free_v: np.ndarray, target_v: np.ndarray, eta: float) -> np.ndarray:
    """Clamped output voltages ``(1 - eta) free_v + eta target_v`` (V)."""
    free = np.asarray(free_v, dtype=float)
    return rules.clamp(free, np.asarray(target_v, dtype=float), check_eta(eta))


def nudge_instance(name: str, free_node: str, target_node: str, out_node: str, eta: float) -> str:
    """One instance line of ``nudge_sum`` driving ``out_node``."""
    eta_text = spice_number(check_eta(eta))
    return f"{name} {free_node} {target_node} {out_node} {SUBCKT} eta={eta_text}"


def clamp_source(name: str, out_node: str, value_v: float) -> str:
    """The ideal variant: an independent source ``name`` holding ``out_node`` at ``value_v``."""
    return f"{name} {out_node} 0 DC {spice_number(value_v, 'clamp voltage')}"
