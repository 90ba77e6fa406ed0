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


def test_a_board_larger_than_the_memory_is_refused_before_it_is_built(tmp_path, capsys):
    """square:300x300 (90 000 nodes): its dense matrices alone exceed any machine this runs on."""
    out = tmp_path / "run"
    argv = ["train", "--network", "square:300x300", "--engine", "circuit", "--rule", "discrete"]
    status = main([*argv, "--steps", "1", "--out", str(out)])
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "--network square:300x300: needs about" in err[0] and "GiB available" in err[0]
    assert not out.exists()


def test_the_memory_estimate_counts_the_dense_matrices_and_ngspice():
    from coupled.physics.catalogue import load_network
    from coupled.training.config import BASE_BYTES, BYTES_PER_EDGE, memory_estimate

    net = load_network("jammed143")
    n, e = net.n_nodes, net.n_edges
    ideal, _ = memory_estimate(net, TrainConfig(network="jammed143").resolved())
    circuit, text = memory_estimate(net, TrainConfig(network="jammed143", engine="circuit"))
    examples = 8.0 * 2 * (16 + 16) * n  # one task, 16 train and (default) test examples
    assert ideal == pytest.approx(BASE_BYTES + 8.0 * (e * n + 2 * n * n) + examples, rel=0.1)
    assert circuit - ideal == BYTES_PER_EDGE["circuit"] * e
    assert f"dense {e} x {n} incidence" in text
    # The boards this project trains at circuit level pass on a machine with 4 GiB to spare.
    assert circuit < 1 * 1024**3
