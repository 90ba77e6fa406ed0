"""Reproduce the paper's simulation figures and the board's design studies: data here, plots
in :mod:`coupled.analysis.figures`.

:data:`FIGURES` is the registry (name -> module, description): the paper's Figs. 1, 2a, 2b, 4c,
4d and 4e, and the studies ``sense-gain`` (final error against the sensing gain), ``gates``
(the board's oscillator gates and comparator offsets), ``temporal`` (the enables in time),
``clockless`` (the self-triggered board against the clocked one) and ``offsets`` (why the
comparator offsets make allosteric tasks diverge). The command line and its help take the names
from it.

Contract
--------
``reproduce(name, out_dir, quick=..., engine=..., seed=..., workers=...)`` validates everything
(figure name, engine, seed, workers, every training configuration, the output folder) before it
creates ``out_dir``, then computes the figure and writes, atomically through :mod:`coupled.core.io`:

``<name>.csv``
    The plotted data as a tidy table (first entry of :attr:`FigureResult.tables`).
other tables and JSON documents
    Named by the figure module (``fig1_summary.csv``, ``fig2a_fit.json``, ...).
``<name>.png``
    The figure (matplotlib, Agg, imported lazily in :mod:`coupled.analysis.figures`).
``<name>.json``
    Figure parameters, the training configuration shared by its runs, seed, engine, package
    version, wall time and the list of files.

Each module of the registry (:mod:`coupled.reproduction.fig1`, ``fig2``, ``fig4``,
``sense_gain``, ``gates``, ``temporal``, ``clockless``, ``offsets``) provides
``params(name, quick) -> <frozen dataclass>``, ``check(name, params, setup) -> None`` (raises
``UserError``) and ``compute(name, params, setup) -> FigureResult``. Drawing is not part of
:class:`Setup`: :func:`reproduce` takes ``draw`` (e.g.
:func:`coupled.analysis.figures.draw_figure`) and draws nothing without it. A reproduction keeps
no checkpoint: a non-empty ``out_dir`` is refused unless ``overwrite``.

A figure is a set of independent *conditions* (one training run each, e.g. one value of p with all
its tasks trained at once as one batch). :func:`run_conditions` runs them in order or in
``workers`` processes; every condition is a deterministic function of its configuration and the
seed (tasks and draws come from per-task streams, see :mod:`coupled.training`), so results never
depend on the number of workers. ``--seed S`` draws another set of tasks, initial states and
update draws.
"""

from __future__ import annotations

import importlib
import multiprocessing
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from coupled.core import interrupts
from coupled.core.errors import ParameterError, UserError
from coupled.core.io import prepare_out_dir, write_json, write_table
from coupled.core.options import check_whole
from coupled.core.version import __version__
from coupled.engines import check_engine_name

FIGURES: dict[str, tuple[str, str]] = {
    "fig1": ("fig1", "continuous rule, jammed143: scaled test error against steps x p"),
    "fig2a": ("fig2", "continuous rule, experiment16: distance from the p = b = 1 solution"),
    "fig2b": ("fig2", "as fig2a with a fixed number of edges / examples per step"),
    "fig4c": ("fig4", "discrete rule, experiment16: final error of allosteric tasks against p"),
    "fig4d": ("fig4", "discrete rule, jammed143: final allostery error against outputs O"),
    "fig4e": ("fig4", "discrete rule, jammed143: final regression test error against p"),
    "sense-gain": ("sense_gain", "discrete rule, 0-5 V board: final error against the sense gain"),
    "gates": ("gates", "Figs. 4c/4e with the board's oscillator gates and comparator offsets"),
    "temporal": ("temporal", "the board's enables in time: autocorrelation against jitter and T"),
    "clockless": ("clockless", "self-triggered board (no clock) against the clocked board"),
    "offsets": ("offsets", "why the board's comparator offsets make allosteric tasks diverge"),
    "fig4a": ("fig4ab", "the 16-edge board (circuit engine): typical error curves per p"),
    "fig4b": ("fig4ab", "the 16-edge board (circuit engine): resistor traces per p, stillness"),
    "fig4ab": ("fig4ab", "Figs. 4a and 4b from one computation"),
    "regression16": ("board16", "the 16-edge board on regression tasks: no benefit of p < 1?"),
    "drift": ("board16", "the board's power and resistances across training at each p"),
}
"""Figure name -> (module in :mod:`coupled.reproduction`, one-line description)."""
FIGURE_NAMES = tuple(FIGURES)
BOARD_STUDIES = ("fig4a", "fig4b", "fig4ab", "regression16", "drift")
"""Figures measured on the simulated board (circuit engine by default): tens of minutes at full
size, so the report does not run them itself."""


def figure_names() -> tuple[str, ...]:
    """The names :func:`reproduce` accepts, in the order the report shows them."""
    return FIGURE_NAMES


@dataclass(frozen=True)
class Setup:
    """Run-wide settings of a reproduction (the CLI options that are not the figure itself).

    Attributes
    ----------
    engine
        Engine name passed through to training (``ideal``, ``spice``, ``circuit``).
    seed
        Seed of every random draw (tasks, initial states, step draws).
    workers
        Processes for independent conditions (1: in this process).
    quick
        Reduced size (tests and CI) instead of the paper's size.
    progress
        Report finished conditions on stderr.
    """

    engine: str = "ideal"
    seed: int = 0
    workers: int = 1
    quick: bool = False
    progress: bool = False


@dataclass(frozen=True, eq=False)
class FigureResult:
    """Data of one reproduced figure.

    Attributes
    ----------
    name
        Figure name (``fig1``, ...).
    tables
        File name -> tidy table; the first is the plotted data (``<name>.csv``).
    documents
        File name -> JSON document (fits and the like); meta data is added on writing.
    summary
        Lines printed by the command (numbers and where the paper's conclusion holds or not).
    params
        The figure's parameters (JSON form).
    base_config
        The training configuration shared by the figure's runs (JSON form, one condition).
    plot
        Name of the function in :mod:`coupled.analysis.figures` that draws it.
    wall_time_s
        Wall time of the computation.
    files
        Files written (filled in by :func:`reproduce`).
    """

    name: str
    tables: dict[str, pd.DataFrame]
    documents: dict[str, dict]
    summary: tuple[str, ...]
    params: dict
    base_config: dict
    plot: str
    wall_time_s: float = 0.0
    files: tuple[Path, ...] = field(default_factory=tuple)


def figure_module(name: str):
    """The module that computes figure ``name``; ``UserError`` for an unknown name."""
    if name not in FIGURES:
        raise UserError(f"figure {name!r}: unknown; choose from {', '.join(FIGURE_NAMES)}")
    return importlib.import_module(f"coupled.reproduction.{FIGURES[name][0]}")


def check_setup(setup: Setup) -> None:
    """Raise ``UserError`` for a bad engine name, seed or worker count."""
    if not isinstance(setup.engine, str):
        raise ParameterError(f"{{engine}} {setup.engine!r}: must be a name", "engine")
    check_engine_name(setup.engine)
    check_whole("seed", setup.seed, 0)
    check_whole("workers", setup.workers, 1)


def run_conditions(
    worker: Callable[[Any], Any], items: Sequence[Any], setup: Setup, label: str = ""
) -> list[Any]:
    """``[worker(item) for item in items]``, in ``setup.workers`` processes when more than one.

    ``worker`` must be a module-level function (it is pickled for the spawned processes). The
    order of the results is the order of ``items`` whatever the number of workers.
    """
    started = time.perf_counter()

    def report(done: int) -> None:
        if setup.progress:
            elapsed = time.perf_counter() - started
            print(f"{label}: {done}/{len(items)} conditions ({elapsed:.0f} s)", file=sys.stderr)

    if setup.workers <= 1 or len(items) <= 1:
        results = []
        for item in items:
            results.append(worker(item))
            report(len(results))
        return results
    context = multiprocessing.get_context("spawn")
    with (
        ProcessPoolExecutor(
            max_workers=min(setup.workers, len(items)),
            mp_context=context,
            initializer=interrupts.ignore_in_worker,
        ) as ex,
        interrupts.stopped_on_interrupt(ex),
    ):
        futures = [ex.submit(worker, item) for item in items]
        results = []
        for future in futures:
            results.append(future.result())
            report(len(results))
    return results


def tail_mean(history: pd.DataFrame, steps: int, fraction: float) -> pd.Series:
    """Mean scaled error per task over the logged rows with ``step >= (1 - fraction) * steps``.

    Parameters
    ----------
    history
        A training history (columns ``task``, ``step``, ``scaled_error``).
    steps
        The run's number of steps.
    fraction
        Share of the run at its end to average over (0: the last logged row only).

    Returns
    -------
    pandas.Series
        Indexed by task.
    """
    start = min((1.0 - fraction) * steps, steps)
    rows = history[history["step"] >= start]
    return rows.groupby("task")["scaled_error"].mean()


def meta(result: FigureResult, setup: Setup) -> dict:
    """What every result file of a figure records: parameters, config, seed, engine, version."""
    return {
        "figure": result.name,
        "description": FIGURES[result.name][1],
        "quick": setup.quick,
        "seed": setup.seed,
        "engine": setup.engine,
        "version": __version__,
        "params": result.params,
        "train_config": result.base_config,
    }


def reproduce(
    name: str,
    out_dir: str | Path,
    *,
    quick: bool = False,
    engine: str | None = None,
    seed: int = 0,
    workers: int = 1,
    overwrite: bool = False,
    progress: bool = False,
    draw: Callable[[FigureResult, Path, dict], Path] | None = None,
) -> FigureResult:
    """Compute figure ``name`` and write its data and meta JSON to ``out_dir``.

    Parameters
    ----------
    name
        One of :data:`FIGURE_NAMES`.
    out_dir
        Output folder; refused when it exists and is not empty unless ``overwrite``.
    quick
        Reduced size (under a minute) instead of the paper's size.
    engine
        Training engine name (passed through); ``None``: the figure's ``DEFAULT_ENGINE``
        (``circuit`` for the board studies ``fig4a``, ``fig4b``, ``fig4ab`` and
        ``regression16``), else ``ideal``.
    seed
        Seed of all random draws; another seed draws another set of tasks.
    workers
        Processes for independent conditions; results do not depend on it.
    overwrite
        Replace a non-empty ``out_dir``.
    progress
        Report finished conditions on stderr.
    draw
        Optional ``draw(result, png_path, meta) -> path`` that draws the figure (the command
        passes :func:`coupled.analysis.figures.draw_figure`); without it nothing is drawn.

    Returns
    -------
    FigureResult
        With ``files`` listing what was written.

    Raises
    ------
    UserError
        For any bad input, before anything is created.
    """
    module = figure_module(name)
    if engine is None:
        engine = getattr(module, "DEFAULT_ENGINE", "ideal")
        if isinstance(engine, dict):  # one module, several figures
            engine = engine.get(name, "ideal")
    setup = Setup(engine=engine, seed=seed, workers=workers, quick=quick, progress=progress)
    check_setup(setup)
    params = module.params(name, quick)
    module.check(name, params, setup)
    out = Path(out_dir)
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        prepare_out_dir(out, resumable=False)  # raises the standard message, creates nothing
    started = time.perf_counter()
    result = module.compute(name, params, setup)
    wall = time.perf_counter() - started
    prepare_out_dir(out, overwrite=overwrite, resumable=False)
    info = meta(result, setup)
    files = []
    for file_name, table in result.tables.items():
        files.append(write_table(out / file_name, table))
    for file_name, document in result.documents.items():
        files.append(write_json(out / file_name, {**document, "meta": info}))
    if draw is not None:
        files.append(draw(result, out / f"{name}.png", info))
    meta_path = out / f"{name}.json"
    files.append(meta_path)
    write_json(
        meta_path,
        {
            **info,
            "wall_time_s": wall,
            "workers": workers,
            "summary": list(result.summary),
            "files": [f.name for f in files],
        },
    )
    return FigureResult(
        **{
            **{k: getattr(result, k) for k in _RESULT_FIELDS},
            "wall_time_s": wall,
            "files": tuple(files),
        },
    )


_RESULT_FIELDS = ("name", "tables", "documents", "summary", "params", "base_config", "plot")


@dataclass(frozen=True)
class ContinuousPhysics:
    """Physical settings shared by the continuous-rule figures (1, 2a, 2b), set explicitly so a
    change of the training defaults cannot move a published figure. Units: gamma in ohm per
    ampere squared, voltages in volts, resistances in ohm; sizes are examples per task."""

    gamma: float = 2e7
    eta: float = 1.0
    input_min_v: float = 0.0
    input_max_v: float = 5.0
    r_min_ohm: float = 1000.0
    r_max_ohm: float = 10000.0
    train_size: int = 16
    test_size: int = 64


def params_dict(params: Any) -> dict:
    """JSON form of a figure's parameter dataclass (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(params).items()}


__all__ = [
    "BOARD_STUDIES",
    "ContinuousPhysics",
    "FIGURES",
    "FIGURE_NAMES",
    "FigureResult",
    "Setup",
    "check_setup",
    "figure_module",
    "meta",
    "params_dict",
    "reproduce",
    "run_conditions",
    "tail_mean",
]
