"""Training runs: the :class:`Run` object, ``train`` and ``train_many``.

:class:`Run` is what every caller shares (``train``, ``train_many``, the sweep worker, tests,
benchmarks, notebooks): it validates a :class:`~coupled.training.config.TrainConfig`, builds
the tasks, the engine and the seeded step draws, and exposes ``.state``, ``.step()``,
``.steps(n)``, ``.measure()`` and ``.errors()``; as a context manager it closes its engine.
``train(config, out_dir)`` runs one to ``config.steps`` with history, checkpoints, exact resume
and result files; ``train_many(configs, out_dirs)`` trains several runs that differ only in
``BATCHABLE_FIELDS`` as one engine batch, each result identical to its own ``train()``.

Errors (the history): ``error`` is the test error, the mean over test examples of the summed
squared output misses (V^2); ``scaled_error`` is error / error at step 0; ``train_error`` the same
on the training set; ``steps_x_p`` = step * p. Rows at step 0, every ``log_every`` steps (default
about 200 rows whatever the step count) and at the last step.

Output folder: ``network.json`` (a copy of the network trained, which resuming and
``load_result`` read), ``history.csv``, ``final_state.json`` (``resistance_ohm`` and for the
discrete rule ``taps`` per task, the tasks, full config, seed, version), ``run.json`` (config,
version, engine, wall time, share of edges updated, the engine's own provenance such as the circuit
engine's ``bias_v`` and calibration checksum), ``update_events.csv``/``.parquet`` on request
(step, task, edge, enabled, direction), ``resistance_history.parquet`` with
``record_resistance_every`` (step, task, edge, resistance_ohm, tap), and while running
``checkpoint.npz`` (every ``checkpoint_every`` steps, and at an interrupt).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from coupled.core.errors import Interrupted, ParameterError, UserError
from coupled.core.io import prepare_out_dir, write_table
from coupled.engines import get_engine
from coupled.engines.base import Engine
from coupled.physics import rules
from coupled.physics.networks import Network
from coupled.physics.state import Measurement, StepDraws, TrainState
from coupled.training.checkpoint import (
    Checkpoint,
    remove_checkpoint,
    resumable,
    save_checkpoint,
)
from coupled.training.config import TrainConfig
from coupled.training.draws import DrawSource, initial_state, joined_draws, make_tasks
from coupled.training.recorder import Recorder
from coupled.training.results import (
    TrainResult,
    load_result,
    provenance,
    stored_network,
    write_network,
    write_results,
)

__all__ = ["BATCHABLE_FIELDS", "Run", "train", "train_many"]

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
"""Fields in which the configurations of one batched :class:`Run` may differ."""


class Run:
    """One training run (or several batched runs) ready to step.

    Parameters
    ----------
    config
        The run, or several runs that differ only in :data:`BATCHABLE_FIELDS` (trained as one
        engine batch: tasks of all runs side by side, each with its own random streams).
        Validated here; ``UserError`` names the first bad value.
    track_states
        Keep the generator states that a checkpoint needs (:meth:`checkpoint`).
    network
        The loaded network to train instead of loading ``config.network`` (:func:`train` passes
        a run folder's stored copy when it resumes).

    Attributes
    ----------
    config
        The (first) resolved configuration; ``configs`` holds all of them.
    network
        The loaded network.
    tasks
        The K tasks of the batch, in order (run by run).
    engine
        The prepared engine (:mod:`coupled.engines`).
    state
        The current :class:`~coupled.physics.state.TrainState` (resistances (K, E), taps for
        the discrete rule, the last step's enable and direction bits).

    Examples
    --------
    >>> with Run(TrainConfig(network="experiment16", task="allostery", rule="discrete")) as run:
    ...     run.steps(100)
    ...     print(run.errors()["scaled_error"])
    """

    def __init__(
        self,
        config: TrainConfig | Sequence[TrainConfig],
        *,
        track_states: bool = False,
        network: Network | None = None,
    ):
        configs = [config] if isinstance(config, TrainConfig) else list(config)
        if not configs:
            raise UserError("Run: no configuration given")
        self.network: Network = configs[0].validate(network)
        self.configs = [c.resolved() for c in configs]
        self.config = self.configs[0]
        first = self.config.to_dict()
        for cfg in self.configs[1:]:
            cfg.validate(self.network)
            for key, value in cfg.to_dict().items():
                if key not in BATCHABLE_FIELDS and value != first[key]:
                    raise UserError(
                        f"batched runs differ in {key} ({first[key]!r} and {value!r}); only "
                        f"{', '.join(BATCHABLE_FIELDS)} may differ"
                    )
        if self.config.trigger == "self" and len({c.p for c in self.configs}) > 1:
            raise ParameterError(
                "batched runs with {trigger} self differ in p: each p is its own example "
                "schedule; train them one at a time",
                "trigger",
            )
        self.run_tasks = [make_tasks(cfg, self.network) for cfg in self.configs]
        self.tasks = [t for run in self.run_tasks for t in run]
        self.engine: Engine = get_engine(self.config.engine)
        try:
            self.engine.prepare(self.network, self.tasks, self.config)
        except BaseException:
            self.engine.close()
            raise
        n_edges, n_train = self.network.n_edges, self.tasks[0].train_inputs_v.shape[0]
        starts = [initial_state(cfg, n_edges) for cfg in self.configs]
        self.sources = [
            DrawSource(cfg, n_edges, n_train, fixed, track_states=track_states)
            for cfg, (_, fixed) in zip(self.configs, starts, strict=True)
        ]
        taps = [s.taps for s, _ in starts]
        self.state = TrainState(
            step=0,
            resistance_ohm=np.concatenate([s.resistance_ohm for s, _ in starts]),
            taps=None if taps[0] is None else np.concatenate(taps),
        )
        self.task_ids = np.concatenate([c.first_task + np.arange(c.tasks) for c in self.configs])
        self.p = np.concatenate([np.full(c.tasks, c.p) for c in self.configs])

    # -- stepping -------------------------------------------------------------------------------
    def draws(self, step: int) -> StepDraws:
        """The random draws of ``step`` (1-based; steps must come in order)."""
        if len(self.sources) == 1:
            return self.sources[0].draws(step)
        return joined_draws(self.sources, step)

    def step(self) -> TrainState:
        """One learning step of every task; returns (and keeps) the new state."""
        self.state = self.engine.step(self.state, self.draws(self.state.step + 1))
        return self.state

    def steps(self, n: int) -> TrainState:
        """``n`` learning steps; returns the state after the last."""
        for _ in range(int(n)):
            self.step()
        return self.state

    # -- looking ----------------------------------------------------------------------------------
    def measure(self, example_index: np.ndarray | None = None) -> Measurement:
        """Free and clamped states of training examples at the current resistances.

        ``example_index`` is (K, X) indices into each task's training set; default all of them.
        Drops and outputs are in volts (see :class:`~coupled.physics.state.Measurement`).
        """
        if example_index is None:
            k, x = len(self.tasks), self.tasks[0].train_inputs_v.shape[0]
            example_index = np.broadcast_to(np.arange(x), (k, x))
        return self.engine.measure(self.state.resistance_ohm, np.asarray(example_index))

    def predict(self, inputs_v: np.ndarray) -> np.ndarray:
        """Free output voltages at the current state.

        Parameters
        ----------
        inputs_v
            Input voltages (V), shape (K, X, k): K tasks of the run, X examples, k input nodes
            of each task (in the order of ``task.inputs``); or (X, k): the same examples for
            every task.

        Returns
        -------
        numpy.ndarray
            Free output voltages (V), shape (K, X, O), O output nodes (``task.outputs``).

        Raises
        ------
        UserError
            A shape other than these, or values that are not finite numbers.
        """
        k_tasks, k_inputs = len(self.tasks), len(self.tasks[0].inputs)
        expected = (
            f"expected (K, X, k) = ({k_tasks}, X, {k_inputs}) volts: K = {k_tasks} task(s), X "
            f"examples, k = {k_inputs} input node(s); or (X, {k_inputs}): the same examples for "
            "every task"
        )
        try:
            values = np.asarray(inputs_v, dtype=float)
        except (TypeError, ValueError):
            raise UserError(f"predict: inputs_v is not an array of numbers; {expected}") from None
        if values.ndim == 2 and values.shape[1] == k_inputs:
            values = np.repeat(values[None], k_tasks, axis=0)
        if values.ndim != 3 or values.shape[0] != k_tasks or values.shape[2] != k_inputs:
            raise UserError(f"predict: inputs_v of shape {values.shape}; {expected}")
        if values.shape[1] == 0 or not np.all(np.isfinite(values)):
            raise UserError(
                f"predict: inputs_v must hold at least one example of finite numbers; {expected}"
            )
        return self.engine.predict(self.state.resistance_ohm, values)

    def errors(self) -> dict[str, np.ndarray]:
        """Test and training error of every task now (V^2, per task (K,))."""
        test_x = np.stack([t.test_inputs_v for t in self.tasks])
        test_y = np.stack([t.test_targets_v for t in self.tasks])
        train_x = np.stack([t.train_inputs_v for t in self.tasks])
        train_y = np.stack([t.train_targets_v for t in self.tasks])
        return {
            "error": rules.mean_squared_error(self.predict(test_x), test_y),
            "train_error": rules.mean_squared_error(self.predict(train_x), train_y),
        }

    # -- checkpoints ------------------------------------------------------------------------------
    def restore(self, saved: Checkpoint) -> None:
        """Continue from a checkpoint of this run (state and random streams)."""
        self.state = TrainState(
            step=saved.step, resistance_ohm=saved.resistance_ohm, taps=saved.taps
        )
        self.sources[0].restore(saved.rng_states, saved.step)

    def rng_states(self) -> list[dict]:
        """The generator states a checkpoint of the current step stores."""
        return self.sources[0].resume_states(self.state.step)

    # -- lifetime ---------------------------------------------------------------------------------
    def close(self) -> None:
        """Release the engine (ngspice circuits, worker processes)."""
        self.engine.close()

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- train ---------------------------------------------------------------------------------------


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
        Continue from ``out_dir/checkpoint.npz``; a finished run is loaded and returned as is.
        Either way the stored configuration must equal ``config`` (``UserError`` names every
        option that differs); a missing or empty ``out_dir`` is refused. The network is the
        folder's copy (``network.json``), so a run given as a relative file name resumes from
        any working directory.
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

    Raises
    ------
    UserError
        A bad value, a refused folder, or a resume that does not match.
    coupled.core.errors.Interrupted
        On SIGINT (``KeyboardInterrupt``) after the first step: a checkpoint of the last
        finished step was written to ``out_dir`` (if given); the message says which.
    """
    started = time.perf_counter()
    if resume and overwrite:
        raise ParameterError(
            "{resume=True} and {overwrite=True} exclude each other", "resume=True", "overwrite=True"
        )
    out = Path(out_dir) if out_dir is not None else None
    if resume and out is None:
        raise ParameterError(
            "{resume=True} needs {out_dir} (the folder of the run to continue)",
            "resume=True",
            "out_dir",
        )
    stored = stored_network(out) if resume else None
    network = config.validate(stored)
    config = config.resolved()
    saved = None
    if resume:
        saved = resumable(out, config)
        if saved is None:
            return load_result(out)
    with Run(config, track_states=out is not None, network=network) as run:
        if out is not None:
            prepare_out_dir(out, overwrite=overwrite, resume=resume)
            write_network(out, run.network)
        return _train(run, out, saved, progress, stop_at, started)


def _train(run: Run, out, saved, progress, stop_at, started) -> TrainResult:
    config = run.config
    recorder = Recorder(run.tasks, run.engine.predict, run.task_ids, run.p, saved)
    if saved is not None:
        run.restore(saved)
    else:
        recorder.log(run.state)
        if config.record_resistance_every:
            recorder.record_resistance(run.state)
    record = config.record_events != "none"
    every, res_every = config.checkpoint_every, config.record_resistance_every

    def save() -> None:
        save_checkpoint(
            out,
            Checkpoint(
                config=config.to_dict(),
                step=run.state.step,
                resistance_ohm=run.state.resistance_ohm,
                taps=run.state.taps,
                rng_states=run.rng_states(),
                history=recorder.history_arrays(),
                events=recorder.event_arrays(),
                resistance=recorder.resistance_arrays(),
                updates=recorder.updates,
            ),
        )

    bar = _progress_bar(config.steps, run.state.step, progress)
    try:
        for step in range(run.state.step + 1, config.steps + 1):
            state = run.step()
            recorder.count(state)
            if record:
                recorder.record(state)
            if step % config.log_every == 0 or step == config.steps:
                recorder.log(state)
            if res_every and (step % res_every == 0 or step == config.steps):
                recorder.record_resistance(state)
            if out is not None and every and step % every == 0 and step < config.steps:
                save()
            bar.update(1)
            if stop_at is not None and step >= stop_at:
                break
    except KeyboardInterrupt:
        bar.close()
        done = run.state.step
        if out is None:
            raise Interrupted(f"interrupted at step {done}; nothing saved (no --out)") from None
        save()
        raise Interrupted(
            f"interrupted at step {done}; checkpoint at step {done}; rerun with --resume"
        ) from None
    finally:
        bar.close()
    result = TrainResult(
        config=config,
        history=recorder.history_frame(),
        state=run.state,
        tasks=run.tasks,
        events=pd.DataFrame(recorder.event_arrays()) if record else None,
        wall_time_s=time.perf_counter() - started,
        out_dir=out,
    )
    if out is not None and run.state.step == config.steps:
        write_results(out, result, _provenance(run, recorder.updates))
        if res_every:
            write_table(
                out / "resistance_history.parquet", pd.DataFrame(recorder.resistance_arrays())
            )
        remove_checkpoint(out)
    return result


def _progress_bar(total: int, initial: int, progress: bool | None):
    from tqdm import tqdm

    show = sys.stderr.isatty() if progress is None else progress
    return tqdm(total=total, initial=initial, disable=not show, file=sys.stderr, unit="step")


# -- train_many ----------------------------------------------------------------------------------


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
    if any(c.record_events != "none" or c.record_resistance_every for c in configs):
        raise ParameterError(
            "train_many: {record_events} needs train() (one run at a time)", "record_events"
        )
    if out_dirs is not None and len(out_dirs) != len(configs):
        raise UserError(f"train_many: {len(out_dirs)} output folders for {len(configs)} runs")
    for out in out_dirs or []:
        if Path(out).is_dir() and any(Path(out).iterdir()) and not overwrite:
            prepare_out_dir(out, resumable=False)  # the standard message; creates nothing
    with Run(configs) as run:
        outs = [prepare_out_dir(o, overwrite=overwrite, resumable=False) for o in out_dirs or []]
        recorder = Recorder(run.tasks, run.engine.predict, run.task_ids, run.p)
        recorder.log(run.state)
        cfg0 = run.config
        bar = _progress_bar(cfg0.steps, 0, progress)
        try:
            for step in range(1, cfg0.steps + 1):
                state = run.step()
                recorder.count(state)
                if step % cfg0.log_every == 0 or step == cfg0.steps:
                    recorder.log(state)
                bar.update(1)
        finally:
            bar.close()
    history = recorder.history_frame()
    history["_slot"] = np.tile(np.arange(len(run.tasks)), len(history) // len(run.tasks))
    results, first = [], 0
    for i, (cfg, run_tasks) in enumerate(zip(run.configs, run.run_tasks, strict=True)):
        part = slice(first, first + cfg.tasks)
        rows = history[(history["_slot"] >= first) & (history["_slot"] < first + cfg.tasks)]
        first += cfg.tasks
        result = TrainResult(
            config=cfg,
            history=rows.drop(columns="_slot").reset_index(drop=True),
            state=TrainState(
                step=run.state.step,
                resistance_ohm=run.state.resistance_ohm[part],
                taps=None if run.state.taps is None else run.state.taps[part],
            ),
            tasks=run_tasks,
            events=None,
            wall_time_s=time.perf_counter() - started,
            out_dir=outs[i] if outs else None,
        )
        if outs:
            updates = int(recorder.slot_updates[part].sum())
            write_network(outs[i], run.network)
            write_results(outs[i], result, _provenance(run, updates, cfg.tasks))
        results.append(result)
    return results


def _provenance(run: Run, updates: int, n_tasks: int | None = None) -> dict:
    """``run.json``'s provenance of ``run``; ``n_tasks`` the tasks ``updates`` covers (all)."""
    tasks = len(run.tasks) if n_tasks is None else n_tasks
    return provenance(run.engine, run.state.step, run.network.n_edges * tasks, updates)
