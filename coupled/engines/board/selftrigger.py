"""The self-triggered board's schedule: when each edge fires, and the examples' period.

With ``--trigger self`` the board has no global trigger line. Each edge's enable comparator
(its oscillator against the bias) drives a one-shot of its own: the edge latches its decision
and moves its tap when its oscillator's waveform crosses the bias upward, once per oscillator
period (:mod:`coupled.circuits.assembly` draws the one-shot). Between two firings of any edge the
twin
networks are static, so an engine advances from event to event.

Firing times. In the phase model of :mod:`coupled.circuits.oscillator` (``x`` the capacitor voltage
as a
fraction of the swing, phase 0 the lower threshold at the start of the charging half) the
waveform crosses ``x_b = (bias - vss) / swing`` upward at ``s_b = tau ln((1 - fl) / (1 - x_b))``
into the period, so edge ``i`` fires at ``t = t0_i + k P_i`` (``k = 0, 1, ...``) with
``t0_i = (s_b - phase_i P_i) mod P_i`` in ``(0, P_i]``, plus the delay from the crossing to the
instant the edge's latches close: the one-shot's width (``BoardDesign.trigger_width_s``, 1 us;
the engines use it, so an example change between a crossing and the latch's closing is seen by
that decision, as on the board). The bias of a self-triggered board is
mid-supply (:data:`SELF_BIAS`: the mid-swing level that the fitted phase model reproduces
exactly); it sets where in its period an edge fires, not how often.

Rates and ``p``. An edge fires ``1 / P_i`` times per second. The training examples change every
``example_period_s`` (``T``); step ``n`` of a run is the example period ``((n - 1) T, n T]`` and
shows the example the training loop drew for step ``n``. ``p`` is the mean number of firings
per edge per example period, ``p = T mean_i(1 / P_i)``:

* without ``--example-period-s`` the oscillators stay as drawn and ``T = p / mean_i(1 / P_i)``;
* with ``--example-period-s T`` the design trims every oscillator's rate by one common factor
  (its timing capacitors scaled by ``T mean_i(1 / P_i) / p``, a board-wide rate trim), so that
  the same equation holds (:func:`rate_trimmed`).

``steps x p`` is then the expected number of updates per edge, as on the clocked board. The
realised firings per edge per example period are counted by the engines and recorded
(``firings_per_edge_per_example`` in ``run.json``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from coupled.circuits.design import TRIGGERS, BoardParameters
from coupled.circuits.oscillator import OscillatorParameters
from coupled.core.errors import UserError

EVENT_BLOCK = 64
"""Example periods whose firings :meth:`SelfTriggerSchedule.events` computes at once."""


def self_bias_v(vss_v: float, vdd_v: float) -> float:
    """The bias of a self-triggered board (V): mid-supply."""
    return 0.5 * (float(vss_v) + float(vdd_v))


SELF_BIAS = "mid-supply"
"""Where a self-triggered board's bias sits (:func:`self_bias_v`)."""


def mean_rate_hz(oscillators: OscillatorParameters) -> float:
    """Mean firing rate per edge, ``mean_i(1 / P_i)`` (Hz)."""
    return float(np.mean(1.0 / oscillators.period_s))


def rate_trimmed(
    parameters: BoardParameters, p: float, example_period_s: float | None
) -> BoardParameters:
    """The board's parts with the oscillators' rate trimmed so ``T mean(1/P) = p``.

    ``example_period_s=None`` returns ``parameters`` unchanged (no trim).
    """
    if example_period_s is None:
        return parameters
    osc = parameters.oscillators
    scale = float(example_period_s) * mean_rate_hz(osc) / float(p)
    trimmed = replace(osc, c_f=osc.c_f * scale)
    return replace(parameters, oscillators=trimmed)


@dataclass(frozen=True, eq=False)
class SelfTriggerSchedule:
    """Every edge's firing times and the example period (see the module docstring).

    Parameters
    ----------
    first_s
        Each edge's first firing time, in ``(delay, P_i + delay]`` (s), shape (E,).
    period_s
        Each edge's firing period (its oscillator's period, s), shape (E,).
    example_period_s
        Time between example changes (s); step ``n`` covers ``((n - 1) T, n T]``.
    """

    first_s: np.ndarray
    period_s: np.ndarray
    example_period_s: float
    _blocks: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(
        cls,
        oscillators: OscillatorParameters,
        bias_v: float,
        vss_v: float,
        swing_v: float,
        p: float,
        example_period_s: float | None = None,
        delay_s: float = 0.0,
    ) -> SelfTriggerSchedule:
        """The schedule of these oscillators (phase model) firing over ``bias_v``.

        The example period is ``example_period_s`` if given (the oscillators are then the
        rate-trimmed ones, :func:`rate_trimmed`), else ``p / mean_i(1 / P_i)``. An oscillator
        whose range does not include the bias would never fire: ``UserError``. ``delay_s``
        puts each firing that long after its crossing (the board's one-shot width: the edge's
        latches close when its one-shot ends).
        """
        x = (float(bias_v) - float(vss_v)) / float(swing_v)
        low, high = oscillators.low_fraction, oscillators.high_fraction
        if np.any(x <= low) or np.any(x >= high):
            bad = int(np.flatnonzero((x <= low) | (x >= high))[0])
            raise UserError(
                f"self-triggered board: bias {bias_v!r} V is outside oscillator {bad}'s range "
                f"({vss_v + swing_v * low[bad]:.3g} to {vss_v + swing_v * high[bad]:.3g} V); "
                "that edge would never fire"
            )
        period = oscillators.period_s
        crossing = oscillators.tau_s * np.log((1.0 - low) / (1.0 - x))
        first = np.mod(crossing - oscillators.phase_fraction * period, period)
        first = np.where(first <= 0.0, period, first) + float(delay_s)
        example = float(p) / mean_rate_hz(oscillators)
        if example_period_s is not None:
            example = float(example_period_s)
        return cls(first_s=first, period_s=np.array(period), example_period_s=example)

    @property
    def n_edges(self) -> int:
        """Number of edges E."""
        return int(self.period_s.size)

    def count_until(self, t_s: float) -> np.ndarray:
        """Firings of every edge in ``(0, t_s]``, shape (E,)."""
        n = np.floor((float(t_s) - self.first_s) / self.period_s) + 1.0
        return np.maximum(n, 0.0).astype(np.int64)

    def events_between(self, start_s: float, stop_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Firings in ``(start_s, stop_s]`` in time order (ties by edge): (times s, edges)."""
        begin, end = self.count_until(start_s), self.count_until(stop_s)
        counts = end - begin
        edges = np.repeat(np.arange(self.n_edges), counts)
        k = np.concatenate([np.arange(b, e) for b, e in zip(begin, end, strict=True)])
        times = self.first_s[edges] + k.astype(float) * self.period_s[edges]
        order = np.lexsort((edges, times))
        return times[order], edges[order]

    def events(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        """Firings during example period ``step`` (1-based): ``((step - 1) T, step T]``.

        Computed :data:`EVENT_BLOCK` periods at a time (cached) and split at the periods' ends.
        """
        block, within = divmod(int(step) - 1, EVENT_BLOCK)
        if block not in self._blocks:
            if len(self._blocks) > 4:
                self._blocks.clear()
            t = self.example_period_s
            first = block * EVENT_BLOCK
            times, edges = self.events_between(first * t, (first + EVENT_BLOCK) * t)
            ends = (first + np.arange(EVENT_BLOCK + 1)) * t
            split = np.searchsorted(times, ends, side="right")
            split[0] = 0
            self._blocks[block] = (times, edges, split)
        times, edges, split = self._blocks[block]
        part = slice(split[within], split[within + 1])
        return times[part], edges[part]


__all__ = [
    "SELF_BIAS",
    "SelfTriggerSchedule",
    "TRIGGERS",
    "mean_rate_hz",
    "rate_trimmed",
    "self_bias_v",
]
