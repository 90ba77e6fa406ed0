"""Exceptions that the command line turns into one-line messages with exit status 2.

``UserError`` is raised for anything the user can fix (a bad option value, a malformed network
file, an output folder that already exists). ``SpiceError`` is raised when ngspice itself fails
(missing library, non-convergence, a crashed analysis). Both carry a complete, one-line message
that names the bad value and what is allowed.
"""


class UserError(ValueError):
    """Bad input: an option value, a file or a combination the package cannot accept."""


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
