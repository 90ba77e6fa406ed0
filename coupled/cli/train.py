"""``coupled train``: train coupled-learning networks and write history and final state.

Every option maps onto a field of :class:`coupled.training.TrainConfig` (dashes become
underscores); the whole configuration is validated before ``--out`` is created, so a bad value
exits with status 2, one line on stderr and nothing written. Prints a one-line summary (mean
final scaled test error over the tasks) on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields, replace
from pathlib import Path

import numpy as np

from coupled.cli.flags import shorthand_flags
from coupled.cli.parts import add_part_option, parts_of
from coupled.core.errors import UserError
from coupled.physics.catalogue import BUILTIN_NETWORKS
from coupled.physics.tasks import TASK_KINDS
from coupled.training.config import (
    EVENT_FORMATS,
    MODES,
    P_MODES,
    ROLE_MODES,
    RULES,
    SIGMA_MODES,
    TRIGGERS,
    TrainConfig,
)
from coupled.training.results import stored_network
from coupled.training.run import train

_DEFAULTS = {
    f.name: f.default for f in fields(TrainConfig) if f.name not in ("engine_options", "parts")
}


def _option(parser: argparse.ArgumentParser, name: str, help_text: str, **kwargs) -> None:
    if name in getattr(parser, "skipped_options", ()):
        return
    default = _DEFAULTS[name]
    shown = "" if default is None else f" (default: {default})"
    parser.add_argument(
        "--" + name.replace("_", "-"), dest=name, default=default, help=help_text + shown, **kwargs
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` subcommand."""
    parser = subparsers.add_parser(
        "train",
        help="train coupled-learning resistor networks (continuous or discrete rule)",
        description=(
            "Train independent learning tasks at once with coupled learning (free and clamped "
            "states, local resistance updates gated by an update probability p) and write "
            "history.csv, final_state.json and run.json to --out."
        ),
    )
    add_config_options(parser)
    parser.add_argument("--out", metavar="DIR", help="output folder (default: write nothing)")
    parser.add_argument("--resume", action="store_true", help="continue a killed run in --out")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    parser.add_argument(
        "--no-plot", action="store_true", help="do not draw training.png into --out"
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: only on a terminal)",
    )
    parser.set_defaults(func=run)


def add_config_options(parser: argparse.ArgumentParser, skip: tuple[str, ...] = ()) -> None:
    """Add every :class:`~coupled.training.TrainConfig` option (and the circuit shorthands) to
    ``parser``, except the field names in ``skip`` (``coupled waveforms`` reuses them)."""
    parser.skipped_options = tuple(skip)
    _option(parser, "network", f"built-in network ({', '.join(BUILTIN_NETWORKS)}) or a file")
    _option(parser, "task", "learning task", choices=TASK_KINDS)
    _option(
        parser,
        "inputs",
        "input nodes per task (default: the network's declared inputs; with random roles 2 "
        "for regression, O for allostery)",
        type=int,
        metavar="K",
    )
    _option(
        parser,
        "outputs",
        "output nodes per task, O (default: the network's declared outputs; with random roles 2)",
        type=int,
        metavar="O",
    )
    _option(
        parser,
        "grounds",
        "ground nodes (0 V) per task (default: the network's declared grounds; with random "
        "roles 1 for regression, max(1, O // 2) for allostery)",
        type=int,
        metavar="G",
    )
    _option(
        parser,
        "roles",
        "'auto': the network's declared inputs/outputs/grounds when it declares any (a network "
        'file\'s "inputs", "outputs", "grounds"; experiment16: inputs I1 I2, outputs O1 O2, '
        "no grounds), else random; 'network': the declared roles (a --inputs/--outputs/--grounds "
        "that contradicts them is refused); 'random': nodes drawn per task from the seed",
        choices=ROLE_MODES,
    )
    _option(
        parser,
        "rule",
        "learning rule: continuous (Eq. 1-3) or discrete taps (Eq. 10-11)",
        choices=RULES,
    )
    _option(parser, "engine", "back end: ideal (exact numpy), spice, circuit", metavar="NAME")
    _option(parser, "p", "update probability per edge and step, in (0, 1]", type=float)
    _option(
        parser,
        "p_mode",
        "'bernoulli': each edge with probability p; 'fixed': exactly round(p E) edges per step; "
        "'oscillator': the board's oscillators sampled at the trigger (board twin)",
        choices=P_MODES,
    )
    _option(
        parser,
        "batch_fraction",
        "continuous rule: share of training examples in each step's batch, in (0, 1]",
        type=float,
        metavar="B",
    )
    _option(
        parser,
        "batch_mode",
        "'bernoulli': each example with probability B; 'fixed': exactly round(B X) examples",
        choices=MODES,
    )
    _option(parser, "steps", "training steps", type=int, metavar="N")
    _option(parser, "tasks", "independent tasks trained at once", type=int, metavar="T")
    _option(
        parser,
        "first_task",
        "index of the first task (task i uses random stream i)",
        type=int,
        metavar="I",
    )
    _option(parser, "seed", "seed of every random draw (tasks, initial state, updates)", type=int)
    _option(parser, "eta", "nudge: clamped outputs V_F + eta (V_D - V_F), in (0, 1]", type=float)
    _option(
        parser,
        "gamma",
        "continuous rule: learning rate in ohm per ampere squared, dR = gamma (I_C^2 - I_F^2)",
        type=float,
    )
    _option(
        parser,
        "sigma_v",
        "discrete rule: comparator bias sigma ~ U[0, MAX] volts",
        type=float,
        metavar="MAX",
    )
    _option(
        parser,
        "sigma_mode",
        "'step': sigma drawn per edge per step; 'fixed': once per comparator; "
        "'board': the board's two fixed comparator offsets per edge (board twin)",
        choices=SIGMA_MODES,
    )
    _option(
        parser,
        "sense_gain",
        "board design: gain G of the difference amplifiers between the edge drops and the "
        "comparators (sigma acts on the drops as sigma / G), 1 to 1000 V/V",
        type=float,
        metavar="G",
    )
    _option(parser, "r_min_ohm", "lowest resistance: continuous clip and tap 0, ohm", type=float)
    _option(parser, "r_max_ohm", "highest resistance: continuous clip and tap 127, ohm", type=float)
    _option(parser, "input_min_v", "input voltages are uniform from this, volts", type=float)
    _option(parser, "input_max_v", "... to this, volts", type=float)
    _option(parser, "train_size", "regression: training examples per task", type=int)
    _option(parser, "test_size", "regression: test examples per task", type=int)
    _option(
        parser,
        "log_every",
        "history row every this many steps (default: about 200 rows, ceil(steps / 200))",
        type=int,
    )
    _option(
        parser,
        "record_resistance_every",
        "write resistance_history.parquet (step, task, edge, resistance_ohm, tap) every this "
        "many steps (0: never)",
        type=int,
        metavar="K",
    )
    _option(parser, "checkpoint_every", "checkpoint every this many steps (0: never)", type=int)
    _option(
        parser,
        "trigger",
        "board design: 'global' (one trigger line, one step per trigger) or 'self' (no clock: "
        "each edge latches and moves on its own oscillator's crossing of the bias; a step is "
        "one example period and --p the mean firings per edge per example period; ideal "
        "engine with --p-mode oscillator, or circuit)",
        choices=TRIGGERS,
    )
    _option(
        parser,
        "example_period_s",
        "--trigger self: time between training examples, seconds (default: p over the "
        "oscillators' mean rate; given, the oscillators' rate is trimmed to match --p)",
        type=float,
        metavar="T",
    )
    if "record_events" not in skip:
        parser.add_argument(
            "--record-events",
            dest="record_events",
            nargs="?",
            const="parquet",
            default="none",
            choices=EVENT_FORMATS,
            help="write update_events.parquet (or .csv): step, task, edge, enabled, direction per "
            "edge and step; large (steps x tasks x edges rows) (default: none)",
        )
    parser.add_argument(
        "--engine-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="engine-specific setting, repeatable (ideal: slack=3, dense_tail=24; circuit: "
        "see docs/engines.md)",
    )
    add_part_option(parser)
    circuit = parser.add_argument_group(
        "circuit engine", "shorthands for --engine-option of --engine circuit"
    )
    circuit.add_argument(
        "--tolerance",
        type=float,
        default=None,
        metavar="X",
        help="relative spread of the board's parts, in [0, 0.5) (default 0.05)",
    )
    circuit.add_argument(
        "--supply-v",
        dest="supply_v",
        type=float,
        default=None,
        metavar="V",
        help="the board's single supply, volts (default 5.0; also the board twin's)",
    )
    circuit.add_argument(
        "--trigger-period-s",
        dest="trigger_period_s",
        type=float,
        default=None,
        metavar="T",
        help="time between global triggers, seconds (default 5e-05)",
    )
    circuit.add_argument(
        "--golden",
        action="store_true",
        default=None,
        help="reference mode: oscillators free running through every trigger period (slow)",
    )
    circuit.add_argument(
        "--calibration",
        metavar="FILE",
        help="calibration.json of 'coupled calibrate' for this board (default: computed)",
    )
    circuit.add_argument(
        "--allow-erc-violations",
        dest="allow_erc_violations",
        action="store_true",
        help="train a board that fails the electrical rule check of 'coupled check-board'",
    )
    circuit.add_argument(
        "--board-seed",
        dest="board_seed",
        type=int,
        default=None,
        metavar="S",
        help="seed of the board's part spread, offsets and oscillators (default 0)",
    )
    circuit.add_argument(
        "--jitter",
        type=float,
        default=None,
        metavar="J",
        help="oscillator period jitter, rms fraction of a period per cycle (board twin and "
        "circuit engine's fast windows; default 2.1e-5, from the parts' noise)",
    )


_CIRCUIT_SHORTHANDS = (
    "tolerance",
    "supply_v",
    "trigger_period_s",
    "golden",
    "calibration",
    "board_seed",
    "jitter",
)
"""Options of the circuit engine that have their own flags (they fill engine_options)."""


def parse_engine_options(items: list[str]) -> dict:
    """``KEY=VALUE`` strings to a dict; values parsed as JSON numbers/booleans when possible."""
    options: dict = {}
    for text in items:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--engine-option {text!r}: expected KEY=VALUE, e.g. slack=1")
        try:
            options[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            options[key.strip()] = value
    return options


def _check_board(config: TrainConfig) -> None:
    """Refuse a circuit-engine board that violates its parts' ratings (``UserError``)."""
    from coupled.calibration.erc import check_board

    config.validate()
    opts = config.engine_options
    result = check_board(
        train_config=config,
        tolerance=float(opts.get("tolerance", 0.05)),
        seed=int(opts.get("board_seed", 0)),
        log=_stage_log,
    )
    cached = " (cached check of this board used)" if result.cached else ""
    if not result.ok:  # one line, as every refusal
        raise UserError(
            f"{result.summary}{cached}; the board exceeds its parts' ratings (see 'coupled "
            "check-board'); lower --input-max-v or pass --allow-erc-violations"
        )
    if cached:
        print(f"train: {result.summary}{cached}", file=sys.stderr)


def _stage_log(text: str) -> None:
    """The board check's stages on stderr, on a terminal only (a refusal stays one line)."""
    if sys.stderr.isatty():
        print(f"train: {text}", file=sys.stderr, flush=True)


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The (unvalidated) :class:`TrainConfig` of parsed :func:`add_config_options` options."""
    values = {name: getattr(args, name, _DEFAULTS[name]) for name in _DEFAULTS}
    values["engine_options"] = parse_engine_options(args.engine_option)
    values["parts"] = parts_of(args)
    args.option_flags = shorthand_flags(args, _CIRCUIT_SHORTHANDS)  # errors name --tolerance
    for name in _CIRCUIT_SHORTHANDS:
        if getattr(args, name, None) is not None:
            values["engine_options"][name] = getattr(args, name)
    return TrainConfig(**values)


def run(args: argparse.Namespace) -> int:
    """Validate, train, write, print a summary."""
    if args.resume and not args.out:
        raise UserError("--resume needs --out DIR (the folder of the run to continue)")
    config = config_from_args(args)
    if config.engine == "circuit" and not getattr(args, "allow_erc_violations", False):
        stored = stored_network(Path(args.out)) if args.resume else None  # the run's own copy
        _check_board(config if stored is None else replace(config, network=stored))
    if not args.out:
        print("train: no --out given: results are printed, not written", file=sys.stderr)
    result = train(
        config, args.out, resume=args.resume, overwrite=args.overwrite, progress=args.progress
    )
    if args.out and result.state.step == config.steps and not args.no_plot:
        from coupled.analysis.training import plot_training

        plot_training([Path(args.out)], Path(args.out) / "training.png")
    last = result.history[result.history["step"] == result.state.step]
    scaled = last["scaled_error"].to_numpy()
    where = f"; results in {args.out}" if args.out else "; nothing written (no --out)"
    print(
        f"trained {config.tasks} task(s) for {result.state.step} steps: final scaled test error "
        f"mean {np.mean(scaled):.4g} (min {np.min(scaled):.4g}, max {np.max(scaled):.4g}){where}"
    )
    return 0
