"""Monte Carlo yield of a board and its tolerance budget (``coupled yield``).

N boards are drawn from the part classes' tolerance distributions
(:mod:`coupled.circuits.tolerances`); each is trained on the same task(s) on its board twin and
counted as *learned* when its final scaled error (mean over its tasks) is at most
``target_error``. The budget repeats the N boards with one part class made ideal (limit x 0)
and with its limit doubled (x 2), everything else unchanged: every condition uses the same
standard-normal and uniform numbers per board (common random numbers), so differences between
conditions are paired.

The board twin, batched over boards (lanes = boards x tasks of the ``ideal`` engine's compiled
solver, each lane's arithmetic independent of the batch): both twins' pots with their own
end-to-end resistance, series resistor and tap nonlinearity; the five difference stages' offsets
and gain errors and the two decision comparators' offsets decide the direction
(:func:`coupled.engines.board.twin.board_directions`); each edge's relaxation oscillator (its R,
C and threshold divider) is sampled at every trigger (``trigger_period_s``) against the board's
bias, set so that the mean fraction of time above the bias over the board's edges equals ``p``
(the analytic duty cycle: what the board's calibration converges to). Simplifications stated:
the oscillators follow the RC formula (not fitted to ngspice per board) and carry no period
jitter; the error is the free twin's (the built network's) test error.

Chunks of ``chunk`` boards are independent pure computations: serial, process or Dask
executors give identical numbers; finished chunks are stored under ``chunks/`` so a killed run
resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from coupled.circuits.design import BoardDesign
from coupled.circuits.tolerances import (
    DEFAULT_TOLERANCES,
    PART_CLASSES,
    PartTolerance,
    uniform_tolerances,
)
from coupled.core.errors import UserError
from coupled.core.options import check_range, check_whole
from coupled.physics import rules

YIELD_KEY = 21
"""First element of every board's ``SeedSequence`` spawn key (independent of training streams)."""
BOARD_COLUMNS = (
    "board",
    "final_scaled_error",
    "learned",
    "worst_task_scaled_error",
    "initial_error_v2",
    "mean_p",
)
BUDGET_COLUMNS = (
    "part_class",
    "change",
    "yield",
    "ci_low",
    "ci_high",
    "effect",
    "median_error_ratio",
    "ratio_ci_low",
    "ratio_ci_high",
)
"""``effect``: yield minus the nominal yield; ``median_error_ratio``: the median over boards of
the board's final scaled error in this condition over its nominal one (paired; < 1: better),
with a 95 % bootstrap interval over boards (``ratio_ci_low``, ``ratio_ci_high``; 2000 resamples,
seeded)."""
CHANGES = {"ideal": 0.0, "doubled": 2.0}
TOLERANCE_SETS = ("datasheet", "uniform")
DEFAULT_TARGET_ERROR = 0.1
"""A board learns when its final scaled error is at most 0.1 (error cut tenfold)."""


@dataclass(frozen=True)
class YieldConfig:
    """Everything that defines a yield study (CLI options with underscores).

    ``parts`` is ``"datasheet"`` (:data:`coupled.circuits.tolerances.DEFAULT_TOLERANCES`) or
    ``"uniform"`` (every relative class +-``uniform_tolerance``, the ``--tolerance`` board).
    """

    network: str = "experiment16"
    task: str = "allostery"
    tasks: int = 4
    p: float = 0.5
    steps: int = 1000
    seed: int = 0
    boards: int = 200
    target_error: float = DEFAULT_TARGET_ERROR
    parts: str = "datasheet"
    uniform_tolerance: float = 0.05
    trigger_period_s: float = 50e-6
    supply_v: float = 5.0
    budget: bool = True
    chunk: int = 50
    board_parts: tuple[tuple[str, str], ...] = ()
    """Catalogue parts of the board (``--part ROLE=PART``) as sorted (role, part number) pairs;
    the pot's end-to-end tolerance follows the chosen pot's datasheet (``--parts datasheet``)."""

    def validate(self) -> None:
        """``UserError`` naming the first bad value."""
        check_whole("boards", self.boards, 1, 1_000_000)
        check_whole("chunk", self.chunk, 1, 10_000)
        check_range("target_error", self.target_error, 0.0, low_open=True)
        check_range("uniform_tolerance", self.uniform_tolerance, 0.0, 0.5, high_open=True)
        check_range("trigger_period_s", self.trigger_period_s, 0.0, low_open=True)
        if self.parts not in TOLERANCE_SETS:
            raise UserError(f"--parts {self.parts!r}: must be one of {', '.join(TOLERANCE_SETS)}")
        self.train_config().validate()

    def train_config(self):
        """The :class:`~coupled.training.TrainConfig` whose tasks and initial taps every board
        trains (discrete rule; the board's own gates and offsets replace p-mode and sigma)."""
        from coupled.training.config import TrainConfig

        return TrainConfig(
            network=self.network,
            task=self.task,
            rule="discrete",
            p=self.p,
            steps=self.steps,
            tasks=self.tasks,
            seed=self.seed,
            checkpoint_every=0,
            engine_options={"supply_v": self.supply_v},
            parts=dict(self.board_parts),
        )

    def tolerances(self) -> dict[str, PartTolerance]:
        """The nominal part tolerances of this study."""
        if self.parts == "uniform":
            return uniform_tolerances(self.uniform_tolerance)
        tolerances = dict(DEFAULT_TOLERANCES)
        pot = self.train_config().part_set.pot
        tolerances["pot_r_ab"] = dataclasses.replace(
            tolerances["pot_r_ab"],
            limit=float(pot.r_ab_tolerance),
            source=f"{pot.part_number} datasheet: nominal resistance tolerance "
            f"+-{100 * pot.r_ab_tolerance:g} %",
        )
        return tolerances

    def conditions(self) -> list[tuple[str, str]]:
        """``(part_class, change)`` pairs: ``("all", "nominal")`` then the budget's."""
        out = [("all", "nominal")]
        if self.budget:
            out += [(c, change) for c in PART_CLASSES for change in CHANGES]
        return out

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        data = dataclasses.asdict(self)
        data["board_parts"] = [list(pair) for pair in self.board_parts]
        return data


# -- drawing boards ------------------------------------------------------------------------------


def board_numbers(seed: int, board: int, n_edges: int) -> dict[str, np.ndarray]:
    """Board ``board``'s standard normals and uniforms, the same whatever the tolerances."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(YIELD_KEY, board)))
    return {
        "pot_r_ab": rng.standard_normal((2, n_edges)),
        "pot_nonlinearity": rng.standard_normal((2, n_edges)),
        "series_r": rng.standard_normal((2, n_edges)),
        "amp_offset": rng.standard_normal((5, n_edges)),
        "amp_gain": rng.standard_normal((5, n_edges)),
        "comparator_offset": rng.uniform(0.0, 1.0, (2, n_edges)),
        "osc_r": rng.standard_normal((4, n_edges)),
        "osc_c": rng.standard_normal((1, n_edges)),
        "phase": rng.uniform(0.0, 1.0, (1, n_edges)),
    }


def _spread(t: PartTolerance, numbers: np.ndarray) -> np.ndarray:
    """Relative deviation (gauss, fraction or LSB or volts) or uniform [0, limit] values."""
    if t.distribution == "uniform0":
        return t.limit * numbers
    return t.limit * np.clip(numbers, -3.0, 3.0) / 3.0


def draw_boards(
    seed: int, boards: list[int], n_edges: int, tolerances: dict[str, PartTolerance]
) -> dict[str, np.ndarray]:
    """Per board (B, ...) part values: relative deviations, volts, LSB, phases."""
    numbers = [board_numbers(seed, b, n_edges) for b in boards]
    out = {"phase": np.stack([n["phase"][0] for n in numbers])}
    for name in PART_CLASSES:
        out[name] = np.stack([_spread(tolerances[name], n[name]) for n in numbers])
    return out


# -- the batched board twin ----------------------------------------------------------------------


def _oscillators(parts: dict) -> dict[str, np.ndarray]:
    """(B, E) thresholds (fractions of the supply), tau, charge and period from the parts."""
    r = parts["osc_r"]  # (B, 4, E): timing R, divider top, middle, bottom
    top, middle, bottom = 1 + r[:, 1], 1 + r[:, 2], 1 + r[:, 3]
    total = top + middle + bottom
    low, high = bottom / total, (middle + bottom) / total
    tau = (1 + r[:, 0]) * (1 + parts["osc_c"][:, 0])  # relative to the nominal RC
    charge = tau * np.log((1 - low) / (1 - high))
    period = charge + tau * np.log(high / low)
    return {"low": low, "high": high, "tau": tau, "charge": charge, "period": period}


def _duty_above(osc: dict, x: np.ndarray) -> np.ndarray:
    """Fraction of each period above the bias fraction x (B,) -> (B, E)."""
    inside = np.clip(x[:, None], osc["low"], osc["high"])
    above = osc["tau"] * (np.log((1 - inside) / (1 - osc["high"])) + np.log(osc["high"] / inside))
    return np.clip(above / osc["period"], 0.0, 1.0)


def _bias_fraction(osc: dict, p: float) -> np.ndarray:
    """Per board the bias (fraction of the supply) whose mean duty over edges is ``p``."""
    if p >= 1.0:
        return np.min(osc["low"], axis=1) - 1e-3
    lo = np.min(osc["low"], axis=1)
    hi = np.max(osc["high"], axis=1)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        above = _duty_above(osc, mid).mean(axis=1) > p
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    return 0.5 * (lo + hi)


def _waveform(osc: dict, phase: np.ndarray, t: float) -> np.ndarray:
    """Oscillator fractions (B, E) at relative time t (in nominal RC units)."""
    s = np.mod(t + phase * osc["period"], osc["period"])
    rising = 1.0 - (1.0 - osc["low"]) * np.exp(-s / osc["tau"])
    falling = osc["high"] * np.exp(-(s - osc["charge"]) / osc["tau"])
    return np.where(s < osc["charge"], rising, falling)


def _design(cfg: YieldConfig, tcfg) -> BoardDesign:
    """The nominal design of the boards (parts, gain, supply), from the one board factory."""
    from coupled.engines.board.drawn import board_spec

    options = {"tolerance": 0.0, "board_seed": 0, "supply_v": cfg.supply_v}
    return board_spec(tcfg, options).design()


def simulate_boards(
    cfg: YieldConfig, tolerances: dict[str, PartTolerance], boards: list[int]
) -> pd.DataFrame:
    """Train ``boards`` with these tolerances on their twins; one row per board."""
    from coupled.circuits.oscillator import DEFAULT_C_F, DEFAULT_R_OHM
    from coupled.engines.board.twin import board_directions
    from coupled.engines.ideal import IdealEngine
    from coupled.training.draws import initial_state, make_tasks

    tcfg = cfg.train_config().resolved()
    network = tcfg.validate()
    tasks = make_tasks(tcfg, network)
    n_b, n_t, n_e = len(boards), len(tasks), network.n_edges
    parts = draw_boards(cfg.seed, boards, n_e, tolerances)
    engine = IdealEngine()
    plain = dataclasses.replace(tcfg, tasks=n_b * n_t, engine_options={})
    engine.prepare(network, [t for _ in boards for t in tasks], plain)

    def lanes(a: np.ndarray) -> np.ndarray:  # (B, ..., E) -> (B * T, ..., E) board-major
        return np.repeat(a, n_t, axis=0)

    design = _design(cfg, tcfg)
    pot = design.pot
    r_ab = pot.r_ab_ohm * (1 + lanes(parts["pot_r_ab"]))  # (L, 2, E)
    series = pot.r_series_ohm * (1 + lanes(parts["series_r"]))
    inl = lanes(parts["pot_nonlinearity"])

    def twins(taps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = taps / (pot.n_taps - 1)
        out = []
        for j in range(2):
            steps_lsb = taps + inl[:, j] * 4 * x * (1 - x)
            out.append(series[:, j] + pot.r_wiper_ohm + steps_lsb * r_ab[:, j] / pot.n_taps)
        return out[0], out[1]

    amps = SimpleNamespace(
        amp_gain_error=np.moveaxis(lanes(parts["amp_gain"]), 1, 0),  # (5, L, E)
        amp_offset_v=np.moveaxis(lanes(parts["amp_offset"]), 1, 0),
    )
    offset_a, offset_b = (
        lanes(parts["comparator_offset"][:, 0]),
        lanes(parts["comparator_offset"][:, 1]),
    )
    osc = _oscillators(parts)
    bias = _bias_fraction(osc, cfg.p)
    phase = parts["phase"]
    dt = cfg.trigger_period_s / (DEFAULT_R_OHM * DEFAULT_C_F)  # trigger period in nominal RC
    start, _ = initial_state(tcfg, n_e)
    taps = np.tile(start.taps, (n_b, 1))
    test_x = np.concatenate([np.stack([t.test_inputs_v for t in tasks])] * n_b)
    test_y = np.concatenate([np.stack([t.test_targets_v for t in tasks])] * n_b)
    n_train = tasks[0].train_inputs_v.shape[0]
    example_rng = np.random.default_rng(np.random.SeedSequence(cfg.seed, spawn_key=(YIELD_KEY,)))
    examples = example_rng.integers(0, n_train, size=(cfg.steps, n_t))

    def error(taps: np.ndarray) -> np.ndarray:
        free, _ = twins(taps)
        pred = engine.predict(free, test_x)
        return ((pred - test_y) ** 2).sum(axis=2).mean(axis=1)

    initial = error(taps)
    every = max(1, cfg.steps // 100)
    tail_from = cfg.steps - cfg.steps // 10
    tail, moved = [], np.zeros(n_b)
    for step in range(1, cfg.steps + 1):
        enabled = lanes(_waveform(osc, phase, step * dt) > bias[:, None])
        moved += enabled[::n_t].mean(axis=1)
        free, clamped = twins(taps)
        index = np.tile(examples[step - 1], n_b)[:, None]
        m = engine.measure_twins(free, clamped, index)
        direction = board_directions(
            m.free_drop_v[:, 0], m.clamped_drop_v[:, 0], offset_a, offset_b, design, amps
        )
        taps = rules.discrete_update(taps, direction, enabled, pot.n_taps)
        if step >= tail_from and (step % every == 0 or step == cfg.steps):
            tail.append(error(taps))
    scaled = np.mean(tail, axis=0) / np.where(initial > 0, initial, 1.0)  # (L,)
    per_board = scaled.reshape(n_b, n_t)
    final = per_board.mean(axis=1)
    frame = pd.DataFrame(
        {
            "board": boards,
            "final_scaled_error": final,
            "learned": final <= cfg.target_error,
            "worst_task_scaled_error": per_board.max(axis=1),
            "initial_error_v2": initial.reshape(n_b, n_t).mean(axis=1),
            "mean_p": moved / cfg.steps,
        }
    )[list(BOARD_COLUMNS)]
    frame.attrs["taps"] = taps.reshape(n_b, n_t, n_e)  # final taps per board and task
    return frame


# -- circuit check -------------------------------------------------------------------------------


def board_parameters(cfg: YieldConfig, tolerances: dict, board: int, n_edges: int):
    """Board ``board``'s parts as :class:`~coupled.circuits.design.BoardParameters` (the
    circuit engine's form; the tap nonlinearity has no place there and is left out)."""
    from coupled.circuits.design import BoardParameters
    from coupled.circuits.oscillator import DEFAULT_C_F, DEFAULT_R_OHM, OscillatorParameters

    tcfg = cfg.train_config()
    pot = _design(cfg, tcfg).pot
    parts = {k: v[0] for k, v in draw_boards(cfg.seed, [board], n_edges, tolerances).items()}
    osc = {k: v[0] for k, v in _oscillators({k: v[None] for k, v in parts.items()}).items()}
    return BoardParameters(
        r_ab_free_ohm=pot.r_ab_ohm * (1 + parts["pot_r_ab"][0]),
        r_ab_clamped_ohm=pot.r_ab_ohm * (1 + parts["pot_r_ab"][1]),
        r_series_free_ohm=pot.r_series_ohm * (1 + parts["series_r"][0]),
        r_series_clamped_ohm=pot.r_series_ohm * (1 + parts["series_r"][1]),
        offset_a_v=parts["comparator_offset"][0],
        offset_b_v=parts["comparator_offset"][1],
        oscillators=OscillatorParameters(
            r_ohm=DEFAULT_R_OHM * (1 + parts["osc_r"][0]),
            c_f=DEFAULT_C_F * (1 + parts["osc_c"][0]),
            low_fraction=osc["low"],
            high_fraction=osc["high"],
            phase_fraction=parts["phase"],
        ),
        tolerance=0.0,
        comparator_offset_v=float(tolerances["comparator_offset"].limit),
        amp_offset_v=parts["amp_offset"],
        amp_gain_error=parts["amp_gain"],
    )


def check_circuit(cfg: YieldConfig, boards: list[int], steps: int) -> pd.DataFrame:
    """Retrain ``boards`` at circuit level and compare every step's decisions with the twin's.

    Each board runs ``steps`` steps on the ``circuit`` engine (fast windows, oscillators by the
    RC formula, no jitter, the board's parts injected; tap nonlinearity made ideal, as the
    netlist's pot has none). At every step the twin's law is applied to the circuit's own state
    before the step: its enables at the circuit's bias and its directions from both twins'
    drops. One row per board: ``board``, ``steps``, ``enable_agreement``,
    ``direction_agreement`` (fractions of edge-steps where the twin decides as the circuit).
    """
    from coupled.engines.board.twin import board_directions
    from coupled.engines.circuit import CircuitEngine
    from coupled.engines.ideal import IdealEngine
    from coupled.physics.state import StepDraws
    from coupled.training.draws import initial_state, make_tasks

    tolerances = cfg.tolerances()
    tolerances["pot_nonlinearity"] = tolerances["pot_nonlinearity"].scaled(0.0)
    tcfg = cfg.train_config().resolved()
    network = tcfg.validate()
    tasks = make_tasks(tcfg, network)
    n_t, n_e = len(tasks), network.n_edges
    options = {
        "phase_model": "formula",
        "jitter": 0.0,
        "supply_v": cfg.supply_v,
        "trigger_period_s": cfg.trigger_period_s,
    }
    circuit_cfg = dataclasses.replace(tcfg, engine="circuit", steps=steps, engine_options=options)
    plain = dataclasses.replace(tcfg, engine_options={})
    ideal = IdealEngine()
    ideal.prepare(network, tasks, plain)
    design = _design(cfg, tcfg)
    pot = design.pot
    n_train = tasks[0].train_inputs_v.shape[0]
    example_rng = np.random.default_rng(np.random.SeedSequence(cfg.seed, spawn_key=(YIELD_KEY,)))
    examples = example_rng.integers(0, n_train, size=(steps, n_t))
    rows = []
    for board in boards:
        params = board_parameters(cfg, tolerances, board, n_e)
        engine = CircuitEngine()
        engine.board_parameters = params
        engine.prepare(network, tasks, circuit_cfg)
        try:
            state, _ = initial_state(tcfg, n_e)
            agree_en = agree_dir = 0
            osc = params.oscillators
            for step in range(1, steps + 1):
                taps = state.taps
                draws = StepDraws(
                    step=step,
                    edge_mask=np.ones((n_t, n_e), dtype=bool),
                    example_mask=np.ones((n_t, n_train), dtype=bool),
                    example_index=examples[step - 1],
                    sigma_v=np.zeros((n_t, n_e)),
                )
                state = engine.step(state, draws)
                free = pot.resistance_ohm(taps, params.r_ab_free_ohm, params.r_series_free_ohm)
                clamped = pot.resistance_ohm(
                    taps, params.r_ab_clamped_ohm, params.r_series_clamped_ohm
                )
                m = ideal.measure_twins(free, clamped, examples[step - 1][:, None])
                direction = board_directions(
                    m.free_drop_v[:, 0],
                    m.clamped_drop_v[:, 0],
                    params.offset_a_v,
                    params.offset_b_v,
                    design,
                    params,
                )
                from coupled.circuits.oscillator import enabled as osc_enabled

                enables = osc_enabled(
                    osc, step * cfg.trigger_period_s, engine.bias_v, design.vdd_v, design.vss_v
                )
                agree_en += int(
                    (np.broadcast_to(enables, state.enabled.shape) == state.enabled).sum()
                )
                agree_dir += int((direction == state.direction).sum())
        finally:
            engine.close()
        total = steps * n_t * n_e
        rows.append((board, steps, agree_en / total, agree_dir / total))
    return pd.DataFrame(rows, columns=["board", "steps", "enable_agreement", "direction_agreement"])


# -- conditions, chunks, executors ---------------------------------------------------------------


def condition_tolerances(cfg: YieldConfig, part_class: str, change: str) -> dict:
    """The tolerances of one condition (``nominal``, or one class ``ideal`` / ``doubled``)."""
    tolerances = cfg.tolerances()
    if change != "nominal":
        tolerances[part_class] = tolerances[part_class].scaled(CHANGES[change])
    return tolerances


def run_chunk(payload: dict) -> dict:
    """One chunk (a pure function of its payload): ``{"key", "rows"}``."""
    import os

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    cfg = YieldConfig(**payload["config"])
    tolerances = condition_tolerances(cfg, payload["part_class"], payload["change"])
    frame = simulate_boards(cfg, tolerances, payload["boards"])
    frame.insert(0, "change", payload["change"])
    frame.insert(0, "part_class", payload["part_class"])
    return {"key": payload["key"], "rows": frame.to_dict(orient="list")}


def plan_chunks(cfg: YieldConfig) -> list[dict]:
    """Every chunk's payload, condition by condition."""
    payloads = []
    for part_class, change in cfg.conditions():
        for start in range(0, cfg.boards, cfg.chunk):
            boards = list(range(start, min(cfg.boards, start + cfg.chunk)))
            payloads.append(
                {
                    "key": f"{part_class}__{change}__{start:06d}",
                    "config": cfg.to_dict(),
                    "part_class": part_class,
                    "change": change,
                    "boards": boards,
                }
            )
    return payloads


def execute_chunks(
    payloads: list[dict], executor: str, workers: int, on_done: Callable[[dict], None]
) -> None:
    """Run the chunks on ``serial``, ``process`` or ``dask``; ``on_done`` gets each result."""
    if executor == "serial" or not payloads:
        for payload in payloads:
            on_done(run_chunk(payload))
        return
    if executor == "process":
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = [pool.submit(run_chunk, p) for p in payloads]
            for future in as_completed(futures):
                on_done(future.result())
        return
    if executor == "dask":
        from distributed import Client, LocalCluster, as_completed

        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                host="127.0.0.1",
            ) as cluster,
            Client(cluster) as client,
        ):
            futures = client.map(run_chunk, payloads, pure=False)
            for future in as_completed(futures):
                on_done(future.result())
        return
    raise UserError(f"--executor {executor!r}: must be serial, process or dask")


# -- the study -----------------------------------------------------------------------------------


def binomial_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson interval of a proportion k / n."""
    from scipy.stats import binomtest

    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


def _median_interval(values: np.ndarray, resamples: int = 2000) -> tuple[float, float]:
    """95 % percentile-bootstrap interval of the median (seeded: the same table, the same
    interval)."""
    rng = np.random.default_rng(np.random.SeedSequence(YIELD_KEY, spawn_key=(len(values),)))
    picks = rng.integers(0, len(values), size=(resamples, len(values)))
    medians = np.median(values[picks], axis=1)
    return float(np.quantile(medians, 0.025)), float(np.quantile(medians, 0.975))


def summarise(table: pd.DataFrame, cfg: YieldConfig) -> tuple[dict, pd.DataFrame]:
    """``yield.json`` content and ``budget.csv`` (ranked by effect) from all chunk rows."""
    nominal = table[table["change"] == "nominal"]
    k, n = int(nominal["learned"].sum()), len(nominal)
    low, high = binomial_interval(k, n)
    summary = {
        "boards": n,
        "learned": k,
        "yield": k / n,
        "ci_low": low,
        "ci_high": high,
        "target_error": cfg.target_error,
        "confidence_level": 0.95,
        "interval": "Clopper-Pearson",
    }
    rows = []
    base = nominal.set_index("board")["final_scaled_error"]
    for (part_class, change), group in table[table["change"] != "nominal"].groupby(
        ["part_class", "change"]
    ):
        kk, nn = int(group["learned"].sum()), len(group)
        lo, hi = binomial_interval(kk, nn)
        ratio = (group.set_index("board")["final_scaled_error"] / base).to_numpy()
        r_lo, r_hi = _median_interval(ratio)
        rows.append(
            (
                part_class,
                change,
                kk / nn,
                lo,
                hi,
                kk / nn - k / n,
                float(np.median(ratio)),
                r_lo,
                r_hi,
            )
        )
    budget = pd.DataFrame(rows, columns=list(BUDGET_COLUMNS))
    if len(budget):
        # rank: yield gained when ideal plus yield lost when doubled; ties by the paired error
        # ratio (how much worse doubling makes the boards against how much better ideal does)
        by = budget.set_index(["part_class", "change"])
        classes = sorted(set(budget["part_class"]))
        score = {
            c: (
                by["effect"].get((c, "ideal"), 0.0) - by["effect"].get((c, "doubled"), 0.0),
                np.log(by["median_error_ratio"].get((c, "doubled"), 1.0))
                - np.log(by["median_error_ratio"].get((c, "ideal"), 1.0)),
            )
            for c in classes
        }
        order = {c: i for i, c in enumerate(sorted(classes, key=lambda c: score[c], reverse=True))}
        budget["rank"] = budget["part_class"].map(order)
        budget = budget.sort_values(["rank", "change"]).drop(columns="rank")
    return summary, budget.reset_index(drop=True)


def run_yield(
    cfg: YieldConfig,
    out: str | Path,
    *,
    executor: str = "serial",
    workers: int = 1,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool | None = None,
    check_boards: int = 0,
    check_steps: int = 50,
) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Run (or resume) a yield study into ``out``; returns (summary, boards, budget).

    ``check_boards`` > 0 retrains that many boards (drawn from ``seed``) at circuit level for
    ``check_steps`` steps (:func:`check_circuit`) and writes ``circuit_check.csv``; its worst
    agreements go into ``yield.json`` (``circuit_check``).
    """
    from coupled.core.io import prepare_out_dir, write_json, write_table
    from coupled.core.version import __version__

    cfg.validate()
    out = Path(out)
    record_path = out / "yield_config.json"
    if resume and record_path.exists():
        recorded = json.loads(record_path.read_text())["config"]
        if recorded != cfg.to_dict():
            raise UserError(f"--resume {out}: the folder holds a study with another configuration")
    folder = prepare_out_dir(out, overwrite=overwrite, resume=resume)
    chunks_dir = folder / "chunks"
    chunks_dir.mkdir(exist_ok=True)
    record = {"config": cfg.to_dict(), "seed": cfg.seed, "version": __version__}
    record["tolerances"] = {k: dataclasses.asdict(v) for k, v in cfg.tolerances().items()}
    write_json(record_path, record)
    payloads = [p for p in plan_chunks(cfg) if not (chunks_dir / f"{p['key']}.csv").exists()]
    total = len(plan_chunks(cfg))
    bar = _bar(total, total - len(payloads), progress)

    def on_done(result: dict) -> None:
        write_table(chunks_dir / f"{result['key']}.csv", pd.DataFrame(result["rows"]))
        bar.update(1)

    try:
        execute_chunks(payloads, executor, workers, on_done)
    finally:
        bar.close()
    table = pd.concat(
        [pd.read_csv(chunks_dir / f"{p['key']}.csv") for p in plan_chunks(cfg)], ignore_index=True
    )
    summary, budget = summarise(table, cfg)
    boards = table[table["change"] == "nominal"].drop(columns=["part_class", "change"])
    boards = boards.sort_values("board").reset_index(drop=True)
    write_table(folder / "boards.csv", boards)
    write_table(folder / "budget.csv", budget)
    if check_boards:
        rng = np.random.default_rng(np.random.SeedSequence(cfg.seed, spawn_key=(YIELD_KEY, 2**31)))
        chosen = sorted(rng.choice(cfg.boards, size=min(check_boards, cfg.boards), replace=False))
        checked = check_circuit(cfg, [int(b) for b in chosen], check_steps)
        write_table(folder / "circuit_check.csv", checked)
        summary["circuit_check"] = {
            "boards": [int(b) for b in chosen],
            "steps": check_steps,
            "min_enable_agreement": float(checked["enable_agreement"].min()),
            "min_direction_agreement": float(checked["direction_agreement"].min()),
        }
    write_json(folder / "yield.json", {**summary, **record})
    return summary, boards, budget


def _bar(total: int, done: int, progress: bool | None):
    import sys

    from tqdm import tqdm

    show = sys.stderr.isatty() if progress is None else progress
    return tqdm(total=total, initial=done, disable=not show, unit="chunk", desc="yield")
