"""``coupled waveforms``: the board's signals around chosen training steps, in golden mode.

``coupled waveforms --network NET --steps 1,5 --out DIR [train's task, board and seed options]``
trains one task on the ``circuit`` engine in golden mode up to the last chosen step
(:mod:`coupled.calibration.waveforms`) and writes to ``DIR``: ``waveforms.parquet`` (``step``,
``edge``, ``signal``, ``time_s``, ``voltage_v``; ``edge`` -1 for ``trig`` and ``bias``),
``decisions.csv`` (the circuit engine's ``time_s``, ``enabled``, ``direction``, ``tap_before``,
``tap_after`` per step and edge; with ``--trigger self`` a step is an example period and the rows
are its firings), ``waveforms.raw`` (ngspice's raw file of the kept signals),
``waveforms.json`` (configuration, seed, version, trigger instants, thresholds) and one figure
per chosen step and edge ``step<n>_edge<i>.png`` (``--edges``, default every edge), drawn by
:mod:`coupled.analysis.waveforms`.
"""

from __future__ import annotations

import argparse

from coupled.cli.train import add_config_options, config_from_args
from coupled.core.errors import UserError

SKIPPED = ("steps", "tasks", "first_task", "engine", "checkpoint_every", "record_events")
"""Options of ``train`` that ``waveforms`` sets itself."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``waveforms`` subcommand."""
    parser = subparsers.add_parser(
        "waveforms",
        help="the board's waveforms around chosen training steps (golden circuit simulation)",
        description=(
            "Simulate the learning board in golden mode (free-running oscillators and trigger) "
            "around the chosen training steps and write the waveforms of the trigger, the "
            "oscillator against the bias, the enable, the sense stages, the comparators, the "
            "XOR and the latches, with a figure per step and edge."
        ),
    )
    parser.add_argument(
        "--steps",
        required=True,
        metavar="N,M,...",
        help="training steps to look at (1-based), comma-separated",
    )
    parser.add_argument(
        "--edges",
        default=None,
        metavar="I,J,...",
        help="edges to draw a figure of (0-based; default: every edge)",
    )
    add_config_options(parser, skip=SKIPPED)
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    parser.set_defaults(func=run)


def _edges(text: str | None, n_edges: int) -> list[int]:
    if text is None:
        return list(range(n_edges))
    parts = [p.strip() for p in text.split(",")]
    if not all(p.isdigit() and int(p) < n_edges for p in parts):
        raise UserError(f"--edges {text!r}: must be comma-separated edges 0..{n_edges - 1}")
    return sorted({int(p) for p in parts})


def run(args: argparse.Namespace) -> int:
    """Validate, simulate, write, draw."""
    from coupled.analysis.waveforms import plot_step_edge
    from coupled.calibration.waveforms import golden_config, parse_steps, step_waveforms
    from coupled.core.io import prepare_out_dir, write_json, write_table
    from coupled.core.version import __version__

    steps = parse_steps(args.steps)
    config = golden_config(config_from_args(args), steps)
    network = config.validate()
    edges = _edges(args.edges, network.n_edges)
    out = prepare_out_dir(args.out, overwrite=args.overwrite)
    result = step_waveforms(config, steps, raw_path=out / "waveforms.raw")
    write_table(out / "waveforms.parquet", result.table)
    write_table(out / "decisions.csv", result.decisions)
    write_json(
        out / "waveforms.json",
        {
            "config": result.config.to_dict(),
            "seed": result.config.seed,
            "version": __version__,
            "steps": steps,
            "trigger_times_s": {str(k): v for k, v in result.trigger_times_s.items()},
            "thresholds_v": result.thresholds_v,
        },
    )
    for step in steps:
        for edge in edges:
            plot_step_edge(result, step, edge, out / f"step{step}_edge{edge}.png")
    print(
        f"wrote {out / 'waveforms.parquet'} ({len(result.table)} rows), decisions.csv, "
        f"waveforms.raw and {len(steps) * len(edges)} figure(s) to {out}"
    )
    return 0
