"""The library's parameter names as the command line's flags, for error messages.

Errors raised below the command line (:class:`coupled.core.errors.ParameterError`) name the
parameters as the Python API spells them (``p``, ``out_dir``, ``engine_options["tolerance"]``,
``resume=True``). :func:`flag_labels` maps each to the flag of the command that ran:

* a name the command's parser stores (its ``dest``) is that option's long flag (``p`` ->
  ``--p``, ``sense_gain`` -> ``--sense-gain``); the fields of ``TrainConfig`` are the long options
  of ``coupled train`` with underscores, so other commands (``sweep`` specifications) answer with
  them too;
* ``NAME=True`` of a switch is its flag (``resume=True`` -> ``--resume``);
* ``engine_options["KEY"]`` is ``--engine-option KEY``, or the command's own flag for it when the
  user gave that flag (``coupled train --tolerance 0.7`` answers about ``--tolerance``; the
  command records it in ``args.option_flags``);
* ``out_dir`` is ``--out``; any other name stays as it is.
"""

from __future__ import annotations

import argparse
import re

from coupled.core.errors import ParameterError, UserError, engine_option

ALIASES = {
    "out_dir": "out",
    "out_file": "out",
    "engine_options": "engine_option",
    "parts": "part",
}
"""Parameter -> the ``dest`` of the option that gives it, where the two names differ."""

_ENGINE_OPTION = re.compile(r'^engine_options\["([^"]+)"\]$')


def long_flags(parser: argparse.ArgumentParser) -> dict[str, str]:
    """``dest`` -> long flag of every option of ``parser`` (``--p-mode`` for ``p_mode``)."""
    flags = {}
    for action in parser._actions:  # argparse has no public list of a parser's options
        longs = [s for s in action.option_strings if s.startswith("--")]
        if not longs or action.dest in (argparse.SUPPRESS, "help"):
            continue
        spelled = "--" + action.dest.replace("_", "-")
        flags.setdefault(action.dest, spelled if spelled in longs else longs[0])
    return flags


def flag_labels(
    parameters: tuple[str, ...],
    command: argparse.ArgumentParser | None,
    train: argparse.ArgumentParser | None = None,
    given: dict[str, str] | None = None,
) -> dict[str, str]:
    """The command line's label of each parameter that has one.

    Parameters
    ----------
    parameters
        Parameter names as a :class:`ParameterError` gives them.
    command
        The parser of the command that ran.
    train
        The parser of ``coupled train`` (its flags name ``TrainConfig``'s fields).
    given
        Parameter -> flag the user typed for it (``args.option_flags``), first choice.

    Returns
    -------
    dict
        Parameter -> flag; parameters without a flag are left out.
    """
    own = long_flags(command) if command is not None else {}
    fallback = long_flags(train) if train is not None else {}
    labels = {}
    for name in parameters:
        key = name.removesuffix("=True")
        option = _ENGINE_OPTION.match(key)
        dest = ALIASES.get(key, key)
        if given and name in given:
            labels[name] = given[name]
        elif option:
            labels[name] = f"--engine-option {option.group(1)}"
        elif dest in own:
            labels[name] = own[dest]
        elif dest in fallback:
            labels[name] = fallback[dest]
    return labels


def command_message(
    exc: UserError,
    command: argparse.ArgumentParser | None,
    train: argparse.ArgumentParser | None = None,
    given: dict[str, str] | None = None,
) -> str:
    """``exc``'s message as the command line says it (its flags for the library's names)."""
    if isinstance(exc, ParameterError):
        return exc.render(flag_labels(exc.parameters, command, train, given))
    return str(exc)


def shorthand_flags(args: argparse.Namespace, names: tuple[str, ...]) -> dict[str, str]:
    """Engine option -> the shorthand flag the user gave for it (``--tolerance``), for
    ``args.option_flags``."""
    return {
        engine_option(name): "--" + name.replace("_", "-")
        for name in names
        if getattr(args, name, None) is not None
    }


__all__ = ["ALIASES", "command_message", "flag_labels", "long_flags", "shorthand_flags"]
