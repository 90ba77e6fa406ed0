"""The board as one model: the parts catalogue, the board specification and its one factory.

Golden files (``tests/data/golden``) were written by ``coupled netlist`` and ``coupled train
--engine circuit`` before the board had a specification: the default specification must give
the same netlists and the same circuit-level decisions.
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coupled.calibration.erc import check_board
from coupled.circuits import library
from coupled.circuits.parts import ROLES, PartSet, catalogue, get_part, parse_assignments
from coupled.circuits.pot import tap_element
from coupled.circuits.spec import BoardSpec, draw_board
from coupled.cli.main import main
from coupled.core.errors import UserError
from coupled.engines import get_engine
from coupled.engines.board.drawn import engine_board
from coupled.engines.board.options import BOARD_OPTIONS
from coupled.physics.catalogue import load_network
from coupled.spice.session import get_session
from coupled.training.config import TrainConfig
from coupled.training.draws import DrawSource, initial_state, make_tasks

GOLDEN = Path(__file__).parent / "data" / "golden"
NON_DEFAULT = {
    "pot": "MCP4011-103E/SN",
    "drop_amp": "MCP6N16-001E/MS",
    "sense_amp": "MCP6N16-001E/MS",
    "comparator": "TLV3201AIDBVR",
    "logic": "SN74LVC1G86DBVR",
    "oscillator": "LMC555CMX/NOPB",
    "oneshot": "74AHC1G08GW",
}
"""A board with a non-default part in every role."""
PART_ARGS = [arg for role, part in NON_DEFAULT.items() for arg in ("--part", f"{role}={part}")]
INPUT_MAX_V = 2.0
"""The MCP4011 takes at most 2.5 mA at its terminals: 2 V across a 1 kOhm tap is inside."""


# -- the catalogue ----------------------------------------------------------------------------
def test_every_role_has_two_real_parts_and_one_default():
    for role in ROLES:
        parts = catalogue(role)
        assert len(parts) >= 2, role
        assert sum(p.default for p in parts) == 1, role
        for part in parts:
            assert part.part_number and part.manufacturer and part.package and part.datasheet
            assert part.supply_min_v < part.supply_max_v
            assert part.quiescent_current_a > 0
            assert part.figures, part.part_number
            if part.library:  # its .lib file exists and defines the subcircuit it names
                text = library.library_file(part.library).read_text()
                assert part.subckt in library.subckt_names(text)


def test_parts_command_lists_the_catalogue(capsys):
    assert main(["parts", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == len(catalogue())
    for item in listed:
        assert {"role", "part_number", "manufacturer", "default"} <= set(item)
    assert {(i["role"], i["part_number"]) for i in listed if i["default"]} == {
        (role, part.part_number) for role, part in PartSet.from_mapping().items()
    }
    assert main(["parts"]) == 0
    text = capsys.readouterr().out
    assert all(part.part_number in text for part in catalogue())


def test_parts_are_found_by_prefix_and_bad_ones_name_the_allowed(capsys):
    assert get_part("comparator", "tlv3201").part_number == "TLV3201AIDBVR"
    assert parse_assignments(["pot=MCP4011"]) == {"pot": "MCP4011-103E/SN"}
    with pytest.raises(UserError, match="LM339DR"):
        get_part("comparator", "LM393")
    with pytest.raises(UserError, match="must be one of pot"):
        parse_assignments(["potentiometer=AD5220"])
    with pytest.raises(UserError, match="^parts 3: must be a mapping"):
        PartSet.from_mapping(3)
    with pytest.raises(UserError, match="ROLE=PART"):
        parse_assignments(["pot"])
    assert main(["check-board", "--network", "experiment16", "--part", "pot=X1", "--out", "x"]) == 2
    assert "--part pot='X1': must be one of AD5220BRZ10" in capsys.readouterr().err


def test_train_config_takes_parts_and_the_pots_tap_count():
    config = TrainConfig(network="experiment16", rule="discrete", parts={"pot": "MCP4011"})
    config.validate()
    assert config.n_taps == 64 and TrainConfig().n_taps == 128
    with pytest.raises(UserError, match="^parts comparator='NE555': must be one of LM339DR"):
        TrainConfig(parts={"comparator": "NE555"}).validate()


# -- the specification and the factory ---------------------------------------------------------
def test_spec_round_trips_and_its_key_names_the_board():
    spec = BoardSpec(network="experiment16", parts={"comparator": "TLV3201"}, board_seed=2)
    again = BoardSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec and again.key() == spec.key() and hash(again) == hash(spec)
    assert spec.parts["comparator"] == "TLV3201AIDBVR" and spec.parts["pot"] == "AD5220BRZ10"
    assert BoardSpec(network="experiment16", board_seed=2).key() != spec.key()
    with pytest.raises(UserError, match="board_spec key 'colour'"):
        BoardSpec.from_dict({**spec.to_dict(), "colour": "red"})
    with pytest.raises(UserError, match="tolerance 0.7"):
        BoardSpec(tolerance=0.7)


def test_pot_law_of_the_64_tap_part_in_ngspice():
    """The MCP4011's 63-resistor law puts tap 0 and tap 63 on the rule's range, in the model and
    in its subcircuit (a hand-built divider solved by ngspice)."""
    drawn = draw_board(BoardSpec(network="experiment16", parts=NON_DEFAULT, tolerance=0.0))
    pot = drawn.design.pot
    assert (pot.n_taps, pot.divisions, pot.subckt) == (64, 63, "pot_mcp401x")
    assert pot.resistance_ohm(np.array([0, 63])) == pytest.approx([1000.0, 10000.0])
    assert pot.r_ab_ohm == pytest.approx(9000.0) and pot.nearest_tap(1000 + 20 * 9000 / 63) == 20
    text = library.inline_library([library.library_file(pot.library)])
    netlist = "\n".join(
        [
            "pot law",
            text,
            "V1 a 0 DC 1",
            "X1 a a b pot_mcp401x rab=9000 rw=75 tap=10 ntaps=64",
            "R1 b 0 1000",
            ".end",
        ]
    )
    session = get_session()
    session.load(netlist, name="pot-law")
    try:
        solved = session.op()
    finally:
        session.remove("pot-law")
    r_wb = 75 + 10 * 9000 / 63
    assert solved["v(b)"] == pytest.approx(1000 / (1000 + r_wb), rel=1e-9)
    assert tap_element("X1") == "r.x1.rwb"


def test_default_spec_gives_todays_netlists(tmp_path):
    for mode, trigger in (("full", "global"), ("op", "global"), ("full", "self")):
        out = tmp_path / f"{mode}_{trigger}.cir"
        args = ["netlist", "--network", "experiment16", "--tolerance", "0.05", "--seed", "1"]
        assert main([*args, "--mode", mode, "--trigger", trigger, "--out", str(out)]) == 0
        golden = (GOLDEN / f"experiment16_{mode}_{trigger}.cir").read_text()

        def body(text: str) -> list[str]:
            return [line for line in text.splitlines() if "generated by coupled" not in line]

        assert body(out.read_text()) == body(golden), (mode, trigger)


def test_default_spec_takes_todays_circuit_decisions(tmp_path):
    out = tmp_path / "run"
    args = ["train", "--network", "experiment16", "--task", "allostery", "--rule", "discrete"]
    args += ["--roles", "random"]  # the golden's task: roles were drawn then
    args += ["--engine", "circuit", "--p", "0.5", "--steps", "30", "--seed", "3"]
    args += ["--tolerance", "0.05", "--record-events", "csv", "--no-plot", "--out", str(out)]
    assert main(args) == 0
    events = pd.read_csv(out / "update_events.csv")
    golden = pd.read_csv(GOLDEN / "experiment16_circuit_events.csv")
    pd.testing.assert_frame_equal(events[list(golden.columns)], golden, check_dtype=False)
    record = json.loads((out / "run.json").read_text())
    assert record["board_spec"]["parts"] == PartSet.from_mapping().to_dict()
    assert record["board_spec_key"] == BoardSpec.from_dict(record["board_spec"]).key()


def test_bom_orders_the_chosen_parts(tmp_path):
    args = ["netlist", "--network", "experiment16", "--bom", "--out", str(tmp_path / "b.cir")]
    assert main(args) == 0
    bom = pd.read_csv(tmp_path / "bom.csv").set_index("designator")
    for column in ("manufacturer", "part_number", "package", "quantity"):
        assert column in bom.columns
    assert bom.loc["XCMPA_<i>", "part_number"] == "LM339DR"
    assert bom.loc["XCMPA_<i>", "quantity"] == 4  # 16 comparators, four per LM339
    assert bom.loc["XLAT_<i>", "part_number"] == "SN74HC75DR"
    assert bom.loc["VDD", "quantity"] == 0
    assert main([*args[:-2], "--out", str(tmp_path / "n" / "b.cir"), *PART_ARGS]) == 0
    other = pd.read_csv(tmp_path / "n" / "bom.csv").set_index("designator")
    assert other.loc["XPOTF_<i>", "part_number"] == "MCP4011-103E/SN"
    assert other.loc["XCMPA_<i>", "quantity"] == 16  # single-channel TLV3201
    assert other.loc["XLATEN_<i>", "part_number"] == "SN74LVC1G373DBVR"
    assert other.loc["XSENB_<i>", "manufacturer"] == "Microchip Technology"
    assert other.loc["XOSC_<i>", "part_number"] == "LMC555CMX/NOPB"


def test_calibration_is_matched_to_its_board_by_the_specification(tmp_path):
    net = load_network("experiment16")
    spec = BoardSpec(network="experiment16", tolerance=0.05, board_seed=0)
    other = spec.with_(board_seed=1).to_dict()
    path = tmp_path / "calibration.json"
    curve = {"bias_v": [0.0, 2.5, 5.0], "p": [1.0, 0.5, 0.0], "p_std": [0.0, 0.0, 0.0]}
    path.write_text(json.dumps({**curve, "board_spec": other}))
    options = {**BOARD_OPTIONS, "calibration": str(path), "phase_model": "formula"}
    with pytest.raises(UserError, match="made for other oscillators"):
        engine_board(net, spec, options, 0.5, None)
    path.write_text(json.dumps({**curve, "board_spec": spec.to_dict()}))
    assert engine_board(net, spec, options, 0.5, None).bias_v == pytest.approx(2.5)


# -- a board with a non-default part in every role ------------------------------------------------
@pytest.fixture(scope="module")
def non_default_check():
    return check_board("experiment16", input_max_v=INPUT_MAX_V, parts=NON_DEFAULT)


def test_non_default_board_passes_check_board(non_default_check, tmp_path):
    check = non_default_check
    assert check.ok, check.erc.loc[~check.erc["ok"]].head()
    assert check.config["board_spec"]["parts"] == NON_DEFAULT
    # the parts' own ratings were applied: the TLV3201's inputs may pass the rails by 0.2 V,
    # the MCP4011 takes 2.5 mA
    erc = check.erc.set_index(["part", "pin", "quantity"])
    assert erc.loc[("XCMPA_0", "IN+", "input_voltage"), "limit_max"] == pytest.approx(5.2)
    assert erc.loc[("XPOTF_0", "W", "wiper_current"), "limit_max"] == pytest.approx(2.5e-3)
    power = check.power.set_index("name")["power_w"]
    assert power["comparators"] == pytest.approx(3 * 16 * 40e-6 * 5.0)
    args = ["check-board", "--network", "experiment16", "--out", str(tmp_path / "c"), *PART_ARGS]
    assert main(args) == 0
    record = json.loads((tmp_path / "c" / "check_board.json").read_text())
    assert record["board_spec"]["parts"] == NON_DEFAULT and record["board_spec_key"]
    # the allostery task's 5 V inputs drive more than the MCP4011's 2.5 mA through a pot
    hot = TrainConfig(
        network="experiment16", task="allostery", roles="random", seed=3, parts=NON_DEFAULT
    )
    worst = check_board(train_config=hot).erc.query("quantity == 'wiper_current'")
    assert not worst["ok"].all() and worst["value"].max() > 2.5e-3


@pytest.mark.parametrize("trigger", ["global", pytest.param("self", marks=pytest.mark.slow)])
def test_non_default_board_runs_standalone_in_ngspice(tmp_path, trigger):
    out = tmp_path / "board.cir"
    args = ["netlist", "--network", "experiment16", "--trigger", trigger, "--out", str(out)]
    assert main([*args, *PART_ARGS]) == 0
    text = out.read_text()
    assert "pot_mcp401x" in text and "comp_tlv3201" in text and "comp_lm339" not in text
    run = subprocess.run(
        ["ngspice", "-b", str(out)], capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 0
    assert "error" not in run.stdout.lower(), run.stdout[-2000:]
    swings = [
        float(line.split("=")[1].split()[0])
        for line in run.stdout.splitlines()
        if line.startswith("osc_pp_")
    ]
    assert len(swings) == 16 and min(swings) > 1.0  # every oscillator runs (1/3 .. 2/3 of 5 V)


def test_non_default_board_trains_at_circuit_level_and_its_twin_agrees():
    """p = 0.5, 5 % spread: the ideal engine's board twin takes the circuit engine's decisions
    (both stepped from the circuit's state, so one difference does not carry on), on the
    64-tap board; the circuit's taps stay on 0..63 and move."""
    base = dict(network="experiment16", rule="discrete", p=0.5, p_mode="oscillator", steps=30)
    base.update(sigma_mode="board", parts=NON_DEFAULT, input_max_v=INPUT_MAX_V)
    opts = {"tolerance": 0.05, "phase_model": "formula"}
    cfg_c = TrainConfig(engine="circuit", engine_options=opts, **base).resolved()
    cfg_i = TrainConfig(engine="ideal", engine_options=opts, **base).resolved()
    net = load_network("experiment16")
    tasks = make_tasks(cfg_c, net)
    state, fixed = initial_state(cfg_c, net.n_edges)
    assert state.taps.max() <= 63
    source = DrawSource(cfg_c, net.n_edges, tasks[0].train_inputs_v.shape[0], fixed)
    circuit, ideal = get_engine("circuit"), get_engine("ideal")
    circuit.prepare(net, tasks, cfg_c)
    ideal.prepare(net, tasks, cfg_i)
    same, total, differ, start = 0, 0, [], state.taps.copy()
    try:
        for n in range(1, 31):
            draws = source.draws(n)
            a, b = circuit.step(state, draws), ideal.step(state, draws)
            equal = (a.enabled == b.enabled) & (a.direction == b.direction)
            same, total = same + int(equal.sum()), total + equal.size
            differ += [(n, int(e)) for e in np.nonzero(~equal[0])[0]]
            state = a
    finally:
        circuit.close()
    assert same / total >= 0.99, differ
    assert circuit.design.pot.n_taps == 64 and circuit.spec.parts == NON_DEFAULT
    assert 0 <= state.taps.min() and state.taps.max() <= 63 and np.any(state.taps != start)
    expected = 1000.0 + state.taps * 9000.0 / 63
    assert state.resistance_ohm == pytest.approx(expected)


def test_non_default_twin_uses_the_parts():
    cfg = TrainConfig(network="experiment16", rule="discrete", p=0.5, parts=NON_DEFAULT)
    from coupled.engines.board.twin import BoardTwin

    twin = BoardTwin.from_options(load_network("experiment16"), cfg, dict(BOARD_OPTIONS))
    assert twin.design.pot.n_taps == 64 and twin.spec.parts == NON_DEFAULT
    free, clamped = twin.twin_resistances(np.full(16, 63))
    assert np.all(free > 9000) and math.isclose(float(np.median(free)), 10_000.0, rel_tol=0.1)


# -- layers ------------------------------------------------------------------------------------
def _imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, type-only and function-local imports included."""
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_engines_import_nothing_of_training_and_selfcircuit_not_the_engine():
    """Engines take RunSettings and a BoardSpec, not TrainConfig (no training <-> engines
    cycle); the self-triggered stepping uses the circuit engine's public interface only."""
    engines = Path(__file__).resolve().parents[1] / "coupled" / "engines"
    for path in engines.rglob("*.py"):
        bad = {m for m in _imported_modules(path) if m.startswith("coupled.training")}
        assert not bad, (path.name, bad)
    selfcircuit = engines / "board" / "selfcircuit.py"
    assert "coupled.engines.circuit" not in _imported_modules(selfcircuit)
    assert "eng._" not in selfcircuit.read_text()


def test_calibrate_records_the_board_and_the_engine_accepts_it(tmp_path):
    out = tmp_path / "cal"
    args = ["calibrate", "--network", "experiment16", "--events", "phase", "--triggers", "200"]
    args += ["--p-triggers", "50", "--bias-points", "5", "--no-plots", "--no-effective-bias"]
    args += ["--out", str(out)]
    assert main([*args, "--part", "oscillator=LMC555"]) == 0
    record = json.loads((out / "calibration.json").read_text())
    spec = BoardSpec(network="experiment16", parts={"oscillator": "LMC555"})
    assert record["board_spec"] == spec.to_dict() and record["board_spec_key"] == spec.key()
    options = {**BOARD_OPTIONS, "calibration": str(out), "phase_model": "formula"}
    board = engine_board(load_network("experiment16"), spec, options, 0.5, None)
    assert board.calibration.meta["board_spec_key"] == spec.key()
    with pytest.raises(UserError, match="made for other oscillators"):
        engine_board(load_network("experiment16"), spec.with_(tolerance=0.1), options, 0.5, None)
