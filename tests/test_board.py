"""The generated board in ngspice against the numpy solver and the discrete rule."""

from __future__ import annotations

import numpy as np
import pytest

from coupled.circuits import oscillator
from coupled.circuits.assembly import build_board
from coupled.circuits.board import Board
from coupled.circuits.bom import EDGE_PREFIXES, bill_of_materials, element_counts, format_bom
from coupled.circuits.design import BoardDesign, BoardParameters, draw_board_parameters
from coupled.core.errors import UserError
from coupled.physics import rules, solver
from coupled.physics.catalogue import experiment16, jammed143
from coupled.spice.session import get_session

OP = BoardDesign(mode="op")


@pytest.fixture(autouse=True)
def _clean_session():
    """Leave the process's ngspice as found: no circuit of these tests stays loaded."""
    yield
    get_session().recycle()


def _random_board(network, seed, design=OP, tolerance=0.05, offset_v=0.05, roles=None):
    """A board in a random state: taps, inputs (0..5 V), targets, roles if the network has none."""
    rng = np.random.default_rng(seed)
    if roles is None and not network.inputs:
        order = rng.permutation(network.n_nodes)
        roles = dict(inputs=tuple(order[:2]), outputs=tuple(order[2:4]), grounds=(int(order[4]),))
    roles = roles or {}
    n_in = len(roles.get("inputs", network.inputs))
    n_out = len(roles.get("outputs", network.outputs))
    parameters = draw_board_parameters(network, tolerance, seed, comparator_offset_v=offset_v)
    return build_board(
        network,
        parameters,
        design,
        input_v=rng.uniform(0, 5, n_in),
        target_v=rng.uniform(0, 5, n_out),
        eta=float(rng.uniform(0.2, 1.0)),
        taps=rng.integers(0, 128, network.n_edges),
        **roles,
    )


def _expected_states(board: Board, taps=None):
    """Free and clamped node voltages from the numpy solver, the nudge written out by hand."""
    taps = board.taps if taps is None else taps
    p, pot = board.parameters, board.design.pot
    r_free = p.r_series_free_ohm + pot.r_wiper_ohm + taps * p.r_ab_free_ohm / pot.n_taps
    r_clamped = p.r_series_clamped_ohm + pot.r_wiper_ohm + taps * p.r_ab_clamped_ohm / pot.n_taps
    driven = list(board.inputs) + list(board.grounds)
    volts = list(board.input_v) + [0.0] * len(board.grounds)
    free = solver.solve(
        board.network,
        driven_nodes=driven,
        driven_voltages_v=np.array(volts),
        resistance_ohm=r_free,
    )
    clamp = rules.clamp(free[list(board.outputs)], board.target_v, board.eta)
    clamped = solver.solve(
        board.network,
        driven_nodes=driven + list(board.outputs),
        driven_voltages_v=np.array(volts + list(clamp)),
        resistance_ohm=r_clamped,
    )
    return free, clamped


def _drops(board, node_v):
    return solver.edge_drops(board.network, node_v)


def _comparator_inputs(board, x, y):
    """Inputs (V, relative to vref) of comparators A and B through the sensing stage, by hand:
    drop stages clip(g (dV + offset)), sense stages G g (difference + offset), clipped."""
    p, d = board.parameters, board.design
    low, high = (v - d.reference_v for v in d.amplifier_swing_v)
    gain = 1.0 + p.amp_gain_error
    off = p.amp_offset_v
    a_f, a_c, a_n = (np.clip(gain[k] * (v + off[k]), low, high) for k, v in enumerate((y, x, -y)))
    sense_a = np.clip(d.sense_gain * gain[3] * (a_c - a_f + off[3]), low, high)
    sense_b = np.clip(d.sense_gain * gain[4] * (a_c - a_n + off[4]), low, high)
    return sense_a + p.offset_a_v, sense_b + p.offset_b_v


def _check_decisions(board, values, free, clamped, min_checked=0.8):
    x, y = _drops(board, clamped), _drops(board, free)
    in_a, in_b = _comparator_inputs(board, x, y)
    expected = np.where((in_a > 0) == (in_b > 0), 1, -1)
    margin = np.minimum(np.abs(in_a), np.abs(in_b))
    clear = margin > board.design.comparator.resolution_v(board.design.swing_v)
    assert clear.mean() >= min_checked, clear.mean()
    got = board.directions(values)
    assert np.array_equal(got[clear], expected[clear]), np.flatnonzero(got != expected)
    return got


@pytest.mark.parametrize("network_name", ["experiment16", "jammed143"])
def test_operating_point_equals_numpy_twins_and_the_discrete_rule(network_name):
    network = experiment16() if network_name == "experiment16" else jammed143()
    assert network.n_edges == (16 if network_name == "experiment16" else 143)
    session = get_session()
    ups = 0
    for seed in range(4):
        board = _random_board(network, seed)
        session.load(board.netlist, name="board")
        values = session.op()
        free, clamped = _expected_states(board)
        assert np.max(np.abs(board.node_v(values, "free") - free)) < 1e-6
        assert np.max(np.abs(board.node_v(values, "clamped") - clamped)) < 1e-6
        # The nudge held the clamped outputs away from the free ones (the twins differ).
        assert np.max(np.abs(clamped - free)) > 1e-3
        ups += np.count_nonzero(_check_decisions(board, values, free, clamped) > 0)
    assert 0 < ups < 4 * network.n_edges  # both directions occur


def test_zero_offsets_give_exactly_the_rule_without_bias():
    network = jammed143()
    board = _random_board(network, 11, offset_v=0.0)
    session = get_session()
    session.load(board.netlist, name="board")
    values = session.op()
    free, clamped = _expected_states(board)
    x, y = _drops(board, clamped), _drops(board, free)
    clear = np.abs(np.abs(x) - np.abs(y)) > 1e-3
    assert clear.mean() > 0.8
    rule = rules.discrete_direction(y, x, 0.0)
    assert np.array_equal(board.directions(values)[clear], rule[clear])


def test_tap_and_drive_alters_move_both_twins():
    network = experiment16()
    board = _random_board(network, 5, tolerance=0.1)
    session = get_session()
    session.load(board.netlist, name="board")
    rng = np.random.default_rng(9)
    for _ in range(3):
        taps = rng.integers(0, 128, network.n_edges)
        inputs, targets = rng.uniform(0, 5, 2), rng.uniform(0, 5, 2)
        alters = board.tap_alters(taps) | board.drive_alters(inputs, targets)
        assert len(alters) == 2 * network.n_edges + 4
        session.alter(alters)
        values = session.op()
        moved = build_board(
            network,
            board.parameters,
            board.design,
            input_v=inputs,
            target_v=targets,
            eta=board.eta,
            taps=taps,
        )
        free, clamped = _expected_states(moved)
        assert np.max(np.abs(board.node_v(values, "free") - free)) < 1e-6
        assert np.max(np.abs(board.node_v(values, "clamped") - clamped)) < 1e-6
        _check_decisions(moved, values, free, clamped)


def test_twin_resistances_are_the_drawn_parts():
    network = experiment16()
    board = _random_board(network, 2, tolerance=0.2)
    free_ohm, clamped_ohm = board.resistance_ohm()
    p = board.parameters
    assert np.allclose(free_ohm, p.r_series_free_ohm + 50 + board.taps * p.r_ab_free_ohm / 128)
    assert not np.allclose(free_ohm, clamped_ohm)  # two physical parts per edge
    ideal = _random_board(network, 2, tolerance=0.0)
    assert np.allclose(ideal.resistance_ohm()[0], rules.taps_to_ohm(ideal.taps), rtol=1e-13)
    assert np.array_equal(*ideal.resistance_ohm())


def test_comparator_offsets_act_as_sigma_of_the_branch():
    """An offset just above |y| - |x| turns a down decision up where dV_C > 0, and an offset just
    above |x| - |y| turns an up decision down where dV_C < 0; just below, nothing changes."""
    network = jammed143()
    board = _random_board(network, 21, offset_v=0.0)
    session = get_session()
    session.load(board.netlist, name="board")
    free, clamped = _expected_states(board)
    x, y = _drops(board, clamped), _drops(board, free)
    gap = np.abs(np.abs(x) - np.abs(y))
    usable = (gap > 2e-3) & (gap < 0.05) & (np.abs(x) + np.abs(y) > 0.1)
    flips = usable & (((x > 0) & (np.abs(x) < np.abs(y))) | ((x < 0) & (np.abs(x) > np.abs(y))))
    assert np.count_nonzero(flips) >= 5
    before = board.directions(session.op())
    for delta, flipped in ((+1e-3, True), (-1e-3, False)):
        # The offsets sit at the comparators, after the sense gain: they act as offset / G.
        offset = np.where(flips, board.design.sense_gain * (gap + delta), 0.0)
        session.alter(board.offset_alters(offset, offset))
        after = board.directions(session.op())
        assert np.array_equal(after[flips] != before[flips], np.full(flips.sum(), flipped))
        assert np.array_equal(after[~flips], before[~flips])
    assert np.all(before[flips & (x > 0)] == -1)


def test_ideal_nudge_variant():
    network = jammed143()
    board = _random_board(network, 4, design=BoardDesign(mode="op", nudge="ideal"))
    assert board.clamp_sources and not board.target_sources
    assert "XNUDGE" not in element_counts(board.netlist)
    session = get_session()
    session.load(board.netlist, name="board")
    values = session.op()
    free, clamped = _expected_states(board)
    assert np.max(np.abs(board.node_v(values, "clamped") - clamped)) < 1e-6
    _check_decisions(board, values, free, clamped)
    with pytest.raises(UserError, match="clamp_v"):
        board.drive_alters(clamp_v=[1.0])


def test_full_board_latches_direction_and_enable_at_the_trigger():
    """A transient through one trigger: the latched enables equal the oscillator phase model at
    the trigger, the latched directions equal the operating-point decisions."""
    network = experiment16()
    design = BoardDesign(mode="full", trigger_time_s=12e-6, trigger_width_s=0.4e-6)
    board = _random_board(network, 8, design=design, tolerance=0.05)
    session = get_session()
    session.load(board.netlist, name="board")
    period = float(board.parameters.oscillators.period_s.min())
    stop = design.trigger_time_s + design.trigger_width_s + 0.5e-6
    names = [f"v({n})" for n in board.direction_nodes + board.enable_nodes] + ["time"]
    names += [f"v({n})" for n in board.oscillator_nodes]
    data = session.tran(period / 1000, stop, max_step_s=period / 200, uic=True, names=names)
    last = {k: v[-1] for k, v in data.items()}
    osc = board.parameters.oscillators
    t_hold = design.trigger_time_s + design.trigger_width_s  # the latch closes here
    model = oscillator.enabled(osc, t_hold, board.bias_v)
    window = np.linspace(design.trigger_time_s - 0.3e-6, t_hold + 0.3e-6, 50)
    steady = np.all(oscillator.enabled(osc, window, board.bias_v) == model, axis=0)
    assert steady.mean() > 0.8
    assert np.array_equal(board.enables(last)[steady], model[steady])
    assert 0 < board.enables(last).sum() < network.n_edges
    # The oscillators started at their drawn phases and ran (the phase model's waveform), and
    # the latched directions are the decisions.
    wave = np.stack([data[f"v({n})"] for n in board.oscillator_nodes], axis=1)
    model_wave = oscillator.waveform_v(osc, data["time"], design.vdd_v, design.vss_v)
    assert np.median(np.abs(wave - model_wave)) < 0.05
    assert np.all(np.ptp(wave, axis=0) > 0.5)
    free, clamped = _expected_states(board)
    _check_decisions(board, last, free, clamped)


def test_seeded_parameters_are_reproducible_and_recorded():
    network = experiment16()
    a = draw_board_parameters(network, 0.05, 7)
    b = draw_board_parameters(network, 0.05, 7)
    c = draw_board_parameters(network, 0.05, 8)
    assert a.to_dict() == b.to_dict() != c.to_dict()
    assert a.seed == 7
    again = BoardParameters.from_dict(a.to_dict())
    assert again.to_dict() == a.to_dict()
    # Tolerance does not shift the streams: ideal parts, same offsets and oscillator phases.
    ideal = draw_board_parameters(network, 0.0, 7)
    assert np.array_equal(ideal.offset_a_v, a.offset_a_v)
    assert np.array_equal(ideal.oscillators.phase_fraction, a.oscillators.phase_fraction)
    assert np.ptp(ideal.r_ab_free_ohm) == 0 and np.ptp(a.r_ab_free_ohm) > 0
    assert np.all((a.offset_a_v >= 0) & (a.offset_a_v <= 0.05))
    # A generator works too (its spawned streams), and boards built twice are identical.
    g1 = draw_board_parameters(network, 0.05, np.random.default_rng(1))
    g2 = draw_board_parameters(network, 0.05, np.random.default_rng(1))
    assert g1.to_dict() == g2.to_dict() and g1.seed is None
    text = build_board(network, a, input_v=[1, 2], target_v=[1, 1]).netlist
    assert text == build_board(network, b, input_v=[1, 2], target_v=[1, 1]).netlist
    assert '"seed": 7' in text and '"version"' in text


def test_netlist_reads_as_the_parts_list():
    network = experiment16()
    board = _random_board(network, 1, design=BoardDesign(mode="full"))
    counts = element_counts(board.netlist)
    edges = network.n_edges
    for prefix in EDGE_PREFIXES:
        assert counts[prefix] == edges, prefix
    for name in ("VDD", "VSS", "VTRIG", "VBIAS", "VOSC"):
        assert counts[name] == 1
    assert counts["VIN"] == 2 and counts["VTGT"] == 2 and counts["XNUDGE"] == 2
    # Independent count of instance lines by subcircuit name.
    lines = board.netlist.splitlines()
    for subckt, per_edge in (
        ("pot_ad5220", 2),
        ("comp_lm339", 2),
        ("xor_74hc86", 1),
        ("latch_sh", 2),
        ("osc_relax", 1),
        ("comp_enable", 1),
        ("diffamp_ina", 5),
    ):
        instances = [ln for ln in lines if ln.startswith("X") and f" {subckt} " in f"{ln} "]
        assert len(instances) == per_edge * edges, subckt
    frame = bill_of_materials(board)
    assert frame.loc[frame["designator"] == "XPOTF_<i>", "count"].item() == edges
    assert "R_AB" in frame.loc[frame["designator"] == "XPOTC_<i>", "value"].item()
    text = format_bom(frame, edges)
    # 14 parts before the sensing stage gained two sense amplifiers with their gain resistors
    # and three pull-ups.
    assert f"{16 * 21 + 2} parts for 16 edges (21 per edge)" in text
    small = bill_of_materials(_random_board(network, 1))
    assert "XOSC_<i>" not in set(small["designator"])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(tolerance=0.5), "tolerance"),
        (dict(tolerance=-0.1), "tolerance"),
        (dict(comparator_offset_v=-1.0), "offset"),
    ],
)
def test_draw_rejects_bad_values(kwargs, match):
    with pytest.raises(UserError, match=match):
        draw_board_parameters(experiment16(), **{"tolerance": 0.0, **kwargs})


def test_build_rejects_bad_input():
    network = experiment16()
    params = draw_board_parameters(network, 0.0, 0)
    with pytest.raises(UserError, match="cover 143 edges"):
        build_board(network, draw_board_parameters(jammed143(), 0.0, 0))
    with pytest.raises(UserError, match="input_v"):
        build_board(network, params, input_v=[1.0])
    with pytest.raises(UserError, match="two roles"):
        build_board(network, params, outputs=("I1", "O1"))
    with pytest.raises(UserError, match="at least one input"):
        build_board(jammed143(), draw_board_parameters(jammed143(), 0.0, 0))
    with pytest.raises(UserError, match="eta"):
        build_board(network, params, eta=1.5)
    with pytest.raises(UserError, match="tap"):
        build_board(network, params, taps=np.full(16, 200))
    with pytest.raises(UserError, match="mode"):
        BoardDesign(mode="fast")
    with pytest.raises(UserError, match="trigger"):
        BoardDesign(trigger_time_s=0.5e-6)
    board = build_board(network, params, OP)
    assert board.bias_source is None and not board.enable_nodes
    with pytest.raises(UserError, match="op"):
        board.enables({})


def test_calibration_draws_the_same_oscillators_as_the_board():
    from coupled.calibration.run import board_oscillators

    network = jammed143()
    board_draw = draw_board_parameters(network, 0.05, 12).oscillators
    assert board_oscillators(network.n_edges, 0.05, 12).to_dict() == board_draw.to_dict()
