"""The board's decision chain options (comparator noise, offset trim, wiring) and the
``offsets`` study: what each option does to a decision, against independent expectations."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from coupled.circuits.design import BoardDesign, draw_board_parameters
from coupled.core.errors import UserError
from coupled.engines import get_engine
from coupled.engines.board.decision import (
    comparator_noise,
    sense_outputs_at_zero_v,
    trimmed_parameters,
    wiring_signs,
)
from coupled.engines.board.twin import BOARD_OPTIONS, BoardTwin, board_directions
from coupled.physics import sensing
from coupled.physics.catalogue import load_network
from coupled.reproduction import offsets
from coupled.reproduction.base import Setup
from coupled.training.config import TrainConfig
from coupled.training.draws import DrawSource, initial_state, make_tasks
from coupled.training.run import Run


def _twin(**options) -> BoardTwin:
    config = TrainConfig(network="experiment16", rule="discrete", p=1.0, sigma_v=0.0)
    merged = {**BOARD_OPTIONS, "tolerance": 0.0, "phase_model": "formula", **options}
    return BoardTwin.from_options(load_network("experiment16"), config, merged)


@pytest.mark.parametrize("z", [-1.0, 0.0, 0.5, 1.5])
def test_noise_flips_a_decision_near_threshold_as_the_gaussian_cdf(z):
    """Comparator A sits z noise-rms below its threshold (B far above): the tap goes up in
    a share 1 - Phi(z) of the steps, independently on every edge."""
    noise_v = 0.01
    twin = _twin(comparator_noise_v=noise_v)
    gain = twin.design.sense_gain
    x = np.full(16, 0.5)  # clamped drop; comparator B sees G (x + y), far above threshold
    y = x + z * noise_v / gain  # comparator A sees G (x - y) = -z * noise_v
    ups = np.array([twin.directions(y, x, step=n) > 0 for n in range(1, 3001)])
    expected = 1.0 - stats.norm.cdf(z)
    assert abs(ups.mean() - expected) < 0.01  # 48 000 draws: binomial s.d. below 0.0023
    assert np.all(np.abs(ups.mean(axis=0) - expected) < 0.05)  # every edge, 3000 draws each
    quiet = _twin()  # noise 0: the fixed law, the same at every step
    assert np.all(quiet.directions(y, x, step=1) == quiet.directions(y, x, step=2))


def test_noise_stream_is_seeded_per_board_and_step():
    a = comparator_noise(3, 7, 16, 1e-3)
    assert a.shape == (2, 16)
    assert np.array_equal(a, comparator_noise(3, 7, 16, 1e-3))
    assert not np.array_equal(a, comparator_noise(3, 8, 16, 1e-3))
    assert not np.array_equal(a, comparator_noise(4, 7, 16, 1e-3))
    assert np.array_equal(comparator_noise(3, 7, 16, 0.0), np.zeros((2, 16)))
    assert abs(np.std(comparator_noise(0, 1, 100_000, 2e-4)) - 2e-4) < 2e-6


def test_trim_nulls_the_whole_chain_offset_at_zero_drops():
    network = load_network("experiment16")
    design = BoardDesign(sense_gain=40.0)
    drawn = draw_board_parameters(network, 0.05, 2)
    zero = sense_outputs_at_zero_v(design, drawn)
    assert np.abs(zero).max() > 1e-3  # the sense stages' own offsets, G-referred: not small
    exact = trimmed_parameters(drawn, design, 0.0)
    assert np.allclose(exact.offset_a_v + zero[0], 0.0, atol=1e-15)
    assert np.allclose(exact.offset_b_v + zero[1], 0.0, atol=1e-15)
    rough = trimmed_parameters(drawn, design, 1e-3)
    residual = np.stack([rough.offset_a_v, rough.offset_b_v]) + zero
    assert np.abs(residual).max() <= 1e-3 and residual.min() < 0 < residual.max()
    assert trimmed_parameters(drawn, design, None) is drawn
    # Trimmed to 0, the board decides |x| > |y| on small drops despite its parts' spread.
    rng = np.random.default_rng(0)
    y = rng.uniform(-0.1, 0.1, size=(200, 16))
    x = np.abs(y) + rng.choice([-2e-3, 2e-3], size=y.shape)
    x = x * rng.choice([-1, 1], size=y.shape)
    board = board_directions(y, x, exact.offset_a_v, exact.offset_b_v, design, exact)
    assert np.array_equal(board, np.where(np.abs(x) > np.abs(y), 1, -1))
    untrimmed = board_directions(y, x, drawn.offset_a_v, drawn.offset_b_v, design, drawn)
    assert not np.array_equal(untrimmed, board)


def test_saturated_drops_of_one_sign_read_the_sign_of_the_drop():
    """Both drops beyond the drop stages' swing: the stages clip them to one rail, the
    difference vanishes and the positive offset of comparator A decides: down for negative
    drops, up for positive ones. The paper's rule reads up (sigma > 0) for both."""
    design = BoardDesign(sense_gain=40.0)
    x = np.array([-3.3, 3.3, -1.0])
    y = np.array([-2.9, 2.9, -0.9])
    board = board_directions(y, x, 0.02, 0.02, design)
    assert board.tolist() == [-1, 1, 1]  # the last pair is in range: |x| > |y| reads up
    chain = sensing.SenseChain(gain=40.0)
    assert sensing.sensed_direction(y, x, 0.02, chain).tolist() == [1, 1, 1]


def test_rectified_decision_is_the_papers_rule_with_the_offset_as_sigma():
    design = BoardDesign(sense_gain=40.0)
    rng = np.random.default_rng(1)
    y = rng.uniform(-4.5, 4.5, size=(300, 16))
    x = y * rng.uniform(0.9, 1.1, size=y.shape) * rng.choice([-1, 1], size=y.shape)
    o_a = rng.uniform(0.0, 0.05, size=16)
    rectified = board_directions(y, x, o_a, 0.0, design, decision="rectified")
    paper = sensing.sensed_direction(y, x, o_a, sensing.SenseChain(gain=40.0))
    assert np.array_equal(rectified, paper)
    assert not np.array_equal(board_directions(y, x, o_a, o_a, design), paper)


def test_attenuated_drop_stages_keep_large_drops_in_range():
    """Drop stages of gain 1/2: drops up to 4.9 V stay inside the swing, so two large drops
    of one sign are compared again (|x| > |y| with zero offsets)."""
    design = BoardDesign(sense_gain=80.0)
    x = np.array([-3.3, 3.3, -4.5, 4.0])
    y = np.array([-2.9, 2.9, -4.6, 4.2])
    board = board_directions(y, x, 0.0, 0.0, design, drop_stage_gain=0.5)
    assert board.tolist() == [1, 1, -1, -1]
    assert board_directions(y, x, 0.01, 0.01, design).tolist()[:2] == [-1, 1]  # clipped: sign


def test_circuit_engine_refuses_the_twin_only_designs():
    for options in ({"decision": "rectified"}, {"drop_stage_gain": 0.5}):
        cfg = TrainConfig(
            network="experiment16",
            task="allostery",
            rule="discrete",
            engine="circuit",
            steps=1,
            engine_options=options,
        )
        with pytest.raises(UserError, match=f"{next(iter(options))}.*board twin"):
            Run(cfg)


def test_wiring_along_the_current_trains_as_a_reversed_netlist(tmp_path):
    """wiring=current on the file's network takes the same decisions as wiring=file on a
    network whose reversed edges are written in the other node order."""
    network = load_network("experiment16")
    base = dict(network="experiment16", task="allostery", rule="discrete", tasks=1, seed=77)
    base["roles"] = "random"  # the study's protocol (random roles, as the reproductions draw them)
    base |= dict(p=1.0, sigma_mode="board", steps=150, checkpoint_every=0, first_task=18)
    options = {"tolerance": 0.05, "phase_model": "formula"}
    cfg = TrainConfig(**base, engine_options={**options, "wiring": "current"})
    signs = wiring_signs(network, make_tasks(cfg.resolved(), network), "current")[0]
    assert (signs < 0).any() and (signs > 0).any()
    edges = np.where(signs[:, None] < 0, network.edges[:, ::-1], network.edges)
    path = tmp_path / "reversed.json"
    path.write_text(
        json.dumps(
            {
                "nodes": network.n_nodes,
                "edges": edges.tolist(),
                "resistance_ohm": network.resistance_ohm.tolist(),
            }
        )
    )
    runs = {}
    for name, c in (
        ("current", cfg),
        ("file", TrainConfig(**{**base, "network": str(path)}, engine_options=options)),
    ):
        with Run(c) as run:
            runs[name] = np.array([run.step().taps[0] for _ in range(c.steps)])
    assert np.array_equal(runs["current"], runs["file"])
    with Run(TrainConfig(**base, engine_options=options)) as run:
        plain = np.array([run.step().taps[0] for _ in range(cfg.steps)])
    assert not np.array_equal(plain, runs["file"])  # the orientation matters on this task


def test_circuit_engine_takes_the_twins_decisions_with_noise_trim_and_wiring():
    """The circuit engine's fused comparators see the twin's noise stream, trimmed offsets
    and per-task wiring: same enable and direction on every edge-step."""
    cfg = dict(network="experiment16", task="allostery", rule="discrete", p=0.5, tasks=2)
    cfg["roles"] = "random"
    cfg |= dict(p_mode="oscillator", sigma_mode="board", steps=25, seed=3)
    opts = {"tolerance": 0.05, "comparator_noise_v": 0.05, "offset_trim_v": 2e-3}
    opts["wiring"] = "current"
    cfg_c = TrainConfig(engine="circuit", engine_options=opts, **cfg).resolved()
    cfg_i = TrainConfig(engine="ideal", engine_options=opts, **cfg).resolved()
    quiet = TrainConfig(engine="ideal", engine_options={**opts, "comparator_noise_v": 0.0}, **cfg)
    net = load_network("experiment16")
    tasks = make_tasks(cfg_c, net)
    state, fixed = initial_state(cfg_c, net.n_edges)
    source = DrawSource(cfg_c, net.n_edges, 1, fixed)
    circuit, ideal, plain = get_engine("circuit"), get_engine("ideal"), get_engine("ideal")
    circuit.prepare(net, tasks, cfg_c)
    ideal.prepare(net, tasks, cfg_i)
    plain.prepare(net, tasks, quiet.resolved())
    same = moved = 0
    try:
        for n in range(1, cfg_c.steps + 1):
            draws = source.draws(n)
            a, b, c = circuit.step(state, draws), ideal.step(state, draws), plain.step(state, draws)
            same += int(((a.enabled == b.enabled) & (a.direction == b.direction)).all())
            moved += int((b.direction != c.direction).any())
            state = a
    finally:
        circuit.close()
    assert same == cfg_c.steps
    assert moved >= 5  # the noise changes decisions, so the agreement is not trivial


def test_bad_decision_options_are_user_errors():
    for options in (
        {"comparator_noise_v": -1e-3},
        {"offset_trim_v": -1.0},
        {"wiring": "backwards"},
        {"decision": "and"},
        {"drop_stage_gain": 0.0},
    ):
        with pytest.raises(UserError, match=next(iter(options))):
            TrainConfig(engine="ideal", engine_options=options).validate()
    with pytest.raises(UserError, match="comparator_noise_v.*self-triggered"):
        cfg = TrainConfig(
            network="experiment16",
            rule="discrete",
            trigger="self",
            p_mode="oscillator",
            sigma_mode="board",
            engine_options={"comparator_noise_v": 1e-3, "phase_model": "formula"},
        )
        Run(cfg)


def test_offsets_study_mechanics():
    prm = offsets.OffsetsParams(
        seeds=(77, 31), tasks=3, p_values=(0.5, 1.0), steps_x_p=40, models=("step", "board")
    )
    setup = Setup()
    offsets.check("offsets", prm, setup)
    result = offsets.compute("offsets", prm, setup)
    table = result.tables["offsets.csv"]
    assert len(table) == 2 * 2 * 2 * 3
    assert set(table["seed"]) == {77, 31} and set(table["steps"]) == {80, 40}
    assert (table["diverged"] == (table["final_scaled_error"] > 1.0)).all()
    summary = result.tables["offsets_summary.csv"].set_index(["model", "p"])
    assert (summary["tasks"] == 6).all()
    assert (summary["share_ci_low"] <= summary["share_diverged"]).all()
    assert (summary["share_diverged"] <= summary["share_ci_high"]).all()
    assert (summary["geo_ci_low"] <= summary["geo_mean"]).all()
    assert (summary["geo_mean"] <= summary["geo_ci_high"]).all()
    assert np.allclose(summary.loc["step", "ratio_to_step"], 1.0)
    for p in (0.5, 1.0):  # the paired ratio is the ratio of geometric means
        ratio = summary.loc[("board", p), "geo_mean"] / summary.loc[("step", p), "geo_mean"]
        assert np.isclose(summary.loc[("board", p), "ratio_to_step"], ratio)
    desync = result.tables["offsets_desync.csv"].set_index(["model", "measure"])
    assert len(desync) == 4
    for (model, measure), column in (
        (("step", "history"), "final_scaled_error"),
        (("board", "board"), "last_board_scaled_error"),
    ):
        wide = table[table["model"] == model].pivot_table(
            index=["seed", "task"], columns="p", values=column
        )
        expected = np.exp(np.log(wide[1.0] / wide[0.5]).mean())
        row = desync.loc[(model, measure)]
        assert np.isclose(row["ratio"], expected)
        ties = (wide[0.5] == wide[1.0]).mean()
        assert np.isclose(row["wins"], (wide[0.5] < wide[1.0]).mean() + 0.5 * ties)
        assert row["ci_low"] <= expected <= row["ci_high"]
        assert row["seeds"] == 2 and row["tasks"] == 6
    # without part spread the board measures what the nominal taps give
    step = table[table["model"] == "step"]
    assert np.allclose(step["last_board_scaled_error"], step["last_scaled_error"])
    assert (summary["diverged_board"] <= summary["tasks"]).all()
    mechanism = result.tables["offsets_mechanism.csv"]
    assert len(mechanism) == 2 * 2 * 3 and set(mechanism["model"]) == {"board"}
    assert (mechanism["pinned"] <= 16).all()
    assert (mechanism["against_saturated"] <= mechanism["saturated"]).all()
    assert (mechanism["against_negative"] <= mechanism["against_rule"]).all()
    assert result.params["seeds"] == [77, 31]
    assert offsets.seeds_for(prm, Setup(seed=5)) == (5, 6)
    with pytest.raises(UserError, match="ideal or spice"):
        offsets.check("offsets", prm, Setup(engine="circuit"))


def test_share_interval_is_clopper_pearson():
    low, high = offsets.share_interval(0, 25)
    assert low == 0.0 and abs(high - (1 - 0.025 ** (1 / 25))) < 1e-9
    low, high = offsets.share_interval(2, 75)
    assert low < 2 / 75 < high
