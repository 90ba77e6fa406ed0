"""The report page as a reader meets it, checked by parsing its HTML: the headings in order, each
calibration figure under its own heading, no table rows hidden without a note, every figure with
its legend, verdicts told apart by colour class and text mark, headings that name what is
plotted. The pieces are real (a phase-model calibration, a check-board, training runs); only the
one reproduced figure is a stand-in PNG, since the page, not the study, is under test."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

import coupled
from coupled.analysis.calibration import draw_calibration
from coupled.analysis.plotting import pyplot
from coupled.analysis.report import MAX_TABLE_ROWS, VERDICTS, render_report
from coupled.calibration.erc import check_board
from coupled.calibration.erc_files import write_check
from coupled.calibration.run import CalibrationConfig
from coupled.reporting.claims import CLAIM_COLUMNS
from coupled.reporting.data import ReportData
from coupled.reporting.loading import (
    load_calibration_piece,
    load_check_board_piece,
    load_training_runs,
)
from coupled.reporting.pieces import ReportConfig

H2_ORDER = [
    "How to read this page",
    "The paper's claims",
    "Electrical rule check and power of the board",
    "Your board",
    "Calibration of the board",
    "Training on the board",
    "Reproduced figures",
    "Provenance",
    "Glossary",
]
CALIBRATION_H3 = {
    "p against the global bias": "p_vs_bias.png",
    "Correlation of update events at p = 0.5": "correlation_hist.png",
    "Effective comparator bias": "effective_bias.png",
}
BIAS_POINTS = MAX_TABLE_ROWS + 5


class Page(HTMLParser):
    """The page as a flat list of elements: headings, tables (rows, class), notes, figures."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[dict] = []
        self._open: list[dict] = []
        self._text: list[str] | None = None
        self._figure: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("h1", "h2", "h3", "p", "figcaption", "td"):
            self._text = []
            self._open.append({"tag": tag, "class": attrs.get("class", "")})
        elif tag == "table":
            self.items.append({"tag": "table", "class": attrs.get("class", ""), "rows": 0})
        elif tag == "tr" and self.items and self.items[-1]["tag"] == "table":
            self.items[-1]["rows"] += 1
        elif tag == "figure":
            self._figure = {"tag": "figure", "img": None, "caption": ""}
            self.items.append(self._figure)
        elif tag == "img":
            if self._figure is None:
                self.items.append({"tag": "figure", "img": attrs.get("alt"), "caption": ""})
            else:
                self._figure["img"] = attrs.get("alt")

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._open and self._open[-1]["tag"] == tag:
            item = self._open.pop()
            text = "".join(self._text or []).strip()
            self._text = None
            if tag == "figcaption" and self._figure is not None:
                self._figure["caption"] = text
            elif tag == "td":
                table = next(i for i in reversed(self.items) if i["tag"] == "table")
                table.setdefault("cells", []).append((item["class"], text))
            else:
                self.items.append({"tag": tag, "text": text, "class": item["class"]})
        if tag == "figure":
            self._figure = None


def _figure_png(path: Path) -> Path:
    plt = pyplot()
    fig, ax = plt.subplots()
    ax.plot([1, 10, 40], [0.1, 0.01, 0.02], label="p = 0.5")
    ax.legend()
    fig.savefig(path)
    plt.close(fig)
    return path


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> tuple[list[dict], str]:
    folder = tmp_path_factory.mktemp("report")
    cal_config = CalibrationConfig(
        network="experiment16", events="phase", n_triggers=400, n_triggers_p=100, n_bias=BIAS_POINTS
    )
    result = coupled.calibrate(cal_config, folder / "calibration")
    draw_calibration(result, folder / "calibration")
    write_check(check_board("experiment16", examples=1), folder / "check-board", 0)
    for p in (1.0, 0.5):
        cfg = coupled.TrainConfig(
            network="experiment16",
            task="allostery",
            rule="discrete",
            p=p,
            steps=30,
            record_events="parquet",
        )
        coupled.train(cfg, folder / "training" / f"p_{p:g}")
    figure = folder / "sense-gain"
    figure.mkdir()
    table = pd.DataFrame({"p": [1.0, 0.5, 1.0, 0.5], "sense_gain": [1, 1, 40, 40]})
    rows = [
        ("holds", "yes", "full (3 seeds)"),
        ("contradicted", "no", "full (3 seeds)"),
        ("not resolved", "no", "full (3 seeds)"),
        ("not resolved at this size", "yes", "indicative (quick: 4 tasks)"),
        ("not measured", "not measured", "none"),
    ]
    claims = pd.DataFrame(
        [
            dict.fromkeys(CLAIM_COLUMNS, "x") | {"verdict": v, "agrees": a, "evidence": e}
            for v, a, e in rows
        ]
    )
    data = ReportData(
        config=ReportConfig(quick=True),
        out_dir=folder,
        pieces=(),
        calibration=load_calibration_piece(folder / "calibration"),
        figures={
            "sense-gain": {
                "path": figure,
                "table": table,
                "json": {"sense-gain": {"summary": ["a line"]}},
                "images": [_figure_png(figure / "sense-gain.png")],
            }
        },
        training=load_training_runs(folder / "training"),
        claims=claims,
        board_check=load_check_board_piece(folder / "check-board"),
    )
    path = render_report(data, folder / "report.html")
    parser = Page()
    parser.feed(path.read_text())
    return parser.items, str(folder)


def test_sections_and_calibration_headings_are_in_order(page):
    items, _ = page
    h2 = [i["text"] for i in items if i["tag"] == "h2"]
    assert h2 == H2_ORDER
    start = next(k for k, i in enumerate(items) if i.get("text") == "Calibration of the board")
    end = next(k for k, i in enumerate(items) if i.get("text") == "Training on the board")
    h3 = [i["text"] for i in items[start:end] if i["tag"] == "h3"]
    assert [h for h in h3 if h in CALIBRATION_H3] == list(CALIBRATION_H3)
    # each calibration figure sits under its own heading, before the next heading
    heading = None
    for item in items[start:end]:
        if item["tag"] == "h3":
            heading = item["text"]
        elif item["tag"] == "figure":
            assert CALIBRATION_H3.get(heading) == item["img"], (heading, item["img"])


def test_no_table_rows_are_hidden_without_a_note(page):
    items, folder = page
    notes = 0
    for k, item in enumerate(items):
        if item["tag"] != "table" or "legend" in item["class"]:
            continue
        follower = items[k + 1] if k + 1 < len(items) else {}
        text = follower.get("text", "") if follower.get("tag") == "p" else ""
        shown = re.match(r"Showing (\d+) of (\d+) rows", text)
        if shown:
            notes += 1
            assert int(shown.group(1)) == item["rows"] - 1  # minus the header row
            assert f"{folder}/calibration/p_vs_bias.csv" in text
    # the one long table (p against the bias, BIAS_POINTS rows) says so; the claims show all
    assert notes == 1
    claims = next(i for i in items if i["tag"] == "table" and len(i.get("cells", [])) > 30)
    assert claims["rows"] - 1 == 5


def test_every_figure_has_its_legend(page):
    items, _ = page
    figures = [i for i in items if i["tag"] == "figure"]
    assert len(figures) == 3 + 3 + 1  # calibration, training (curves, raster, share), figure
    for figure in figures:
        assert figure["img"], figure
        assert len(figure["caption"]) > 20, figure


def test_verdicts_have_distinct_colours_and_text_marks(page):
    items, _ = page
    claims = next(i for i in items if i["tag"] == "table" and len(i.get("cells", [])) > 30)
    verdicts = [cell for cell in claims["cells"] if cell[0].startswith("v-")]
    assert len(verdicts) == 2 * 5  # the verdict and agrees columns
    kinds = {}
    for css, text in verdicts:
        word = text[2:].split(",")[0]
        kinds[word] = (css.split()[0], text[0])
    assert kinds["holds"] == kinds["yes"] == (VERDICTS["holds"][0], "\u2713")
    assert kinds["contradicted"] == kinds["no"] == (VERDICTS["contradicted"][0], "\u2717")
    assert kinds["not resolved"] == kinds["not resolved at this size"]
    assert kinds["not resolved"] == (VERDICTS["unresolved"][0], "?")
    assert kinds["not measured"] == (VERDICTS["not measured"][0], "\u2013")
    assert len({kinds[w][0] for w in ("holds", "contradicted", "not resolved")}) == 3
    indicative = [text for css, text in verdicts if "v-indicative" in css]
    assert indicative == ["? not resolved at this size", "\u2713 yes, indicative (quick: 4 tasks)"]


def test_figure_headings_name_what_is_plotted(page):
    items, _ = page
    (heading,) = [i["text"] for i in items if i["tag"] == "h3" and "Sensing gain" in i["text"]]
    assert "at p = 1, 0.5 " in heading and "0.2" not in heading
