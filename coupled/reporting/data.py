"""Data of ``coupled report``: find, reuse or run every piece, and test the paper's claims.

A report folder ``DIR`` holds one subfolder per piece, each written by the piece's own command:

``DIR/calibration``
    ``coupled calibrate`` on the 16-edge board (p against the bias, correlation of update
    events at p = 0.5, effective comparator bias);
``DIR/fig1``, ``DIR/fig2a``, ``DIR/fig2b``, ``DIR/fig4c``, ``DIR/fig4d``, ``DIR/fig4e``
    ``coupled reproduce <figure>`` (CSV + PNG + JSON each);
``DIR/training/<run>``
    optional training runs (``coupled demo`` writes them; ``coupled train`` folders with
    ``history.csv``, ``run.json`` and ``update_events``).

:func:`gather` reuses a piece whose recorded config matches the requested one (nothing is
recomputed, so file times do not change) and runs a missing or mismatched piece through its
command's Python entry point, in a fresh spawned process of its own: ngspice keeps global state
per process (one shared library, options such as ``interp`` stay set), so pieces never share a
simulator. ``quick`` selects the reduced versions (seconds to a minute each).

The claims of the paper and how each is measured here (:func:`evaluate_claims`; the criteria are
constants of this module and are printed in the report):

1. Fig. 1 collapse: mean scaled test error per p interpolated at equal steps x p (quarter points
   of the range every p covers); the largest max/min ratio across p; agrees if at most
   :data:`COLLAPSE_FACTOR`.
2. Fig. 2a (and 2b, fixed counts) one power law: exponents of the mean distance against
   ``1 - p`` (b = 1) and ``1 - b`` (p = 1) fitted in log-log; agrees if both fits have
   R^2 >= :data:`FIT_R2_MIN` and the exponents differ by at most :data:`EXPONENT_TOLERANCE`
   (the tolerance ``coupled reproduce fig2a`` states).
3. Pearson correlation of update events at p = 0.5: agrees if the mean |r| over edge pairs is at
   most :data:`PEARSON_ORDER` (order 0.01); n and the null ``1/sqrt(n)`` are shown.
4. p set by the bias: agrees if p falls with the bias (rises of at most three binomial standard
   errors) and spans at least ``[P_SPAN_LOW, P_SPAN_HIGH]``.
5./6. Fig. 4c / 4e: agrees if the mean final scaled error at the smallest p is below the mean at
   p = 1.
7. Fig. 4d: advantage = mean final error at p = 1 / mean at the smallest p, per O; agrees if the
   advantage exceeds 1 at the smallest O and is smaller at the largest O.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from coupled.core.errors import UserError
from coupled.core.version import __version__
from coupled.reproduction.base import FIGURE_NAMES

if TYPE_CHECKING:
    from coupled.calibration.run import CalibrationConfig

FIGURES = FIGURE_NAMES
"""Figures of ``coupled reproduce`` that the report gathers, in page order (the registry's)."""
CALIBRATION = "calibration"
TRAINING = "training"
PIECES = (CALIBRATION, *FIGURES)
EVENTS = ("transient", "phase")
FIGURE_ENGINE = "ideal"
"""Engine of the reproduced figures (exact and fast; the circuit engine trains the demo)."""

COLLAPSE_FACTOR = 2.0
"""Fig. 1 collapses if the mean errors of all p at equal steps x p agree within this factor."""
FIT_R2_MIN = 0.8
"""Fig. 2: smallest R^2 of a log-log fit that counts as a power law."""
EXPONENT_TOLERANCE = 0.15
"""Fig. 2: largest difference of the exponents in 1 - p and 1 - b that counts as the same."""
PEARSON_ORDER = 0.03
"""Largest mean |r| between edges' update events that counts as "of order 0.01"."""
P_SPAN_LOW, P_SPAN_HIGH = 0.1, 0.9
"""p against the bias must reach at most the first and at least the second value."""
CLAIM_COLUMNS = ("claim", "figure", "paper_value", "measured_value", "agrees", "criterion")
NOT_MEASURED = "not measured"
"""``agrees`` (and ``measured_value``) of a claim without data."""


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
        ``"transient"`` (ngspice transient of every oscillator) or ``"phase"`` (analytic).
    workers
        Processes a piece may use.
    """

    quick: bool = False
    seed: int = 0
    network: str = "experiment16"
    calibration_events: str = "transient"
    workers: int = 1

    def __post_init__(self) -> None:
        for name in ("seed", "workers"):
            value = getattr(self, name)
            low = 0 if name == "seed" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise UserError(f"--{name} {value!r}: must be a whole number >= {low}")
        if self.calibration_events not in EVENTS:
            raise UserError(
                f"--calibration-events {self.calibration_events!r}: must be one of "
                f"{', '.join(EVENTS)}"
            )

    def to_dict(self) -> dict:
        """Plain values for ``report.json``."""
        return asdict(self)

    def calibration_config(self):
        """The :class:`~coupled.calibration.CalibrationConfig` of the calibration piece.

        Quick: 1 000 triggers for the correlation (null mean |r| 0.025), 100 per bias point
        (s.e. of the mean p over 16 edges at most 0.013), 9 bias points. Full: the
        ``coupled calibrate`` defaults (10 000 triggers).
        """
        from coupled.calibration.run import CalibrationConfig

        sizes = {"n_triggers": 1000, "n_triggers_p": 100, "n_bias": 9} if self.quick else {}
        return CalibrationConfig(
            network=self.network,
            seed=self.seed,
            events=self.calibration_events,
            workers=self.workers,
            **sizes,
        )

    def describe(self, piece: str) -> str:
        """One line naming what running ``piece`` computes, for progress messages."""
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
    if not (path / figure_table(figure)).exists():
        return f"no {figure_table(figure)}"
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
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


LIBRARY = {"calibrate": "coupled.calibration.files", "reproduce": "coupled.reproduction.base"}
"""The library module behind each piece's command."""


def command_available(name: str) -> bool:
    """Whether the library behind ``coupled <name>`` exists in this installation."""
    import importlib.util

    return importlib.util.find_spec(LIBRARY[name]) is not None


@dataclass(frozen=True)
class Drawers:
    """How pieces are drawn when they are run: picklable callables from :mod:`analysis`.

    ``figure(result, png_path, meta)`` draws a reproduced figure, ``calibration(result, out)``
    a calibration's figures; ``None`` draws nothing (this layer never imports matplotlib).
    """

    figure: Callable | None = None
    calibration: Callable | None = None


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
    if name == CALIBRATION:
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


# --- loading -----------------------------------------------------------------------------------


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
    wall_time_s: float = 0.0


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def load_calibration_piece(path: Path) -> dict:
    """Tables and summaries of a calibration folder (empty dict if absent)."""
    if not (path / "p_vs_bias.csv").exists():
        return {}
    return {
        "path": path,
        "p_table": pd.read_csv(path / "p_vs_bias.csv"),
        "correlation": _read_json(path / "correlation.json"),
        "effective_bias": _read_json(path / "effective_bias.json"),
        "run": _read_json(path / "run.json"),
        "images": sorted(path.glob("*.png")),
    }


def figure_table(figure: str) -> str:
    """File name of a figure's plotted table (``fig4c.csv``; ``sense-gain``: ``sense_gain.csv``)."""
    return figure.replace("-", "_") + ".csv"


def load_figure_piece(path: Path, figure: str) -> dict:
    """Table, JSON files and PNGs of a figure folder (empty dict if absent)."""
    if not (path / figure_table(figure)).exists():
        return {}
    return {
        "path": path,
        "table": pd.read_csv(path / figure_table(figure)),
        "json": {p.stem: _read_json(p) for p in sorted(path.glob("*.json"))},
        "images": sorted(path.glob("*.png")),
    }


def load_training_runs(path: Path) -> dict:
    """Finished training runs under ``path`` (one subfolder each), by folder name."""
    runs = {}
    for folder in sorted(p for p in path.glob("*") if (p / "history.csv").exists()):
        events = None
        for suffix in ("parquet", "csv"):
            file = folder / f"update_events.{suffix}"
            if file.exists():
                events = pd.read_parquet(file) if suffix == "parquet" else pd.read_csv(file)
                break
        runs[folder.name] = {
            "path": folder,
            "history": pd.read_csv(folder / "history.csv"),
            "run": _read_json(folder / "run.json"),
            "events": events,
        }
    order = sorted(runs, key=lambda k: (-float(runs[k]["run"].get("config", {}).get("p", 0)), k))
    return {k: runs[k] for k in order}


def gather(
    config: ReportConfig,
    out_dir: str | Path,
    *,
    pieces: tuple[str, ...] = PIECES,
    log: Callable[[str], None] | None = None,
    drawers: Drawers | None = None,
) -> ReportData:
    """Reuse or run every piece under ``out_dir``, load them and evaluate the claims.

    Parameters
    ----------
    config
        The report's settings.
    out_dir
        The report folder (must exist).
    pieces
        Which pieces to reuse or run (default all of :data:`PIECES`).
    log
        Callable taking one line of progress text.
    drawers
        How pieces that are run get their figures (see :class:`Drawers`).

    Returns
    -------
    ReportData
    """
    say = log or (lambda text: None)
    out = Path(out_dir)
    started = time.perf_counter()
    unknown = [p for p in pieces if p not in PIECES]
    if unknown:
        raise UserError(f"piece {unknown[0]!r}: unknown; choose from {', '.join(PIECES)}")
    statuses = tuple(ensure_piece(name, out, config, say, drawers) for name in pieces)
    figures = {f: load_figure_piece(out / f, f) for f in FIGURES}
    data = ReportData(
        config=config,
        out_dir=out,
        pieces=statuses,
        calibration=load_calibration_piece(out / CALIBRATION),
        figures={k: v for k, v in figures.items() if v},
        training=load_training_runs(out / TRAINING),
    )
    claims = evaluate_claims(data)
    return ReportData(
        config=config,
        out_dir=out,
        pieces=statuses,
        calibration=data.calibration,
        figures=data.figures,
        training=data.training,
        claims=claims,
        wall_time_s=time.perf_counter() - started,
    )


# --- claims ------------------------------------------------------------------------------------


def _claim(claim, figure, paper, measured, agrees, criterion) -> dict:
    verdict = NOT_MEASURED if agrees is None else ("yes" if agrees else "no")
    return {
        "claim": claim,
        "figure": figure,
        "paper_value": paper,
        "measured_value": measured,
        "agrees": verdict,
        "criterion": criterion,
    }


def collapse_ratio(table: pd.DataFrame, quantiles=(0.25, 0.5, 0.75, 1.0)) -> dict:
    """Spread across p of the mean scaled error at equal steps x p (Fig. 1).

    Parameters
    ----------
    table
        Tidy ``p``, ``task``, ``steps_x_p``, ``scaled_error``.
    quantiles
        Points of the steps x p range that every p covers.

    Returns
    -------
    dict
        ``ratio`` (largest max/min across p), ``at_steps_x_p``, ``grid``, ``ratios``, ``n_p``.
    """
    curves = table.groupby(["p", "steps_x_p"])["scaled_error"].mean().reset_index()
    reach = curves.groupby("p")["steps_x_p"].max().min()
    grid = reach * np.asarray(quantiles, dtype=float)
    values = np.array(
        [
            np.interp(grid, c["steps_x_p"].to_numpy(), c["scaled_error"].to_numpy())
            for _, c in curves.sort_values("steps_x_p").groupby("p")
        ]
    )
    ratios = values.max(axis=0) / values.min(axis=0)
    worst = int(np.argmax(ratios))
    return {
        "ratio": float(ratios[worst]),
        "at_steps_x_p": float(grid[worst]),
        "grid": grid.tolist(),
        "ratios": ratios.tolist(),
        "n_p": int(values.shape[0]),
    }


def power_law_fit(x: np.ndarray, y: np.ndarray) -> dict:
    """Fit ``y = A x^k`` in log-log (``coupled.reproduction.fig2.fit_power_law``) plus its R^2.

    Returns ``exponent``, ``exponent_stderr``, ``prefactor``, ``points`` and ``r2`` (of the
    fit in log-log; NaN with fewer than two usable points).
    """
    from coupled.reproduction.fig2 import fit_power_law

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    fit = fit_power_law(x, y)
    keep = (x > 0) & (y > 0)
    ly = np.log(y[keep])
    residual = ly - np.log(fit["prefactor"]) - fit["exponent"] * np.log(x[keep])
    total = float(np.sum((ly - ly.mean()) ** 2)) if ly.size else 0.0
    r2 = 1.0 - float(np.sum(residual**2)) / total if total > 0 else math.nan
    return {**fit, "r2": r2}


def fig2_exponents(table: pd.DataFrame) -> dict:
    """Power-law fits of the mean distance against ``1 - p`` (b = 1) and ``1 - b`` (p = 1).

    ``table`` needs ``p``, ``b`` (or ``batch_fraction``) and ``distance`` (or
    ``distance_ohm``); rows with p = b = 1 are the reference and are left out.
    """
    t = table.rename(columns={"batch_fraction": "b", "distance_ohm": "distance"})
    missing = [c for c in ("p", "b", "distance") if c not in t]
    if missing:
        raise UserError(f"fig2a.csv: no column {missing[0]!r}")
    mean = t.groupby(["p", "b"])["distance"].mean().reset_index()
    along_p = mean[(mean["b"] == 1.0) & (mean["p"] < 1.0)]
    along_b = mean[(mean["p"] == 1.0) & (mean["b"] < 1.0)]
    return {
        "p": power_law_fit(1.0 - along_p["p"], along_p["distance"]),
        "b": power_law_fit(1.0 - along_b["b"], along_b["distance"]),
    }


def _final_by_p(table: pd.DataFrame) -> pd.Series:
    return table.groupby("p")["final_scaled_error"].mean().sort_index()


def desync_advantage(table: pd.DataFrame) -> dict:
    """Mean final scaled error at p = 1 and at the smallest p, and their ratio (Fig. 4c/4e)."""
    means = _final_by_p(table)
    if 1.0 not in means.index or means.size < 2:
        raise UserError("table: needs p = 1 and at least one p < 1")
    low = float(means.index.min())
    return {
        "p_low": low,
        "error_low": float(means[low]),
        "error_sync": float(means[1.0]),
        "ratio": float(means[1.0] / means[low]),
        "means": means.to_dict(),
    }


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def claim_fig1(fig: dict) -> dict:
    """Claim 1 (Fig. 1): error against steps x p collapses for all p."""
    paper = "curves of scaled error against steps x p collapse for p = 0.1 to 1"
    crit = f"max/min across p of the mean scaled error at equal steps x p <= {COLLAPSE_FACTOR:g}"
    if not fig:
        return _claim(
            "Error against steps x p collapses for all p", "fig1", paper, NOT_MEASURED, None, crit
        )
    c = collapse_ratio(fig["table"])
    measured = (
        f"largest max/min ratio {_fmt(c['ratio'])} across {c['n_p']} values of p "
        f"(at steps x p = {_fmt(c['at_steps_x_p'])})"
    )
    return _claim(
        "Error against steps x p collapses for all p",
        "fig1",
        paper,
        measured,
        c["ratio"] <= COLLAPSE_FACTOR,
        crit,
    )


def claim_fig2(fig: dict, figure: str = "fig2a") -> dict:
    """Claim 2 (Fig. 2a; Fig. 2b with fixed counts): one power law in 1 - p and in 1 - b."""
    paper = "distance to the synchronous full-batch solution: the same power law in 1-p and 1-b"
    name = "Distance from the synchronous full-batch solution: one power law in 1-p and 1-b"
    if figure == "fig2b":
        paper = "as Fig. 2a with a fixed number of edges updated / examples per step"
        name += " (fixed counts)"
    crit = f"both log-log fits R^2 >= {FIT_R2_MIN:g} and exponents within {EXPONENT_TOLERANCE:g}"
    if not fig:
        return _claim(name, figure, paper, NOT_MEASURED, None, crit)
    fits = fig2_exponents(fig["table"])
    kp, kb = fits["p"]["exponent"], fits["b"]["exponent"]
    r2 = min(fits["p"]["r2"], fits["b"]["r2"])
    measured = (
        f"exponent {_fmt(kp)} in 1-p (R^2 {_fmt(fits['p']['r2'])}), {_fmt(kb)} in 1-b "
        f"(R^2 {_fmt(fits['b']['r2'])}); {fits['p']['points']} points each"
    )
    ok = bool(r2 >= FIT_R2_MIN and abs(kp - kb) <= EXPONENT_TOLERANCE)
    return _claim(name, figure, paper, measured, ok if math.isfinite(r2) else None, crit)


def claim_pearson(cal: dict) -> dict:
    """Claim 3: Pearson correlation of update events between edges at p = 0.5."""
    paper = "about 0.01 between pairs of edges at p = 0.5"
    crit = f"mean |r| over edge pairs <= {PEARSON_ORDER:g}"
    corr = cal.get("correlation", {}) if cal else {}
    name = "Update events of different edges are uncorrelated (p = 0.5)"
    if "mean_abs_pearson" not in corr:
        return _claim(name, "calibration", paper, NOT_MEASURED, None, crit)
    n = int(corr["n_triggers"])
    measured = (
        f"mean |r| {corr['mean_abs_pearson']:.4f}, max {corr['max_abs_pearson']:.3f} over "
        f"{corr['n_pairs']} pairs, n = {n} triggers (null 1/sqrt(n) = "
        f"{1 / math.sqrt(n):.4f}); measured p {corr['p']:.3f}"
    )
    return _claim(
        name, "calibration", paper, measured, corr["mean_abs_pearson"] <= PEARSON_ORDER, crit
    )


def bias_monotone(table: pd.DataFrame) -> dict:
    """Whether p falls with the bias within sampling noise, and the span of p."""
    t = table.sort_values("bias_v")
    p = t["p"].to_numpy()
    n = float(t["n_triggers"].iloc[0] * t["n_edges"].iloc[0])
    noise = 3.0 * np.sqrt(np.maximum(p[:-1] * (1 - p[:-1]), 1.0 / n) / n)
    rises = np.diff(p)
    return {
        "monotone": bool(np.all(rises <= noise)),
        "largest_rise": float(max(rises.max(), 0)),
        "p_max": float(p.max()),
        "p_min": float(p.min()),
        "bias_low_v": float(t["bias_v"].iloc[0]),
        "bias_high_v": float(t["bias_v"].iloc[-1]),
    }


def claim_bias(cal: dict) -> dict:
    """Claim 4: p set by the global bias, monotone, low to high p."""
    paper = "a wide range of p selected by the global bias voltage"
    crit = (
        f"p falls with the bias (rises <= 3 binomial s.e.) and spans "
        f"[{P_SPAN_LOW:g}, {P_SPAN_HIGH:g}]"
    )
    name = "p is set by the global bias voltage, monotonically, from low to high p"
    if not cal:
        return _claim(name, "calibration", paper, NOT_MEASURED, None, crit)
    m = bias_monotone(cal["p_table"])
    measured = (
        f"p from {m['p_max']:.3f} to {m['p_min']:.3f} over bias {m['bias_low_v']:.2f}-"
        f"{m['bias_high_v']:.2f} V; {'monotone' if m['monotone'] else 'not monotone'} "
        f"(largest rise {m['largest_rise']:.3f})"
    )
    ok = m["monotone"] and m["p_min"] <= P_SPAN_LOW and m["p_max"] >= P_SPAN_HIGH
    return _claim(name, "calibration", paper, measured, ok, crit)


def claim_fig4(fig: dict, figure: str) -> dict:
    """Claims 5 and 6 (Fig. 4c, 4e): desynchronisation lowers the final error."""
    what = {
        "fig4c": ("allosteric tasks, 16 edges", "25 allosteric tasks (experiment)"),
        "fig4e": ("2-in-2-out regression, 143 edges", "10 regression tasks (simulation)"),
    }
    label, tasks = what[figure]
    name = f"Desynchronisation lowers the final error ({label})"
    paper = f"final scaled error falls as p decreases; {tasks}"
    crit = "mean final scaled error at the smallest p < mean at p = 1"
    if not fig:
        return _claim(name, figure, paper, NOT_MEASURED, None, crit)
    a = desync_advantage(fig["table"])
    n = fig["table"]["task"].nunique()
    measured = (
        f"mean final scaled error {_fmt(a['error_sync'])} at p = 1, "
        f"{_fmt(a['error_low'])} at p = {a['p_low']:g} (ratio {_fmt(a['ratio'])}; "
        f"{n} tasks)"
    )
    return _claim(name, figure, paper, measured, a["error_low"] < a["error_sync"], crit)


def claim_fig4d(fig: dict) -> dict:
    """Claim 7 (Fig. 4d): the advantage fades as the number of outputs grows."""
    name = "The advantage of desynchronisation fades as the number of outputs O grows"
    paper = "curves of different p collapse as O grows (20 tasks per point)"
    crit = (
        "advantage (error at p = 1 / error at the smallest p) > 1 at the smallest O and "
        "smaller at the largest O"
    )
    if not fig:
        return _claim(name, "fig4d", paper, NOT_MEASURED, None, crit)
    per_o = {int(o): desync_advantage(t)["ratio"] for o, t in fig["table"].groupby("outputs")}
    outs = sorted(per_o)
    measured = "advantage " + ", ".join(f"{_fmt(per_o[o])} at O = {o}" for o in outs)
    ok = len(outs) >= 2 and per_o[outs[0]] > 1.0 and per_o[outs[-1]] < per_o[outs[0]]
    return _claim(name, "fig4d", paper, measured, ok, crit)


def evaluate_claims(data: ReportData) -> pd.DataFrame:
    """The claims table (:data:`CLAIM_COLUMNS`), one row per claim of the paper.

    A piece that is absent, or whose table lacks what a measure needs, gives the row
    ``agrees = "not measured"`` with the reason in ``measured_value``.
    """
    figs, cal = data.figures, data.calibration
    checks = [
        (claim_fig1, figs.get("fig1")),
        (claim_fig2, figs.get("fig2a")),
        (partial(claim_fig2, figure="fig2b"), figs.get("fig2b")),
        (claim_pearson, cal),
        (claim_bias, cal),
        (partial(claim_fig4, figure="fig4c"), figs.get("fig4c")),
        (partial(claim_fig4, figure="fig4e"), figs.get("fig4e")),
        (claim_fig4d, figs.get("fig4d")),
    ]
    absent = {p.name: p.reason for p in data.pieces if p.action in ("missing", "failed")}
    rows = []
    for make, piece in checks:
        try:
            row = make(piece or {})
        except (UserError, KeyError, ValueError, IndexError) as exc:
            row = {**make({}), "measured_value": f"{NOT_MEASURED} ({type(exc).__name__}: {exc})"}
        if row["measured_value"] == NOT_MEASURED:
            why = absent.get(row["figure"], "no results in this folder")
            row["measured_value"] = f"{NOT_MEASURED} ({why})"
        rows.append(row)
    return pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))


# --- demo runs ---------------------------------------------------------------------------------


def event_summary(events: pd.DataFrame, p: float) -> dict:
    """Share of edges enabled per step against the requested p (one task's events).

    Returns the mean and spread of the per-step share, the binomial spread expected for
    independent edges ``sqrt(p (1 - p) / E)``, and the per-edge shares' range.
    """
    per_step = events.groupby("step")["enabled"].mean()
    per_edge = events.groupby("edge")["enabled"].mean()
    e = int(events["edge"].nunique())
    return {
        "p": float(p),
        "mean_share": float(per_step.mean()),
        "std_share": float(per_step.std()),
        "binomial_std": math.sqrt(p * (1 - p) / e),
        "n_steps": int(per_step.size),
        "n_edges": e,
        "edge_share_min": float(per_edge.min()),
        "edge_share_max": float(per_edge.max()),
    }


def training_summary(runs: dict) -> pd.DataFrame:
    """One row per demo run: engine, p, steps, final scaled error, event statistics."""
    rows = []
    for name, run in runs.items():
        cfg = run["run"].get("config", {})
        h = run["history"]
        last = h[h["step"] == h["step"].max()]
        row = {
            "run": name,
            "engine": run["run"].get("engine", ""),
            "p": cfg.get("p", math.nan),
            "steps": int(h["step"].max()),
            "final_scaled_error": float(last["scaled_error"].mean()),
            "wall_time_s": run["run"].get("wall_time_s", math.nan),
        }
        if run["events"] is not None and len(run["events"]):
            first = run["events"][run["events"]["task"] == run["events"]["task"].min()]
            s = event_summary(first, float(row["p"]))
            row.update({k: s[k] for k in ("mean_share", "std_share", "binomial_std")})
        rows.append(row)
    return pd.DataFrame(rows)


def report_record(data: ReportData) -> dict:
    """Plain content of ``report.json``: config, seed, version, pieces, claims, summaries."""
    cal = data.calibration
    return {
        "config": data.config.to_dict(),
        "seed": data.config.seed,
        "version": __version__,
        "pieces": [asdict(p) for p in data.pieces],
        "claims": [] if data.claims is None else data.claims.to_dict(orient="records"),
        "calibration": {k: cal[k] for k in ("correlation", "effective_bias") if k in cal},
        "training": training_summary(data.training).to_dict(orient="records"),
        "wall_time_s": data.wall_time_s,
    }
