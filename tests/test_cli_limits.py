"""Counts that size memory or run time have upper bounds, refused before any output exists."""

import pytest

from coupled.cli.main import main
from coupled.core.errors import UserError
from coupled.spice.numbers import spice_number


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--triggers", "99999999999999999999", "at most 10000000"),
        ("--p-triggers", "10000001", "at most 10000000"),
        ("--bias-points", "0", "at least 1"),
        ("--workers", "100000", "at most 256"),
    ],
)
def test_calibrate_refuses_huge_counts(tmp_path, capsys, option, value, message):
    out = tmp_path / "cal"
    with pytest.raises(SystemExit) as stop:
        main(["calibrate", "--network", "experiment16", option, value, "--out", str(out)])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and option in err[0] and message in err[0]
    assert not out.exists()


def test_spice_number_refuses_numbers_beyond_double_range():
    with pytest.raises(UserError, match=r"R1 1[0]{19}\.\.\.: beyond the range of a double") as info:
        spice_number(10**400, "R1")
    assert len(str(info.value)) < 80
    assert spice_number(10**20) == "1e+20"
