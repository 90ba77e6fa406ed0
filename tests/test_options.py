"""The library's option checks: whole numbers, choices (messages name the value and the rule)."""

from __future__ import annotations

import numpy as np
import pytest

from coupled.core.errors import UserError
from coupled.core.options import INT64_MAX, check_choice, check_whole, is_whole


@pytest.mark.parametrize(
    ("value", "whole"),
    [(3, True), (-2, True), (np.int64(7), True), (np.uint8(1), True), (2**70, True)]
    + [(True, False), (np.bool_(True), False), (2.0, False), ("3", False), (None, False)],
)
def test_is_whole(value, whole):
    assert is_whole(value) is whole


def test_check_whole_returns_plain_ints_within_bounds():
    assert check_whole("n", 5) == 5
    got = check_whole("n", np.int32(4), 2, 10)
    assert got == 4 and type(got) is int
    assert check_whole("n", 2, 2, 2) == 2  # bounds are inclusive
    assert check_whole("n", -9, high=0) == -9


@pytest.mark.parametrize(
    ("value", "low", "high", "message"),
    [
        (2.5, 1, None, "--steps 2.5: must be a whole number >= 1"),
        (True, 0, None, "--steps True: must be a whole number >= 0"),
        ("many", None, None, "--steps 'many': must be a whole number"),
        (2.0, None, 3, "--steps 2.0: must be a whole number <= 3"),
        # only a lower bound: one phrase says all that is allowed
        (0, 1, None, "--steps 0: must be a whole number >= 1"),
        (np.int64(-1), 0, None, "--steps -1: must be a whole number >= 0"),
        (4, None, 3, "--steps 4: must be a whole number <= 3"),
        # both bounds: the message names the bound that was crossed
        (0, 1, 10, "--steps 0: must be at least 1"),
        (11, 1, 10, "--steps 11: must be at most 10"),
        (2**64, 0, INT64_MAX, f"--steps {2**64}: must be at most {INT64_MAX} (2**63 - 1)"),
    ],
)
def test_check_whole_messages(value, low, high, message):
    with pytest.raises(UserError) as caught:
        check_whole("--steps", value, low, high)
    assert str(caught.value) == message


def test_check_choice():
    assert check_choice("--executor", "dask", ("serial", "process", "dask")) == "dask"
    for bad in ("Dask", 1, None, ["dask"]):
        with pytest.raises(UserError) as caught:
            check_choice("--executor", bad, ("serial", "process", "dask"))
        assert str(caught.value) == f"--executor {bad!r}: must be one of serial, process, dask"
