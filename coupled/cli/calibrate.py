"""``coupled calibrate``: the board's update statistics from circuit simulation.

``coupled calibrate --network NAME|PATH [--tolerance X] [--board-seed S] [--trigger-period-s T]
[--jitter J] [--triggers N] [--p-triggers M] [--bias-points K] [--events transient|phase]
[--workers W] [--no-effective-bias] [--no-plots] [--overwrite] --out DIR``

Draws the board's oscillators (and decision comparators) from the board seed (``--board-seed``,
the same seed as ``coupled train --board-seed``; ``--seed`` is its old name and still works),
then writes to DIR.
``--jitter`` is the oscillators' period jitter (rms fraction of a period per cycle, default
2.1e-5 from the parts' comparator and RC noise, :mod:`coupled.circuits.jitter`), applied as a phase
random walk to the phase-model trains (all of them with ``--events phase``; with transients,
the phase-model trains reported beside them in ``correlation.json``):

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
    p = 0.5, over N triggers, with the null expectation and the paper's 0.01, each edge's
    enable autocorrelation at lags 1-10 (mean over edges) and the jitter applied;
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

from coupled.calibration.run import QUICK_EVENTS, QUICK_SIZES, CalibrationConfig
from coupled.cli.parts import add_part_option, parts_of
from coupled.core import options
from coupled.engines.board.events import EVENT_SOURCES
from coupled.physics.catalogue import BUILTIN_NETWORKS

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
            "bias, Pearson correlation of update events at p = 0.5, each edge's enable "
            "autocorrelation at lags 1-10) and each edge's effective comparator bias."
        ),
    )
    parser.add_argument(
        "--network",
        required=True,
        metavar="NAME|PATH",
        help=f"built-in network ({', '.join(BUILTIN_NETWORKS)}) or network file; one "
        "oscillator per edge",
    )
    parser.add_argument(
        "--tolerance",
        type=options.fraction,
        default=defaults.tolerance,
        help="relative spread of every R, C and divider resistor, uniform +-X, in [0, 0.5) "
        f"(default {defaults.tolerance})",
    )
    parser.add_argument(
        "--board-seed",
        "--seed",
        dest="seed",
        type=options.nonnegative_int,
        default=defaults.seed,
        metavar="S",
        help="seed of the board's parts, offsets and oscillators, as 'coupled train "
        "--board-seed' (default 0; --seed is the same option)",
    )
    parser.add_argument(
        "--trigger-period-s",
        type=options.positive_float,
        default=defaults.trigger_period_s,
        help=f"time between global triggers in s (default {defaults.trigger_period_s:g})",
    )
    parser.add_argument(
        "--jitter",
        type=options.fraction,
        default=defaults.jitter,
        help="oscillator period jitter, rms fraction of a period per cycle, in [0, 1] "
        f"(default {defaults.jitter:g}: comparator input noise and RC noise of the parts); "
        "a phase random walk of the phase-model trains (transients have no noise)",
    )
    parser.add_argument(
        "--triggers",
        type=options.int_range(1, MAX_TRIGGERS),
        default=None,
        help=f"triggers for the correlation at p = 0.5 (default {defaults.n_triggers}; "
        "resolves 0.01)",
    )
    parser.add_argument(
        "--p-triggers",
        type=options.int_range(1, MAX_TRIGGERS),
        default=None,
        help=f"triggers per bias point of p against bias (default {defaults.n_triggers_p})",
    )
    parser.add_argument(
        "--bias-points",
        type=options.int_range(1, MAX_BIAS_POINTS),
        default=None,
        help=f"bias points across the oscillators' range (default {defaults.n_bias}, >= 3)",
    )
    parser.add_argument(
        "--events",
        choices=EVENT_SOURCES,
        default=None,
        help="'transient': ngspice transient of every edge's oscillator and enable comparator "
        "over every trigger (default); 'periodic': a 12-period ngspice transient of each "
        "oscillator, repeated at its simulated period (seconds; the default of --quick); "
        "'phase': the analytic phase model (fast; no circuit simulation)",
    )
    parser.add_argument(
        "--workers",
        type=options.int_range(1, MAX_WORKERS),
        default=defaults.workers,
        help="processes for the per-edge transients (default 1)",
    )
    parser.add_argument(
        "--no-effective-bias",
        action="store_true",
        help="skip the dc sweep of the comparator/XOR cells",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"reduced sizes for a first look: {QUICK_SIZES['n_triggers']} triggers for the "
        f"correlation, {QUICK_SIZES['n_triggers_p']} per bias point, {QUICK_SIZES['n_bias']} bias "
        f"points, {QUICK_EVENTS} events (explicit --triggers, --p-triggers, --bias-points, "
        "--events win)",
    )
    parser.add_argument("--no-plots", action="store_true", help="write no PNG figures")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    add_part_option(parser)
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> CalibrationConfig:
    """The checked config (``UserError`` on a bad value)."""
    defaults = CalibrationConfig(network=str(args.network))
    base = QUICK_SIZES if getattr(args, "quick", False) else {}

    def size(given, key):
        return given if given is not None else base.get(key, getattr(defaults, key))

    return CalibrationConfig(
        network=str(args.network),
        tolerance=args.tolerance,
        seed=args.seed,
        trigger_period_s=args.trigger_period_s,
        n_triggers=size(args.triggers, "n_triggers"),
        n_triggers_p=size(args.p_triggers, "n_triggers_p"),
        n_bias=size(args.bias_points, "n_bias"),
        events=args.events or (QUICK_EVENTS if getattr(args, "quick", False) else defaults.events),
        workers=args.workers,
        jitter=args.jitter,
        parts=parts_of(args),
    )


def run(args: argparse.Namespace) -> int:
    """Validate, calibrate (library), draw the figures (``analysis``); returns the exit status."""
    from coupled.calibration.files import calibrate

    config = config_from_args(args)

    def log(text: str) -> None:
        print(f"calibrate: {text}", file=sys.stderr)

    result = calibrate(
        config,
        args.out,
        effective_bias=not args.no_effective_bias,
        overwrite=args.overwrite,
        log=log,
    )
    out = result.out_dir
    if not args.no_plots:
        from coupled.analysis.calibration import draw_calibration

        draw_calibration(result, out)
    corr = result.correlation
    log(
        f"p = 0.5 at bias {corr['bias_v']:.4f} V (measured p {corr['p']:.3f}); mean |r| "
        f"{corr['mean_abs_pearson']:.4f} over {corr['n_triggers']} triggers (null "
        f"{corr['null_mean_abs_pearson']:.4f}); wrote {out}"
    )
    return 0
