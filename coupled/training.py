"""Training runs: configuration, the loop with its random draws, checkpoints and results.

``train(config, out_dir)`` trains ``config.tasks`` independent tasks at once on one engine.

Randomness. Task ``t`` (``first_task <= t < first_task + tasks``) has its own streams,
``SeedSequence(seed, spawn_key=(t,)).spawn(3)``: (0) the task (roles, teacher, examples), (1) the
initial state (resistances or taps, fixed comparator biases), (2) the step draws. Step draws are
made in chunks of ``DRAW_CHUNK`` steps per task, in this order: update uniforms (C, E), then for
the continuous rule batch uniforms (C, X), for the discrete rule the example shown (C,) and, with
``sigma_mode="step"``, the comparator uniforms (C, E). A task therefore gets identical draws
alone, in any batch, with any engine, and after a resume.

Per step: continuous rule, the batch holds each training example with probability
``batch_fraction`` (``batch_mode="bernoulli"``, an empty batch changes nothing) or exactly
``round(batch_fraction * X)`` examples (``"fixed"``); discrete rule, one training example drawn
uniformly from the training set. Edges update with probability ``p`` (``p_mode="bernoulli"``) or
exactly ``round(p * E)`` of them (``"fixed"``).

Errors (the history): ``error`` is the test error, the mean over test examples of the summed
squared output misses (V^2); ``scaled_error`` is error / error at step 0; ``train_error`` the same
on the training set; ``steps_x_p`` = step * p. Rows at step 0, every ``log_every`` steps and at
the last step.

Output folder: ``history.csv``, ``final_state.json`` (``resistance_ohm`` and for the discrete
rule ``taps`` per task, the tasks, full config, seed, version), ``run.json`` (config, version,
engine, wall time), ``update_events.csv``/``.parquet`` on request (step, task, edge, enabled,
direction), and while running ``checkpoint.npz`` (every ``checkpoint_every`` steps).
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coupled import __version__, rules
from coupled.checkpoint import Checkpoint, load_checkpoint, remove_checkpoint, save_checkpoint
from coupled.engines import StepDraws, TrainState, check_engine_name, get_engine
from coupled.errors import UserError
from coupled.io import prepare_out_dir, write_json, write_table
from coupled.networks import Network, load_network
from coupled.options import check_range
from coupled.tasks import TASK_KINDS, Task, check_counts, default_counts, make_task, network_roles

DRAW_CHUNK = 64
"""Steps of draws generated at once per task (part of the reproducibility contract)."""
RULES = ("continuous", "discrete")
MODES = ("bernoulli", "fixed")
SIGMA_MODES = ("step", "fixed")
ROLE_MODES = ("random", "network")
EVENT_FORMATS = ("none", "csv", "parquet")
HISTORY_COLUMNS = ("task", "step", "steps_x_p", "error", "scaled_error", "train_error")
EVENT_COLUMNS = ("step", "task", "edge", "enabled", "direction")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run (field names follow the CLI long options).

    ``inputs`` and ``grounds`` default (``None``) to the task kind's counts (regression: 2 inputs,
    1 ground; allostery: O inputs, max(1, O // 2) grounds); :meth:`resolved` fills them in and is
    what result files record. ``gamma`` is in ohm per ampere squared (continuous rule only),
    ``sigma_v`` in volts (discrete rule only). See :mod:`coupled.training` for the semantics.
    """

    network: str = "jammed143"
    task: str = "regression"
    inputs: int | None = None
    outputs: int = 2
    grounds: int | None = None
    roles: str = "random"
    rule: str = "continuous"
    engine: str = "ideal"
    p: float = 1.0
    p_mode: str = "bernoulli"
    batch_fraction: float = 1.0
    batch_mode: str = "bernoulli"
    steps: int = 20000
    tasks: int = 1
    first_task: int = 0
    seed: int = 0
    eta: float = 1.0
    gamma: float = 1.25e4
    sigma_v: float = rules.DEFAULT_SIGMA_V
    sigma_mode: str = "step"
    r_min_ohm: float = rules.DEFAULT_R_MIN_OHM
    r_max_ohm: float = rules.DEFAULT_R_MAX_OHM
    input_min_v: float = 0.0
    input_max_v: float = 200.0
    train_size: int = 16
    test_size: int = 64
    log_every: int = 100
    checkpoint_every: int = 1000
    record_events: str = "none"
    engine_options: dict = field(default_factory=dict)

    # -- conversion ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain-JSON form."""
        data = dataclasses.asdict(self)
        data["engine_options"] = dict(self.engine_options)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """Build and validate a config; ``UserError`` names an unknown key or a bad value."""
        if not isinstance(data, dict):
            raise UserError(f"config must be a mapping of option names to values, got {data!r}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            allowed = ", ".join(sorted(known))
            raise UserError(f"config key {unknown[0]!r}: unknown; allowed: {allowed}")
        values = dict(data)
        if isinstance(values.get("record_events"), bool):
            values["record_events"] = "parquet" if values["record_events"] else "none"
        config = cls(**values)
        config.validate()
        return config

    def resolved(self) -> TrainConfig:
        """A copy with ``inputs`` and ``grounds`` filled in from the task kind."""
        inputs, grounds = default_counts(self.task, self.outputs if _is_int(self.outputs) else 1)
        return dataclasses.replace(
            self,
            inputs=inputs if self.inputs is None else self.inputs,
            grounds=grounds if self.grounds is None else self.grounds,
        )

    # -- validation ---------------------------------------------------------------------------
    def validate(self) -> Network:
        """Check every value before any work; returns the loaded network.

        Raises
        ------
        UserError
            Naming the first bad value and what is allowed.
        """
        _choice("task", self.task, TASK_KINDS)
        _choice("rule", self.rule, RULES)
        _choice("p-mode", self.p_mode, MODES)
        _choice("batch-mode", self.batch_mode, MODES)
        _choice("sigma-mode", self.sigma_mode, SIGMA_MODES)
        _choice("roles", self.roles, ROLE_MODES)
        _choice("record-events", self.record_events, EVENT_FORMATS)
        if not isinstance(self.engine, str):
            raise UserError(f"--engine {self.engine!r}: must be a name")
        check_engine_name(self.engine)
        check_range("--p", self.p, 0.0, 1.0, low_open=True)
        check_range("--batch-fraction", self.batch_fraction, 0.0, 1.0, low_open=True)
        check_range("--eta", self.eta, 0.0, 1.0, low_open=True)
        check_range("--gamma", self.gamma, 0.0, low_open=True)
        check_range("--sigma-v", self.sigma_v, 0.0)
        check_range("--r-min-ohm", self.r_min_ohm, 0.0, low_open=True)
        check_range("--r-max-ohm", self.r_max_ohm, float(self.r_min_ohm), low_open=True)
        check_range("--input-min-v", self.input_min_v)
        check_range("--input-max-v", self.input_max_v, float(self.input_min_v), low_open=True)
        for name, low in (("steps", 1), ("tasks", 1), ("first_task", 0), ("seed", 0),
                          ("outputs", 1), ("train_size", 1), ("test_size", 1),
                          ("log_every", 1), ("checkpoint_every", 0)):  # fmt: skip
            _whole(name, getattr(self, name), low)
        for name in ("inputs", "grounds"):
            if getattr(self, name) is not None:
                _whole(name, getattr(self, name), 1 if name == "inputs" else 0)
        if self.rule == "discrete" and self.batch_fraction != 1.0:
            raise UserError(
                f"--batch-fraction {self.batch_fraction}: the discrete rule shows one example per "
                "step; batch fraction applies to the continuous rule only (leave it at 1)"
            )
        if not isinstance(self.engine_options, dict):
            raise UserError(f"engine_options {self.engine_options!r}: must be a mapping")
        from coupled.engines import engine_class

        engine_class(self.engine).check_options(dict(self.engine_options))
        if not isinstance(self.network, str):
            raise UserError(f"--network {self.network!r}: must be a name or a path")
        network = load_network(self.network)
        cfg = self.resolved()
        check_counts(network, cfg.inputs, cfg.outputs, cfg.grounds)
        if cfg.roles == "network":
            network_roles(network, cfg.inputs, cfg.outputs, cfg.grounds)
        return network


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise UserError(f"--{name} {value!r}: must be one of {', '.join(allowed)}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


MAX_WHOLE = 2**63 - 1
"""Largest whole-number option: results tables store them as 64-bit integers."""


def _whole(name: str, value: Any, low: int) -> None:
    option = "--" + name.replace("_", "-")
    if not _is_int(value):
        raise UserError(f"{option} {value!r}: must be a whole number >= {low}")
    if value < low:
        raise UserError(f"{option} {value}: must be at least {low}")
    if value > MAX_WHOLE:
        raise UserError(f"{option} {value}: must be at most {MAX_WHOLE} (2**63 - 1)")


# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TrainResult:
    """Outcome of :func:`train`.

    Attributes
    ----------
    config
        The resolved configuration.
    history
        Tidy table with columns ``HISTORY_COLUMNS``.
    state
        Final :class:`~coupled.engines.TrainState` (resistances (K, E), taps for the discrete rule).
    tasks
        The K tasks, in batch order (task index ``config.first_task + i``).
    events
        The ``update_events`` table when recorded, else ``None``.
    wall_time_s
        Wall time of this call.
    out_dir
        Where results were written, or ``None``.
    """

    config: TrainConfig
    history: pd.DataFrame
    state: TrainState
    tasks: list[Task]
    events: pd.DataFrame | None
    wall_time_s: float
    out_dir: Path | None


def task_streams(seed: int, task_index: int) -> list[np.random.Generator]:
    """The (task, initial state, step) generators of task ``task_index`` of run ``seed``."""
    root = np.random.SeedSequence(seed, spawn_key=(task_index,))
    return [np.random.Generator(np.random.PCG64(s)) for s in root.spawn(3)]


def make_tasks(config: TrainConfig, network: Network) -> list[Task]:
    """The tasks of a run (task ``first_task + i`` from its own stream)."""
    cfg = config.resolved()
    roles = None
    if cfg.roles == "network":
        roles = network_roles(network, cfg.inputs, cfg.outputs, cfg.grounds)
    return [
        make_task(
            network, cfg.task, cfg.inputs, cfg.outputs, cfg.grounds,
            task_streams(cfg.seed, cfg.first_task + i)[0],
            train_size=cfg.train_size, test_size=cfg.test_size,
            input_range_v=(cfg.input_min_v, cfg.input_max_v),
            resistance_range_ohm=(cfg.r_min_ohm, cfg.r_max_ohm), roles=roles,
        )  # fmt: skip
        for i in range(cfg.tasks)
    ]


def initial_state(config: TrainConfig, n_edges: int) -> tuple[TrainState, np.ndarray]:
    """Initial state of every task and its fixed comparator biases (zeros unless fixed mode).

    Continuous rule: resistances uniform on [r_min_ohm, r_max_ohm]. Discrete rule: taps uniform
    on 0..127. Fixed-mode biases are uniform on [0, sigma_v], drawn after the taps.
    """
    cfg = config
    r, taps, sigma = [], [], []
    for i in range(cfg.tasks):
        rng = task_streams(cfg.seed, cfg.first_task + i)[1]
        if cfg.rule == "continuous":
            r.append(rng.uniform(cfg.r_min_ohm, cfg.r_max_ohm, size=n_edges))
        else:
            taps.append(rng.integers(0, rules.N_TAPS, size=n_edges))
        fixed = cfg.rule == "discrete" and cfg.sigma_mode == "fixed"
        sigma.append(rng.uniform(0.0, cfg.sigma_v, size=n_edges) if fixed else np.zeros(n_edges))
    if cfg.rule == "continuous":
        return TrainState(step=0, resistance_ohm=np.array(r)), np.array(sigma)
    tap_array = np.array(taps, dtype=np.int64)
    state = TrainState(
        step=0,
        resistance_ohm=rules.taps_to_ohm(tap_array, cfg.r_min_ohm, cfg.r_max_ohm),
        taps=tap_array,
    )
    return state, np.array(sigma)


class _DrawSource:
    """Makes the StepDraws of every step from the per-task step generators, chunk by chunk."""

    def __init__(
        self,
        config: TrainConfig,
        n_edges: int,
        n_train: int,
        fixed_sigma: np.ndarray,
        track_states: bool = True,
    ):
        self.cfg = config
        self.track_states = track_states  # generator states per chunk, for checkpoints only
        self.n_edges, self.n_train = n_edges, n_train
        self.fixed_sigma = fixed_sigma
        first = config.first_task
        self.rngs = [task_streams(config.seed, first + i)[2] for i in range(config.tasks)]
        self.chunk_states: list[dict] = self.states()
        self.chunk_start = -1
        self.chunk: dict[str, np.ndarray] = {}

    def states(self) -> list[dict]:
        return [rng.bit_generator.state for rng in self.rngs]

    def restore(self, states: list[dict], done_steps: int) -> None:
        """Continue after ``done_steps`` steps from generator states saved at the chunk start."""
        for rng, state in zip(self.rngs, states, strict=True):
            rng.bit_generator.state = state
        self.chunk_states = [dict(s) for s in states]
        if done_steps % DRAW_CHUNK:
            self._generate(done_steps - done_steps % DRAW_CHUNK)

    def resume_states(self, done_steps: int) -> list[dict]:
        """Generator states to store in a checkpoint taken after ``done_steps`` steps."""
        return self.states() if done_steps % DRAW_CHUNK == 0 else self.chunk_states

    def _generate(self, start: int) -> None:
        cfg, c, e, k = self.cfg, DRAW_CHUNK, self.n_edges, self.cfg.tasks
        continuous = cfg.rule == "continuous"
        if self.track_states:  # reading a generator's state costs about 20 us
            self.chunk_states = self.states()
        # Each task's uniforms go through one small reused buffer (it stays in cache) and become
        # bits in the step-major (C, K, ...) chunk: the same values as per-task arrays.
        edge = np.empty((c, k, e), dtype=bool)
        edge_u = np.empty((c, e))
        chunk = {"edge": edge, "index": np.zeros((c, k), dtype=np.int64)}
        if continuous:
            batch, batch_u = np.empty((c, k, self.n_train), dtype=bool), np.empty((c, self.n_train))
            chunk["batch"] = batch
            chunk["sigma"] = np.broadcast_to(0.0, (c, k, e))  # unused by the continuous rule
        else:
            chunk["batch"] = np.ones((c, k, self.n_train), dtype=bool)
            if cfg.sigma_mode == "step":
                chunk["sigma"] = np.empty((c, k, e))
            else:
                chunk["sigma"] = np.broadcast_to(self.fixed_sigma, (c, k, e))
        for t, rng in enumerate(self.rngs):
            rng.random(out=edge_u)
            edge[:, t] = rules.update_mask(edge_u, cfg.p, cfg.p_mode)
            if continuous:
                rng.random(out=batch_u)
                batch[:, t] = rules.update_mask(batch_u, cfg.batch_fraction, cfg.batch_mode)
            else:
                chunk["index"][:, t] = rng.integers(0, self.n_train, size=c)
                if cfg.sigma_mode == "step":
                    chunk["sigma"][:, t] = rng.random((c, e)) * cfg.sigma_v
        self.chunk, self.chunk_start = chunk, start

    def draws(self, step: int) -> StepDraws:
        """Draws of ``step`` (1-based); steps must come in order."""
        start = (step - 1) - (step - 1) % DRAW_CHUNK
        if start != self.chunk_start:
            self._generate(start)
        i = step - 1 - start
        ch = self.chunk
        return StepDraws(
            step=step, edge_mask=ch["edge"][i], example_mask=ch["batch"][i],
            example_index=ch["index"][i], sigma_v=ch["sigma"][i],
        )  # fmt: skip


class _Recorder:
    """Accumulates history rows and update events as column arrays."""

    def __init__(
        self,
        config: TrainConfig,
        tasks: list[Task],
        engine,
        saved: Checkpoint | None,
        slots: tuple[np.ndarray, np.ndarray] | None = None,
    ):
        self.engine = engine
        self.test_x = np.stack([t.test_inputs_v for t in tasks])
        self.test_y = np.stack([t.test_targets_v for t in tasks])
        self.train_x = np.stack([t.train_inputs_v for t in tasks])
        self.train_y = np.stack([t.train_targets_v for t in tasks])
        if slots is None:
            slots = (config.first_task + np.arange(config.tasks), np.full(config.tasks, config.p))
        self.task_ids, self.p = slots
        self.history = {k: list(v) for k, v in (saved.history if saved else {}).items()}
        self.events = {k: [v] for k, v in (saved.events if saved else {}).items()}
        if not self.history:
            self.history = {k: [] for k in HISTORY_COLUMNS}
        if not self.events:
            self.events = {k: [] for k in EVENT_COLUMNS}
        first = np.asarray(self.history["error"][: len(tasks)], dtype=float)
        self.error0 = first if first.size else None

    def log(self, state: TrainState) -> None:
        r = state.resistance_ohm
        error = rules.mean_squared_error(self.engine.predict(r, self.test_x), self.test_y)
        train_error = rules.mean_squared_error(self.engine.predict(r, self.train_x), self.train_y)
        if self.error0 is None:
            self.error0 = error
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = error / self.error0
        h = self.history
        h["task"].extend(self.task_ids.tolist())
        h["step"].extend([state.step] * len(error))
        h["steps_x_p"].extend((state.step * self.p).tolist())
        h["error"].extend(error.tolist())
        h["scaled_error"].extend(scaled.tolist())
        h["train_error"].extend(train_error.tolist())

    def record(self, state: TrainState) -> None:
        k, e = state.enabled.shape
        ev = self.events
        ev["step"].append(np.full(k * e, state.step, dtype=np.int64))
        ev["task"].append(np.repeat(self.task_ids, e))
        ev["edge"].append(np.tile(np.arange(e), k))
        ev["enabled"].append(state.enabled.ravel().astype(bool))
        ev["direction"].append(state.direction.ravel().astype(np.int8))

    def history_arrays(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(v) for k, v in self.history.items()}

    def event_arrays(self) -> dict[str, np.ndarray]:
        dtypes = {"step": np.int64, "task": np.int64, "edge": np.int64, "enabled": bool,
                  "direction": np.int8}  # fmt: skip
        return {
            k: (np.concatenate(v) if v else np.zeros(0, dtypes[k])).astype(dtypes[k])
            for k, v in self.events.items()
        }

    def history_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.history_arrays(), columns=list(HISTORY_COLUMNS))
        return frame.astype({"task": np.int64, "step": np.int64})


# -- the loop -----------------------------------------------------------------------------------


def train(
    config: TrainConfig,
    out_dir: str | Path | None = None,
    *,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool | None = None,
    stop_at: int | None = None,
) -> TrainResult:
    """Train ``config.tasks`` tasks; write results to ``out_dir`` if given.

    Parameters
    ----------
    config
        The run (validated here before anything is created).
    out_dir
        Output folder; refused if it exists and is not empty, unless ``resume`` or ``overwrite``.
    resume
        Continue from ``out_dir/checkpoint.npz`` (a finished run is loaded and returned as is).
    overwrite
        Empty an existing ``out_dir`` first.
    progress
        Show a tqdm bar on stderr; ``None`` shows it only when stderr is a terminal.
    stop_at
        Testing hook: stop after this step as if the process were killed there (no final files,
        no extra checkpoint); the returned result holds the history so far.

    Returns
    -------
    TrainResult
    """
    started = time.perf_counter()
    if resume and overwrite:
        raise UserError("--resume and --overwrite exclude each other")
    network = config.validate()
    config = config.resolved()
    out = Path(out_dir) if out_dir is not None else None
    if out is not None and resume and (out / "final_state.json").exists():
        if load_checkpoint(out) is None:
            return load_result(out)
    tasks = make_tasks(config, network)
    engine = get_engine(config.engine)
    engine.prepare(network, tasks, config)
    try:
        saved = None
        if out is not None:
            prepare_out_dir(out, overwrite=overwrite, resume=resume)
            saved = load_checkpoint(out) if resume else None
            if saved is not None:
                _check_same_run(saved.config, config)
        return _run(config, network, tasks, engine, out, saved, progress, stop_at, started)
    finally:
        engine.close()


def _check_same_run(saved: dict, config: TrainConfig) -> None:
    now = config.to_dict()
    for key in now:
        if key != "checkpoint_every" and saved.get(key) != now[key]:
            raise UserError(
                f"--resume: the checkpoint was made with {key}={saved.get(key)!r}, not "
                f"{now[key]!r}; resume with the same options"
            )


def _run(config, network, tasks, engine, out, saved, progress, stop_at, started) -> TrainResult:
    state, fixed_sigma = initial_state(config, network.n_edges)
    n_train = tasks[0].train_inputs_v.shape[0]
    saving = out is not None and config.checkpoint_every > 0
    source = _DrawSource(config, network.n_edges, n_train, fixed_sigma, track_states=saving)
    recorder = _Recorder(config, tasks, engine, saved)
    if saved is not None:
        state = TrainState(step=saved.step, resistance_ohm=saved.resistance_ohm, taps=saved.taps)
        source.restore(saved.rng_states, saved.step)
    else:
        recorder.log(state)
    record = config.record_events != "none"

    def checkpoint(state: TrainState) -> None:
        every = config.checkpoint_every
        if out is not None and every and state.step % every == 0 and state.step < config.steps:
            _save(out, config, state, source, recorder)

    state = _loop(engine, state, source.draws, recorder, config, record=record, after=checkpoint,
                  progress=progress, stop_at=stop_at)  # fmt: skip
    history = recorder.history_frame()
    events = pd.DataFrame(recorder.event_arrays()) if record else None
    result = TrainResult(
        config=config, history=history, state=state, tasks=tasks, events=events,
        wall_time_s=time.perf_counter() - started, out_dir=out,
    )  # fmt: skip
    if out is not None and state.step == config.steps:
        _write_results(out, result, engine.name)
    return result


def _loop(engine, state, draws_for, recorder, config, *, record=False, after=None, progress=None,
          stop_at=None) -> TrainState:  # fmt: skip
    """Steps ``state.step + 1 .. config.steps``: engine step, events, history rows, ``after``."""
    bar = _progress_bar(config.steps, state.step, progress)
    try:
        for step in range(state.step + 1, config.steps + 1):
            state = engine.step(state, draws_for(step))
            if record:
                recorder.record(state)
            if step % config.log_every == 0 or step == config.steps:
                recorder.log(state)
            if after is not None:
                after(state)
            bar.update(1)
            if stop_at is not None and step >= stop_at:
                break
    finally:
        bar.close()
    return state


def _joined_draws(sources: list[_DrawSource], step: int) -> StepDraws:
    """The draws of several runs' sources, stacked along the task axis."""
    parts = [s.draws(step) for s in sources]
    fields = ("edge_mask", "example_mask", "example_index", "sigma_v")
    joined = {f: np.concatenate([getattr(d, f) for d in parts]) for f in fields[:3]}
    if sources[0].cfg.rule == "continuous":  # zeros, unused: no copy
        joined["sigma_v"] = np.broadcast_to(0.0, joined["edge_mask"].shape)
    else:
        joined["sigma_v"] = np.concatenate([d.sigma_v for d in parts])
    return StepDraws(step=step, **joined)


def _save(out: Path, config: TrainConfig, state: TrainState, source, recorder) -> None:
    save_checkpoint(
        out,
        Checkpoint(
            config=config.to_dict(), step=state.step, resistance_ohm=state.resistance_ohm,
            taps=state.taps, rng_states=source.resume_states(state.step),
            history=recorder.history_arrays(), events=recorder.event_arrays(),
        ),  # fmt: skip
    )


def _progress_bar(total: int, initial: int, progress: bool | None):
    from tqdm import tqdm

    show = sys.stderr.isatty() if progress is None else progress
    return tqdm(total=total, initial=initial, disable=not show, file=sys.stderr, unit="step")


def _write_results(out: Path, result: TrainResult, engine_name: str) -> None:
    cfg = result.config
    write_table(out / "history.csv", result.history)
    if result.events is not None:
        write_table(out / f"update_events.{cfg.record_events}", result.events)
    final = {
        "task": (cfg.first_task + np.arange(cfg.tasks)).tolist(),
        "step": result.state.step,
        "resistance_ohm": result.state.resistance_ohm,
        "config": cfg.to_dict(),
        "seed": cfg.seed,
        "version": __version__,
        "tasks": [t.to_dict() for t in result.tasks],
    }
    if result.state.taps is not None:
        final["taps"] = result.state.taps
    write_json(out / "final_state.json", final)
    write_json(
        out / "run.json",
        {
            "config": cfg.to_dict(), "version": __version__, "engine": engine_name,
            "seed": cfg.seed, "wall_time_s": result.wall_time_s,
            "steps": cfg.steps, "tasks": cfg.tasks, "simulator": _simulator(engine_name),
        },
    )  # fmt: skip
    remove_checkpoint(out)


def _simulator(engine_name: str) -> str:
    """What solved the circuits: numpy for the ideal engine, else the ngspice that was found."""
    if engine_name == "ideal":
        return f"numpy {np.__version__}"
    from coupled.spice import get_session

    return get_session().describe()


BATCHABLE_FIELDS = ("p", "p_mode", "batch_fraction", "batch_mode", "seed", "first_task", "tasks",
                    "sigma_v", "checkpoint_every")  # fmt: skip
"""Fields in which the configurations of one :func:`train_many` batch may differ."""


def train_many(
    configs: list[TrainConfig],
    out_dirs: list[str | Path] | None = None,
    *,
    overwrite: bool = False,
    progress: bool | None = None,
) -> list[TrainResult]:
    """Train several runs as one engine batch; each result equals its own :func:`train` call.

    For sweeps such as the paper's Fig. 1 (50 tasks x 10 values of p): the runs may differ only
    in ``BATCHABLE_FIELDS``; every task keeps its own random streams, so batching changes no
    number. No checkpoints and no update events (use :func:`train` for resumable runs).

    Parameters
    ----------
    configs
        The runs; validated before anything is created.
    out_dirs
        One output folder per run (same files as :func:`train`), or ``None``.
    overwrite
        Empty existing, non-empty output folders first.
    progress
        tqdm bar on stderr; ``None``: only on a terminal.

    Returns
    -------
    list of TrainResult
    """
    started = time.perf_counter()
    if not configs:
        raise UserError("train_many: no configurations given")
    network = configs[0].validate()
    configs = [c.resolved() for c in configs]
    for cfg in configs[1:]:
        cfg.validate()
        for key, value in cfg.to_dict().items():
            if key not in BATCHABLE_FIELDS and value != configs[0].to_dict()[key]:
                raise UserError(
                    f"train_many: runs differ in {key} ({configs[0].to_dict()[key]!r} and "
                    f"{value!r}); only {', '.join(BATCHABLE_FIELDS)} may differ"
                )
    if configs[0].record_events != "none":
        raise UserError("train_many: --record-events needs train() (one run at a time)")
    if out_dirs is not None and len(out_dirs) != len(configs):
        raise UserError(f"train_many: {len(out_dirs)} output folders for {len(configs)} runs")
    for out in out_dirs or []:
        if Path(out).is_dir() and any(Path(out).iterdir()) and not overwrite:
            prepare_out_dir(out)  # raises the standard message before anything is created
    per_run = [make_tasks(cfg, network) for cfg in configs]
    tasks = [t for run in per_run for t in run]
    engine = get_engine(configs[0].engine)
    engine.prepare(network, tasks, configs[0])
    outs = [prepare_out_dir(o, overwrite=overwrite) for o in out_dirs or []]
    n_train = tasks[0].train_inputs_v.shape[0]
    starts = [initial_state(cfg, network.n_edges) for cfg in configs]
    sources = [
        _DrawSource(c, network.n_edges, n_train, s[1], track_states=False)
        for c, s in zip(configs, starts, strict=True)
    ]
    state = TrainState(
        step=0,
        resistance_ohm=np.concatenate([s[0].resistance_ohm for s in starts]),
        taps=None if starts[0][0].taps is None else np.concatenate([s[0].taps for s in starts]),
    )
    slots = (
        np.concatenate([c.first_task + np.arange(c.tasks) for c in configs]),
        np.concatenate([np.full(c.tasks, c.p) for c in configs]),
    )
    recorder = _Recorder(configs[0], tasks, engine, None, slots)
    recorder.log(state)
    try:
        state = _loop(engine, state, lambda step: _joined_draws(sources, step), recorder,
                      configs[0], progress=progress)  # fmt: skip
    finally:
        engine.close()
    history = recorder.history_frame()
    history["_slot"] = np.tile(np.arange(len(tasks)), len(history) // len(tasks))
    results, first = [], 0
    for i, (cfg, run_tasks) in enumerate(zip(configs, per_run, strict=True)):
        part = slice(first, first + cfg.tasks)
        rows = history[(history["_slot"] >= first) & (history["_slot"] < first + cfg.tasks)]
        first += cfg.tasks
        result = TrainResult(
            config=cfg,
            history=rows.drop(columns="_slot").reset_index(drop=True),
            state=TrainState(
                step=state.step, resistance_ohm=state.resistance_ohm[part],
                taps=None if state.taps is None else state.taps[part],
            ),  # fmt: skip
            tasks=run_tasks, events=None, wall_time_s=time.perf_counter() - started,
            out_dir=outs[i] if outs else None,
        )  # fmt: skip
        if outs:
            _write_results(outs[i], result, engine.name)
        results.append(result)
    return results


def load_result(out_dir: str | Path) -> TrainResult:
    """Read a finished run's folder back into a :class:`TrainResult` (events not loaded)."""
    out = Path(out_dir)
    try:
        final = json.loads((out / "final_state.json").read_text())
        history = pd.read_csv(out / "history.csv")
    except (OSError, ValueError) as exc:
        raise UserError(f"{out}: not a finished training run ({exc})") from None
    config = TrainConfig.from_dict(final["config"])
    network = load_network(config.network)
    taps = np.asarray(final["taps"], dtype=np.int64) if "taps" in final else None
    state = TrainState(
        step=int(final["step"]),
        resistance_ohm=np.asarray(final["resistance_ohm"], dtype=float),
        taps=taps,
    )
    run = json.loads((out / "run.json").read_text()) if (out / "run.json").exists() else {}
    return TrainResult(
        config=config, history=history, state=state, tasks=make_tasks(config, network),
        events=None, wall_time_s=float(run.get("wall_time_s", math.nan)), out_dir=out,
    )  # fmt: skip
