"""``coupled report``: claims against hand-computed tables, missing pieces run, existing reused.

The figure pieces here are hand-made tables with known answers (a collapse ratio of exactly 1.5,
power laws of known exponents, known means per p), written where ``coupled reproduce`` would
write them; the calibration piece is missing and is run for real (ngspice for the oscillators and
the comparator cells; events from the phase model to keep the test short).
"""

from __future__ import annotations

import base64
import html
import json
import math
import re

import pandas as pd
import pytest

from coupled.cli.main import main
from coupled.core.version import __version__
from coupled.reporting import claims as rc
from coupled.reporting import data as rd
from coupled.reporting import pieces as rp
from coupled.reporting.glossary import COLUMNS as GLOSSARY_COLUMNS

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
QUICK = ["--quick", "--calibration-events", "phase"]


def fig1_table(factors: dict[float, float]) -> pd.DataFrame:
    """Scaled error ``c_p (1 - steps_x_p / 1000)``: linear, so interpolation is exact."""
    rows = []
    for p, c in factors.items():
        for task in (0, 1):
            for step in range(0, 1001, 100):
                sx = step * p
                rows.append(
                    {
                        "p": p,
                        "task": task,
                        "step": step,
                        "steps_x_p": sx,
                        "scaled_error": c * (1 - sx / 1000) * (1 + 0.1 * (2 * task - 1)),
                    }
                )
    return pd.DataFrame(rows)


def fig2_table(k_p: float, k_b: float) -> pd.DataFrame:
    rows = [{"p": 1.0, "b": 1.0, "task": 0, "distance": 0.0}]
    for x in (0.5, 0.8, 0.9, 0.95):
        rows.append({"p": x, "b": 1.0, "task": 0, "distance": 2.0 * (1 - x) ** k_p})
        rows.append({"p": 1.0, "b": x, "task": 0, "distance": 3.0 * (1 - x) ** k_b})
        rows.append({"p": x, "b": x, "task": 0, "distance": 5.0 * (1 - x) ** k_p})
    return pd.DataFrame(rows)


def final_table(means: dict[float, float], outputs: int | None = None) -> pd.DataFrame:
    """Four tasks per p with the given mean (spread +-10 % that cancels)."""
    rows = []
    for p, mean in means.items():
        for task, f in enumerate((0.9, 1.1, 0.95, 1.05)):
            row = {"p": p, "task": task, "final_scaled_error": mean * f}
            if outputs is not None:
                row["outputs"] = outputs
            rows.append(row)
    return pd.DataFrame(rows)


FIXTURES = {
    "fig1": fig1_table({1.0: 1.0, 0.5: 1.2, 0.2: 1.5}),
    "fig2a": fig2_table(0.5, 0.6),
    "fig2b": fig2_table(0.5, 0.9),
    "fig4c": final_table({1.0: 0.2, 0.5: 0.15, 0.2: 0.1}),
    "fig4d": pd.concat(
        [final_table({1.0: 0.2, 0.2: 0.1}, 2), final_table({1.0: 0.5, 0.2: 0.45}, 8)]
    ),
    "fig4e": final_table({1.0: 0.05, 0.2: 0.08}),
    "temporal": pd.DataFrame(
        {"events": "phase", "jitter": 0.0, "lag": [1, 2], "mean_autocorrelation": [-0.4, 0.1]}
    ),
}


def write_fixture_pieces(out, seed: int = 0, quick: bool = True) -> None:
    for name, table in FIXTURES.items():
        folder = out / name
        folder.mkdir(parents=True)
        table.to_csv(folder / f"{name}.csv", index=False)
        meta = {
            "config": {"figure": name, "quick": quick, "seed": seed},
            "seed": seed,
            "version": __version__,
        }
        (folder / f"{name}.json").write_text(json.dumps(meta))
        (folder / f"{name}.png").write_bytes(PNG)


# --- claims from hand-computed tables ------------------------------------------------------------


def test_collapse_ratio_is_the_ratio_of_the_curves():
    c = rc.collapse_ratio(fig1_table({1.0: 1.0, 0.5: 1.2, 0.2: 1.5}))
    assert c["ratio"] == pytest.approx(1.5) and c["n_p"] == 3
    assert rc.claim_fig1({"table": fig1_table({1.0: 1.0, 0.1: 1.9})})["agrees"] == "yes"
    assert rc.claim_fig1({"table": fig1_table({1.0: 1.0, 0.1: 2.5})})["agrees"] == "no"


def test_power_law_exponents_are_recovered():
    fits = rc.fig2_exponents(fig2_table(0.5, 0.6))
    assert fits["p"]["exponent"] == pytest.approx(0.5)
    assert fits["b"]["exponent"] == pytest.approx(0.6)
    assert fits["p"]["r2"] == pytest.approx(1.0)
    assert rc.claim_fig2({"table": fig2_table(0.5, 0.6)})["agrees"] == "yes"
    assert rc.claim_fig2({"table": fig2_table(0.5, 0.8)})["agrees"] == "no"
    noisy = fig2_table(0.5, 0.5)
    noisy.loc[noisy["b"] == 0.9, "distance"] *= 20  # a bad fit in 1 - b
    assert rc.claim_fig2({"table": noisy})["agrees"] == "no"


def test_fig4_claims_compare_smallest_p_with_synchronous():
    c = rc.claim_fig4({"table": final_table({1.0: 0.2, 0.5: 0.15, 0.2: 0.1})}, "fig4c")
    assert c["agrees"] == "yes" and "ratio 2" in c["measured_value"]
    assert rc.claim_fig4({"table": final_table({1.0: 0.05, 0.2: 0.08})}, "fig4e")["agrees"] == "no"
    fades = pd.concat([final_table({1.0: 0.2, 0.2: 0.1}, 2), final_table({1.0: 0.5, 0.2: 0.45}, 8)])
    assert rc.claim_fig4d({"table": fades})["agrees"] == "yes"
    grows = pd.concat([final_table({1.0: 0.2, 0.2: 0.15}, 2), final_table({1.0: 0.5, 0.2: 0.1}, 8)])
    assert rc.claim_fig4d({"table": grows})["agrees"] == "no"


def test_bias_and_pearson_claims():
    table = pd.DataFrame(
        {
            "bias_v": [1.0, 2.0, 3.0, 4.0],
            "p": [1.0, 0.7, 0.3, 0.0],
            "n_triggers": 200,
            "n_edges": 16,
        }
    )
    assert rc.claim_bias({"p_table": table})["agrees"] == "yes"
    rising = table.assign(p=[1.0, 0.3, 0.7, 0.0])
    assert rc.claim_bias({"p_table": rising})["agrees"] == "no"
    narrow = table.assign(p=[1.0, 0.8, 0.6, 0.5])
    assert rc.claim_bias({"p_table": narrow})["agrees"] == "no"
    corr = {
        "mean_abs_pearson": 0.012,
        "max_abs_pearson": 0.1,
        "n_pairs": 120,
        "n_triggers": 2500,
        "p": 0.5,
    }
    row = rc.claim_pearson({"correlation": corr})
    assert row["agrees"] == "yes" and "0.0200" in row["measured_value"]  # 1/sqrt(2500)
    assert rc.claim_pearson({"correlation": {**corr, "mean_abs_pearson": 0.2}})["agrees"] == "no"


def test_missing_or_malformed_pieces_are_not_measured():
    data = rd.ReportData(
        config=rp.ReportConfig(),
        out_dir=None,
        pieces=(),
        figures={
            "fig4c": {"table": pd.DataFrame({"p": [0.5], "task": [0], "final_scaled_error": [1]})}
        },
    )
    claims = rc.evaluate_claims(data)
    assert list(claims.columns) == list(rc.CLAIM_COLUMNS) and len(claims) == 9
    assert set(claims["agrees"]) == {rc.NOT_MEASURED}
    assert "needs p = 1" in claims.set_index("figure").loc["fig4c", "measured_value"]


# --- the command ---------------------------------------------------------------------------------


def test_report_runs_missing_pieces_and_reuses_existing(tmp_path, capsys):
    out = tmp_path / "rep"
    write_fixture_pieces(out)
    fixture_times = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}

    assert main(["report", *QUICK, "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out / "report.html")
    cal = out / "calibration"
    assert (cal / "calibration.json").exists() and (cal / "correlation.json").exists()
    assert {p: p.stat().st_mtime_ns for p in fixture_times} == fixture_times

    page = (out / "report.html").read_text()
    assert page.count('<img src="data:image/png;base64,') >= 6 + 2  # figures + calibration
    assert "The paper's claims" in page and "How to read this page" in page
    # quick pieces: indicative verdicts, never a plain "yes"
    assert '<td class="v-holds v-indicative">\u2713 yes, indicative (quick: 2 tasks)</td>' in page
    assert '<td class="v-holds">\u2713 yes</td>' not in page
    assert 'src="http' not in page and "<script" not in page  # self-contained
    claims = pd.read_csv(out / "report_claims.csv")
    assert {"claim", "paper_value", "measured_value", "agrees"} <= set(claims.columns)
    verdict = claims.set_index("figure")["agrees"]
    assert verdict["fig1"] == "yes" and verdict["fig2a"] == "yes" and verdict["fig2b"] == "no"
    assert verdict["fig4c"] == "yes"
    assert verdict["fig4d"] == "yes" and verdict["fig4e"] == "no"
    assert set(claims.loc[claims["figure"] == "calibration", "agrees"]) <= {"yes", "no"}
    assert (claims["seed"] == 0).all() and (claims["version"] == __version__).all()

    # the correlation in the claims is the one of the written matrix, recomputed here
    matrix = pd.read_csv(cal / "correlation_matrix.csv")
    pairs = matrix[matrix["edge_a"] < matrix["edge_b"]]["pearson"].abs()
    row = claims[claims["claim"].str.contains("uncorrelated")].iloc[0]
    assert f"mean |r| {pairs.mean():.4f}" in row["measured_value"]
    assert "n = 1000 triggers" in row["measured_value"]
    assert f"1/sqrt(n) = {1 / math.sqrt(1000):.4f}" in row["measured_value"]

    record = json.loads((out / "report.json").read_text())
    assert record["version"] == __version__ and record["seed"] == 0
    assert record["config"]["quick"] is True
    actions = {p["name"]: p["action"] for p in record["pieces"]}
    assert actions["calibration"] == "ran" and actions["check-board"] == "ran"

    # the check-board piece: its summary recomputed from its own tables
    erc = pd.read_csv(out / "check-board" / "erc.csv")
    power = pd.read_csv(out / "check-board" / "power.csv")
    board = record["check_board"]
    assert board["rows_checked"] == len(erc) > 100 and board["all_ok"] is bool(erc["ok"].all())
    assert board["rows_violated"] == int((~erc["ok"]).sum()) == 0
    total = power[power["scope"] == "total"].iloc[0]
    shown = {(r["scope"], r["name"]): r for r in board["power"]}
    assert shown[("total", "board")]["energy_per_step_j"] == pytest.approx(total["power_w"] * 50e-6)
    rails = power[power["scope"] == "rail"]["power_w"].sum()
    assert rails == pytest.approx(total["power_w"])  # the rails carry the whole board
    assert "Electrical rule check and power of the board" in page
    assert f"all {len(erc)} ERC rows ok" in page and "energy_per_step_j" in page
    assert "sense gain G = 40" in page
    # each edge's enables in time: the calibration's lag-1 autocorrelation, a rotation
    corr = json.loads((cal / "correlation.json").read_text())
    lag1 = corr["autocorrelation"]["mean_autocorrelation"][0]
    assert "<h3>Each edge's enables in time</h3>" in page and f"<td>{lag1:.4g}</td>" in page
    assert lag1 < -0.2  # far from the 0 +- 0.03 of Bernoulli bits over 1000 triggers
    assert {actions[f] for f in rp.FIGURES if f in FIXTURES} == {"reused"}
    assert actions["sense-gain"] == "ran"  # no fixture: the quick study is computed

    # second run: everything is reused, nothing recomputed
    times = {p: p.stat().st_mtime_ns for p in cal.iterdir()}
    assert main(["report", *QUICK, "--out", str(out)]) == 0
    assert {p: p.stat().st_mtime_ns for p in cal.iterdir()} == times
    record = json.loads((out / "report.json").read_text())
    assert {p["action"] for p in record["pieces"]} == {"reused"}


def test_a_failed_piece_is_reported_and_the_rest_still_made(tmp_path, capsys):
    out = tmp_path / "rep"
    write_fixture_pieces(out)
    for path in (out / "fig4c").iterdir():
        path.unlink()
    (out / "fig4c").rmdir()
    (out / "fig4c").write_text("not a folder")
    assert main(["report", *QUICK, "--out", str(out)]) == 1
    assert capsys.readouterr().out.strip() == str(out / "report.html")
    assert (out / "fig4c").read_text() == "not a folder"
    record = json.loads((out / "report.json").read_text())
    actions = {p["name"]: p["action"] for p in record["pieces"]}
    assert actions["fig4c"] == "failed" and actions["calibration"] == "ran"
    claims = pd.read_csv(out / "report_claims.csv").set_index("figure")
    assert claims.loc["fig4c", "agrees"] == rc.NOT_MEASURED
    assert "exists and is not a folder" in claims.loc["fig4c", "measured_value"]
    assert claims.loc["fig4e", "agrees"] == "no"  # the other pieces are still evaluated


def test_piece_config_mismatch_is_detected(tmp_path):
    write_fixture_pieces(tmp_path, seed=3, quick=False)
    config = rp.ReportConfig(quick=True, seed=0)
    assert "seed is 3" in rp.figure_matches(tmp_path / "fig1", "fig1", config)
    assert rp.figure_matches(tmp_path / "fig1", "fig1", rp.ReportConfig(seed=3)) is None
    (tmp_path / "calibration").mkdir()
    saved = rp.ReportConfig(quick=False, seed=0).calibration_config().to_dict()
    (tmp_path / "calibration" / "calibration.json").write_text(json.dumps({"config": saved}))
    for name in ("correlation.json", "p_vs_bias.csv", "effective_bias.json"):
        (tmp_path / "calibration" / name).write_text("{}")
    assert rp.calibration_matches(tmp_path / "calibration", rp.ReportConfig(quick=False)) is None
    why = rp.calibration_matches(tmp_path / "calibration", config)
    assert why is not None and "n_triggers" in why


@pytest.mark.parametrize(
    "args,message",
    [
        (["--seed", "-1"], "--seed: -1 must be at least 0"),
        (["--workers", "0"], "--workers: 0 must be at least 1"),
        (["--calibration-events", "exact"], "invalid choice: 'exact'"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "rep"
    with pytest.raises(SystemExit) as stop:
        main(["report", *args, "--out", str(out)])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()


def test_out_that_is_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["report", "--quick", "--out", str(target)]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err
    assert target.read_text() == "x"


@pytest.mark.slow
def test_quick_report_from_nothing_runs_every_piece(tmp_path):
    out = tmp_path / "rep"
    assert main(["report", "--quick", "--out", str(out)]) == 0
    record = json.loads((out / "report.json").read_text())
    actions = {p["name"]: p["action"] for p in record["pieces"]}
    assert actions["calibration"] == "ran"
    if rp.command_available("reproduce"):
        assert {actions[f] for f in rp.FIGURES} == {"ran"}
        claims = pd.read_csv(out / "report_claims.csv")
        assert set(claims["agrees"]) <= {"yes", "no"}
    assert '<img src="data:image/png;base64,' in (out / "report.html").read_text()


# --- one criterion per claim; honest strength; explained columns --------------------------------


def test_figure_text_shows_the_claims_verdict_not_its_own(tmp_path):
    out = tmp_path / "rep"
    write_fixture_pieces(out)
    meta_path = out / "fig2a" / "fig2a.json"
    meta = json.loads(meta_path.read_text())
    # what `coupled reproduce` writes: a verdict of its own beside its measurements
    meta["summary"] = ["series p: exponent 0.5", "paper's conclusion: NOT the same within 0.15"]
    meta_path.write_text(json.dumps(meta))
    assert main(["report", *QUICK, "--out", str(out)]) == 0
    page = (out / "report.html").read_text()
    claims = pd.read_csv(out / "report_claims.csv").astype(object).fillna("")
    visible = re.sub(r"<details>.*?</details>", "", page, flags=re.S)  # raw JSON kept there
    assert "NOT the same within 0.15" not in visible and "series p: exponent 0.5" in visible
    for row in claims.to_dict(orient="records"):
        # every claim's verdict line beside its figure is the claims row itself
        line = rc.claim_lines(pd.DataFrame([row]), row["figure"])[0]
        assert html.escape(line) in page
        assert row["criterion"] in line and rc.shown_verdict(row) in line
    row = claims.set_index("figure").loc["fig2a"]
    assert row["agrees"] == "yes" and row["evidence"] == "indicative (quick: 1 tasks)"
    assert "span 0.1" in row["measured_value"]  # exponents 0.5 (p), 0.6 (b), 0.5 (p = b)


def test_evidence_names_the_sizes_of_quick_and_full_pieces():
    table = final_table({1.0: 0.2, 0.2: 0.1})
    quick = {"table": table, "json": {"fig4c": {"quick": True, "params": {"steps_x_p": 60}}}}
    assert rc.evidence(quick, "fig4c", quick=False) == "indicative (quick: 4 tasks, steps x p = 60)"
    full = {"table": table, "json": {"fig1": {"quick": False, "params": {"steps": 20000}}}}
    assert rc.evidence(full, "fig1", quick=True) == "full (4 tasks, 20000 steps)"
    row = {"agrees": "no", "evidence": "indicative (quick: 4 tasks)"}
    assert rc.shown_verdict(row) == "no, indicative (quick: 4 tasks)"
    assert rc.shown_verdict({"agrees": "yes", "evidence": "full (4 tasks)"}) == "yes"


def test_paper_values_cite_no_task_counts():
    data = rd.ReportData(config=rp.ReportConfig(quick=True), out_dir=None, pieces=())
    claims = rc.evaluate_claims(data)
    for text in claims["paper_value"]:
        assert not re.search(r"\d+\s*(allosteric |regression )?tasks", text), text


def test_page_explains_every_column_and_term(tmp_path):
    out = tmp_path / "rep"
    write_fixture_pieces(out)
    assert main(["report", *QUICK, "--out", str(out)]) == 0
    page = (out / "report.html").read_text()
    headers = re.findall(r"<th( title=\"[^\"]*\")?>([^<]*)</th>", page)
    shown = {name for _, name in headers} - {"column", "meaning"}
    assert shown and all(title for title, name in headers if name in shown)
    assert shown <= set(GLOSSARY_COLUMNS)
    for term in ("scaled error", "steps x p", "allostery", "roles", "tap", "twin", "trigger"):
        assert f"<dt><b>{term}</b></dt>" in page


def test_narrow_log_axes_get_tick_labels():
    from coupled.analysis.plotting import pyplot, readable_log_ticks

    plt = pyplot()
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [0.8, 1.0, 1.3])  # less than a decade: matplotlib labels nothing
    ax.set_yscale("log")
    readable_log_ticks(ax.yaxis)
    fig.canvas.draw()
    low, high = ax.get_ylim()
    labels = [t.get_text() for t in ax.get_yticklabels() if low <= t.get_position()[1] <= high]
    plt.close(fig)
    assert len([t for t in labels if t]) >= 3


def test_event_raster_says_how_many_steps_it_shows():
    from coupled.analysis.report import raster_span

    events = pd.DataFrame(
        [(s, 0, e, (s + e) % 2) for s in range(1, 301) for e in range(3)],
        columns=["step", "task", "edge", "enabled"],
    )
    runs = {"a": {"events": events}}
    assert raster_span(runs, 200) == "the first 200 of 300 recorded steps"
    assert raster_span(runs, 500) == "all 300 recorded steps"
