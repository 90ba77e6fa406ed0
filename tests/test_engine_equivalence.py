"""The three engines take the same decisions from the same draws where they must.

* p = 1, sigma_v = 0 and ideal parts (tolerance 0): ``ideal`` (exact numpy), ``spice`` (twin
  networks in ngspice, rules in Python) and ``circuit`` (the whole board in ngspice: its
  comparators, XOR, latches, oscillators and enable comparators decide) end every step with
  the same taps.
* The circuit engine's fast scheme (short windows, oscillators preset from the phase model)
  takes the same enable and direction bits as its golden mode (one free-running transient in
  physical time) at p = 0.5 with part spread and comparator offsets.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from coupled.training.config import TrainConfig
from coupled.training.run import Run


def _lockstep(config: TrainConfig, engine_options: dict[str, dict], steps: int):
    """Step several engines on the same draws; yield (step, {engine: state}) after each step."""
    runs = {
        name: Run(dataclasses.replace(config, engine=name, engine_options=options))
        for name, options in engine_options.items()
    }
    engines = {name: run.engine for name, run in runs.items()}
    source = next(iter(runs.values()))  # every run draws the same: one seed, same streams
    state = source.state
    states = dict.fromkeys(engines, state)
    try:
        for step in range(1, steps + 1):
            draws = source.draws(step)
            states = {name: engine.step(states[name], draws) for name, engine in engines.items()}
            yield step, states
    finally:
        for engine in engines.values():
            engine.close()


def _assert_same_taps(config, engine_options, steps):
    moved = 0
    for step, states in _lockstep(config, engine_options, steps):
        reference = states["ideal"]
        moved += int(np.count_nonzero(reference.enabled))
        for name, state in states.items():
            differ = np.argwhere(state.taps != reference.taps)
            assert differ.size == 0, f"{name} differs from ideal after step {step} at {differ[:5]}"
            assert np.array_equal(state.direction, reference.direction), (name, step)
            assert np.array_equal(state.enabled, reference.enabled), (name, step)
    return moved


@pytest.mark.parametrize("gain", [1.0, 40.0])
def test_ideal_spice_and_circuit_agree_on_experiment16(gain):
    """The board's sensing stage (drop stages, sense stages of gain G, clipping) decides as the
    rule through :mod:`coupled.physics.sensing` does, at unity gain and at G = 40."""
    config = TrainConfig(
        network="experiment16",
        rule="discrete",
        p=1.0,
        sigma_v=0.0,
        steps=30,
        tasks=2,
        seed=4,
        sense_gain=gain,
    )
    options = {"ideal": {}, "spice": {}, "circuit": {"tolerance": 0.0}}
    moved = _assert_same_taps(config, options, 30)
    assert moved == 30 * 2 * 16  # p = 1: every edge of both tasks moved at every step


def test_ideal_spice_and_circuit_agree_on_jammed143():
    config = TrainConfig(
        network="jammed143", rule="discrete", p=1.0, sigma_v=0.0, steps=4, tasks=1, seed=2
    )
    options = {
        "ideal": {},
        "spice": {},
        # p = 1 enables every edge whatever the phases: skip the oscillator fit (~15 s).
        "circuit": {"tolerance": 0.0, "phase_model": "formula"},
    }
    _assert_same_taps(config, options, 4)


def test_fast_scheme_takes_the_golden_decisions():
    """24 steps of 16 edges at p = 0.5: 384 enable and 384 direction bits, all equal, with the
    fast windows' oscillators held at their phase-model voltage (default) and released.

    The trigger period (2.5 us, an eighth of an oscillator period) keeps the golden transient
    short; phases still drift apart between edges (5 % part spread). Longer runs of the same
    comparison: docs/engines.md.
    """
    config = TrainConfig(
        network="experiment16", rule="discrete", p=0.5, sigma_v=0.05, steps=24, tasks=1, seed=5
    )
    common = {"tolerance": 0.05, "trigger_period_s": 2.5e-6}
    options = {
        "fast": common,
        "released": {**common, "fast_oscillators": "released"},
        "golden": {**common, "golden": True},
    }
    runs = {
        label: [
            (states["circuit"].enabled, states["circuit"].direction)
            for _, states in _lockstep(config, {"circuit": opts}, 24)
        ]
        for label, opts in options.items()
    }
    for step, ((he, hd), (re_, rd)) in enumerate(zip(runs["fast"], runs["released"], strict=True)):
        assert np.array_equal(he, re_) and np.array_equal(hd, rd), f"held/released, {step + 1}"
    enabled = []
    for step, ((fe, fd), (ge, gd)) in enumerate(zip(runs["fast"], runs["golden"], strict=True)):
        where = f"at step {step + 1}"
        assert np.array_equal(fe, ge), f"enables differ {where}: {np.argwhere(fe != ge)}"
        assert np.array_equal(fd, gd), f"directions differ {where}: {np.argwhere(fd != gd)}"
        enabled.append(fe)
    share = np.mean(enabled)
    assert 0.35 < share < 0.65  # the bias set p = 0.5
    per_edge = np.array(enabled)[:, 0, :]
    assert np.all(per_edge.any(axis=0)) and np.all((~per_edge).any(axis=0))  # every edge toggles
    assert len({tuple(col) for col in per_edge.T}) > 8  # edges desynchronised
