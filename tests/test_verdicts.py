"""Verdicts on orderings in p: the claims table's paired statistics and the figures' intervals."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from coupled.core import paired
from coupled.reporting import claims as rc
from coupled.reporting import data as rd
from coupled.reporting import pieces as rp
from coupled.reproduction import fig4
from coupled.reproduction.base import Setup, reproduce


def seeded_table(ratio: float, seeds=(0, 1, 2), tasks=10, outputs=None, rng_seed=0):
    """Final errors of ``tasks`` tasks per seed at p = 0.2 and 1; geometric-mean ratio near
    ``ratio`` (p = 1 higher)."""
    rng = np.random.default_rng(rng_seed)
    rows = []
    for s in seeds:
        base = np.exp(rng.normal(-6, 1, tasks))
        noise = np.exp(rng.normal(0, 0.3, (2, tasks)))
        for t in range(tasks):
            for p, e in ((0.2, base[t] * noise[0, t]), (1.0, ratio * base[t] * noise[1, t])):
                row = {"seed": s, "task": t, "p": p, "final_scaled_error": e}
                if outputs is not None:
                    row["outputs"] = outputs
                rows.append(row)
    return pd.DataFrame(rows)


def test_fig4_claim_carries_the_paired_statistics():
    table = seeded_table(3.0)
    row = rc.claim_fig4({"table": table}, "fig4c")
    wide = table.pivot_table(index=["seed", "task"], columns="p", values="final_scaled_error")
    logs = np.log(wide[1.0] / wide[0.2])
    assert row["ratio"] == pytest.approx(math.exp(logs.mean()))
    assert row["ci_low"] < row["ratio"] < row["ci_high"]
    assert (row["tasks"], row["seeds"]) == (30, 3)
    assert row["wins"] == pytest.approx((logs > 0).mean())
    assert row["verdict"] == paired.HOLDS
    # the paper's protocol beside it: means over the first seed's tasks only
    first = table[table["seed"] == 0].groupby("p")["final_scaled_error"].mean()
    assert row["agrees"] == ("yes" if first[0.2] < first[1.0] else "no")
    assert f"ratio {first[1.0] / first[0.2]:.3g}; 10 tasks" in row["measured_value"]


def test_a_reduced_piece_never_contradicts_but_a_full_one_does():
    table = seeded_table(1 / 3.0)  # p = 1 ends lower: the claim is contradicted
    for quick, expected in (
        (True, "not resolved at this size (full run: coupled reproduce fig4e --out DIR)"),
        (False, paired.CONTRADICTED),
    ):
        piece = {"table": table, "json": {"fig4e": {"quick": quick}}}
        data = rd.ReportData(
            config=rp.ReportConfig(quick=quick), out_dir=None, pieces=(), figures={"fig4e": piece}
        )
        claims = rc.evaluate_claims(data).set_index("figure")
        assert claims.loc["fig4e", "verdict"] == expected
        assert claims.loc["fig4e", "agrees"] == "no"
        assert claims.loc["fig4e", "ci_high"] < 1.0
        assert claims.loc["fig1", "verdict"] == rc.NOT_MEASURED
        assert "10 tasks, 3 seeds" in claims.loc["fig4e", "evidence"]
        assert set(claims.reset_index().columns) == set(rc.CLAIM_COLUMNS)
    assert {"ratio", "ci_low", "ci_high", "tasks", "seeds", "wins"} <= set(rc.CLAIM_COLUMNS)


def test_too_few_tasks_are_not_resolved_and_other_claims_map_their_criterion():
    tiny = seeded_table(5.0, seeds=(0,), tasks=3)
    row = rc.claim_fig4({"table": tiny}, "fig4c")
    assert row["verdict"] == paired.NOT_RESOLVED and row["agrees"] == "yes"
    corr = {"mean_abs_pearson": 0.01, "max_abs_pearson": 0.1, "n_pairs": 120}
    corr |= {"n_triggers": 2500, "p": 0.5}
    assert rc.claim_pearson({"correlation": corr})["verdict"] == paired.HOLDS
    bad = rc.claim_pearson({"correlation": {**corr, "mean_abs_pearson": 0.2}})
    assert bad["verdict"] == paired.CONTRADICTED and math.isnan(bad["ratio"])


def test_fig4d_fading_from_intervals():
    fades = pd.concat([seeded_table(4.0, outputs=1), seeded_table(1.0, outputs=8, rng_seed=1)])
    row = rc.claim_fig4d({"table": fades})
    assert row["verdict"] == paired.HOLDS and row["tasks"] == 30
    assert row["ci_low"] < 1.0 < row["ci_high"]  # the comparison at the largest O
    grows = pd.concat([seeded_table(1.0, outputs=1), seeded_table(4.0, outputs=8, rng_seed=1)])
    assert rc.claim_fig4d({"table": grows})["verdict"] == paired.CONTRADICTED


def test_claim_lines_show_the_interval():
    row = rc.claim_fig4({"table": seeded_table(3.0)}, "fig4c")
    line = rc.claim_lines(pd.DataFrame([row]), "fig4c")[0]
    assert f"verdict: holds (ratio {row['ratio']:.3g} (95% CI {row['ci_low']:.3g}-" in line
    assert "of 30 tasks, 3 seeds" in line and "paper's protocol: yes" in line


def test_fig4_summary_gains_the_interval_recomputed_from_its_table(tmp_path):
    result = reproduce("fig4c", tmp_path / "q", quick=True)
    table, summary = result.tables["fig4c.csv"], result.tables["fig4c_summary.csv"]
    low = summary[summary["p"] == summary["p"].min()].iloc[0]
    wide = table.pivot_table(index=["seed", "task"], columns="p", values="final_scaled_error")
    logs = np.log(wide[1.0] / wide[low["p"]])
    assert low["ratio"] == pytest.approx(math.exp(logs.mean()))
    assert low["ci_low"] <= low["ratio"] <= low["ci_high"]
    assert low["wins"] == pytest.approx((logs > 0).mean()) and low["seeds"] == 1
    assert low["verdict"] in paired.VERDICTS
    assert summary[summary["p"] == 1.0][["ci_low", "ci_high"]].isna().all(axis=None)
    assert any(low["verdict"] in line and "CI" in line for line in result.summary)


def test_fig4_pools_seeds_each_as_its_own_run():
    prm = replace(fig4.QUICK["fig4c"], tasks=3, steps_x_p=40, samples=10, seeds=2)
    pooled = fig4.compute("fig4c", prm, Setup(seed=4)).tables["fig4c.csv"]
    assert sorted(pooled["seed"].unique()) == [4, 5]
    alone = fig4.compute("fig4c", replace(prm, seeds=1), Setup(seed=5)).tables["fig4c.csv"]
    pd.testing.assert_frame_equal(
        pooled[pooled["seed"] == 5].reset_index(drop=True), alone.reset_index(drop=True)
    )
    summary = fig4.compute("fig4c", prm, Setup(seed=4)).tables["fig4c_summary.csv"]
    assert summary["tasks"].iloc[0] == 6 and summary["seeds"].iloc[0] == 2


def test_report_json_holds_no_nan_for_empty_statistics():
    import json

    base = rd.ReportData(config=rp.ReportConfig(), out_dir=None, pieces=())
    full = rd.ReportData(
        config=base.config, out_dir=None, pieces=(), claims=rc.evaluate_claims(base)
    )
    record = rd.report_record(full)
    json.dumps(record["claims"], allow_nan=False)  # raises on NaN
    assert {c["ratio"] for c in record["claims"]} == {None}
