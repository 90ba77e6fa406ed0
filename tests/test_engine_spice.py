"""The ``spice`` engine: twin networks in ngspice against the numpy solver and the ideal engine."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from coupled.core.errors import SpiceError
from coupled.engines.spice import TwinSolver
from coupled.physics import rules, sensing, solver
from coupled.physics.catalogue import experiment16
from coupled.spice.session import get_session
from coupled.training.config import TrainConfig
from coupled.training.draws import initial_state, make_tasks
from coupled.training.run import Run, train


def _run(config: TrainConfig, name: str = "spice") -> Run:
    return Run(dataclasses.replace(config, engine=name))


def _prepared(config: TrainConfig, name: str = "spice"):
    run = _run(config, name)
    return run.engine, run.network, run.tasks, run.config


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def test_measure_is_the_numpy_twin_solve_with_the_nudge():
    """Free state: the exact Dirichlet solve; clamped state: outputs at V_F + eta (V_D - V_F)."""
    config = TrainConfig(network="jammed143", rule="discrete", tasks=2, eta=0.6, seed=1)
    engine, network, tasks, _ = _prepared(config)
    rng = np.random.default_rng(0)
    r = rng.uniform(1e3, 1e4, (2, network.n_edges))
    try:
        for index in (np.array([[3], [7]]), np.array([[0, 5, 9], [1, 2, 15]])):
            m = engine.measure(r, index)
            for t, task in enumerate(tasks):
                x, y = task.train_inputs_v[index[t]], task.train_targets_v[index[t]]
                driven = list(task.inputs) + list(task.grounds)
                volts = np.concatenate([x, np.zeros((len(x), len(task.grounds)))], axis=1)
                free = solver.solve(
                    network, driven_nodes=driven, driven_voltages_v=volts, resistance_ohm=r[t]
                )
                clamp = free[:, list(task.outputs)] + 0.6 * (y - free[:, list(task.outputs)])
                clamped = solver.solve(
                    network,
                    driven_nodes=driven + list(task.outputs),
                    driven_voltages_v=np.concatenate([volts, clamp], axis=1),
                    resistance_ohm=r[t],
                )
                assert np.allclose(m.free_drop_v[t], solver.edge_drops(network, free), atol=1e-9)
                assert np.allclose(
                    m.clamped_drop_v[t], solver.edge_drops(network, clamped), atol=1e-9
                )
                assert np.allclose(m.free_output_v[t], free[:, list(task.outputs)], atol=1e-9)
        predicted = engine.predict(r, np.stack([t.test_inputs_v for t in tasks]))
        ideal, *_ = _prepared(config, "ideal")
        assert np.allclose(
            predicted, ideal.predict(r, np.stack([t.test_inputs_v for t in tasks])), atol=1e-9
        )
    finally:
        engine.close()


@pytest.mark.parametrize(
    "network, steps, p, sigma_v", [("experiment16", 40, 0.5, 0.05), ("jammed143", 8, 1.0, 0.05)]
)
def test_discrete_training_takes_the_ideal_decisions(network, steps, p, sigma_v):
    """Same draws (p, sigma per edge and step): the same bits and taps as the ideal engine."""
    base = TrainConfig(
        network=network,
        rule="discrete",
        p=p,
        sigma_v=sigma_v,
        steps=steps,
        tasks=2,
        seed=8,
        log_every=steps,
        record_events="csv",
    )
    ideal = train(dataclasses.replace(base, engine="ideal"), progress=False)
    spice = train(dataclasses.replace(base, engine="spice"), progress=False)
    assert np.array_equal(spice.state.taps, ideal.state.taps)
    assert spice.events.equals(ideal.events)
    assert spice.events["enabled"].any() and (spice.events["direction"] > 0).any()
    assert np.allclose(spice.history["error"], ideal.history["error"], rtol=1e-9)


def test_continuous_training_matches_the_ideal_engine():
    """Mini-batches go through dc sweeps; resistances agree with the exact engine to rounding."""
    base = TrainConfig(
        network="jammed143",
        rule="continuous",
        p=0.5,
        batch_fraction=0.5,
        steps=12,
        tasks=2,
        seed=3,
        log_every=6,
    )
    ideal = train(dataclasses.replace(base, engine="ideal"), progress=False)
    spice = train(dataclasses.replace(base, engine="spice"), progress=False)
    start = initial_state(base.resolved(), 143)[0].resistance_ohm
    assert np.abs(ideal.state.resistance_ohm - start).max() > 1.0  # resistances did change
    assert np.allclose(spice.state.resistance_ohm, ideal.state.resistance_ohm, rtol=1e-9)


def test_per_step_traffic_leaves_no_memory_in_ngspice():
    """300 steps on 143 edges (~290 alters each): RSS flat, no statement kept by ngspice."""
    config = TrainConfig(
        network="jammed143", rule="discrete", p=1.0, sigma_v=0.05, tasks=1, seed=2, steps=400
    )
    run = _run(config)
    session = get_session()
    with run:
        run.steps(50)  # warm-up: circuits loaded, allocator settled
        before, sent = _rss_mib(), session.commands_sent
        changed = 0
        for _ in range(51, 351):
            state = run.state
            new = run.step()
            changed += int(np.count_nonzero(new.taps != state.taps))
        assert changed > 300 * 100  # most of the 143 taps moved at every step
        assert session.commands_sent - sent <= 2  # nothing but (at most) a circuit switch
        assert _rss_mib() - before < 2.0, _rss_mib() - before


def test_a_failed_analysis_is_retried_then_reported_with_its_step():
    network = experiment16()
    task = make_tasks(
        TrainConfig(network="experiment16", rule="discrete", tasks=1, roles="network", grounds=0),
        network,
    )[0]
    twin = TwinSolver(network, [task], eta=1.0)
    r = np.full((1, network.n_edges), 2000.0)
    x, y = task.train_inputs_v[:1], task.train_targets_v[:1]
    try:
        free, _ = twin.solve_op(r, r, x, y)
        # A circuit removed behind the solver's back: reloaded and solved again.
        get_session().remove(twin._op.name)
        again, _ = twin.solve_op(r * 1.5, r * 1.5, x, y)
        assert np.allclose(again, free, atol=1e-9)  # same ratios, same voltages
        # A resistance ngspice cannot take fails the reload too: one error naming the step.
        twin.step = 17
        bad = r.copy()
        bad[0, 3] = np.nan
        with pytest.raises(SpiceError, match=r"spice engine, step 17: op failed"):
            twin.solve_op(bad, r, x, y)
    finally:
        twin.close()


def test_discrete_rule_decisions_follow_the_measured_drops():
    """Directions are Eq. 10 of the ngspice drops (not a copy of the ideal engine's)."""
    config = TrainConfig(
        network="experiment16", rule="discrete", p=1.0, sigma_v=0.0, tasks=3, seed=6
    )
    with _run(config) as run:
        for step in range(1, 6):
            draws, state = run.draws(step), run.state
            m = run.engine.measure(state.resistance_ohm, draws.example_index[:, None])
            new = run.step()
            # The rule on the drops as the board's drop stages pass them (clipped at +-h).
            h = sensing.SenseChain(config.sense_gain).half_swing_v
            expected = rules.discrete_direction(
                np.clip(m.free_drop_v[:, 0], -h, h), np.clip(m.clamped_drop_v[:, 0], -h, h)
            )
            assert np.array_equal(new.direction, expected)
            assert np.array_equal(new.taps, np.clip(state.taps + expected, 0, 127))
