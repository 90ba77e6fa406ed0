"""Exceptions that the command line turns into one-line messages with exit status 2.

``UserError`` is raised for anything the user can fix (a bad option value, a malformed network
file, an output folder that already exists). ``SpiceError`` is raised when ngspice itself fails
(missing library, non-convergence, a crashed analysis). Both carry a complete, one-line message
that names the bad value and what is allowed.

Below the command line, a bad value of a named parameter raises :class:`ParameterError` (a
``UserError``), whose message names the parameters as the Python API spells them (``p``,
``tolerance``, ``engine_options["calibration"]``, ``resume=True``); the command line prints the
same message with its own flags in their place (``--p``, ``--tolerance``, ``--resume``).
"""

from __future__ import annotations

from collections.abc import Mapping


class UserError(ValueError):
    """Bad input: an option value, a file or a combination the package cannot accept."""


class ParameterError(UserError):
    """A bad value of named parameters; the message names them as the Python API does.

    Parameters
    ----------
    template
        The message with each parameter it names written ``{name}``, e.g.
        ``"{p} 1.5: must be in (0, 1]"`` or ``"{trigger} self with {rule} continuous: ..."``.
        Nothing else in it is interpreted (values may hold braces).
    *parameters
        The parameters named, the bad one first: plain names (``"p"``), engine options
        (``'engine_options["tolerance"]'``, see :func:`engine_option`) or a setting written as
        in Python (``"resume=True"``).

    Attributes
    ----------
    parameter : str
        The bad parameter (the first named).
    parameters : tuple of str
        Every parameter the message names.
    template : str
        The message before the names are put in.

    Examples
    --------
    >>> str(ParameterError("{p} 1.5: must be in (0, 1]", "p"))
    'p 1.5: must be in (0, 1]'
    >>> ParameterError("{p} 1.5: must be in (0, 1]", "p").render({"p": "--p"})
    '--p 1.5: must be in (0, 1]'
    """

    def __init__(self, template: str, *parameters: str) -> None:
        if not parameters:
            raise TypeError("ParameterError needs the name of at least one parameter")
        self.template = template
        self.parameters = tuple(parameters)
        super().__init__(self.render({}))

    @property
    def parameter(self) -> str:
        """The bad parameter (the first the message names)."""
        return self.parameters[0]

    def render(self, labels: Mapping[str, str]) -> str:
        """The message with ``labels[name]`` (default: the name itself) for each parameter."""
        text = self.template
        for name in self.parameters:
            text = text.replace("{" + name + "}", labels.get(name, name))
        return text

    def __reduce__(self):  # pickles across worker processes with its parameters
        return (type(self), (self.template, *self.parameters))


def engine_option(name: str) -> str:
    """The parameter name of engine option ``name``: ``engine_options["name"]``."""
    return f'engine_options["{name}"]'


def named(parameter: str) -> str:
    """``parameter``'s placeholder in a :class:`ParameterError` template: ``{parameter}``."""
    return "{" + parameter + "}"


class SpiceError(RuntimeError):
    """ngspice failed: a missing library, a netlist it rejects, an analysis that did not
    converge."""


class SpiceNotFoundError(SpiceError):
    """The ngspice shared library (or its code models) is not installed."""


class Interrupted(KeyboardInterrupt):
    """A long run stopped by SIGINT/SIGTERM after saving what it had finished.

    ``message`` is the one line the command line prints (e.g. which step the checkpoint holds
    and how to continue); the command exits with status 130.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
