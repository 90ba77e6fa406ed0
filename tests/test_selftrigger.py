"""The self-triggered board: its firing schedule and the board twin's event-driven engine."""

from __future__ import annotations

import numpy as np
import pytest

from coupled.circuits.oscillator import waveform_fraction
from coupled.core.errors import UserError
from coupled.engines.board.selftrigger import SelfTriggerSchedule, rate_trimmed
from coupled.engines.board.twin import BOARD_OPTIONS, BoardTwin, board_directions
from coupled.physics import rules, solver
from coupled.physics.catalogue import load_network
from coupled.training.config import TrainConfig
from coupled.training.run import Run, train

FORMULA = {"tolerance": 0.05, "board_seed": 2, "phase_model": "formula"}


def _config(**changes) -> TrainConfig:
    base = dict(
        network="experiment16",
        task="allostery",
        rule="discrete",
        engine="ideal",
        p=0.5,
        p_mode="oscillator",
        sigma_mode="board",
        trigger="self",
        steps=12,
        tasks=2,
        seed=3,
        engine_options=dict(FORMULA),
    )
    return TrainConfig(**{**base, **changes})


def _twin(config: TrainConfig) -> BoardTwin:
    options = {**BOARD_OPTIONS, **config.engine_options}
    return BoardTwin.from_options(load_network(config.network), config, options)


def test_schedule_fires_on_each_upward_crossing_of_the_bias_in_time_order():
    config = _config(network="jammed143", task="regression", tasks=1)
    twin = _twin(config)
    osc, d = twin.oscillators, twin.design
    schedule = SelfTriggerSchedule.build(osc, twin.bias_v, d.vss_v, d.swing_v, config.p)
    level = (twin.bias_v - d.vss_v) / d.swing_v
    times, edges = schedule.events_between(0.0, 5 * schedule.example_period_s)
    assert np.all(np.diff(times) >= 0)  # time order
    # Every event sits on its own oscillator's upward crossing of the bias (waveform model).
    before = waveform_fraction(osc, times - 1e-10)[np.arange(times.size), edges]
    after = waveform_fraction(osc, times + 1e-10)[np.arange(times.size), edges]
    assert np.all(before < level) and np.all(after > level)
    # Brute force: every upward crossing on a fine time grid is an event, and nothing else.
    grid = np.linspace(0.0, 5 * schedule.example_period_s, 200_001)
    x = waveform_fraction(osc, grid)  # (T, E)
    crossings = (x[:-1] < level) & (x[1:] >= level)
    assert crossings.sum() == times.size
    for e in range(osc.n_edges):
        expected = grid[1:][crossings[:, e]]
        np.testing.assert_allclose(times[edges == e], expected, atol=grid[1] - grid[0])
    # Consecutive firings of one edge are one period apart.
    for e in (0, 7, 142):
        np.testing.assert_allclose(np.diff(times[edges == e]), osc.period_s[e], rtol=1e-12)


def test_schedule_counts_and_example_period_match_p():
    config = _config(network="jammed143", task="regression", tasks=1, p=0.25)
    twin = _twin(config)
    osc, d = twin.oscillators, twin.design
    schedule = SelfTriggerSchedule.build(osc, twin.bias_v, d.vss_v, d.swing_v, config.p)
    assert schedule.example_period_s == pytest.approx(0.25 / np.mean(1 / osc.period_s))
    n_periods = 400
    _, edges = schedule.events_between(0.0, n_periods * schedule.example_period_s)
    counts = np.bincount(edges, minlength=osc.n_edges)
    # Each edge fires floor or ceil of (run time / its period) times.
    expected = n_periods * schedule.example_period_s / osc.period_s
    assert np.all(np.abs(counts - expected) <= 1.0)
    assert counts.mean() / n_periods == pytest.approx(0.25, rel=0.01)
    # Per period: the events of period n are those in ((n - 1) T, n T].
    total = sum(schedule.events(n)[0].size for n in range(1, n_periods + 1))
    assert total == edges.size


def test_an_example_period_trims_the_oscillators_to_the_requested_rate():
    config = _config(example_period_s=40e-6, p=0.5)
    twin = _twin(config)
    mean_period = np.mean(twin.oscillators.period_s)
    # p = T mean(1 / P): T = 40 us at p = 0.5 puts the mean rate at 12.5 kHz.
    assert np.mean(1 / twin.oscillators.period_s) == pytest.approx(0.5 / 40e-6, rel=1e-12)
    assert mean_period == pytest.approx(80e-6, rel=0.01)
    untrimmed = rate_trimmed(twin.parameters, 0.5, None)
    assert untrimmed is twin.parameters


def _replay(config: TrainConfig, n_steps: int):
    """The event twin's run beside an independent replay: every firing solved from scratch."""
    network = load_network(config.network)
    with Run(config) as run:
        engine = run.engine
        twin, tasks = engine.twin, run.tasks
        taps = np.array(run.state.taps)
        mismatches, events = 0, 0
        for _ in range(n_steps):
            draws = run.draws(run.state.step + 1)
            run.step()
            record = engine.clockless.last_events
            for j, edge in enumerate(record.edge.tolist()):
                free_ohm, clamped_ohm = twin.twin_resistances(taps)
                for t, task in enumerate(tasks):
                    x = task.train_inputs_v[draws.example_index[t]][None]
                    y = task.train_targets_v[draws.example_index[t]][None]
                    driven = list(task.inputs) + list(task.grounds)
                    volts = np.concatenate([x, np.zeros((1, len(task.grounds)))], axis=1)
                    free_v = solver.solve(
                        network,
                        driven_nodes=driven,
                        driven_voltages_v=volts,
                        resistance_ohm=free_ohm[t],
                    )
                    clamp = rules.clamp(free_v[:, list(task.outputs)], y, config.eta)
                    clamped_v = solver.solve(
                        network,
                        driven_nodes=driven + list(task.outputs),
                        driven_voltages_v=np.concatenate([volts, clamp], axis=1),
                        resistance_ohm=clamped_ohm[t],
                    )
                    fd = solver.edge_drops(network, free_v)[0]
                    cd = solver.edge_drops(network, clamped_v)[0]
                    p = twin.parameters
                    law = board_directions(fd, cd, p.offset_a_v, p.offset_b_v, twin.design, p)
                    d = int(law[edge])
                    mismatches += d != record.direction[t, j]
                    taps[t, edge] = np.clip(taps[t, edge] + d, 0, rules.N_TAPS - 1)
                    events += 1
            np.testing.assert_array_equal(run.state.taps, taps)
        return mismatches, events, run


def test_event_twin_decides_each_firing_as_a_fresh_solve_would():
    mismatches, events, _ = _replay(_config(), 8)
    assert events > 100
    assert mismatches == 0


def test_self_triggered_run_records_its_firings_and_is_seeded(tmp_path):
    config = _config(steps=20)
    first = train(config, tmp_path / "a")
    again = train(config)
    np.testing.assert_array_equal(first.state.taps, again.state.taps)
    import json

    run = json.loads((tmp_path / "a" / "run.json").read_text())
    text = json.dumps(run)
    assert '"trigger": "self"' in text
    per = _find(run, "firings_per_edge_per_example")
    assert per == pytest.approx(0.5, abs=0.06)


def _find(data, key):
    if isinstance(data, dict):
        if key in data:
            return data[key]
        for value in data.values():
            found = _find(value, key)
            if found is not None:
                return found
    return None


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"rule": "continuous"}, "rule discrete"),
        ({"p_mode": "bernoulli"}, "p_mode oscillator"),
        ({"engine": "spice"}, "engine spice"),
        ({"trigger": "global", "example_period_s": 1e-5}, "trigger self only"),
        ({"trigger": "sometimes"}, "trigger"),
        ({"example_period_s": -1.0}, "example_period_s"),
    ],
)
def test_self_trigger_is_refused_where_it_makes_no_sense(changes, needle):
    with pytest.raises(UserError, match=needle) as caught:
        _config(**changes).validate()
    assert "--" not in str(caught.value)


def test_batched_self_triggered_runs_must_share_p():
    with pytest.raises(UserError, match="differ in p"):
        Run([_config(p=0.5), _config(p=0.25)])


def test_a_killed_self_triggered_run_resumes_to_the_same_taps(tmp_path):
    config = _config(steps=30, checkpoint_every=10)
    whole = train(config)
    train(config, tmp_path / "run", stop_at=17)  # killed after step 17: checkpoint of step 10
    resumed = train(config, tmp_path / "run", resume=True)
    np.testing.assert_array_equal(resumed.state.taps, whole.state.taps)
