"""``python -m coupled``: the same as the ``coupled`` command."""

from coupled.cli.main import run

run()
