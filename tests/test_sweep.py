"""Sweeps: executors agree bit for bit, resume after SIGKILL, failures are data, specs are checked.

Expectations are independent of the sweep machinery: final errors come from calling
``coupled.training.train`` directly on each point's configuration; the grid order is written out
by hand; resumed sweeps are compared with uninterrupted ones, and "computed only what was
missing" is checked on disk (untouched point files keep their inode and mtime). Everything runs
the ideal engine on the 16-edge network for a few steps.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coupled.cli.main import main
from coupled.core.errors import UserError
from coupled.core.version import __version__
from coupled.physics.catalogue import experiment16, write_json
from coupled.sweep.executors import WORKER_DIED, check_executor
from coupled.sweep.run import comparable, load_histories, load_results, run_sweep
from coupled.sweep.spec import load_spec, plan_sweep, point_hash
from coupled.sweep.worker import TEST_DIE_ENV
from coupled.training.config import TrainConfig
from coupled.training.run import train

SMALL = """
[base]
network = "experiment16"
rule = "{rule}"
steps = {steps}
tasks = 2
log_every = 20
checkpoint_every = 0

[grid]
p = [0.5, 1.0]
seed = [3, 4]
"""


def write_spec(folder: Path, text: str, name: str = "spec.toml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def small_plan(tmp_path: Path, rule: str = "discrete", steps: int = 60):
    return plan_sweep(load_spec(write_spec(tmp_path, SMALL.format(rule=rule, steps=steps))))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The small sweep run serially once (shared by the tests that compare against it)."""
    tmp = tmp_path_factory.mktemp("reference")
    plan = small_plan(tmp)
    return plan, run_sweep(plan, tmp / "serial")


def finished_points(out: Path) -> dict[str, tuple[int, int]]:
    """Hash -> (inode, mtime) of every finished point's ``point.json`` (not partial folders)."""
    found = {}
    for path in out.glob("points/*/point.json"):
        if not path.parent.name.startswith("."):
            found[path.parent.name] = (path.stat().st_ino, path.stat().st_mtime_ns)
    return found


def run_cli(args: list[str], env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "coupled", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=240,
        **kwargs,
    )


# -- the table ----------------------------------------------------------------------------------


def test_rows_follow_grid_order_and_match_direct_training(reference):
    plan, result = reference
    table = result.table
    expected = [(p, s, t) for p in (0.5, 1.0) for s in (3, 4) for t in (0, 1)]
    got = list(zip(table["p"], table["seed"], table["task_index"], strict=True))
    assert got == expected
    assert list(table["point"]) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert (table["status"] == "ok").all() and (table["error"] == "").all()
    assert table["hash"].nunique() == 4 and (table["version"] == __version__).all()
    assert (table["task"] == "regression").all()  # the task kind option, not the task index
    for name in TrainConfig.__dataclass_fields__:
        assert name in table.columns
    for point in plan.points[::3]:
        direct = train(point.config)
        last = direct.history[direct.history["step"] == point.config.steps]
        rows = table[table["point"] == point.index]
        np.testing.assert_array_equal(rows["final_error"], last["error"])
        np.testing.assert_array_equal(rows["final_scaled_error"], last["scaled_error"])
    on_disk = load_results(result.out_dir)
    pd.testing.assert_frame_equal(on_disk, table, check_exact=True)
    csv = pd.read_csv(result.out_dir / "results.csv", keep_default_na=False)
    np.testing.assert_array_equal(csv["final_error"], table["final_error"])


def test_histories_and_point_folders(reference):
    plan, result = reference
    histories = load_histories(result.out_dir)
    steps = plan.points[0].config.steps
    assert len(histories) == 4 * 2 * (steps // 20 + 1)
    last = histories[histories["step"] == steps]
    finals = result.table[["point", "task_index", "final_error"]]
    merged = last.merge(finals, on=["point", "task_index"], validate="one_to_one")
    assert len(merged) == len(finals)
    np.testing.assert_array_equal(merged["error"], merged["final_error"])
    for point in plan.points:
        folder = result.out_dir / "points" / point.hash
        meta = json.loads((folder / "point.json").read_text())
        assert meta["config"] == point.config.to_dict() and meta["version"] == __version__
        assert {"history.csv", "final_state.json", "run.json"} <= set(os.listdir(folder))
    summary = json.loads((result.out_dir / "sweep.json").read_text())
    assert summary["counts"] == {"points": 4, "computed": 4, "reused": 0, "failed": 0}


def test_process_and_dask_give_identical_tables(reference, tmp_path):
    plan, serial = reference
    expected = comparable(serial.table)
    process = run_sweep(plan, tmp_path / "process", executor=check_executor("process", 2))
    pd.testing.assert_frame_equal(comparable(process.table), expected, check_exact=True)
    dask = run_sweep(plan, tmp_path / "dask", executor=check_executor("dask", 2))
    pd.testing.assert_frame_equal(comparable(dask.table), expected, check_exact=True)
    recycled = run_sweep(
        plan, tmp_path / "recycled", executor=check_executor("process", 2, max_runs_per_worker=1)
    )
    pd.testing.assert_frame_equal(comparable(recycled.table), expected, check_exact=True)
    workers = {
        json.loads((tmp_path / "recycled/points" / p.hash / "point.json").read_text())["worker"]
        for p in plan.points
    }
    assert len(workers) == 4  # one fresh process per run


# -- resume -------------------------------------------------------------------------------------


def test_sigkill_half_way_then_resume_computes_only_the_missing_points(tmp_path):
    spec = write_spec(
        tmp_path,
        SMALL.format(rule="discrete", steps=1500).replace("seed = [3, 4]", "seed = [3, 4, 5]"),
    )
    out = tmp_path / "killed"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "coupled", "sweep", str(spec), "--out", str(out)],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    try:
        while len(finished_points(out)) < 2:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    before = finished_points(out)
    assert 2 <= len(before) < 6
    assert not (out / "results.parquet").exists()
    assert main(["sweep", str(spec), "--out", str(out)]) == 2  # needs --resume
    assert main(["sweep", str(spec), "--out", str(out), "--resume"]) == 0
    after = finished_points(out)
    assert len(after) == 6 and all(after[h] == before[h] for h in before)
    assert not list(out.glob("points/.partial-*"))
    counts = json.loads((out / "sweep.json").read_text())["counts"]
    assert counts == {"points": 6, "computed": 6 - len(before), "reused": len(before), "failed": 0}
    fresh = run_sweep(plan_sweep(load_spec(spec)), tmp_path / "fresh")
    pd.testing.assert_frame_equal(
        comparable(load_results(out)), comparable(fresh.table), check_exact=True
    )


def test_changed_spec_never_reuses_points(reference, tmp_path):
    plan, _ = reference
    out = tmp_path / "out"
    run_sweep(plan, out)
    again = run_sweep(plan, out, resume=True)
    assert (again.n_computed, again.n_reused) == (0, 4)
    changed = plan_sweep(load_spec(write_spec(tmp_path, SMALL.format(rule="discrete", steps=61))))
    result = run_sweep(changed, out, resume=True)
    assert (result.n_computed, result.n_reused) == (4, 0)
    assert not set(result.table["hash"]) & {p.hash for p in plan.points}
    config = plan.points[0].config
    assert point_hash(config, "9.9.9") != point_hash(config)
    net = tmp_path / "net.json"
    write_json(experiment16(), net)
    on_file = TrainConfig(network=str(net), steps=5)
    first = point_hash(on_file)
    write_json(experiment16(resistance_ohm=2000.0), net)
    assert point_hash(on_file) != first  # the network's content, not its path


def test_a_second_sweep_in_a_busy_folder_is_refused(reference, tmp_path):
    import fcntl

    plan, _ = reference
    out = tmp_path / "out"
    run_sweep(plan, out)
    with open(out / ".sweep.lock") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a running sweep holds it
        for options in ({"resume": True}, {"overwrite": True}):
            with pytest.raises(UserError, match="another sweep is running in this folder"):
                run_sweep(plan, out, **options)
    assert (out / "results.parquet").exists()
    assert run_sweep(plan, out, resume=True).n_reused == 4


# -- failures -----------------------------------------------------------------------------------


def test_point_that_raises_is_recorded_and_the_sweep_goes_on(tmp_path):
    net = tmp_path / "board.json"
    write_json(experiment16(), net)
    spec = write_spec(
        tmp_path,
        SMALL.format(rule="continuous", steps=20)
        .replace("seed = [3, 4]", f'network = ["{net}", "experiment16"]')
        .replace('network = "experiment16"\n', ""),
    )
    plan = plan_sweep(load_spec(spec))  # validated while the file exists
    net.unlink()
    result = run_sweep(plan, tmp_path / "out")
    assert result.n_failed == 2 and result.n_computed == 4
    bad = result.table[result.table["status"] == "failed"]
    assert list(bad["point"]) == [0, 0, 2, 2]
    assert bad["error"].str.contains("UserError: network ").all()  # the spec's key
    assert bad["final_error"].isna().all()
    good = result.table[result.table["status"] == "ok"]
    assert list(good["point"]) == [1, 1, 3, 3] and good["final_error"].notna().all()
    assert sorted(os.listdir(tmp_path / "out/points")) == sorted(
        p.hash for p in plan.points if p.index in (1, 3)
    )


@pytest.mark.parametrize("once", [True, False], ids=["dies-once", "dies-always"])
def test_dead_pool_worker_is_retried_once(reference, tmp_path, once):
    plan, serial = reference
    victim = plan.points[1].hash
    marker = tmp_path / "died"
    hook = f"{victim}:{marker}" if once else victim
    spec = write_spec(tmp_path, SMALL.format(rule="discrete", steps=60))
    done = run_cli(
        [
            "sweep",
            str(spec),
            "--executor",
            "process",
            "--workers",
            "2",
            "--out",
            str(tmp_path / "out"),
        ],
        env={TEST_DIE_ENV: hook},
    )
    assert done.returncode in (0, 1), done.stderr
    table = load_results(tmp_path / "out")
    if once:
        assert done.returncode == 0, done.stderr
        assert marker.exists()
        pd.testing.assert_frame_equal(comparable(table), comparable(serial.table), check_exact=True)
    else:
        assert done.returncode == 1
        lines = [line for line in done.stderr.splitlines() if line.startswith("coupled sweep")]
        assert len(lines) == 1 and "1 of 4 point(s) failed" in lines[0]
        assert set(table.loc[table["status"] == "failed", "hash"]) == {victim}
        assert (table.loc[table["hash"] == victim, "error"] == WORKER_DIED).all()
        ok = comparable(table[table["status"] == "ok"]).reset_index(drop=True)
        expected = comparable(serial.table[serial.table["hash"] != victim])
        pd.testing.assert_frame_equal(ok, expected.reset_index(drop=True), check_exact=True)


def test_dead_dask_worker_is_retried_elsewhere(reference, tmp_path, monkeypatch):
    plan, serial = reference
    marker = tmp_path / "died"
    monkeypatch.setenv(TEST_DIE_ENV, f"{plan.points[2].hash}:{marker}")
    result = run_sweep(plan, tmp_path / "out", executor=check_executor("dask", 2))
    assert marker.exists() and result.n_failed == 0
    pd.testing.assert_frame_equal(
        comparable(result.table), comparable(serial.table), check_exact=True
    )


# -- validation ---------------------------------------------------------------------------------

BAD_SPECS = {
    "unknown option": (
        '[base]\nnetwork = "experiment16"\nstep = 5\n',
        "[base]: unknown option 'step'; allowed: batch_fraction",
    ),
    "empty grid list": (
        '[base]\nnetwork = "experiment16"\n[grid]\np = []\n',
        "[grid] p: empty list",
    ),
    "grid not a list": ("[grid]\np = 0.5\n", "[grid] p = 0.5: must be a list"),
    "bad value": ("[grid]\np = [0.5, 1.5]\n", "grid point 1 (p=1.5): --p 1.5: must be in (0, 1]"),
    "wrong type": ('[base]\nsteps = "many"\n', "--steps 'many': must be a whole number"),
    "malformed TOML": ("[base\nsteps = 5\n", "not valid TOML"),
    "unknown table": ("[bsae]\nsteps = 5\n", "unknown table or key 'bsae'; allowed: base, grid"),
    "both tables": ("[base]\np = 0.5\n[grid]\np = [1.0]\n", "'p' is in both [base] and [grid]"),
    "duplicate point": ("[grid]\np = [1, 1.0]\n", "same run as grid point 0"),
    "dashes": ("[base]\np-mode = 'fixed'\n", "write p_mode: underscores, not dashes"),
}


@pytest.mark.parametrize("case", sorted(BAD_SPECS))
def test_bad_spec_is_one_line_exit_2_nothing_written(tmp_path, capsys, case):
    text, fragment = BAD_SPECS[case]
    spec = write_spec(tmp_path, text)
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and fragment in err and str(spec) in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--executor", "process", "--workers", "0"], "--workers 0: must be a whole number"),
        (["--scheduler", "tcp://127.0.0.1:9"], "only with --executor dask"),
        (["--executor", "dask", "--max-runs-per-worker", "2"], "only with --executor process"),
        (["--resume", "--overwrite"], "exclude each other"),
        ([], "cannot read it"),
    ],
)
def test_bad_options_are_one_line_exit_2(tmp_path, capsys, args, fragment):
    spec = tmp_path / ("missing.toml" if not args else "spec.toml")
    if args:
        write_spec(tmp_path, SMALL.format(rule="discrete", steps=5))
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and fragment in err
    assert not out.exists()


def test_parse_spec_normalises_numbers_and_paths(tmp_path):
    write_json(experiment16(), tmp_path / "board.json")
    spec = load_spec(write_spec(tmp_path, '[base]\nnetwork = "board.json"\n[grid]\np = [1]\n'))
    assert spec.base["network"] == str((tmp_path / "board.json").resolve())
    assert spec.grid == (("p", (1.0,)),) and isinstance(spec.grid[0][1][0], float)
    with pytest.raises(UserError, match="must be one of serial, process, dask"):
        check_executor("threads")
