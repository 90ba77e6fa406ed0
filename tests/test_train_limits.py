"""Counts that size memory are bounded in TrainConfig.validate, before any work starts."""

import pytest

from coupled.cli.main import main
from coupled.core.errors import UserError
from coupled.training.config import MAX_COUNTS, TrainConfig


@pytest.mark.parametrize("name", sorted(MAX_COUNTS))
def test_too_many_is_refused_naming_the_option(name):
    config = TrainConfig(network="experiment16", steps=1, **{name: MAX_COUNTS[name] + 1})
    with pytest.raises(UserError, match=rf"^{name} {MAX_COUNTS[name] + 1}: must be at most"):
        config.validate()


def test_absurd_task_count_exits_2_at_once(tmp_path, capsys):
    out = tmp_path / "run"
    status = main(["train", "--network", "experiment16", "--tasks", str(10**14), "--out", str(out)])
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--tasks 100000000000000" in err[0]
    assert not out.exists()
