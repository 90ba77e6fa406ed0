"""The ``coupled`` command line.

Each subcommand lives in its own module in :mod:`coupled.cli` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` (a callable taking the parsed
namespace and returning an exit status). This module only discovers and dispatches them, and turns
``UserError`` and ``SpiceError`` into a one-line message with exit status 2 (``--debug`` shows the
traceback instead). A :class:`coupled.core.errors.ParameterError` from the library names the
Python API's parameters (``p``, ``engine_options["tolerance"]``); the message printed names the
command's flags instead (``--p``, ``--tolerance``: :mod:`coupled.cli.flags`).

Failed commands leave no output behind: when a command that takes ``--out`` raises
``UserError`` or ``SpiceError`` and its ``--out`` did not exist before, whatever the command
created there (and the missing folders above it) is removed again, so ``--out`` does not exist
afterwards; an ``--out`` that existed is left to the command's own checks (refused unless
``--resume``/``--overwrite``). Commands still validate everything before creating ``--out``;
this is the safety net for failures found later (e.g. ngspice missing). An interrupted command
(Ctrl-C, or SIGTERM, which is handled the same way) keeps its folder, so it can be resumed, and
exits with status 130 without a traceback; ngspice calls in progress finish first (see
:mod:`coupled.core.interrupts`), which takes milliseconds per call.

An allocation that cannot be satisfied (``MemoryError``, e.g. ``rgg:1000000:0.1``) is an input
too large for this machine: one line naming it, exit status 2 like any bad input. A worker
process that dies under a command (killed, crashed in native code such as ngspice, out of memory:
``BrokenProcessPool``) is not the input's fault: one line, exit status 1. Either way the fresh
``--out`` is removed the same way; commands that can recover from a dead worker (``coupled
sweep`` retries the point) never let it reach this module. The exit statuses
(:data:`EXIT_STATUSES`) are listed in the README.

Negative numbers in any notation (``-1e3``, ``-.5``, ``-inf``) are option values, not options.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool

from coupled.cli.flags import command_message
from coupled.core import interrupts
from coupled.core.errors import Interrupted, ParameterError, SpiceError, UserError
from coupled.core.io import missing_anchor, remove_created
from coupled.core.version import __version__

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_RESOURCES = 1
EXIT_INTERRUPTED = 130
EXIT_STATUSES = {
    EXIT_OK: "success",
    EXIT_RESOURCES: "a check or a piece failed (check-board: a part outside its ratings; "
    "report, demo: a piece failed, its error is on the page) or a worker process died",
    EXIT_BAD_INPUT: "bad input, including an input too large for memory; nothing written",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C or SIGTERM); a run keeps its checkpoint",
}
"""Exit status -> what it means (the README's table)."""
_NEGATIVE_NUMBER = re.compile(
    r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|infinity|nan)$", re.IGNORECASE
)


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line (no usage block), exit status 2, which
    reads ``-1e3`` or ``-inf`` as a value (argparse alone takes them for options) and which
    takes no abbreviations (``--step`` is an error, not ``--steps``)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBER
        self.commands: dict[str, argparse.ArgumentParser] = {}
        """Subcommand -> its parser (set on the top-level parser by :func:`build_parser`)."""

    def error(self, message: str) -> None:  # noqa: D102 - argparse API
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


class _VersionAction(argparse.Action):
    """``--version``: the package version and which ngspice the session layer finds."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        try:
            from coupled.spice.session import get_session

            found = get_session().describe()
        except SpiceError as exc:
            found = f"ngspice not usable: {exc}"
        print(f"coupled {__version__}\n{found}")
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every subcommand found in :mod:`coupled.cli`."""
    parser = OneLineParser(
        prog="coupled",
        description=(
            "Simulate desynchronous coupled learning in self-adjusting resistor networks: exact "
            "solvers, ngspice twin networks and the whole learning board at circuit level."
        ),
    )
    parser.add_argument(
        "--version", action=_VersionAction, help="show the version and the ngspice found, and exit"
    )
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=OneLineParser
    )
    for name in COMMANDS:
        importlib.import_module(f"coupled.cli.{name}").register(subparsers)
    parser.commands = dict(subparsers.choices)
    return parser


COMMANDS = (
    "calibrate",
    "check_board",
    "demo",
    "netlist",
    "parts",
    "plot",
    "report",
    "reproduce",
    "solve",
    "sweep",
    "train",
    "waveforms",
    "yield_board",
)
"""The subcommands, one module of :mod:`coupled.cli` each, in the order ``--help`` lists them."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    interrupts.install(terminate=True)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    out = getattr(args, "out", None)
    anchor = missing_anchor(out) if isinstance(out, str | os.PathLike) else None
    try:
        if isinstance(out, str) and not out.strip():
            raise UserError(f"--out {out!r}: empty; give a path")
        return int(args.func(args) or 0)
    except (UserError, SpiceError) as exc:
        remove_created(out, anchor)
        message = _message(exc, parser, args)
        if args.debug:
            if isinstance(exc, ParameterError):  # the traceback ends with the message printed
                raise UserError(message) from exc
            raise
        print(f"coupled {args.command}: error: {_joined(message)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (BrokenProcessPool, MemoryError) as exc:
        remove_created(out, anchor)
        if args.debug:
            raise
        if isinstance(exc, BrokenProcessPool):
            what = "a worker process died (killed, crashed or out of memory)"
            status = EXIT_RESOURCES
        else:
            what = "out of memory (use a smaller network, fewer tasks or fewer examples)"
            status = EXIT_BAD_INPUT
        print(f"coupled {args.command}: error: {what}: {one_line(exc)}", file=sys.stderr)
        return status
    except Interrupted as exc:
        print(f"coupled {args.command}: {exc.message}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print(f"coupled {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (line breaks become ``"; "``)."""
    return _joined(str(exc)) or type(exc).__name__


def _joined(text: str) -> str:
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())


def _message(exc: UserError | SpiceError, parser: OneLineParser, args) -> str:
    """The error's message in the command's flags (``--p`` where the library says ``p``)."""
    if not isinstance(exc, UserError):
        return one_line(exc)
    commands = getattr(parser, "commands", {})
    given = getattr(args, "option_flags", None)
    text = command_message(exc, commands.get(args.command), commands.get("train"), given)
    return _joined(text) or type(exc).__name__


def run() -> None:
    """Entry point for ``python -m coupled`` and the console script."""
    sys.exit(main())
