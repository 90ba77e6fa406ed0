"""``calibrate(config, out)``: run a calibration and write every result file (no drawing).

The files (each records the config, seed and version; the command line's ``--help`` lists them):
``oscillators.csv``, ``duty_vs_bias.csv``, ``p_vs_bias.csv``, ``calibration.json`` (the curve the
circuit engine loads), ``correlation.json``, ``correlation_matrix.csv``, ``effective_bias.csv``
and ``effective_bias.json`` (unless ``effective_bias=False``) and ``run.json`` (ngspice, wall time
per stage). The figures are drawn by :mod:`coupled.analysis.calibration` from the returned result.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from coupled.calibration.run import CalibrationConfig, CalibrationResult, run_calibration
from coupled.calibration.stats import effective_bias_summary, effective_comparator_bias
from coupled.core.io import prepare_out_dir, write_json, write_table
from coupled.core.version import __version__
from coupled.physics.catalogue import load_network


def calibrate(
    config: CalibrationConfig,
    out: str | Path,
    *,
    effective_bias: bool = True,
    overwrite: bool = False,
    log: Callable[[str], None] | None = None,
) -> CalibrationResult:
    """Calibrate the board of ``config`` and write its result files to ``out``.

    Parameters
    ----------
    config
        The settings (checked when it was made).
    out
        Output folder; refused if it exists and is not empty, unless ``overwrite``.
    effective_bias
        Also measure each edge's decision threshold by a dc sweep (seconds; the transients of
        the p curve take minutes).
    overwrite
        Empty an existing ``out`` first.
    log
        Optional callable taking one line of progress text.

    Returns
    -------
    CalibrationResult
        With ``effective_bias`` and ``effective_bias_summary`` filled when measured and
        ``out_dir`` set.
    """
    network = load_network(config.network)
    folder = prepare_out_dir(out, overwrite=overwrite, option="out", resumable=False)
    say = log or (lambda text: None)
    started = time.perf_counter()
    spec = config.board_spec()
    meta = {
        "config": config.to_dict(),
        "seed": config.seed,
        "version": __version__,
        "board_spec": spec.to_dict(),
        "board_spec_key": spec.key(),
    }
    stamp = {
        "network": network.name,
        "seed": config.seed,
        "tolerance": config.tolerance,
        "trigger_period_s": config.trigger_period_s,
        "version": __version__,
    }
    costs: dict[str, float] = {}
    table = summary = None
    if effective_bias:
        say("effective comparator bias: dc sweep of every edge's comparators and XOR")
        t0 = time.perf_counter()
        table, summary = _effective_bias(network, config)
        costs["effective_bias_s"] = time.perf_counter() - t0
        write_table(folder / "effective_bias.csv", table.assign(**stamp))
        write_json(folder / "effective_bias.json", {**summary, **meta})
    result = run_calibration(config, network.n_edges, log=say)
    costs.update(result.costs_s)
    write_table(folder / "oscillators.csv", result.oscillator_table.assign(**stamp))
    write_table(folder / "duty_vs_bias.csv", result.duty_table.assign(**stamp))
    write_table(folder / "p_vs_bias.csv", result.p_table.assign(**stamp))
    write_json(folder / "calibration.json", result.calibration.to_dict())
    write_json(folder / "correlation.json", result.correlation)
    write_table(folder / "correlation_matrix.csv", matrix_frame(result.matrix).assign(**stamp))
    costs["total_s"] = time.perf_counter() - started
    write_json(
        folder / "run.json",
        {
            **meta,
            "network": network.name,
            "n_edges": network.n_edges,
            "ngspice": _ngspice(),
            "wall_time_s": costs,
        },
    )
    return dataclasses.replace(
        result,
        costs_s=costs,
        effective_bias=table,
        effective_bias_summary=summary,
        out_dir=folder,
    )


def matrix_frame(matrix: np.ndarray) -> pd.DataFrame:
    """The correlation matrix as a tidy table (``edge_a``, ``edge_b``, ``pearson``)."""
    e = matrix.shape[0]
    a, b = np.meshgrid(np.arange(e), np.arange(e), indexing="ij")
    return pd.DataFrame({"edge_a": a.ravel(), "edge_b": b.ravel(), "pearson": matrix.ravel()})


def _effective_bias(network, config: CalibrationConfig):
    from coupled.circuits.spec import draw_board

    board = draw_board(config.board_spec(), network).parameters
    table = effective_comparator_bias(board.offset_a_v, board.offset_b_v)
    return table, effective_bias_summary(table, board.comparator_offset_v)


def _ngspice() -> str:
    from coupled.spice.session import get_session

    return get_session().describe()
