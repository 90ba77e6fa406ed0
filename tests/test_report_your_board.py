"""The report's "Your board" section on small studies made by the real code: supply corners
(ERC in ngspice, a short twin training), a small yield with its budget, one golden waveform."""

from __future__ import annotations

import json
import shutil

import pytest

from coupled.analysis.report import render_report
from coupled.analysis.waveforms import plot_step_edge
from coupled.analysis.yields import plot_yield
from coupled.reporting.data import ReportData, report_record
from coupled.reporting.pieces import YOUR_BOARD, ReportConfig
from coupled.reporting.your_board import (
    QUICK_SIZES,
    load_your_board,
    run_your_board,
    your_board_matches,
)
from tests.test_report_page import Page


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The quick report's studies, run in this process by the report's own runner."""
    base = tmp_path_factory.mktemp("report") / YOUR_BOARD
    run_your_board("experiment16", 0, True, str(base), plot_step_edge, plot_yield)
    return base


def _page(data: ReportData, path) -> list[dict]:
    parser = Page()
    parser.feed(render_report(data, path).read_text())
    return parser.items


def test_section_shows_corners_yield_budget_and_a_waveform(folder):
    piece = load_your_board(folder)
    data = ReportData(ReportConfig(quick=True), folder.parent, (), your_board=piece)
    items = _page(data, folder.parent / "report.html")
    h2 = [i["text"] for i in items if i["tag"] == "h2"]
    assert h2.index("Your board") == h2.index("Electrical rule check and power of the board") + 1
    start = next(k for k, i in enumerate(items) if i["tag"] == "h2" and i["text"] == "Your board")
    end = next(k for k, i in enumerate(items) if k > start and i["tag"] == "h2")
    section = items[start:end]
    h3 = [i["text"] for i in section if i["tag"] == "h3"]
    assert h3 == [
        "ERC and training at the supply corners",
        "Yield and tolerance budget",
        "One training step's waveforms",
    ]
    tables = [i for i in section if i["tag"] == "table" and i.get("class") != "legend"]
    corners = tables[0]
    assert corners["rows"] == 4  # header and three corners
    assert [text for _, text in corners["cells"][1::8]] == ["4.5", "5", "5.5"]
    summary = json.loads((folder / "yield" / "yield.json").read_text())
    text = " ".join(i.get("text", "") for i in section)
    assert f"Yield {summary['yield']:.3f}" in text
    assert f"{summary['ci_low']:.3f}-{summary['ci_high']:.3f}" in text
    assert f"Indicative: {QUICK_SIZES['yield_boards']} boards" in text
    assert tables[1]["rows"] - 1 == len(piece["budget"]) > 0
    first = [text for _, text in tables[1]["cells"][: len(piece["budget"].columns)]]
    assert first[:2] == [str(v) for v in piece["budget"].iloc[0][["part_class", "change"]]]
    figures = [i for i in section if i["tag"] == "figure"]
    assert [f["img"] for f in figures] == ["step1_edge0.png"] and figures[0]["caption"]
    assert report_record(data)["your_board"]["missing_commands"] == {}


def test_missing_studies_give_the_exact_command(tmp_path):
    piece = load_your_board(tmp_path / YOUR_BOARD, "experiment16", 3)
    data = ReportData(ReportConfig(quick=True), tmp_path, (), your_board=piece)
    items = _page(data, tmp_path / "report.html")
    text = " ".join(i.get("text", "") for i in items if i["tag"] == "p")
    for command in piece["commands"].values():
        assert command in text
    assert "coupled check-board --network experiment16 --seed 3 --corners" in text
    assert not [i for i in items if i["tag"] == "figure"]


def test_quick_studies_are_reused_and_a_designers_folders_are_kept(folder, tmp_path):
    assert your_board_matches(folder, "experiment16", 0, True) is None
    assert your_board_matches(folder, "experiment16", 0, False) == "other sizes or seed"
    assert your_board_matches(tmp_path / "none", "experiment16", 0, True) is not None
    own = tmp_path / YOUR_BOARD
    shutil.copytree(folder / "corners", own / "corners")  # a designer's own corners, no record
    assert your_board_matches(own, "experiment16", 0, False) is None
    piece = load_your_board(own)
    assert piece["corners"] is not None and not piece["yield"] and piece["waveform"] is None
    assert set(report_record_missing(piece)) == {"yield", "waveforms"}


def report_record_missing(piece: dict) -> dict:
    data = ReportData(ReportConfig(quick=True), piece["path"].parent, (), your_board=piece)
    return report_record(data)["your_board"]["missing_commands"]
