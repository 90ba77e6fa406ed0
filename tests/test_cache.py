"""The on-disk cache of the circuit engine's start-up: fitted oscillators and phase calibration."""

from __future__ import annotations

import json

import numpy as np
import pytest

from coupled.circuits.oscillator import draw_oscillators
from coupled.core import cache
from coupled.engines import get_engine
from coupled.engines.board import phase
from coupled.training.config import TrainConfig
from coupled.training.draws import make_tasks


@pytest.fixture()
def folder(tmp_path, monkeypatch):
    """A fresh cache folder and empty per-process caches (so every call goes to the disk)."""
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path))
    phase._fitted.cache_clear()
    phase._calibration.cache_clear()
    cache.STATS.clear()
    yield tmp_path
    phase._fitted.cache_clear()
    phase._calibration.cache_clear()


def _oscillators(n=3, tolerance=0.05, seed=0):
    return draw_oscillators(n, tolerance, np.random.default_rng(seed))


def _entries(folder, kind):
    return sorted(folder.glob(f"{kind}-*.json"))


def test_second_fit_reads_the_cache_and_gives_the_same_parameters(folder):
    params = _oscillators()
    first = phase.fitted_oscillators(params)
    assert cache.STATS["misses"] == 1 and cache.STATS["writes"] == 1
    (entry,) = _entries(folder, phase.FIT_KIND)
    assert json.loads(entry.read_text())["data"] == first.to_dict()
    assert not list(folder.glob(".*.tmp"))  # written through a renamed temporary file
    phase._fitted.cache_clear()
    second = phase.fitted_oscillators(params)
    assert cache.STATS["hits"] == 1 and cache.STATS["writes"] == 1
    assert second.to_dict() == first.to_dict()  # bit for bit
    # The fit is a real correction of the RC formula, not the nominal parameters echoed.
    assert not np.array_equal(second.c_f, params.c_f)


def test_a_changed_design_misses(folder):
    phase.fitted_oscillators(_oscillators(seed=0))
    phase.fitted_oscillators(_oscillators(seed=1))  # other parts drawn: another board
    phase.fitted_oscillators(_oscillators(tolerance=0.0))
    phase.fitted_oscillators(_oscillators(), steps_per_period=2000)
    assert cache.STATS["misses"] == 4 and cache.STATS["hits"] == 0
    assert len(_entries(folder, phase.FIT_KIND)) == 4
    fitted = phase.fitted_oscillators(_oscillators())
    phase.phase_calibration(fitted, 50e-6, n_triggers=200)
    phase.phase_calibration(fitted, 20e-6, n_triggers=200)
    assert len(_entries(folder, phase.CALIBRATION_KIND)) == 2


def test_the_key_covers_parts_and_version(monkeypatch):
    key = cache.cache_key("k", {"a": 1})
    assert cache.cache_key("k", {"a": 1}) == key
    assert cache.cache_key("k", {"a": 2}) != key
    assert cache.cache_key("other", {"a": 1}) != key
    monkeypatch.setattr(cache, "__version__", "0.0.0+other")
    assert cache.cache_key("k", {"a": 1}) != key


@pytest.mark.parametrize("garbage", ["", "{not json", '{"key": "another", "data": {}}', "[1]"])
def test_a_corrupted_entry_is_ignored_and_rewritten(folder, garbage):
    params = _oscillators()
    good = phase.fitted_oscillators(params)
    (entry,) = _entries(folder, phase.FIT_KIND)
    entry.write_text(garbage)
    phase._fitted.cache_clear()
    cache.STATS.clear()
    again = phase.fitted_oscillators(params)
    assert cache.STATS["invalid"] == 1 and cache.STATS["writes"] == 1
    assert again.to_dict() == good.to_dict()
    assert json.loads(entry.read_text())["data"] == good.to_dict()


def test_an_entry_whose_data_does_not_parse_is_recomputed(folder):
    params = _oscillators()
    good = phase.fitted_oscillators(params)
    (entry,) = _entries(folder, phase.FIT_KIND)
    stored = json.loads(entry.read_text())
    stored["data"]["c_f"] = stored["data"]["c_f"][:1]  # arrays of different lengths
    entry.write_text(json.dumps(stored))
    phase._fitted.cache_clear()
    cache.STATS.clear()
    assert phase.fitted_oscillators(params).to_dict() == good.to_dict()
    assert cache.STATS["invalid"] == 1 and cache.STATS["hits"] == 0
    assert cache.STATS["writes"] == 1


def test_an_unwritable_folder_only_costs_the_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(cache.ENV_VAR, str(blocker / "cache"))
    assert cache.store("k", cache.cache_key("k", 1), {"x": 1}) is None
    assert cache.load("k", cache.cache_key("k", 1)) is None


def test_default_folder_is_under_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv(cache.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "coupled"  # platformdirs or not, on Linux
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"


def test_the_suite_never_writes_to_the_home_cache(cache_folder):
    assert cache.cache_dir() == cache_folder


def _prepared(network="experiment16", **options):
    config = TrainConfig(
        network=network,
        rule="discrete",
        p=0.5,
        sigma_v=0.05,
        tasks=1,
        seed=1,
        steps=10,
        engine="circuit",
        engine_options=options,
    )
    net = config.validate()
    cfg = config.resolved()
    engine = get_engine("circuit")
    engine.prepare(net, make_tasks(cfg, net), cfg)
    return engine


def test_second_engine_preparation_reads_fit_and_calibration(folder):
    first = _prepared()
    assert cache.STATS["writes"] == 2 and cache.STATS["hits"] == 0
    phase._fitted.cache_clear()
    phase._calibration.cache_clear()
    second = _prepared()
    assert cache.STATS["hits"] == 2 and cache.STATS["writes"] == 2
    assert second.phase_oscillators.to_dict() == first.phase_oscillators.to_dict()
    assert second.bias_v == first.bias_v
    about = json.loads(_entries(folder, phase.FIT_KIND)[0].read_text())["about"]
    assert about == {"network": "experiment16", "n_edges": 16, "tolerance": 0.05, "board_seed": 0}
    phase._fitted.cache_clear()
    phase._calibration.cache_clear()
    _prepared(board_seed=1)  # another board: both miss
    assert cache.STATS["misses"] == 4 and len(_entries(folder, phase.FIT_KIND)) == 2
    _prepared(trigger_period_s=20e-6)  # same oscillators, another calibration
    assert len(_entries(folder, phase.FIT_KIND)) == 2
    assert len(_entries(folder, phase.CALIBRATION_KIND)) == 3
