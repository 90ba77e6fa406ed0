"""Gain and offset: a comparator decision flips exactly where G (|dV_C| - |dV_F|) crosses the
comparator offset, on the board in ngspice and in the fast engines' sensing chain.

The board is a two-edge divider (input 0 -> output 1 -> ground 2) with ideal parts (tolerance 0:
no amplifier offsets or gain errors), so both edges carry positive drops and the offset of
comparator A is the rule's sigma at the comparators. The target sets the clamped output and
so the clamped drops; the sweep puts ``G (|dV_C| - |dV_F|) + o_A`` at a few planned values on
both sides of 0, read back from the simulated node voltages.
"""

from __future__ import annotations

import numpy as np
import pytest

from coupled.circuits.assembly import build_board
from coupled.circuits.design import BoardDesign, draw_board_parameters
from coupled.engines.board.twin import board_directions
from coupled.physics import rules, sensing
from coupled.physics.networks import Network
from coupled.spice.session import get_session

GAIN = 40.0
OFFSET_A_V = np.array([0.03, 0.012])
"""Comparator A offsets of the two edges (V, at the comparators)."""
OFFSET_B_V = np.array([0.045, 0.001])
"""Comparator B offsets: they must not matter where both drops are positive."""
MARGINS_V = np.array([-20e-3, -5e-3, -1e-3, -0.3e-3, 0.3e-3, 1e-3, 5e-3, 20e-3])
"""Planned ``G (|dV_C| - |dV_F|) + o_A`` at the comparator input (V)."""
INPUT_V = 3.0
TAPS = np.array([50, 70])


@pytest.fixture(autouse=True)
def _clean_session():
    yield
    get_session().recycle()


def _divider() -> Network:
    return Network(
        n_nodes=3,
        edges=np.array([[0, 1], [1, 2]]),
        resistance_ohm=np.array([5e3, 5e3]),
        inputs=(0,),
        outputs=(1,),
        grounds=(2,),
        name="divider",
    )


def _board(target_v: float, sense_gain: float = GAIN):
    network = _divider()
    parameters = draw_board_parameters(network, 0.0, 0)
    design = BoardDesign(mode="op", sense_gain=sense_gain)
    return build_board(
        network,
        parameters,
        design,
        input_v=[INPUT_V],
        target_v=[target_v],
        eta=1.0,
        taps=TAPS,
    )


@pytest.mark.parametrize("sense_gain", [GAIN, 1.0])
def test_board_decision_flips_where_the_amplified_difference_crosses_the_offset(sense_gain):
    session = get_session()
    board = _board(2.0, sense_gain)
    session.load(board.netlist, name="flip")
    session.alter(board.offset_alters(OFFSET_A_V, OFFSET_B_V))
    free_v = board.node_v(session.op(), "free")
    v_out = free_v[1]
    # both drops positive and inside the drop stages' swing (2.45 V either side of vref)
    assert 0.5 < v_out < INPUT_V - 0.5 and INPUT_V - v_out < 2.4 and v_out < 2.4
    checked = 0
    for edge, sign in ((0, -1.0), (1, +1.0)):
        # edge 0: |dV_C| - |dV_F| = -(V_C - V_F); edge 1: +(V_C - V_F)  (V_C = V_D at eta = 1)
        for margin in MARGINS_V:
            shift = sign * (margin - OFFSET_A_V[edge]) / sense_gain
            session.alter(board.drive_alters([INPUT_V], [v_out + shift]))
            values = session.op()
            free, clamped = board.node_v(values, "free"), board.node_v(values, "clamped")
            x = clamped[board.network.edges[edge, 0]] - clamped[board.network.edges[edge, 1]]
            y = free[board.network.edges[edge, 0]] - free[board.network.edges[edge, 1]]
            seen = sense_gain * (abs(x) - abs(y)) + OFFSET_A_V[edge]
            assert seen == pytest.approx(margin, abs=0.05e-3)  # the sweep lands as planned
            up = board.directions(values)[edge] == 1
            assert up == (seen > 0), (edge, margin, seen)
            # the ideal engine's chain, on the simulated drops, takes the same decision
            chain = sensing.SenseChain(sense_gain)
            ideal = sensing.sensed_direction(np.array([y]), np.array([x]), OFFSET_A_V[edge], chain)
            assert (ideal[0] == 1) == up
            checked += 1
    assert checked == 2 * MARGINS_V.size


def test_without_offset_the_board_decision_flips_at_equal_drops():
    session = get_session()
    board = _board(2.0)
    session.load(board.netlist, name="flip")
    session.alter(board.offset_alters(np.zeros(2), np.zeros(2)))
    v_out = board.node_v(session.op(), "free")[1]
    ups = []
    for shift in (-1e-4, -1e-5, 1e-5, 1e-4):  # V_C - V_F; G * 1e-5 = 0.4 mV >> resolution
        session.alter(board.drive_alters([INPUT_V], [v_out + shift]))
        ups.append(board.directions(session.op()).tolist())
    # edge 0 shrinks its drop as V_C rises (down), edge 1 grows (up)
    assert ups == [[1, -1], [1, -1], [-1, 1], [-1, 1]]


def _sweep(free_v: float, sigma_v: float, gain: float, side: float) -> np.ndarray:
    """Clamped drops with ``G (|x| - |y|) + sigma`` at the planned margins (``side`` = sign of
    both drops)."""
    return side * (abs(free_v) + (MARGINS_V - sigma_v) / gain)


@pytest.mark.parametrize("gain", [1.0, 40.0, 200.0])
def test_ideal_sensing_chain_flips_exactly_at_the_offset(gain):
    chain = sensing.SenseChain(gain)
    sigma = 0.03
    for free in (0.8, -0.8, 2.0):
        clamped = _sweep(free, sigma, gain, np.sign(free))
        got = sensing.sensed_direction(np.full_like(clamped, free), clamped, sigma, chain)
        want = np.where(MARGINS_V > 0, 1, -1)
        np.testing.assert_array_equal(got, want)
    # just either side of the crossing, at the resolution of double precision
    crossing = 0.8 - sigma / gain
    eps = 1e-12
    got = sensing.sensed_direction(
        np.full(2, 0.8), np.array([crossing - eps, crossing + eps]), sigma, chain
    )
    np.testing.assert_array_equal(got, [-1, 1])
    # beyond the drop stages' swing the drops clip and tie: the rule reads "down"
    h = chain.half_swing_v
    assert sensing.sensed_direction(np.array([h + 0.1]), np.array([h + 0.2]), 0.0, chain) == -1


def test_fast_engines_board_law_flips_at_the_same_point_as_the_circuit():
    network = _divider()
    parameters = draw_board_parameters(network, 0.0, 0)  # ideal amplifiers
    design = BoardDesign(mode="op", sense_gain=GAIN)
    free = 1.3
    for edge in range(2):
        clamped = _sweep(free, OFFSET_A_V[edge], GAIN, 1.0)
        got = board_directions(
            np.full((clamped.size, 2), free),
            np.repeat(clamped[:, None], 2, axis=1),
            OFFSET_A_V,
            OFFSET_B_V,
            design,
            parameters,
        )[:, edge]
        np.testing.assert_array_equal(got, np.where(MARGINS_V > 0, 1, -1))
        # and the plain rule with sigma / G on the drops agrees
        rule = rules.discrete_direction(
            np.full(clamped.size, free), clamped, OFFSET_A_V[edge] / GAIN
        )
        np.testing.assert_array_equal(rule, got)
