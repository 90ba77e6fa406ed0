"""Per-edge relaxation oscillators and enable comparators of the board, and their phase model.

Each edge of the board owns a relaxation oscillator (subcircuit ``osc_relax`` in
``netlists/oscillator.lib``, a 555-class astable: a timing capacitor ``C`` charged through ``R``
from a rail-to-rail comparator output with hysteresis thresholds ``fl`` and ``fh``, fractions of the
supply) and an enable comparator (``comp_enable`` in ``netlists/enable.lib``) that holds the
capacitor voltage against the global bias voltage. At a trigger the edge may update only while its
enable output is high (oscillator above the bias), so the bias sets the update probability p.

Contract used by the board generator (``circuits/board.py``):

* :class:`OscillatorParameters` - frozen per-edge arrays (``r_ohm``, ``c_f``, ``low_fraction``,
  ``high_fraction``, ``phase_fraction``), drawn by :func:`draw_oscillators`;
* :func:`oscillator_instance` and :func:`enable_instance` - one SPICE instance line each
  (``XOSC_<edge>``, ``XCMPEN_<edge>``); the oscillator starts at its phase only in a ``uic``
  transient (its capacitor initial conditions encode the phase);
* :func:`library_files` - the ``.lib`` files to ``.include`` (or inline);
* :func:`oscillator_bench` - a stand-alone netlist of one edge's oscillator and enables.

Transients need a maximum time step of about period / 200 (ngspice does not see a flip coming;
with period / 25 the simulated period is a few per cent off, with period / 200 about 0.1 %).

Phase model. Between thresholds the capacitor follows exact RC exponentials, so the waveform is an
analytic, periodic function of time. With ``x = (v - vss) / (vdd - vss)`` and ``tau = R C``::

    t_charge    = tau ln((1 - fl) / (1 - fh))        x = 1 - (1 - fl) exp(-s / tau)
    t_discharge = tau ln(fh / fl)                     x = fh exp(-(s - t_charge) / tau)
    period      = t_charge + t_discharge              (fl = 1/3, fh = 2/3: 2 tau ln 2)

where ``s`` is the time since the start of the charging half, ``s = period * phase``. Phase 0 is
the lower threshold on the way up. :func:`waveform_fraction`, :func:`enabled` and
:func:`advance` let the circuit engine carry every oscillator's phase from one training step to
the next without simulating the oscillators between triggers; :func:`duty_above` is the analytic
fraction of time the waveform spends above a bias (p for trigger instants that are uniform in
phase). The phase model neglects the comparator's response time (100 ns against a 21 us period);
``tests/test_oscillator.py`` checks it against the ngspice transient.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from coupled.core.errors import UserError
from coupled.core.options import check_whole

if TYPE_CHECKING:
    from pathlib import Path

DEFAULT_R_OHM = 15e3
"""Nominal timing resistor (ohm)."""
DEFAULT_C_F = 1e-9
"""Nominal timing capacitor (F); with 15 kOhm and the 1/3, 2/3 thresholds the period is 20.8 us."""
DEFAULT_SUPPLY_V = 5.0
"""Supply span ``vdd - vss`` assumed for the capacitor initial condition (V)."""
OSCILLATOR_SUBCKT = "osc_relax"
ENABLE_SUBCKT = "comp_enable"
MAX_TOLERANCE = 0.5


@dataclass(frozen=True, eq=False)
class OscillatorParameters:
    """Component values of the E oscillators of a board (one entry per edge).

    Parameters
    ----------
    r_ohm
        Timing resistors (ohm), shape (E,).
    c_f
        Timing capacitors (F), shape (E,).
    low_fraction, high_fraction
        Lower and upper comparator thresholds as fractions of ``vdd - vss``, shape (E,),
        ``0 < low < high < 1``.
    phase_fraction
        Phase at time 0 in [0, 1): 0 is the lower threshold at the start of the charging half.
    """

    r_ohm: np.ndarray
    c_f: np.ndarray
    low_fraction: np.ndarray
    high_fraction: np.ndarray
    phase_fraction: np.ndarray

    def __post_init__(self) -> None:
        arrays = {}
        for name in ("r_ohm", "c_f", "low_fraction", "high_fraction", "phase_fraction"):
            value = np.array(getattr(self, name), dtype=float, ndmin=1)
            if value.ndim != 1:
                raise UserError(f"oscillator {name}: must be one value per edge (1-D)")
            if not np.all(np.isfinite(value)):
                raise UserError(f"oscillator {name}: values must be finite")
            arrays[name] = value
        sizes = {a.size for a in arrays.values()}
        if len(sizes) != 1:
            raise UserError(f"oscillator parameters: arrays of different lengths {sorted(sizes)}")
        if np.any(arrays["r_ohm"] <= 0) or np.any(arrays["c_f"] <= 0):
            raise UserError("oscillator r_ohm and c_f: must be positive")
        low, high = arrays["low_fraction"], arrays["high_fraction"]
        if np.any(low <= 0) or np.any(high >= 1) or np.any(low >= high):
            raise UserError("oscillator thresholds: need 0 < low_fraction < high_fraction < 1")
        arrays["phase_fraction"] = np.mod(arrays["phase_fraction"], 1.0)
        for name, value in arrays.items():
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    @property
    def n_edges(self) -> int:
        """Number of oscillators, E."""
        return int(self.r_ohm.size)

    @property
    def tau_s(self) -> np.ndarray:
        """RC time constants (s)."""
        return self.r_ohm * self.c_f

    @property
    def charge_time_s(self) -> np.ndarray:
        """Duration of the charging half, ``RC ln((1 - fl) / (1 - fh))`` (s)."""
        return self.tau_s * np.log((1 - self.low_fraction) / (1 - self.high_fraction))

    @property
    def discharge_time_s(self) -> np.ndarray:
        """Duration of the discharging half, ``RC ln(fh / fl)`` (s)."""
        return self.tau_s * np.log(self.high_fraction / self.low_fraction)

    @property
    def period_s(self) -> np.ndarray:
        """Oscillation periods from the RC formula (s)."""
        return self.charge_time_s + self.discharge_time_s

    def select(self, edges: np.ndarray | list[int] | slice) -> OscillatorParameters:
        """The parameters of a subset of edges (same order as ``edges``)."""
        return OscillatorParameters(
            r_ohm=self.r_ohm[edges],
            c_f=self.c_f[edges],
            low_fraction=self.low_fraction[edges],
            high_fraction=self.high_fraction[edges],
            phase_fraction=self.phase_fraction[edges],
        )

    def with_phase(self, phase_fraction: np.ndarray | float) -> OscillatorParameters:
        """A copy with other phases at time 0 (scalar or one per edge)."""
        phase = np.broadcast_to(np.asarray(phase_fraction, dtype=float), self.r_ohm.shape)
        return replace(self, phase_fraction=phase)

    def to_dict(self) -> dict[str, list[float]]:
        """Plain lists, for JSON result files."""
        return {
            "r_ohm": self.r_ohm.tolist(),
            "c_f": self.c_f.tolist(),
            "low_fraction": self.low_fraction.tolist(),
            "high_fraction": self.high_fraction.tolist(),
            "phase_fraction": self.phase_fraction.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> OscillatorParameters:
        """Inverse of :meth:`to_dict`."""
        keys = ("r_ohm", "c_f", "low_fraction", "high_fraction", "phase_fraction")
        missing = [k for k in keys if k not in data]
        if missing:
            raise UserError(f"oscillator parameters: missing {missing[0]!r}")
        return cls(**{k: np.asarray(data[k], dtype=float) for k in keys})


def draw_oscillators(
    n_edges: int,
    tolerance: float,
    rng: np.random.Generator,
    *,
    r_nominal_ohm: float = DEFAULT_R_OHM,
    c_nominal_f: float = DEFAULT_C_F,
    common_phase: float | None = None,
) -> OscillatorParameters:
    """Draw the oscillators of a board with component spread and random initial phases.

    Every component value is ``nominal * (1 + tolerance * u)`` with ``u`` uniform on [-1, 1]
    (the datasheet reading of "+-tolerance"): the timing R and C, and the three equal resistors
    of each comparator's threshold divider (top, middle, bottom), which give
    ``low = bottom / sum`` and ``high = (middle + bottom) / sum`` (1/3 and 2/3 for ideal parts).
    The initial phases are uniform on [0, 1) (start-up spread), unless ``common_phase`` is given.
    The same numbers are consumed from ``rng`` whatever ``tolerance`` is.

    Parameters
    ----------
    n_edges
        Number of oscillators, E >= 1.
    tolerance
        Relative spread of every R and C, in [0, 0.5); 0 gives ideal, identical parts.
    rng
        Generator of the component-spread stream (from ``SeedSequence.spawn``).
    r_nominal_ohm, c_nominal_f
        Nominal timing resistor (ohm) and capacitor (F).
    common_phase
        If given, every oscillator starts at this phase in [0, 1) (a synchronised start).

    Returns
    -------
    OscillatorParameters
    """
    n_edges = check_whole("n_edges", n_edges, 1)
    if not np.isfinite(tolerance) or not 0 <= tolerance < MAX_TOLERANCE:
        raise UserError(f"tolerance {tolerance!r}: must be in [0, {MAX_TOLERANCE})")
    if not (r_nominal_ohm > 0 and c_nominal_f > 0):
        raise UserError(f"nominal R {r_nominal_ohm!r} and C {c_nominal_f!r}: must be positive")
    u = rng.uniform(-1.0, 1.0, size=(5, n_edges))
    phase = rng.uniform(0.0, 1.0, size=n_edges)
    if common_phase is not None:
        if not 0 <= common_phase < 1:
            raise UserError(f"common_phase {common_phase!r}: must be in [0, 1)")
        phase = np.full(n_edges, float(common_phase))
    spread = 1.0 + tolerance * u
    top, middle, bottom = spread[2], spread[3], spread[4]
    total = top + middle + bottom
    return OscillatorParameters(
        r_ohm=r_nominal_ohm * spread[0],
        c_f=c_nominal_f * spread[1],
        low_fraction=bottom / total,
        high_fraction=(middle + bottom) / total,
        phase_fraction=phase,
    )


# --- phase model -----------------------------------------------------------------------------


def _time_in_period(params: OscillatorParameters, t_s: np.ndarray | float) -> np.ndarray:
    t = np.asarray(t_s, dtype=float)[..., None]
    period = params.period_s
    return np.mod(t + params.phase_fraction * period, period)


def waveform_fraction(params: OscillatorParameters, t_s: np.ndarray | float) -> np.ndarray:
    """Capacitor voltage as a fraction of ``vdd - vss`` at times ``t_s``.

    Parameters
    ----------
    params
        The oscillators; their ``phase_fraction`` is the phase at ``t = 0``.
    t_s
        Times in seconds, any shape S.

    Returns
    -------
    numpy.ndarray
        Shape S + (E,), values between the thresholds.
    """
    s = _time_in_period(params, t_s)
    tau = params.tau_s
    charging = s < params.charge_time_s
    rising = 1.0 - (1.0 - params.low_fraction) * np.exp(-s / tau)
    falling = params.high_fraction * np.exp(-(s - params.charge_time_s) / tau)
    return np.where(charging, rising, falling)


def waveform_v(
    params: OscillatorParameters,
    t_s: np.ndarray | float,
    vdd_v: float = DEFAULT_SUPPLY_V,
    vss_v: float = 0.0,
) -> np.ndarray:
    """Capacitor (``out`` pin) voltage in volts at times ``t_s``, shape S + (E,)."""
    return vss_v + (vdd_v - vss_v) * waveform_fraction(params, t_s)


def output_high(params: OscillatorParameters, t_s: np.ndarray | float) -> np.ndarray:
    """Whether each oscillator's comparator output is high (charging half), shape S + (E,)."""
    return _time_in_period(params, t_s) < params.charge_time_s


def enabled(
    params: OscillatorParameters,
    t_s: np.ndarray | float,
    bias_v: float | np.ndarray,
    vdd_v: float = DEFAULT_SUPPLY_V,
    vss_v: float = 0.0,
) -> np.ndarray:
    """Enable bits (oscillator above the bias) at times ``t_s``, boolean of shape S + (E,)."""
    return waveform_v(params, t_s, vdd_v, vss_v) > np.asarray(bias_v, dtype=float)


def advance(params: OscillatorParameters, dt_s: float) -> OscillatorParameters:
    """The oscillators ``dt_s`` seconds later: same parts, phases moved on."""
    phase = params.phase_fraction + float(dt_s) / params.period_s
    return params.with_phase(np.mod(phase, 1.0))


def duty_above(
    params: OscillatorParameters,
    bias_v: float | np.ndarray,
    vdd_v: float = DEFAULT_SUPPLY_V,
    vss_v: float = 0.0,
) -> np.ndarray:
    """Analytic fraction of each period spent above ``bias_v``, shape bias.shape + (E,).

    1 below the lower threshold (always enabled), 0 above the upper one.
    """
    x = (np.asarray(bias_v, dtype=float)[..., None] - vss_v) / (vdd_v - vss_v)
    low, high, tau = params.low_fraction, params.high_fraction, params.tau_s
    inside = np.clip(x, low, high)
    above = tau * (np.log((1 - inside) / (1 - high)) + np.log(high / inside))
    return np.clip(above / params.period_s, 0.0, 1.0)


def initial_state(
    params: OscillatorParameters, supply_v: float = DEFAULT_SUPPLY_V, t_s: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Capacitor voltage above vss (V) and output state (1 high, 0 low) at time ``t_s``.

    These are the ``vc0`` and ``q0`` initial conditions that start ``osc_relax`` at its phase.
    """
    x = waveform_fraction(params, t_s)
    return supply_v * x, output_high(params, t_s).astype(float)


# --- netlist text ------------------------------------------------------------------------------


def _num(value: float) -> str:
    return f"{float(value):.9g}"


def _check_edge(edge: int) -> int:
    return check_whole("edge", edge, 0)


def oscillator_instance(
    edge: int,
    out_node: str,
    params: OscillatorParameters,
    vdd_node: str,
    vss_node: str,
    *,
    supply_v: float = DEFAULT_SUPPLY_V,
    t_s: float = 0.0,
) -> str:
    """One ``XOSC_<edge>`` instance line of ``osc_relax``.

    Parameters
    ----------
    edge
        Edge index; selects the entry of ``params``.
    out_node
        Node carrying the capacitor waveform (feed it to :func:`enable_instance`).
    params
        The board's oscillators.
    vdd_node, vss_node
        Supply nodes.
    supply_v
        ``vdd - vss`` in volts, used for the initial capacitor voltage.
    t_s
        Time at which the instance starts (phase ``phase_fraction`` refers to ``t = 0``); run
        the transient with ``uic`` so the initial conditions hold.

    Returns
    -------
    str
        A netlist line without trailing newline.
    """
    i = _check_edge(edge)
    if i >= params.n_edges:
        raise UserError(f"edge {i}: the oscillator parameters cover edges 0..{params.n_edges - 1}")
    one = params.select([i])
    vc0, q0 = initial_state(one, supply_v, t_s)
    return (
        f"XOSC_{i} {out_node} {vdd_node} {vss_node} {OSCILLATOR_SUBCKT} "
        f"r={_num(one.r_ohm[0])} c={_num(one.c_f[0])} fl={_num(one.low_fraction[0])} "
        f"fh={_num(one.high_fraction[0])} vc0={_num(vc0[0])} q0={_num(q0[0])}"
    )


def enable_instance(
    edge: int,
    out_node: str,
    osc_node: str,
    bias_node: str,
    vdd_node: str,
    vss_node: str,
    *,
    offset_v: float = 0.0,
) -> str:
    """One ``XCMPEN_<edge>`` instance line of ``comp_enable``.

    The output is high (vdd, logic 1) while ``v(osc_node) > v(bias_node) + offset_v``.
    """
    i = _check_edge(edge)
    if not np.isfinite(offset_v):
        raise UserError(f"enable comparator offset {offset_v!r}: must be a finite voltage")
    return (
        f"XCMPEN_{i} {out_node} {osc_node} {bias_node} {vdd_node} {vss_node} {ENABLE_SUBCKT} "
        f"voff={_num(offset_v)}"
    )


def library_files() -> list[Path]:
    """The ``.lib`` files that define ``osc_relax`` and ``comp_enable``."""
    from coupled import netlists

    return [netlists.lib_path("oscillator"), netlists.lib_path("enable")]


def oscillator_bench(
    params: OscillatorParameters,
    edge: int,
    bias_v: np.ndarray | list[float] | tuple[float, ...] = (),
    *,
    supply_v: float = DEFAULT_SUPPLY_V,
    trigger_period_s: float | None = None,
    sample_at_triggers: bool = False,
) -> str:
    """A stand-alone netlist of one edge's oscillator and enable comparators.

    Nodes: ``vdd`` (``supply_v``), ``osc`` (the oscillator of edge ``edge``), ``bias<k>`` and
    ``en<k>`` (the k-th bias and the enable comparator held against it; the comparators of this
    bench are named ``XCMPEN_<k>``) and, with ``trigger_period_s``, ``trig``: the global trigger,
    rising at every multiple of the period (its edges are breakpoints, so the transient has a
    time point exactly at every trigger instant). ``sample_at_triggers`` adds
    ``.options interp`` so that a transient with step ``trigger_period_s`` stores only the
    trigger instants (memory stays flat over long runs). The libraries are inlined. Run it as
    a ``uic`` transient.

    Returns
    -------
    str
        The netlist text, title first, ending with ``.end``.
    """
    i = _check_edge(edge)
    if i >= params.n_edges:
        raise UserError(f"edge {i}: the oscillator parameters cover edges 0..{params.n_edges - 1}")
    if not np.isfinite(supply_v) or supply_v <= 0:
        raise UserError(f"supply_v {supply_v!r}: must be a positive voltage")
    lines = [f"* oscillator test bench, edge {i}"]
    for path in library_files():
        lines += [f"* ---- {path.name} ----", path.read_text().strip("\n")]
    lines.append(f"Vdd vdd 0 {_num(supply_v)}")
    if trigger_period_s is not None:
        if not np.isfinite(trigger_period_s) or trigger_period_s <= 0:
            raise UserError(f"trigger period {trigger_period_s!r}: must be a positive time (s)")
        t = float(trigger_period_s)
        edge_s = min(1e-9, t / 100)
        lines.append(
            f"Vtrig trig 0 PULSE(0 {_num(supply_v)} {_num(t)} {_num(edge_s)} {_num(edge_s)} "
            f"{_num(t / 2)} {_num(t)})"
        )
        if sample_at_triggers:
            lines.append(".options interp")
    lines.append(oscillator_instance(i, "osc", params, "vdd", "0", supply_v=supply_v))
    for k, bias in enumerate(np.atleast_1d(np.asarray(bias_v, dtype=float))):
        lines.append(f"Vbias{k} bias{k} 0 {_num(bias)}")
        lines.append(enable_instance(k, f"en{k}", "osc", f"bias{k}", "vdd", "0"))
    lines.append(".end")
    return "\n".join(lines) + "\n"
