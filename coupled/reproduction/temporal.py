"""``temporal``: how the board's enables correlate in time, against jitter and trigger period.

Every edge's enable at a trigger is its relaxation oscillator above the global bias
(:mod:`coupled.circuits.oscillator`). A deterministic oscillator sampled every trigger period T is a
rotation by ``T / period`` of a turn, not a coin flip: its enable train has an autocorrelation
``r_k`` that does not vanish (:func:`coupled.calibration.stats.rotation_autocorrelation`), while
the paper's model draws independent Bernoulli(p) bits. Period jitter (rms fraction of a period
per cycle, :mod:`coupled.circuits.jitter`) makes each phase diffuse and wears the rotation away.

The study draws the calibration's board (``coupled calibrate``: ``experiment16``, 5 % spread,
oscillators from ``--seed``), sets the bias where the oscillators' mean time share above it is
0.5, and for every (jitter, trigger period) takes the phase model's enable trains (with the
phase random walk of the jitter, seeded by the board seed: the trains of ``coupled calibrate
--events phase --jitter J --trigger-period-s T``) and reports each lag's autocorrelation
(lags 1..10, mean and mean absolute value over edges), the rotation formula at jitter 0, and
the Pearson correlation between edges (mean |r| over pairs, against the null
``sqrt(2 / (pi n))``). One point (jitter 0, the default 50 us) is cross-checked by ngspice
transients of every edge's oscillator and enable comparator (``--quick``: the first 4 edges; the
circuit's own oscillators have no noise; rows ``events = transient``, beside the phase model on
the same edges and triggers, ``phase (cross-check)``). At their time step of period / 200 the
transients run 0.1-0.4 % faster than the RC formula of the phase model, so over hundreds of
periods their bits drift apart (the share of equal bits falls from about 0.85 over 50
triggers to 0.5 over 1 000) while the statistics agree.

Jitter values: 0, the parts' default 2.1e-5, 1e-3, 1e-2, 1e-1, 0.3; trigger periods around the
oscillators' 20.8 us period: 5, 10, 15, 25, 50 (default) and 100 us.

Outputs: ``temporal.csv`` (one row per events source, jitter, trigger period and lag:
``events``, ``jitter``, ``trigger_period_s``, ``lag``, ``mean_autocorrelation``,
``mean_abs_autocorrelation``, ``formula_autocorrelation`` (jitter 0 only), ``p``, ``bias_v``,
``n_triggers``), ``temporal_summary.csv`` (one row per events source, jitter and trigger period:
``lag1_autocorrelation``, ``mean_abs_autocorrelation`` over lags 1..10, ``null_std``,
``mean_abs_pearson``, ``max_abs_pearson``, ``null_mean_abs_pearson``) and a PNG.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coupled.calibration.run import board_oscillators
from coupled.calibration.stats import (
    AUTOCORRELATION_LAGS,
    autocorrelation,
    correlation_summary,
    pearson_matrix,
    rotation_autocorrelation,
)
from coupled.circuits.jitter import DEFAULT_JITTER, check_jitter
from coupled.circuits.oscillator import DEFAULT_SUPPLY_V, OscillatorParameters, duty_above
from coupled.core.errors import UserError
from coupled.engines.board.events import simulate_events
from coupled.physics.catalogue import load_network
from coupled.reproduction.base import FigureResult, Setup, params_dict

DEFAULT_TRIGGER_PERIOD_S = 50e-6


@dataclass(frozen=True)
class TemporalParams:
    """Parameters of the temporal-correlation study (units in the names)."""

    network: str = "experiment16"
    tolerance: float = 0.05
    p: float = 0.5
    jitters: tuple[float, ...] = (0.0, DEFAULT_JITTER, 1e-3, 1e-2, 1e-1, 0.3)
    trigger_periods_s: tuple[float, ...] = (5e-6, 10e-6, 15e-6, 25e-6, 50e-6, 100e-6)
    n_triggers: int = 10_000
    lags: int = AUTOCORRELATION_LAGS
    transient_triggers: int = 1_000
    """Triggers of the ngspice cross-check (0: none)."""
    transient_edges: int = 0
    """Edges of the ngspice cross-check (the first ones; 0: every edge)."""
    supply_v: float = DEFAULT_SUPPLY_V


QUICK = TemporalParams(
    jitters=(0.0, DEFAULT_JITTER, 1e-2, 1e-1),
    trigger_periods_s=(10e-6, 25e-6, 50e-6),
    n_triggers=2_000,
    transient_triggers=50,
    transient_edges=4,
)


def params(name: str, quick: bool) -> TemporalParams:
    """Default or quick parameters."""
    return QUICK if quick else TemporalParams()


def check(name: str, prm: TemporalParams, setup: Setup) -> None:
    """Validate the parameters (``UserError``)."""
    if not prm.jitters or not prm.trigger_periods_s:
        raise UserError(f"{name}: needs at least one jitter and one trigger period")
    for value in prm.jitters:
        check_jitter(value, f"{name}: jitter")
    if any(not np.isfinite(t) or t <= 0 for t in prm.trigger_periods_s):
        raise UserError(f"{name}: trigger periods {prm.trigger_periods_s}: must be positive (s)")
    if not 1 <= prm.lags < prm.n_triggers:
        raise UserError(f"{name}: lags {prm.lags}: need 1 <= lags < {prm.n_triggers} triggers")
    if prm.transient_triggers and prm.transient_triggers <= prm.lags:
        raise UserError(f"{name}: transient triggers must exceed the lags ({prm.lags})")
    load_network(prm.network)


def half_bias_v(osc: OscillatorParameters, p: float, supply_v: float) -> float:
    """The bias (V) at which the oscillators' mean time share above it is ``p`` (bisection)."""
    low, high = supply_v * float(osc.low_fraction.min()), supply_v * float(osc.high_fraction.max())
    for _ in range(80):
        mid = 0.5 * (low + high)
        if float(duty_above(osc, mid, supply_v).mean()) > p:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


def _rows(trains: np.ndarray, prm: TemporalParams, key: dict, osc, bias_v: float) -> tuple:
    """Per-lag rows and the summary row of one train set (n, E)."""
    r = autocorrelation(trains, prm.lags)  # (E, L)
    mean, mean_abs = np.nanmean(r, axis=0), np.nanmean(np.abs(r), axis=0)
    if key["jitter"] == 0.0:
        duty = duty_above(osc, bias_v, prm.supply_v)
        rotation = key["trigger_period_s"] / osc.period_s
        formula = np.mean(
            [
                rotation_autocorrelation(rot, d, prm.lags)
                for rot, d in zip(rotation, duty, strict=True)
            ],
            axis=0,
        )
    else:
        formula = np.full(prm.lags, np.nan)
    n = trains.shape[0]
    lag_rows = [
        {
            **key,
            "lag": lag,
            "mean_autocorrelation": float(mean[lag - 1]),
            "mean_abs_autocorrelation": float(mean_abs[lag - 1]),
            "formula_autocorrelation": float(formula[lag - 1]),
            "p": float(trains.mean()),
            "bias_v": bias_v,
            "n_triggers": n,
        }
        for lag in range(1, prm.lags + 1)
    ]
    corr = correlation_summary(pearson_matrix(trains), n)
    summary = {
        **key,
        "p": float(trains.mean()),
        "lag1_autocorrelation": float(mean[0]),
        "mean_abs_autocorrelation": float(mean_abs.mean()),
        "null_std": 1.0 / np.sqrt(n),
        "mean_abs_pearson": corr["mean_abs_pearson"],
        "max_abs_pearson": corr["max_abs_pearson"],
        "null_mean_abs_pearson": corr["null_mean_abs_pearson"],
        "n_triggers": n,
    }
    return lag_rows, summary


def compute(name: str, prm: TemporalParams, setup: Setup) -> FigureResult:
    """Enable trains for every (jitter, trigger period), and the transient cross-check."""
    n_edges = load_network(prm.network).n_edges
    osc = board_oscillators(n_edges, prm.tolerance, setup.seed)
    bias = half_bias_v(osc, prm.p, prm.supply_v)
    lag_rows, summary_rows = [], []
    for jitter in prm.jitters:
        for period in prm.trigger_periods_s:
            trains = simulate_events(
                osc,
                [bias],
                period,
                prm.n_triggers,
                supply_v=prm.supply_v,
                source="phase",
                jitter=float(jitter),
                board_seed=setup.seed,
            )[0]
            key = {"events": "phase", "jitter": float(jitter), "trigger_period_s": float(period)}
            rows, summary = _rows(trains, prm, key, osc, bias)
            lag_rows += rows
            summary_rows.append(summary)
    agreement = float("nan")
    if prm.transient_triggers:
        pair = []
        some = osc.select(slice(0, prm.transient_edges or None))
        for source in ("transient", "phase"):
            trains = simulate_events(
                some,
                [bias],
                DEFAULT_TRIGGER_PERIOD_S,
                prm.transient_triggers,
                supply_v=prm.supply_v,
                source=source,
                workers=setup.workers,
            )[0]
            key = {
                "events": f"{source} (cross-check)" if source == "phase" else source,
                "jitter": 0.0,
                "trigger_period_s": DEFAULT_TRIGGER_PERIOD_S,
            }
            rows, summary = _rows(trains, prm, key, some, bias)
            lag_rows += rows
            summary_rows.append(summary)
            pair.append(trains)
        agreement = float(np.mean(pair[0] == pair[1]))
    table, summary = pd.DataFrame(lag_rows), pd.DataFrame(summary_rows)
    return FigureResult(
        name=name,
        tables={"temporal.csv": table, "temporal_summary.csv": summary},
        documents={},
        summary=tuple(_lines(name, prm, summary, bias, agreement)),
        params=params_dict(prm),
        base_config={
            "network": prm.network,
            "tolerance": prm.tolerance,
            "board_seed": setup.seed,
            "p": prm.p,
            "bias_v": bias,
            "supply_v": prm.supply_v,
            "transient_phase_bit_agreement": agreement,
            "varied": ["jitter", "trigger_period_s"],
        },
        plot="plot_temporal",
    )


def _lines(
    name: str, prm: TemporalParams, summary: pd.DataFrame, bias: float, agreement: float
) -> list[str]:
    phase = summary[summary["events"] == "phase"]
    default_t = (
        DEFAULT_TRIGGER_PERIOD_S
        if DEFAULT_TRIGGER_PERIOD_S in prm.trigger_periods_s
        else (prm.trigger_periods_s[-1])
    )
    at_t = phase[phase["trigger_period_s"] == default_t]
    lines = [
        f"{name}: {prm.network} board ({prm.tolerance:g} spread, 5 V oscillators), bias "
        f"{bias:.4f} V (time share above 0.5), {prm.n_triggers} triggers, phase model with "
        f"the jitter's random walk; null std of r_k {1 / np.sqrt(prm.n_triggers):.3f}",
        f"T = {default_t * 1e6:g} us: lag-1 autocorrelation (mean over edges) per jitter: "
        + ", ".join(f"{r.jitter:g}: {r.lag1_autocorrelation:+.3f}" for r in at_t.itertuples()),
        f"T = {default_t * 1e6:g} us: mean |Pearson r| between edges per jitter: "
        + ", ".join(f"{r.jitter:g}: {r.mean_abs_pearson:.4f}" for r in at_t.itertuples()),
    ]
    zero = phase[phase["jitter"] == 0.0]
    lines.append(
        "jitter 0: lag-1 autocorrelation per trigger period: "
        + ", ".join(
            f"{r.trigger_period_s * 1e6:g} us: {r.lag1_autocorrelation:+.3f}"
            for r in zero.itertuples()
        )
    )
    cross = summary[summary["events"] != "phase"].set_index("events")
    if len(cross) == 2:
        tr, ph = cross.loc["transient"], cross.loc["phase (cross-check)"]
        lines.append(
            f"cross-check at T = {DEFAULT_TRIGGER_PERIOD_S * 1e6:g} us, jitter 0, "
            f"{int(tr['n_triggers'])} triggers: lag-1 transient {tr['lag1_autocorrelation']:+.3f}"
            f" against phase model {ph['lag1_autocorrelation']:+.3f}; mean |r_k| "
            f"{tr['mean_abs_autocorrelation']:.3f} against {ph['mean_abs_autocorrelation']:.3f}"
            f"; same enable bit on {agreement:.1%} of edge-triggers"
        )
    return lines
