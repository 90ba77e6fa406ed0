"""The self-triggered board at circuit level: the circuit engine against the event twin."""

from __future__ import annotations

import time

import numpy as np
import pytest

from coupled.training.config import TrainConfig
from coupled.training.run import Run


def _config(engine: str, network: str, kind: str, steps: int, phase_model: str, tasks: int):
    return TrainConfig(
        network=network,
        task=kind,
        rule="discrete",
        engine=engine,
        p=0.5,
        p_mode="oscillator",
        sigma_mode="board" if engine == "ideal" else "step",
        trigger="self",
        steps=steps,
        tasks=tasks,
        seed=4,
        engine_options={"tolerance": 0.05, "board_seed": 0, "phase_model": phase_model},
    )


def _events(config: TrainConfig):
    """Directions (K, n), edges (n,), times (n,) of every firing, CPU seconds per firing after
    the first period (which loads the circuit or the compiled loop)."""
    with Run(config) as run:
        records, cpu = [], 0.0
        for n in range(config.steps):
            start = time.process_time()
            run.step()
            if n:
                cpu += time.process_time() - start
            records.append(run.engine.clockless.last_events)
        taps = run.state.taps
    timed = sum(r.edge.size for r in records[1:])
    directions = np.concatenate([r.direction for r in records], axis=1)
    edges = np.concatenate([r.edge for r in records])
    times = np.concatenate([r.time_s for r in records])
    return directions, edges, times, taps, cpu / max(timed, 1)


def _compare(network: str, kind: str, steps: int, phase_model: str, tasks: int):
    twin = _events(_config("ideal", network, kind, steps, phase_model, tasks))
    board = _events(_config("circuit", network, kind, steps, phase_model, tasks))
    np.testing.assert_array_equal(twin[1], board[1])  # one schedule: same edges in order
    np.testing.assert_array_equal(twin[2], board[2])
    share = float((twin[0] == board[0]).mean())
    return share, twin, board


def test_circuit_and_twin_take_the_same_decisions_event_by_event(session):
    share, twin, board = _compare("experiment16", "allostery", 12, "fitted", 2)
    assert twin[1].size > 80  # 16 edges x 12 periods x p = 0.5, about 96 firings
    assert share >= 0.99
    # The taps moved: decisions were taken and applied, not left at their start.
    assert np.abs(board[3] - twin[3]).max() <= 2


@pytest.mark.slow
def test_circuit_and_twin_agree_on_the_143_edge_board(session):
    share, twin, board = _compare("jammed143", "regression", 4, "formula", 1)
    assert share >= 0.99
    assert board[4] / twin[4] > 1000  # the twin is thousands of times cheaper per firing


@pytest.mark.slow
def test_golden_self_triggered_board_checks_the_fast_scheme(session):
    """Golden: the self-triggered netlist itself, one-shots and oscillators free running."""
    fast = _config("circuit", "experiment16", "allostery", 2, "fitted", 1)
    golden = TrainConfig.from_dict(
        {**fast.to_dict(), "engine_options": {**fast.engine_options, "golden": True}}
    )
    a, b = _events(fast), _events(golden)
    np.testing.assert_array_equal(a[1], b[1])
    assert a[1].size >= 12  # 16 edges, 2 periods at p = 0.5
    assert float((a[0] == b[0]).mean()) >= 0.99
