"""``coupled calibrate``: the board's update statistics from circuit simulation.

``coupled calibrate --network NAME|PATH [--tolerance X] [--seed S] [--trigger-period-s T]
[--triggers N] [--p-triggers M] [--bias-points K] [--events transient|phase] [--workers W]
[--no-effective-bias] [--no-plots] [--overwrite] --out DIR``

Draws the board's oscillators (and decision comparators) from the seed, then writes to DIR:

``oscillators.csv``
    per edge: parts, period, waveform range and duty at mid-supply, simulated and by formula;
``duty_vs_bias.csv``
    per edge and bias: share of time above the bias, simulated and by formula;
``p_vs_bias.csv``, ``p_vs_bias.png``
    share of triggers with the enable high (``p``), its spread over edges (``p_std``) per bias;
``calibration.json``
    the curve the circuit engine loads (:func:`coupled.calibration.load_calibration`,
    :func:`coupled.calibration.bias_for_p`) with the oscillators' parts;
``correlation.json``, ``correlation_matrix.csv``, ``correlation_hist.png``
    Pearson correlation of update events between every pair of edges at the bias giving
    p = 0.5, over N triggers, with the null expectation and the paper's 0.01;
``effective_bias.csv``, ``effective_bias.json``, ``effective_bias.png``
    each edge's decision threshold in |dV_C| - |dV_F| from a dc sweep of its comparators and
    XOR, against the paper's U[0, 0.05] V;
``run.json``
    config, seed, version, ngspice, wall time per stage.

Every option is checked before DIR is created; every file records the config, seed and version.
"""

from __future__ import annotations

import argparse
import sys
import time

from coupled import __version__, options
from coupled.calibration import EVENT_SOURCES, CalibrationConfig
from coupled.networks import BUILTIN_NETWORKS, load_network

MAX_TRIGGERS = 10_000_000
"""Most triggers per analysis (10^7 resolve correlations of 3e-4; more only costs memory)."""
MAX_BIAS_POINTS = 1000
MAX_WORKERS = 256


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``calibrate`` subcommand."""
    defaults = CalibrationConfig(network="")
    parser = subparsers.add_parser(
        "calibrate",
        help="p against the bias, event correlations and comparator bias of the board",
        description=(
            "Calibrate the learning board's update statistics by circuit simulation: each "
            "edge's relaxation oscillator and enable comparator (period, p against the global "
            "bias, Pearson correlation of update events at p = 0.5) and each edge's effective "
            "comparator bias."
        ),
    )
    parser.add_argument(
        "--network", required=True, metavar="NAME|PATH",
        help=f"built-in network ({', '.join(BUILTIN_NETWORKS)}) or network file; one "
        "oscillator per edge",
    )  # fmt: skip
    parser.add_argument(
        "--tolerance", type=options.fraction, default=defaults.tolerance,
        help="relative spread of every R, C and divider resistor, uniform +-X, in [0, 0.5) "
        f"(default {defaults.tolerance})",
    )  # fmt: skip
    parser.add_argument(
        "--seed", type=options.nonnegative_int, default=defaults.seed,
        help="seed of the board's parts (default 0)",
    )  # fmt: skip
    parser.add_argument(
        "--trigger-period-s", type=options.positive_float, default=defaults.trigger_period_s,
        help=f"time between global triggers in s (default {defaults.trigger_period_s:g})",
    )  # fmt: skip
    parser.add_argument(
        "--triggers", type=options.int_range(1, MAX_TRIGGERS), default=defaults.n_triggers,
        help=f"triggers for the correlation at p = 0.5 (default {defaults.n_triggers}; "
        "resolves 0.01)",
    )  # fmt: skip
    parser.add_argument(
        "--p-triggers", type=options.int_range(1, MAX_TRIGGERS), default=defaults.n_triggers_p,
        help=f"triggers per bias point of p against bias (default {defaults.n_triggers_p})",
    )  # fmt: skip
    parser.add_argument(
        "--bias-points", type=options.int_range(1, MAX_BIAS_POINTS), default=defaults.n_bias,
        help=f"bias points across the oscillators' range (default {defaults.n_bias}, >= 3)",
    )  # fmt: skip
    parser.add_argument(
        "--events", choices=EVENT_SOURCES, default=defaults.events,
        help="'transient': ngspice transient of every edge's oscillator and enable comparator "
        "(default); 'phase': the analytic phase model (fast; no circuit simulation)",
    )  # fmt: skip
    parser.add_argument(
        "--workers", type=options.int_range(1, MAX_WORKERS), default=defaults.workers,
        help="processes for the per-edge transients (default 1)",
    )  # fmt: skip
    parser.add_argument(
        "--no-effective-bias", action="store_true",
        help="skip the dc sweep of the comparator/XOR cells",
    )  # fmt: skip
    parser.add_argument("--no-plots", action="store_true", help="write no PNG figures")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> CalibrationConfig:
    """The checked config (``UserError`` on a bad value)."""
    return CalibrationConfig(
        network=str(args.network),
        tolerance=args.tolerance,
        seed=args.seed,
        trigger_period_s=args.trigger_period_s,
        n_triggers=args.triggers,
        n_triggers_p=args.p_triggers,
        n_bias=args.bias_points,
        events=args.events,
        workers=args.workers,
    )


def run(args: argparse.Namespace) -> int:
    """Validate, calibrate and write the result files; returns the exit status."""
    from coupled import calibration as cal
    from coupled.io import prepare_out_dir, write_json, write_table

    network = load_network(args.network)
    config = config_from_args(args)
    out = prepare_out_dir(args.out, overwrite=args.overwrite)

    def log(text: str) -> None:
        print(f"calibrate: {text}", file=sys.stderr)

    started = time.perf_counter()
    meta = {"config": config.to_dict(), "seed": config.seed, "version": __version__}
    stamp = {"network": network.name, "seed": config.seed, "tolerance": config.tolerance,
             "trigger_period_s": config.trigger_period_s, "version": __version__}  # fmt: skip
    costs: dict[str, float] = {}
    bias_summary = None
    if not args.no_effective_bias:  # first: seconds, while the transients take minutes
        log("effective comparator bias: dc sweep of every edge's comparators and XOR")
        t0 = time.perf_counter()
        table, bias_summary = _effective_bias(network, config)
        costs["effective_bias_s"] = time.perf_counter() - t0
        write_table(out / "effective_bias.csv", table.assign(**stamp))
        write_json(out / "effective_bias.json", {**bias_summary, **meta})
    result = cal.run_calibration(config, network.n_edges, log=log)
    costs.update(result.costs_s)
    write_table(out / "oscillators.csv", result.oscillator_table.assign(**stamp))
    write_table(out / "duty_vs_bias.csv", result.duty_table.assign(**stamp))
    write_table(out / "p_vs_bias.csv", result.p_table.assign(**stamp))
    write_json(out / "calibration.json", result.calibration.to_dict())
    write_json(out / "correlation.json", result.correlation)
    write_table(out / "correlation_matrix.csv", _matrix_frame(result.matrix).assign(**stamp))
    if not args.no_plots:
        from analysis import calibration as figures

        figures.plot_p_against_bias(result.p_table, out / "p_vs_bias.png", meta)
        figures.plot_correlation_histogram(
            result.matrix, result.correlation, out / "correlation_hist.png", meta
        )
        if bias_summary is not None:
            figures.plot_effective_bias(table, out / "effective_bias.png", meta)
    costs["total_s"] = time.perf_counter() - started
    write_json(out / "run.json", {**meta, "network": network.name, "n_edges": network.n_edges,
                                  "ngspice": _ngspice(), "wall_time_s": costs})  # fmt: skip
    corr = result.correlation
    log(
        f"p = 0.5 at bias {corr['bias_v']:.4f} V (measured p {corr['p']:.3f}); mean |r| "
        f"{corr['mean_abs_pearson']:.4f} over {corr['n_triggers']} triggers (null "
        f"{corr['null_mean_abs_pearson']:.4f}); wrote {out}"
    )
    return 0


def _matrix_frame(matrix):
    import numpy as np
    import pandas as pd

    e = matrix.shape[0]
    a, b = np.meshgrid(np.arange(e), np.arange(e), indexing="ij")
    return pd.DataFrame({"edge_a": a.ravel(), "edge_b": b.ravel(), "pearson": matrix.ravel()})


def _effective_bias(network, config: CalibrationConfig):
    from circuits.board import draw_board_parameters
    from coupled import calibration as cal

    board = draw_board_parameters(network, config.tolerance, config.seed)
    table = cal.effective_comparator_bias(board.offset_a_v, board.offset_b_v)
    summary = cal.effective_bias_summary(table, board.comparator_offset_v)
    return table, summary


def _ngspice() -> str:
    from coupled.spice import get_session

    return get_session().describe()
