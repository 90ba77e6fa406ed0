"""Electrical rule check (ERC) and power budget of a board, run in ngspice.

:func:`check_board` builds the decision path of the board (``mode="op"``: pots, drop and sense
stages, comparators with pull-ups, XOR, latches transparent) for the first training examples of
a seeded task, solves one operating point per example in ngspice, and compares every pin's
voltage (and every pot's wiper current) with its part's datasheet limits
(:mod:`coupled.circuits.ratings`). Each row of the ERC table is one (part, pin, quantity): the
value is
the example that came nearest to (or furthest past) a limit.

Power: the twin networks' dissipation from the solved node voltages (what the input, target and
nudge sources deliver), the pull-ups from their solved voltages, and the quiescent currents of
amplifiers, comparators, logic and oscillators from their datasheets (the behavioural models
draw no supply current). Energy per training step is the mean total power times the trigger
period; per tap move it is that divided by the edges that move per step at p = 1 (all of them).

The result is cached on disk (:mod:`coupled.core.cache`, kind ``board-check``) under the
SHA-256 of both generated netlists (every part, drawn value, tap and drive of the board), the
examples' drives, the check's settings and the code that turns voltages into rows; a hit is
marked ``BoardCheck.cached`` (143 edges: the 64 s transient becomes a file read).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from coupled.circuits import ratings
from coupled.circuits.assembly import build_board
from coupled.circuits.diffamp import DROP_STAGES, SENSE_STAGES
from coupled.circuits.spec import BoardSpec, draw_board
from coupled.core import cache
from coupled.core.errors import ParameterError
from coupled.core.options import check_range
from coupled.engines.board.options import BOARD_OPTIONS, SUPPLY_LIMITS_V
from coupled.physics.networks import Network
from coupled.spice.session import get_session

ERC_COLUMNS = ("part", "pin", "quantity", "value", "limit_min", "limit_max", "unit", "ok")
POWER_COLUMNS = ("scope", "name", "power_w", "energy_per_step_j", "energy_per_tap_move_j")
DEFAULT_EXAMPLES = 4
NUMERICAL_SLACK = {"V": 1e-3, "A": 1e-9}
"""Allowed excess per unit: the integration's overshoot of latch outputs (microvolts under
gear) is a property of the simulation, not of the board."""
DEFAULT_TRIGGER_PERIOD_S = 50e-6
CACHE_KIND = "board-check"
"""Kind of the on-disk cache entries of :func:`check_board` (:mod:`coupled.core.cache`)."""


@dataclass(frozen=True)
class BoardCheck:
    """Result of :func:`check_board`: the two tables and the one-line summary."""

    erc: pd.DataFrame
    power: pd.DataFrame
    summary: str
    config: dict
    cached: bool = False
    """True when the result was read from the on-disk cache instead of solved in ngspice."""

    @property
    def ok(self) -> bool:
        """True when every ERC row is inside its limits."""
        return bool(self.erc["ok"].all())


class _Rows:
    """Collects (part, pin, quantity) -> values over examples, with their limit."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str, str], list[float]] = {}
        self.limits: dict[tuple[str, str, str], ratings.Limit] = {}

    def add(self, part: str, pin: str, limit: ratings.Limit, value: float) -> None:
        key = (part, pin, limit.quantity)
        self.values.setdefault(key, []).append(float(value))
        self.limits[key] = limit

    def frame(self) -> pd.DataFrame:
        rows = []
        for key, values in self.values.items():
            limit = self.limits[key]
            low, high = min(values), max(values)
            value = low if (limit.low - low) > (high - limit.high) else high
            slack = NUMERICAL_SLACK.get(limit.unit, 0.0)
            ok = limit.low - slack <= low and high <= limit.high + slack
            rows.append((*key, value, limit.low, limit.high, limit.unit, ok))
        return pd.DataFrame(rows, columns=list(ERC_COLUMNS))


def check_board(
    network: str | Network = "experiment16",
    *,
    sense_gain: float | None = None,
    input_max_v: float | None = None,
    tolerance: float = 0.05,
    seed: int = 0,
    examples: int = DEFAULT_EXAMPLES,
    trigger_period_s: float = DEFAULT_TRIGGER_PERIOD_S,
    train_config=None,
    parts: dict | None = None,
    supply_v: float | None = None,
    use_cache: bool = True,
    log=None,
) -> BoardCheck:
    """Run the ERC and the power budget of the board ``train`` would build for ``network``.

    Parameters
    ----------
    network
        Built-in network name, file or :class:`~coupled.physics.networks.Network`.
    sense_gain, input_max_v
        Board design and task inputs (default: ``coupled train``'s).
    tolerance, seed
        Part spread and the seed of the parts and of the task.
    examples
        Training examples (operating points) checked.
    trigger_period_s
        Time per training step (s), for the energies.
    train_config
        A :class:`~coupled.training.TrainConfig` whose board to check (its network, task,
        voltages, sense gain and parts; ``network``, ``sense_gain``, ``input_max_v`` and
        ``parts`` are then ignored).
    supply_v
        The board's supply (V); default the ``supply_v`` engine option of ``train_config``, else
        5 V (:data:`coupled.engines.board.options.BOARD_OPTIONS`).
    parts
        Role -> catalogue part number (:mod:`coupled.circuits.parts`); default: the default
        board's parts. Each part's datasheet ratings and quiescent current are checked.
    use_cache
        Read and write the result in the on-disk cache (:mod:`coupled.core.cache`), keyed by
        the SHA-256 of both generated netlists (operating-point and transient board: every
        part, drawn value, tap and drive), the examples' drive voltages and the settings of the
        check. A hit skips ngspice and is marked by ``BoardCheck.cached``.
    log
        Optional callable taking one line of progress text (each ngspice stage).

    Returns
    -------
    BoardCheck
    """
    from coupled.training.config import TrainConfig
    from coupled.training.draws import make_tasks

    values = {"network": network, "rule": "discrete", "seed": seed, "train_size": examples}
    if parts:
        values["parts"] = dict(parts)
    if sense_gain is not None:
        values["sense_gain"] = sense_gain
    if input_max_v is not None:
        values["input_max_v"] = input_max_v
    config = TrainConfig(**values)
    board_supply = BOARD_OPTIONS["supply_v"]
    if train_config is not None:
        board_supply = train_config.engine_options.get("supply_v", board_supply)
        config = replace(
            train_config,
            rule="discrete",
            engine="ideal",
            engine_options={},
            tasks=1,
            trigger="global",  # the ratings do not depend on the trigger (op-mode board)
            example_period_s=None,
        )
    net = config.validate()
    if not (np.isfinite(tolerance) and 0 <= tolerance < 0.5):
        raise ParameterError(f"{{tolerance}} {tolerance!r}: must be in [0, 0.5)", "tolerance")
    cfg = config.resolved()
    task = make_tasks(cfg, net)[0]
    if supply_v is None:
        supply_v = board_supply
    check_range("supply_v", supply_v, *SUPPLY_LIMITS_V)
    spec = BoardSpec(
        network=cfg.network_label,
        parts=cfg.parts,
        sense_gain=cfg.sense_gain,
        r_min_ohm=cfg.r_min_ohm,
        r_max_ohm=cfg.r_max_ohm,
        comparator_offset_v=cfg.sigma_v,
        mode="op",
        vdd_v=float(supply_v),
        tolerance=tolerance,
        board_seed=seed,
    )
    drawn = draw_board(spec, net)
    design, parameters = drawn.design, drawn.parameters
    board = build_board(
        net,
        parameters,
        design,
        inputs=task.inputs,
        outputs=task.outputs,
        grounds=task.grounds,
        input_v=task.train_inputs_v[0],
        target_v=task.train_targets_v[0],
        eta=cfg.eta,
    )
    full_design = replace(board.design, mode="full", **TRANSIENT_DESIGN)
    full = build_board(
        net,
        parameters,
        full_design,
        inputs=board.inputs,
        outputs=board.outputs,
        grounds=board.grounds,
        input_v=board.input_v,
        target_v=board.target_v,
        eta=board.eta,
        taps=board.taps,
    )
    record = {
        "train_config": cfg.to_dict(),
        "tolerance": tolerance,
        "examples": examples,
        "trigger_period_s": trigger_period_s,
        "supply_v": float(supply_v),
        "board": board.config(),
        **drawn.record(),
    }
    key = _cache_key(board, full, task, record) if use_cache else None
    if key is not None:
        hit = _from_cache(key, record)
        if hit is not None:
            return hit
    say = log or (lambda text: None)
    say(
        f"checking the board of {net.name} ({board.n_edges} edges): "
        f"{task.train_inputs_v.shape[0]} operating points, then a transient of the full board"
    )
    session = get_session()
    name = "check-board"
    session.load(board.netlist, name=name)
    rows = _Rows()
    power = []
    try:
        for j in range(task.train_inputs_v.shape[0]):
            session.alter(board.drive_alters(task.train_inputs_v[j], task.train_targets_v[j]))
            solved = session.op()
            power.append(_rows_of(board, solved, rows))
        say(f"transient of the full board ({full.netlist.count(chr(10))} netlist lines)")
        _transient_rows(board, full, parameters, session, rows)
    finally:
        session.remove(name)
    erc = rows.frame()
    budget = _power_table(board, np.mean(power, axis=0), trigger_period_s)
    summary = _summary(net.name, erc, budget)
    result = BoardCheck(erc=erc, power=budget, summary=summary, config=record)
    if key is not None:
        _to_cache(key, result)
    return result


def _cache_key(board, full, task, record: dict) -> str:
    """Cache key of a check: the SHA-256 of both netlists' text, the drives and the settings."""
    netlists = hashlib.sha256(board.netlist.encode() + b"\0" + full.netlist.encode()).hexdigest()
    return cache.cache_key(
        CACHE_KIND,
        {
            "netlists_sha256": netlists,
            "train_inputs_v": np.asarray(task.train_inputs_v, float).tolist(),
            "train_targets_v": np.asarray(task.train_targets_v, float).tolist(),
            "trigger_period_s": record["trigger_period_s"],
            "record": record,
            "transient_design": TRANSIENT_DESIGN,
            "numerical_slack": NUMERICAL_SLACK,
            "network": board.network.name,
            "rules_sha256": _rules_hash(),
        },
    )


def _rules_hash() -> str:
    """SHA-256 of the code that turns solved voltages into rows (this module, the ratings and
    the parts' catalogue), so that an edited limit misses the cache within one version."""
    from coupled.circuits import parts

    digest = hashlib.sha256()
    files = [Path(ratings.__file__), Path(__file__)]
    root = Path(parts.__file__)
    files += sorted(root.parent.glob("*.py")) if root.name == "__init__.py" else [root]
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _to_cache(key: str, result: BoardCheck) -> None:
    data = {
        "erc": result.erc.to_dict(orient="list"),
        "power": result.power.to_dict(orient="list"),
        "summary": result.summary,
    }
    cache.store(CACHE_KIND, key, data, about={"summary": result.summary})


def _from_cache(key: str, record: dict) -> BoardCheck | None:
    """The cached check of ``key`` (``None`` when missing or unreadable)."""
    data = cache.load(CACHE_KIND, key)
    if data is None:
        return None
    try:
        erc = pd.DataFrame(data["erc"], columns=list(ERC_COLUMNS))
        power = pd.DataFrame(data["power"], columns=list(POWER_COLUMNS))
        erc["ok"] = erc["ok"].astype(bool)
        summary = str(data["summary"])
    except (KeyError, TypeError, ValueError):
        cache.reject()
        return None
    return BoardCheck(erc=erc, power=power, summary=summary, config=record, cached=True)


TRANSIENT_DESIGN = {"trigger_low_s": 0.2e-6, "trigger_time_s": 1.0e-6, "trigger_width_s": 0.5e-6}
"""Timing of the transient check: one trigger pulse shortly after the oscillators start."""


def _transient_rows(board, full, parameters, session, rows: _Rows) -> None:
    """A transient of the full board (oscillators from their drawn phases) through one trigger:
    the extremes over time of every oscillator, enable and latch pin against its limits."""
    d = full.design
    name = "check-board-transient"
    session.load(full.netlist, name=name)
    kinds = ("osc", "en", "enl", "xor", "dir", "cmpa", "cmpb", "sena", "senb")
    names = [f"v({k}_{i})" for i in range(board.n_edges) for k in kinds]
    period = float(np.min(parameters.oscillators.period_s))
    stop = d.trigger_time_s + d.trigger_width_s + 0.2e-6
    max_step = min(period / 100, d.trigger_width_s / 4)
    try:
        data = session.tran(max_step / 10, stop, max_step_s=max_step, uic=True, names=names)
    finally:
        session.remove(name)
    vss, vdd, parts = d.vss_v, d.vdd_v, d.part_set
    logic = parts.logic.input_limit(vss, vdd)
    rail = ratings.Limit("output_voltage", vss, vdd, "V")
    cm = parts.comparator.common_mode_limit(vss, vdd)
    amp_out = ratings.amplifier_output(*d.sense_swing_v)
    for i in range(board.n_edges):
        series = {k: data[f"v({k}_{i})"] for k in kinds}
        rows.add(f"XCMPEN_{i}", "IN+/IN-", cm, min(float(series["osc"].min()), full.bias_v))
        rows.add(f"XOSC_{i}", "OUT", rail, float(series["osc"].min()))
        rows.add(f"XOSC_{i}", "OUT", rail, float(series["osc"].max()))
        for part, pin, key, limit in (
            (f"XLATEN_{i}", "D", "en", logic),
            (f"XLAT_{i}", "D", "xor", logic),
            (f"XXOR_{i}", "INA", "cmpa", logic),
            (f"XXOR_{i}", "INB", "cmpb", logic),
            (f"XSENA_{i}", "OUT", "sena", amp_out),
            (f"XSENB_{i}", "OUT", "senb", amp_out),
            (f"XLAT_{i}", "Q", "dir", rail),
            (f"XLATEN_{i}", "Q", "enl", rail),
        ):
            rows.add(part, pin, limit, float(series[key].min()))
            rows.add(part, pin, limit, float(series[key].max()))


def _rows_of(board, solved: dict[str, float], rows: _Rows) -> tuple[float, float]:
    """Add one operating point's rows; returns (network power, pull-up power) in W."""
    d = board.design
    vss, vdd, parts = d.vss_v, d.vdd_v, d.part_set
    v = {k[2:-1]: val for k, val in solved.items() if k.startswith("v(")}
    rows.add("VDD", "vdd", ratings.supply(*parts.supply_range_v()), v.get("vdd", vdd))
    terminal = parts.pot.terminal_limit(vss, vdd)
    wiper = parts.pot.wiper_current_limit()
    amp_in = {
        False: ratings.amplifier_input(vss, vdd, d.diffamp.input_margin_v),
        True: ratings.amplifier_input(vss, vdd, d.sense_amp.input_margin_v),
    }
    amp_out = {
        False: ratings.amplifier_output(*d.amplifier_swing_v),
        True: ratings.amplifier_output(*d.sense_swing_v),
    }
    cm = parts.comparator.common_mode_limit(vss, vdd)
    cmp_in = parts.comparator.input_limit(vss, vdd)
    logic = parts.logic.input_limit(vss, vdd)
    r_free, r_clamped = board.resistance_ohm()
    network_w = pull_w = 0.0
    for i, (a, b) in enumerate(board.network.edges.tolist()):
        nodes = {
            "F": (board.free_node(a), board.free_node(b), r_free[i]),
            "C": (board.clamped_node(a), board.clamped_node(b), r_clamped[i]),
        }
        for twin, (na, nb, r) in nodes.items():
            part = f"XPOT{twin}_{i}"
            rows.add(part, "A/W", terminal, v[na])
            rows.add(part, "B", terminal, v[nb])
            current = (v[na] - v[nb]) / r
            rows.add(part, "W", wiper, abs(current))
            network_w += current**2 * r
        stages = (
            ("XDIFF", nodes["F"][0], nodes["F"][1], f"dvf_{i}"),
            ("XDIFC", nodes["C"][0], nodes["C"][1], f"dvc_{i}"),
            ("XDIFN", nodes["F"][1], nodes["F"][0], f"dvn_{i}"),
            ("XSENA", f"dvc_{i}", f"dvf_{i}", f"sena_{i}"),
            ("XSENB", f"dvc_{i}", f"dvn_{i}", f"senb_{i}"),
        )
        for prefix, ina, inb, out in stages:
            part, sense = f"{prefix}_{i}", prefix in SENSE_STAGES
            rows.add(part, "IN+", amp_in[sense], v[ina])
            rows.add(part, "IN-", amp_in[sense], v[inb])
            rows.add(part, "OUT", amp_out[sense], v[out])
        for prefix, inp, out in (
            ("XCMPA", f"sena_{i}", f"cmpa_{i}"),
            ("XCMPB", f"senb_{i}", f"cmpb_{i}"),
        ):
            part = f"{prefix}_{i}"
            rows.add(part, "IN+/IN-", cm, min(v[inp], v["vref"]))
            rows.add(part, "IN+", cmp_in, v[inp])
            rows.add(part, "IN-", cmp_in, v["vref"])
            pull_w += vdd * (vdd - v[out]) / d.pull_up_ohm
            rows.add(f"XXOR_{i}", out.split("_")[0].upper().replace("CMP", "IN"), logic, v[out])
        rows.add(f"XLAT_{i}", "D", logic, v[f"xor_{i}"])
    return network_w, pull_w


def _power_table(board, mean_w: np.ndarray, period_s: float) -> pd.DataFrame:
    d, e, parts = board.design, board.n_edges, board.design.part_set
    network_w, pull_w = (float(x) for x in mean_w)
    vdd = d.swing_v
    drops, senses = len(DROP_STAGES), len(SENSE_STAGES)
    amplifiers_a = drops * d.diffamp.supply_current_a + senses * d.sense_amp.supply_current_a
    classes = {
        "pots (twin networks)": network_w,
        "difference amplifiers": e * amplifiers_a * vdd,
        "comparators": 3 * e * parts.comparator.quiescent_current_a * vdd,
        "comparator pull-ups": pull_w,
        "logic (XOR, latches)": 3 * e * parts.logic.quiescent_current_a * vdd,
        "oscillators": e * parts.oscillator.quiescent_current_a * vdd,
    }
    rails = {
        "inputs and targets (network drive)": network_w,
        "VDD (5 V logic and analog supply)": sum(classes.values()) - network_w,
    }
    total = sum(classes.values())
    rows = [("part_class", k, w) for k, w in classes.items()]
    rows += [("rail", k, w) for k, w in rails.items()]
    rows.append(("total", "board", total))
    frame = pd.DataFrame(rows, columns=["scope", "name", "power_w"])
    frame["energy_per_step_j"] = frame["power_w"] * period_s
    frame["energy_per_tap_move_j"] = frame["energy_per_step_j"] / e
    return frame


def _summary(network: str, erc: pd.DataFrame, power: pd.DataFrame) -> str:
    total = power.loc[power["scope"] == "total"].iloc[0]
    energy = f"{total['power_w'] * 1e3:.3g} mW, {total['energy_per_step_j'] * 1e6:.3g} uJ per step"
    bad = erc.loc[~erc["ok"]]
    if bad.empty:
        return f"check-board {network}: all {len(erc)} ERC rows ok; power {energy}"
    span = (bad["limit_max"] - bad["limit_min"]).replace(0, 1.0)
    excess = np.maximum(bad["limit_min"] - bad["value"], bad["value"] - bad["limit_max"]) / span
    worst = bad.loc[excess.idxmax()]
    return (
        f"check-board {network}: {len(bad)} of {len(erc)} ERC rows violated; worst "
        f"{worst['part']} {worst['pin']} {worst['quantity']} {worst['value']:.4g} {worst['unit']} "
        f"outside [{worst['limit_min']:.4g}, {worst['limit_max']:.4g}]; power {energy}"
    )
