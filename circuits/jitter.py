"""Period jitter of the board's relaxation oscillators: its default from the parts' noise, and
the phase random walk that applies it.

Every edge's oscillator (``osc_relax``, :mod:`coupled.circuits.oscillator`) flips when its timing
capacitor crosses a comparator threshold. Noise on either side of that comparison moves the
crossing in time by the noise voltage divided by the waveform's slope there, and each period
starts from the crossing that ended the last, so the timing errors add up: the phase takes a
random walk of rms ``jitter`` periods per cycle.

Derivation of the default (:data:`DEFAULT_JITTER`, computed by :func:`period_jitter` from the
part values of :mod:`coupled.circuits.oscillator`: R = 15 kOhm, C = 1 nF, thresholds 1/3 and 2/3 of
a
5 V supply, comparator response time 100 ns; T = 300 K):

* capacitor (the timing resistor's thermal noise integrated over the RC): ``sqrt(kT / C)`` =
  2.03 uV rms;
* threshold divider (three equal resistors, 5 kOhm each as in a 555; each threshold node sees
  ``2 R / 3`` = 3.3 kOhm): ``sqrt(4 k T (2R/3) B)`` = 11.7 uV rms in the comparator's noise
  bandwidth ``B = 1 / (4 t_q)`` = 2.5 MHz (a single pole of time constant t_q = 100 ns);
* comparator input voltage noise ``e_n sqrt(B)`` with an assumed ``e_n`` = 20 nV/sqrt(Hz) (a
  bipolar input stage; the 555 and LM393 datasheets do not specify it): 31.6 uV rms;
* together (independent, in quadrature) ``v_n`` = 33.8 uV rms at each crossing.

The slope at the upper threshold (charging) is ``V (1 - f_h) / (R C)`` and at the lower one
(discharging) ``V f_l / (R C)``: 1.11e5 V/s each for the nominal parts, so each crossing moves by
``v_n / slope`` = 0.30 ns rms. Two independent crossings per period give 0.43 ns rms on a
20.8 us period: ``jitter`` = 2.1e-5 per cycle. (Supply and reference noise are not included;
they would add to it.)

What it does to the enables: per trigger period T the phase moves by ``jitter sqrt(T /
period)`` periods rms (3.2e-5 at T = 50 us), so over 10 000 triggers by about 3e-3 periods: the
default jitter leaves the rotation of a deterministic oscillator sampled at a fixed trigger
period nearly intact (``coupled reproduce temporal`` measures it).

The random walk (:func:`phase_walk`) draws from its own streams,
``SeedSequence(board_seed, spawn_key=(JITTER_KEY, block))``, :data:`JITTER_BLOCK` triggers per
block, so the board twin, the circuit engine and the calibration's phase-model events see the
same walk for the same board seed, and no other draw of the board or of training moves.
"""

from __future__ import annotations

import math

import numpy as np

from coupled.core.errors import ParameterError, named

BOLTZMANN_J_PER_K = 1.380649e-23
TEMPERATURE_K = 300.0
"""Board temperature (K)."""
COMPARATOR_NOISE_V_PER_RTHZ = 20e-9
"""Assumed input voltage noise density of the oscillator's comparator (V/sqrt(Hz))."""
COMPARATOR_RESPONSE_S = 100e-9
"""Response time of the oscillator's comparator (``osc_relax`` parameter ``tq``, s)."""
DIVIDER_R_OHM = 5e3
"""Each of the three equal resistors of the threshold divider (ohm; a 555's internal value)."""
JITTER_KEY = 0x6A17
"""Spawn key of the jitter streams (the board's own draws use spawn keys 0, 1, 2)."""
JITTER_BLOCK = 1024
"""Trigger periods of jitter drawn at once (one generator per block)."""
MAX_JITTER = 1.0
"""Largest accepted jitter (rms fraction of a period per cycle)."""


def crossing_noise_v(
    c_f: float,
    *,
    temperature_k: float = TEMPERATURE_K,
    comparator_noise_v_per_rthz: float = COMPARATOR_NOISE_V_PER_RTHZ,
    comparator_response_s: float = COMPARATOR_RESPONSE_S,
    divider_r_ohm: float = DIVIDER_R_OHM,
) -> dict[str, float]:
    """The rms noise voltages (V) at a threshold crossing, by source, and their total.

    Returns
    -------
    dict
        ``capacitor_v`` (kT/C), ``divider_v`` (thermal noise of the threshold node's 2R/3 in the
        comparator's bandwidth), ``comparator_v`` (input noise in that bandwidth), ``total_v``
        (in quadrature) and ``bandwidth_hz`` (``1 / (4 t_q)``).
    """
    kt = BOLTZMANN_J_PER_K * temperature_k
    bandwidth = 1.0 / (4.0 * comparator_response_s)
    capacitor = math.sqrt(kt / c_f)
    divider = math.sqrt(4.0 * kt * (2.0 * divider_r_ohm / 3.0) * bandwidth)
    comparator = comparator_noise_v_per_rthz * math.sqrt(bandwidth)
    total = math.sqrt(capacitor**2 + divider**2 + comparator**2)
    return {
        "capacitor_v": capacitor,
        "divider_v": divider,
        "comparator_v": comparator,
        "total_v": total,
        "bandwidth_hz": bandwidth,
    }


def period_jitter(
    r_ohm: float,
    c_f: float,
    low_fraction: float = 1.0 / 3.0,
    high_fraction: float = 2.0 / 3.0,
    supply_v: float = 5.0,
    **noise,
) -> float:
    """Rms period jitter of one relaxation oscillator as a fraction of its period.

    Each crossing moves by ``v_n / slope`` (slopes ``V (1 - f_h) / RC`` at the upper and
    ``V f_l / RC`` at the lower threshold); the two crossings of a period are independent.
    ``noise`` goes to :func:`crossing_noise_v`.
    """
    tau = r_ohm * c_f
    v_n = crossing_noise_v(c_f, **noise)["total_v"]
    slope_up = supply_v * (1.0 - high_fraction) / tau
    slope_down = supply_v * low_fraction / tau
    sigma_period = math.hypot(v_n / slope_up, v_n / slope_down)
    period = tau * (
        math.log((1.0 - low_fraction) / (1.0 - high_fraction))
        + math.log(high_fraction / low_fraction)
    )
    return sigma_period / period


def _default() -> float:
    from coupled.circuits.oscillator import DEFAULT_C_F, DEFAULT_R_OHM, DEFAULT_SUPPLY_V

    value = period_jitter(DEFAULT_R_OHM, DEFAULT_C_F, supply_v=DEFAULT_SUPPLY_V)
    return float(f"{value:.2g}")


DEFAULT_JITTER = _default()
"""Default period jitter of the board's oscillators (rms fraction of a period per cycle), 2.1e-5:
the nominal parts' noise (module docstring), rounded to two digits."""


def check_jitter(value: object, name: str = "jitter") -> float:
    """A jitter in [0, :data:`MAX_JITTER`]; ``ParameterError`` naming the parameter ``name``
    and the value otherwise."""
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(float(value)) or not 0.0 <= float(value) <= MAX_JITTER:
        raise ParameterError(
            f"{named(name)} {value!r}: must be a number in [0, {MAX_JITTER:g}] (rms fraction of "
            "an oscillator period per cycle)",
            name,
        )
    return float(value)


def walk_block(
    board_seed: int,
    block: int,
    jitter: float,
    trigger_period_s: float,
    period_s: np.ndarray,
    start: np.ndarray,
) -> np.ndarray:
    """Cumulative phase offsets (periods), shape (JITTER_BLOCK, E), of the triggers of ``block``.

    Row ``i`` is the offset at trigger ``block * JITTER_BLOCK + i + 1``; ``start`` is the offset
    at the block's start (the last row of the block before, zeros for block 0).
    """
    period = np.asarray(period_s, dtype=float)
    sequence = np.random.SeedSequence(board_seed, spawn_key=(JITTER_KEY, block))
    rng = np.random.default_rng(sequence)
    rms = jitter * np.sqrt(trigger_period_s / period)
    return start + np.cumsum(rng.standard_normal((JITTER_BLOCK, period.size)) * rms, axis=0)


def phase_walk(
    board_seed: int,
    jitter: float,
    trigger_period_s: float,
    period_s: np.ndarray,
    n_triggers: int,
) -> np.ndarray:
    """Accumulated phase offsets (periods) at triggers 1..``n_triggers``, shape (n, E).

    Zero everywhere for ``jitter`` = 0. The same numbers as the board twin's and the circuit
    engine's walk for the same ``board_seed`` (module docstring).
    """
    period = np.atleast_1d(np.asarray(period_s, dtype=float))
    if jitter == 0.0:
        return np.zeros((n_triggers, period.size))
    blocks, start = [], np.zeros(period.size)
    for block in range(-(-n_triggers // JITTER_BLOCK)):
        walk = walk_block(board_seed, block, jitter, trigger_period_s, period, start)
        blocks.append(walk)
        start = walk[-1]
    return np.concatenate(blocks)[:n_triggers]


class PhaseWalk:
    """The walk of :func:`phase_walk` read trigger by trigger (blocks drawn once, cached).

    Parameters
    ----------
    board_seed
        Seed of the board (of its jitter streams).
    jitter
        Rms fraction of a period per cycle.
    trigger_period_s
        Time between triggers (s).
    period_s
        The oscillators' periods (s), shape (E,).
    """

    def __init__(
        self, board_seed: int, jitter: float, trigger_period_s: float, period_s: np.ndarray
    ) -> None:
        self.board_seed, self.jitter = int(board_seed), float(jitter)
        self.trigger_period_s = float(trigger_period_s)
        self.period_s = np.atleast_1d(np.asarray(period_s, dtype=float))
        self._blocks: dict[int, np.ndarray] = {}

    def offsets(self, step: int) -> np.ndarray:
        """Accumulated phase offsets (periods) at trigger ``step``, shape (E,); 0 at step 0."""
        if self.jitter == 0.0 or step <= 0:
            return np.zeros(self.period_s.size)
        block, within = divmod(int(step) - 1, JITTER_BLOCK)
        return self._block(block)[within]

    def _block(self, block: int) -> np.ndarray:
        if block not in self._blocks:
            start = np.zeros(self.period_s.size) if block == 0 else self._block(block - 1)[-1]
            self._blocks[block] = walk_block(
                self.board_seed, block, self.jitter, self.trigger_period_s, self.period_s, start
            )
        return self._blocks[block]


__all__ = [
    "DEFAULT_JITTER",
    "PhaseWalk",
    "JITTER_BLOCK",
    "JITTER_KEY",
    "check_jitter",
    "crossing_noise_v",
    "period_jitter",
    "phase_walk",
    "walk_block",
]
