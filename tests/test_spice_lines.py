"""ngspice's text in and out (coupled.spice.lines), and the session names that stay importable."""

from __future__ import annotations

import pytest

from coupled.core.errors import SpiceError
from coupled.spice import lines
from coupled.spice.lines import (
    MAX_COMMAND_CHARS,
    join_commands,
    plain_vector_name,
    strip_control,
    vector_key,
)


@pytest.mark.parametrize(
    ("ngspice_name", "key"),
    [("mid", "v(mid)"), ("V1#branch", "i(v1)"), ("time", "time"), ("v-sweep", "v-sweep")],
)
def test_vector_names_and_keys_are_inverse(ngspice_name, key):
    assert vector_key(ngspice_name) == key
    assert plain_vector_name(key) == ngspice_name.lower()


def test_join_commands_fills_chunks_in_order_within_the_limit():
    parts = [f"alter r{i} = {1000 + i}.0" for i in range(400)]
    chunks = join_commands(parts)
    assert all(len(c) <= MAX_COMMAND_CHARS for c in chunks)
    assert "; ".join(chunks).split("; ") == parts
    # each chunk is full: the next part would not have fitted
    for chunk, following in zip(chunks, chunks[1:], strict=False):
        assert len(chunk) + 2 + len(following.split("; ")[0]) > MAX_COMMAND_CHARS
    with pytest.raises(SpiceError, match="too long"):
        join_commands(["x" * (MAX_COMMAND_CHARS + 1)])


def test_strip_control_and_refused_commands():
    deck = ["title", "R1 a 0 1", ".control", "op", ".endc", ".end"]
    assert strip_control(deck) == ["title", "R1 a 0 1", ".end"]
    for crashing in ("show", "show all", "op; quit", "show : all"):
        assert lines.CRASHING_RE.search(crashing), crashing
    assert not lines.CRASHING_RE.search("show r1")


def test_session_keeps_its_public_names():
    from coupled.spice import session

    for name in ("SpiceSession", "get_session", "is_error_line", "ERROR_PATTERNS"):
        assert hasattr(session, name)
    assert session.MAX_COMMAND_CHARS == MAX_COMMAND_CHARS == 1023
    assert "apt-get install ngspice" in session.INSTALL_HINT
