"""Fixtures shared by the test files."""

import os

import pytest

from coupled.core.cache import ENV_VAR
from coupled.spice.session import get_session


@pytest.fixture(scope="session", autouse=True)
def cache_folder(tmp_path_factory):
    """The on-disk cache of the whole suite: a temporary folder, never the user's home (CLI
    subprocesses inherit it through the environment)."""
    folder = tmp_path_factory.mktemp("coupled-cache")
    previous = os.environ.get(ENV_VAR)
    os.environ[ENV_VAR] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop(ENV_VAR, None)
    else:
        os.environ[ENV_VAR] = previous


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
