"""The ``circuit`` engine: the board's own decisions against its parts' laws, p, memory, errors."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from coupled.calibration.run import board_oscillators
from coupled.circuits import oscillator
from coupled.cli.main import main
from coupled.core.errors import SpiceError, UserError
from coupled.engines import ENGINES
from coupled.engines.board.curve import bias_for_p, calibration_from_table, p_against_bias
from coupled.engines.board.events import simulate_events
from coupled.engines.circuit import CircuitEngine
from coupled.spice.session import get_session
from coupled.training.config import TrainConfig
from coupled.training.run import Run, train

E16 = dict(network="experiment16", rule="discrete", seed=3)


def _engine(config: TrainConfig, engine_class=None):
    """The circuit engine (or a subclass, registered for the run) prepared by a :class:`Run`,
    its initial state and the run's draws."""
    name = "circuit"
    if engine_class is not None:
        name = f"test_{engine_class.__name__.lower()}"
        ENGINES[name] = (engine_class.__module__, engine_class.__name__)
    try:
        run = Run(dataclasses.replace(config, engine=name))
    finally:
        if engine_class is not None:
            del ENGINES[name]
    return run.engine, run.state, run


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def _comparator_inputs(engine, x, y):
    """Comparator inputs (V from vref) through the board's stages, written out by hand: drop
    stages clip(g (dV + offset)), sense stages clip(G g (difference + offset)), + o_A / o_B."""
    p, d = engine.parameters, engine.design
    low, high = (v - d.reference_v for v in d.amplifier_swing_v)
    g, off = 1.0 + p.amp_gain_error, p.amp_offset_v
    a_f, a_c, a_n = (np.clip(g[k] * (v + off[k]), low, high) for k, v in enumerate((y, x, -y)))
    sense_a = np.clip(d.sense_gain * g[3] * (a_c - a_f + off[3]), low, high)
    sense_b = np.clip(d.sense_gain * g[4] * (a_c - a_n + off[4]), low, high)
    return sense_a + p.offset_a_v, sense_b + p.offset_b_v


def test_directions_obey_the_comparator_law_of_each_edge():
    """Part spread and comparator offsets: up iff both comparators of the sensing chain agree
    (A: G (x - y) + o_A, B: G (x + y) + o_B through the stages' spread and swing) on the exact
    drops of the board's own twins (x clamped, y free), wherever the margin is resolvable."""
    config = TrainConfig(
        **E16,
        p=1.0,
        sigma_v=0.05,
        tasks=2,
        engine_options={"tolerance": 0.05, "phase_model": "formula"},
    )
    engine, state, source = _engine(config)
    resolution = engine.design.comparator.resolution_v(engine.design.swing_v)
    checked = ups = 0
    try:
        for step in range(1, 11):
            draws = source.draws(step)
            m = engine.measure(state.resistance_ohm, draws.example_index[:, None])
            x, y = m.clamped_drop_v[:, 0], m.free_drop_v[:, 0]
            new = engine.step(state, draws)
            in_a, in_b = _comparator_inputs(engine, x, y)
            clear = np.minimum(np.abs(in_a), np.abs(in_b)) > 10 * resolution
            law = np.where((in_a > 0) == (in_b > 0), 1, -1)
            assert np.array_equal(new.direction[clear], law[clear]), step
            assert new.enabled.all()  # p = 1: the bias lies below every oscillator
            assert np.array_equal(new.taps, np.clip(state.taps + new.direction, 0, 127))
            checked += int(clear.sum())
            ups += int((new.direction > 0).sum())
            state = new
    finally:
        engine.close()
    assert checked > 0.9 * 10 * 2 * 16 and 0 < ups < checked


def test_enables_are_the_oscillators_above_the_bias_at_each_trigger():
    """p = 0.4: each edge moves exactly when its oscillator (continuous physical time, never
    reset to a common phase) is above the bias at the trigger instant n * T."""
    period_s = 50e-6
    config = TrainConfig(
        **E16, p=0.4, sigma_v=0.05, tasks=1, engine_options={"trigger_period_s": period_s}
    )
    engine, state, source = _engine(config)
    osc = engine.phase_oscillators
    bits = []
    try:
        for step in range(1, 61):
            state = engine.step(state, source.draws(step))
            wave = oscillator.waveform_v(osc, step * period_s, engine.design.vdd_v)
            clear = np.abs(wave - engine.bias_v) > 1e-3
            expected = wave > engine.bias_v
            assert np.array_equal(state.enabled[0][clear], expected[clear]), step
            bits.append(state.enabled[0])
    finally:
        engine.close()
    bits = np.array(bits)
    assert abs(bits.mean() - 0.4) < 0.08  # the calibrated bias gives the requested p
    assert engine.bias_v == bias_for_p(0.4, engine.calibration)
    r = np.corrcoef(bits.T.astype(float))
    off_diagonal = r[~np.eye(16, dtype=bool)]
    assert np.nanmean(np.abs(off_diagonal)) < 0.3  # desynchronised edges
    assert len({tuple(col) for col in bits.T}) == 16  # no two edges share an event train


def test_p_one_enables_every_edge_and_the_bias_sits_below_every_oscillator():
    config = TrainConfig(**E16, p=1.0, tasks=1, engine_options={"phase_model": "formula"})
    engine, state, source = _engine(config)
    try:
        osc = engine.parameters.oscillators
        assert engine.bias_v < engine.design.vdd_v * osc.low_fraction.min()
        for step in range(1, 6):
            state = engine.step(state, source.draws(step))
            assert state.enabled.all()
    finally:
        engine.close()


def test_seeded_runs_repeat_and_events_come_from_the_board(tmp_path):
    config = TrainConfig(**E16, p=0.5, steps=12, log_every=6, record_events="csv", engine="circuit")
    first = train(config, tmp_path / "a", progress=False)
    second = train(config, tmp_path / "b", progress=False)
    assert first.events.equals(second.events)
    assert np.array_equal(first.state.taps, second.state.taps)
    written = pd.read_csv(tmp_path / "a" / "update_events.csv")
    assert len(written) == 12 * 16 and written["enabled"].any() and not written["enabled"].all()
    run = json.loads((tmp_path / "a" / "run.json").read_text())
    assert run["engine"] == "circuit"


def test_memory_stays_flat_over_hundreds_of_steps():
    """600 steps, six transient restarts: ngspice keeps only the restarts' ``save`` commands and
    RSS stays within 1 MiB (per-step traffic kept by ngspice would cost several kB a step)."""
    config = TrainConfig(**E16, p=0.5, tasks=1, engine_options={"restart_every": 100})
    engine, state, source = _engine(config)
    session = get_session()
    try:
        for step in range(1, 51):
            state = engine.step(state, source.draws(step))
        before, sent = _rss_mib(), session.commands_sent
        for step in range(51, 651):
            state = engine.step(state, source.draws(step))
        assert session.commands_sent - sent <= 6 * 2  # 'save' commands, one or two a restart
        assert _rss_mib() - before < 1.0, _rss_mib() - before
    finally:
        engine.close()


def test_a_lost_circuit_is_rebuilt_without_changing_any_decision():
    """The fast scheme keeps no state in ngspice between windows: removing the circuit (as a
    recycled ngspice would) and reloading it at the next step changes no bit."""
    config = TrainConfig(**E16, p=0.5, tasks=2, engine_options={"phase_model": "formula"})
    runs = []
    for sabotage in (False, True):
        engine, state, source = _engine(config)
        bits = []
        try:
            for step in range(1, 9):
                if sabotage and step == 5:
                    get_session().remove(engine.circuit_name)
                state = engine.step(state, source.draws(step))
                bits.append((state.enabled.copy(), state.direction.copy()))
        finally:
            engine.close()
        runs.append(bits)
    for (a_en, a_dir), (b_en, b_dir) in zip(*runs, strict=True):
        assert np.array_equal(a_en, b_en) and np.array_equal(a_dir, b_dir)


class _BrokenBoard(CircuitEngine):
    """From step 3 on, every window also alters a part the board does not have."""

    def _drive_values(self, example_index):
        values = super()._drive_values(example_index)
        if self._step_now >= 3:
            values["RNOSUCHPART"] = 1.0
        return values

    def step(self, state, draws):
        self._step_now = draws.step
        return super().step(state, draws)


def test_a_window_ngspice_cannot_run_is_retried_then_reported_with_its_step():
    config = TrainConfig(**E16, p=0.5, tasks=1, engine_options={"phase_model": "formula"})
    engine, state, source = _engine(config, _BrokenBoard)
    try:
        state = engine.step(state, source.draws(1))
        state = engine.step(state, source.draws(2))
        with pytest.raises(
            SpiceError,
            match=r"circuit engine, step 3: the window failed .* and "
            r"so did a fresh transient",
        ):
            engine.step(state, source.draws(3))
    finally:
        engine.close()


def test_calibration_files_must_describe_this_board(tmp_path):
    osc = board_oscillators(16, 0.05, 0)
    grid = np.linspace(0.5, 4.5, 41)
    events = simulate_events(osc, grid, 50e-6, 500, source="phase")
    table = p_against_bias(events, grid, osc)
    good = calibration_from_table(table, meta={"oscillators": osc.to_dict()})
    (tmp_path / "good.json").write_text(json.dumps(good.to_dict()))
    other = calibration_from_table(
        table, meta={"oscillators": board_oscillators(16, 0.05, 1).to_dict()}
    )
    (tmp_path / "other.json").write_text(json.dumps(other.to_dict()))
    config = TrainConfig(
        **E16,
        p=0.3,
        tasks=1,
        engine_options={"calibration": str(tmp_path / "good.json"), "phase_model": "formula"},
    )
    engine, _, _ = _engine(config)
    assert engine.bias_v == bias_for_p(0.3, good)
    engine.close()
    bad = dataclasses.replace(config, engine_options={"calibration": str(tmp_path / "other.json")})
    with pytest.raises(UserError, match="other oscillators"):
        _engine(bad)


@pytest.mark.parametrize(
    "extra, match",
    [
        (["--rule", "continuous"], "discrete rule"),
        (["--p-mode", "fixed"], "p-mode bernoulli"),
        (["--tolerance", "0.7"], "tolerance"),
        (["--engine-option", "window_s=-1"], "window_s"),
        (["--engine-option", "fast_oscillators=free"], "fast_oscillators='free': must be one of"),
        (["--engine-option", "colour=red"], "unknown for engine circuit"),
        (["--trigger-period-s", "1e-7"], "trigger_width_s"),
    ],
)
def test_bad_options_exit_2_before_writing(tmp_path, capsys, extra, match):
    out = tmp_path / "run"
    argv = [
        "train",
        "--network",
        "experiment16",
        "--engine",
        "circuit",
        "--rule",
        "discrete",
        "--steps",
        "2",
        "--out",
        str(out),
        *extra,
    ]
    assert main(argv) == 2
    assert match in capsys.readouterr().err
    assert not out.exists()


def test_golden_flags_reach_the_engine(tmp_path):
    out = tmp_path / "golden"
    argv = [
        "train",
        "--network",
        "experiment16",
        "--engine",
        "circuit",
        "--rule",
        "discrete",
        "--golden",
        "--trigger-period-s",
        "2.5e-6",
        "--tolerance",
        "0.02",
        "--steps",
        "3",
        "--p",
        "0.5",
        "--record-events",
        "csv",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    options = json.loads((out / "run.json").read_text())["config"]["engine_options"]
    assert options == {"golden": True, "trigger_period_s": 2.5e-6, "tolerance": 0.02}
    assert len(pd.read_csv(out / "update_events.csv")) == 3 * 16
