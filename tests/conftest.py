"""Fixtures shared by the test files."""

import pytest

from coupled.spice.session import get_session


@pytest.fixture()
def session():
    """The process's ngspice session; circuits a test loads are removed afterwards (circuits
    other tests keep in the same worker are left alone)."""
    s = get_session()
    before = set(s.circuits)
    yield s
    s.stop_transient()
    for name in set(s.circuits) - before:
        s.remove(name)
