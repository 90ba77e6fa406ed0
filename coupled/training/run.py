"""Training runs: the step loop, checkpoints and result files.

``train(config, out_dir)`` trains ``config.tasks`` independent tasks at once on one engine;
``train_many(configs, out_dirs)`` trains several runs that differ only in ``BATCHABLE_FIELDS`` as
one engine batch, each result identical to its own ``train()``. The configuration and result
types live in :mod:`coupled.training.config`, the random draws (streams, tasks, initial states, step
draws and their reproducibility contract) in :mod:`coupled.training.draws`; both are re-exported
here, so
``from coupled.training import ...`` reaches every public name.

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

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from coupled.core.errors import UserError
from coupled.core.io import prepare_out_dir, write_json, write_table
from coupled.core.version import __version__
from coupled.engines import get_engine
from coupled.physics import rules
from coupled.physics.state import TrainState
from coupled.physics.tasks import Task
from coupled.training.checkpoint import (
    Checkpoint,
    load_checkpoint,
    remove_checkpoint,
    save_checkpoint,
)
from coupled.training.config import (
    EVENT_COLUMNS,
    EVENT_FORMATS,
    HISTORY_COLUMNS,
    MAX_WHOLE,
    MODES,
    ROLE_MODES,
    RULES,
    SIGMA_MODES,
    TrainConfig,
)
from coupled.training.draws import (
    DRAW_CHUNK,
    _DrawSource,
    _joined_draws,
    initial_state,
    make_tasks,
    task_streams,
)
from coupled.training.results import TrainResult, load_result

__all__ = [
    "BATCHABLE_FIELDS",
    "DRAW_CHUNK",
    "EVENT_COLUMNS",
    "EVENT_FORMATS",
    "HISTORY_COLUMNS",
    "MAX_WHOLE",
    "MODES",
    "ROLE_MODES",
    "RULES",
    "SIGMA_MODES",
    "TrainConfig",
    "TrainResult",
    "initial_state",
    "load_result",
    "make_tasks",
    "task_streams",
    "train",
    "train_many",
]


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
        dtypes = {
            "step": np.int64,
            "task": np.int64,
            "edge": np.int64,
            "enabled": bool,
            "direction": np.int8,
        }
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

    state = _loop(
        engine,
        state,
        source.draws,
        recorder,
        config,
        record=record,
        after=checkpoint,
        progress=progress,
        stop_at=stop_at,
    )
    history = recorder.history_frame()
    events = pd.DataFrame(recorder.event_arrays()) if record else None
    result = TrainResult(
        config=config,
        history=history,
        state=state,
        tasks=tasks,
        events=events,
        wall_time_s=time.perf_counter() - started,
        out_dir=out,
    )
    if out is not None and state.step == config.steps:
        _write_results(out, result, engine.name)
    return result


def _loop(
    engine,
    state,
    draws_for,
    recorder,
    config,
    *,
    record=False,
    after=None,
    progress=None,
    stop_at=None,
) -> TrainState:
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


def _save(out: Path, config: TrainConfig, state: TrainState, source, recorder) -> None:
    save_checkpoint(
        out,
        Checkpoint(
            config=config.to_dict(),
            step=state.step,
            resistance_ohm=state.resistance_ohm,
            taps=state.taps,
            rng_states=source.resume_states(state.step),
            history=recorder.history_arrays(),
            events=recorder.event_arrays(),
        ),
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
            "config": cfg.to_dict(),
            "version": __version__,
            "engine": engine_name,
            "seed": cfg.seed,
            "wall_time_s": result.wall_time_s,
            "steps": cfg.steps,
            "tasks": cfg.tasks,
            "simulator": _simulator(engine_name),
        },
    )
    remove_checkpoint(out)


def _simulator(engine_name: str) -> str:
    """What solved the circuits: numpy for the ideal engine, else the ngspice that was found."""
    if engine_name == "ideal":
        return f"numpy {np.__version__}"
    from coupled.spice.session import get_session

    return get_session().describe()


BATCHABLE_FIELDS = (
    "p",
    "p_mode",
    "batch_fraction",
    "batch_mode",
    "seed",
    "first_task",
    "tasks",
    "sigma_v",
    "checkpoint_every",
)
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
        state = _loop(
            engine,
            state,
            lambda step: _joined_draws(sources, step),
            recorder,
            configs[0],
            progress=progress,
        )
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
                step=state.step,
                resistance_ohm=state.resistance_ohm[part],
                taps=None if state.taps is None else state.taps[part],
            ),
            tasks=run_tasks,
            events=None,
            wall_time_s=time.perf_counter() - started,
            out_dir=outs[i] if outs else None,
        )
        if outs:
            _write_results(outs[i], result, engine.name)
        results.append(result)
    return results
