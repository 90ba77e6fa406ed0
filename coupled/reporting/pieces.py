"""The report's pieces: find, reuse or run the calibration and every reproduced figure.

A report folder ``DIR`` holds one subfolder per piece, each written by the piece's own command:

``DIR/check-board``
    ``coupled check-board`` on the report's board (ERC table against the parts' datasheet
    limits, power per rail and part class, energy per training step);
``DIR/your-board``
    supply corners, a Monte Carlo yield with its tolerance budget and one step's waveforms
    (:mod:`coupled.reporting.your_board`);
``DIR/calibration``
    ``coupled calibrate`` on the 16-edge board (p against the bias, correlation of update
    events at p = 0.5, effective comparator bias);
``DIR/fig1``, ``DIR/fig2a``, ``DIR/fig2b``, ``DIR/fig4c``, ``DIR/fig4d``, ``DIR/fig4e``
    ``coupled reproduce <figure>`` (CSV + PNG + JSON each);
``DIR/training/<run>``
    optional training runs (``coupled demo`` writes them; ``coupled train`` folders with
    ``history.csv``, ``run.json`` and ``update_events``).

:func:`ensure_piece` reuses a piece whose recorded config matches the requested one (nothing is
recomputed, so file times do not change) and runs a missing or mismatched piece through its
command's Python entry point, in a fresh spawned process of its own: ngspice keeps global state
per process (one shared library, options such as ``interp`` stay set), so pieces never share a
simulator. ``quick`` selects the reduced versions (seconds to a minute each). The ``load_*``
functions (:mod:`coupled.reporting.loading`, importable from here) read a piece's files back.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING

from coupled.core import interrupts
from coupled.core.options import check_choice, check_whole
from coupled.reporting.loading import (
    load_calibration_piece,
    load_check_board_piece,
    load_figure_piece,
    load_training_runs,
    table_file,
)
from coupled.reproduction.base import BOARD_STUDIES, FIGURE_NAMES

if TYPE_CHECKING:
    import pandas as pd

    from coupled.calibration.run import CalibrationConfig

FIGURES = tuple(f for f in FIGURE_NAMES if f not in ("gates", "offsets", *BOARD_STUDIES))
"""Figures of ``coupled reproduce`` that the report gathers, in page order (the registry's);
the ``gates`` and ``offsets`` studies are not (yet) pieces of the report."""
CALIBRATION = "calibration"
CHECK_BOARD = "check-board"
TRAINING = "training"
YOUR_BOARD = "your-board"
PIECES = (CHECK_BOARD, YOUR_BOARD, CALIBRATION, *FIGURES)
EVENTS = ("transient", "phase", "periodic")
FIGURE_ENGINE = "ideal"
"""Engine of the reproduced figures (exact and fast; the circuit engine trains the demo)."""

# --- configuration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportConfig:
    """What the report gathers and how the missing pieces are run.

    Parameters
    ----------
    quick
        Run reduced pieces (``coupled reproduce --quick``, a short calibration).
    seed
        Seed of the board's parts (calibration) and of the figures' tasks.
    network
        The board that is calibrated (one oscillator per edge).
    calibration_events
        ``"transient"`` (ngspice transient of every oscillator over every trigger),
        ``"periodic"`` (a 12-period transient of each, repeated; the default with ``quick``) or
        ``"phase"`` (analytic). ``None``: ``"periodic"`` when quick, else ``"transient"``.
    workers
        Processes a piece may use.
    """

    quick: bool = False
    seed: int = 0
    network: str = "experiment16"
    calibration_events: str | None = None
    workers: int = 1

    def __post_init__(self) -> None:
        if self.calibration_events is None:
            from coupled.calibration.run import QUICK_EVENTS

            events = QUICK_EVENTS if self.quick else "transient"
            object.__setattr__(self, "calibration_events", events)
        check_whole("seed", self.seed, 0)
        check_whole("workers", self.workers, 1)
        check_choice("calibration_events", self.calibration_events, EVENTS)

    def to_dict(self) -> dict:
        """Plain values for ``report.json``."""
        return asdict(self)

    def calibration_config(self):
        """The :class:`~coupled.calibration.CalibrationConfig` of the calibration piece.

        Quick: 1 000 triggers for the correlation (null mean |r| 0.025), 100 per bias point
        (s.e. of the mean p over 16 edges at most 0.013), 9 bias points. Full: the
        ``coupled calibrate`` defaults (10 000 triggers).
        """
        from coupled.calibration.run import QUICK_SIZES, CalibrationConfig

        sizes = QUICK_SIZES if self.quick else {}
        return CalibrationConfig(
            network=self.network,
            seed=self.seed,
            events=self.calibration_events,
            workers=self.workers,
            **sizes,
        )

    def describe(self, piece: str) -> str:
        """One line naming what running ``piece`` computes, for progress messages."""
        if piece == CHECK_BOARD:
            c = self.calibration_config()
            return f"the electrical rule check of {self.network} (tolerance {c.tolerance:g})"
        if piece == YOUR_BOARD:
            size = "quick" if self.quick else "full"
            return f"the supply corners, yield and a waveform of {self.network} ({size})"
        if piece == CALIBRATION:
            c = self.calibration_config()
            return (
                f"the calibration of {c.network} (tolerance {c.tolerance:g}, seed {c.seed}, "
                f"{c.events} events)"
            )
        size = "quick" if self.quick else "full"
        return f"{piece} ({size}, engine {FIGURE_ENGINE}, seed {self.seed})"


# --- pieces ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PieceStatus:
    """What happened to one piece: ``action`` is ``reused``, ``ran``, ``failed`` (``reason``
    holds the error) or ``missing`` (its command is not installed)."""

    name: str
    path: str
    action: str
    reason: str
    wall_time_s: float = 0.0


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything the page shows; tables as read from the pieces' files."""

    config: ReportConfig
    out_dir: Path
    pieces: tuple[PieceStatus, ...]
    calibration: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)
    claims: pd.DataFrame | None = None
    board_check: dict = field(default_factory=dict)
    """The check-board piece (:func:`coupled.reporting.loading.load_check_board_piece`)."""
    your_board: dict = field(default_factory=dict)
    """The your-board folder (:func:`coupled.reporting.your_board.load_your_board`)."""
    wall_time_s: float = 0.0


def calibration_matches(path: Path, config: ReportConfig) -> str | None:
    """``None`` if ``path`` holds a finished calibration with the requested config, else why not."""
    try:
        saved = json.loads((path / "calibration.json").read_text()).get("config", {})
    except (OSError, ValueError):
        return "no calibration.json"
    for name in ("correlation.json", "p_vs_bias.csv", "effective_bias.json"):
        if not (path / name).exists():
            return f"no {name}"
    wanted = config.calibration_config().to_dict()
    for key, value in wanted.items():
        if key != "workers" and saved.get(key) != value:
            return f"{key} is {saved.get(key)!r}, wanted {value!r}"
    return None


def check_board_matches(path: Path, config: ReportConfig) -> str | None:
    """``None`` if ``path`` holds a check-board of the report's network, seed and tolerance."""
    try:
        record = json.loads((path / "check_board.json").read_text())
    except (OSError, ValueError):
        return "no check_board.json"
    for name in ("erc.csv", "power.csv"):
        if not (path / name).exists():
            return f"no {name}"
    saved = record.get("config", {})
    wanted = {
        "network": config.network,
        "seed": config.calibration_config().seed,
        "tolerance": config.calibration_config().tolerance,
    }
    found = {
        "network": saved.get("train_config", {}).get("network"),
        "seed": record.get("seed"),
        "tolerance": saved.get("tolerance"),
    }
    for key, value in wanted.items():
        if found[key] != value:
            return f"{key} is {found[key]!r}, wanted {value!r}"
    return None


def _run_check_board(network: str, seed: int, tolerance: float, out: str) -> int:
    import os

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from coupled.calibration.erc import check_board
    from coupled.calibration.erc_files import write_check

    write_check(check_board(network, tolerance=tolerance, seed=seed), out, seed)
    return 0


def figure_params(figure: str, quick: bool) -> dict | None:
    """The parameters ``coupled reproduce`` uses for ``figure`` (JSON form), if installed."""
    try:
        from coupled.reproduction.base import figure_module, params_dict
    except ImportError:
        return None
    module = figure_module(figure)
    return json.loads(json.dumps(params_dict(module.params(figure, quick))))


def figure_matches(path: Path, figure: str, config: ReportConfig) -> str | None:
    """``None`` if ``path`` holds ``figure`` made with the requested seed, size and parameters.

    Compared: ``seed``, ``quick``, ``engine`` (``ideal``) and, where ``coupled reproduce`` is
    installed, the figure's full parameters as it would run them now.
    """
    try:
        meta = json.loads((path / f"{figure}.json").read_text())
    except (OSError, ValueError):
        return f"no {figure}.json"
    if not (path / table_file(figure)).exists():
        return f"no {table_file(figure)}"
    wanted = {"seed": config.seed, "quick": config.quick, "engine": FIGURE_ENGINE}
    params = figure_params(figure, config.quick)
    if params is not None:
        wanted["params"] = params
    for key, value in wanted.items():
        if key in meta and meta[key] != value:
            shown = "other parameters" if key == "params" else repr(meta[key])
            return f"{key} is {shown}, wanted {'the current ones' if key == 'params' else value!r}"
    return None


def _run_calibration(config: CalibrationConfig, out: str, draw: Callable | None) -> int:
    import os

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from coupled.calibration.files import calibrate

    result = calibrate(config, out, overwrite=True)
    if draw is not None:
        draw(result, result.out_dir)
    return 0


def _run_figure(
    figure: str, out: str, quick: bool, seed: int, workers: int, draw: Callable | None
) -> int:
    import os

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from coupled.reproduction.base import reproduce

    reproduce(
        figure,
        out,
        quick=quick,
        engine=FIGURE_ENGINE,
        seed=seed,
        workers=workers,
        overwrite=True,
        draw=draw,
    )
    return 0


def run_isolated(fn: Callable[..., int], *args) -> int:
    """``fn(*args)`` in a fresh spawned process (its own ngspice); returns its result.

    ``UserError``/``SpiceError`` raised there come back as the same exception here.
    """
    with (
        ProcessPoolExecutor(
            max_workers=1, mp_context=get_context("spawn"), initializer=interrupts.ignore_in_worker
        ) as pool,
        interrupts.stopped_on_interrupt(pool),
    ):
        return pool.submit(fn, *args).result()


LIBRARY = {
    "calibrate": "coupled.calibration.files",
    "check-board": "coupled.calibration.erc",
    "yield": "coupled.sweep.yields",
    "reproduce": "coupled.reproduction.base",
}
"""The library module behind each piece's command."""


def command_available(name: str) -> bool:
    """Whether the library behind ``coupled <name>`` exists in this installation."""
    import importlib.util

    return importlib.util.find_spec(LIBRARY[name]) is not None


@dataclass(frozen=True)
class Drawers:
    """How pieces are drawn when they are run: picklable callables from :mod:`coupled.analysis`.

    ``figure(result, png_path, meta)`` draws a reproduced figure, ``calibration(result, out)``
    a calibration's figures; ``None`` draws nothing (this layer never imports matplotlib).
    """

    figure: Callable | None = None
    calibration: Callable | None = None
    waveform: Callable | None = None
    """``waveform(result, step, edge, png_path)`` draws one step's waveforms of one edge."""
    yields: Callable | None = None
    """``yields(summary, budget, tolerances, png_path)`` draws yield against tolerance."""


def ensure_piece(
    name: str,
    out: Path,
    config: ReportConfig,
    log: Callable[[str], None],
    drawers: Drawers | None = None,
) -> PieceStatus:
    """Reuse piece ``name`` in ``out/name`` if its config matches, else run it there.

    A piece that fails is returned with ``action="failed"`` and the error as ``reason`` (the
    other pieces and the page are still made).
    """
    path = out / name
    if path.exists() and not path.is_dir():
        log(f"{name}: {path} is not a folder; left alone")
        return PieceStatus(name, str(path), "failed", f"{path} exists and is not a folder")
    if name == CHECK_BOARD:
        why = check_board_matches(path, config)
        cal = config.calibration_config()
        command, job = (
            "check-board",
            (
                _run_check_board,
                config.network,
                cal.seed,
                cal.tolerance,
                str(path),
            ),
        )
    elif name == YOUR_BOARD:
        from coupled.reporting.your_board import run_your_board, your_board_matches

        why = your_board_matches(path, config.network, config.seed, config.quick)
        d = drawers or Drawers()
        command = "yield"
        job = (
            run_your_board,
            config.network,
            config.seed,
            config.quick,
            str(path),
            d.waveform,
            d.yields,
        )
    elif name == CALIBRATION:
        why = calibration_matches(path, config)
        draw = (drawers or Drawers()).calibration
        command, job = "calibrate", (_run_calibration, config.calibration_config(), str(path), draw)
    else:
        why = figure_matches(path, name, config)
        command = "reproduce"
        draw = (drawers or Drawers()).figure
        job = (_run_figure, name, str(path), config.quick, config.seed, config.workers, draw)
    if why is None:
        log(f"{name}: reusing {path}")
        return PieceStatus(name, str(path), "reused", "config matches")
    if not command_available(command):
        log(f"{name}: cannot run (no 'coupled {command}' in this installation)")
        return PieceStatus(name, str(path), "missing", f"'coupled {command}' is not installed")
    log(f"{name}: running {config.describe(name)} into {path} ({why})")
    if path.exists():
        shutil.rmtree(path)
    started = time.perf_counter()
    try:
        run_isolated(*job)
    except Exception as exc:  # noqa: BLE001 - a failed piece is reported, the others still run
        text = " ".join(str(exc).split()) or type(exc).__name__
        log(f"{name}: failed: {text}")
        return PieceStatus(
            name,
            str(path),
            "failed",
            f"{type(exc).__name__}: {text}",
            time.perf_counter() - started,
        )
    wall = time.perf_counter() - started
    log(f"{name}: done in {wall:.1f} s")
    return PieceStatus(name, str(path), "ran", why, wall)


__all__ = [
    "CALIBRATION",
    "CHECK_BOARD",
    "FIGURES",
    "PIECES",
    "TRAINING",
    "YOUR_BOARD",
    "Drawers",
    "PieceStatus",
    "ReportConfig",
    "ReportData",
    "ensure_piece",
    "load_calibration_piece",
    "load_check_board_piece",
    "load_figure_piece",
    "load_training_runs",
    "table_file",
]
