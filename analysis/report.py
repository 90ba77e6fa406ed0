"""The report page: one self-contained HTML file with every figure embedded as base64 PNG.

:func:`render_report` turns a :class:`coupled.reporting.data.ReportData` into ``report.html``: the
claims table, the board's electrical rule check and power budget
(:mod:`coupled.analysis.board_check`),
the calibration (a few points of p against the bias, the correlation of update events at p = 0.5
with n and the null 1/sqrt(n), each edge's enable autocorrelation at lags 1-10, the effective
comparator bias range), the training runs of
``coupled demo`` (error against step, update-event raster, share of edges updated per step
against p), every reproduced figure (the PNGs the pieces wrote) and the provenance (config,
seed, version, which pieces were reused or run). The page loads nothing from elsewhere.
matplotlib is imported lazily with the Agg backend.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from coupled.analysis.board_check import board_check_section
from coupled.analysis.calibration import draw_calibration
from coupled.analysis.figures import board_text, draw_figure
from coupled.analysis.report_training import (
    plot_event_raster,
    plot_share_against_p,
    plot_training_curves,
    raster_span,
)
from coupled.analysis.waveforms import plot_step_edge
from coupled.analysis.yields import plot_yield
from coupled.analysis.your_board import your_board_section
from coupled.core.version import __version__
from coupled.reporting.claims import claim_lines, shown_verdict
from coupled.reporting.data import ReportData, training_summary
from coupled.reporting.glossary import COLUMNS, GLOSSARY, HOW_TO_READ
from coupled.reporting.pieces import FIGURES, Drawers, ReportConfig

DRAWERS = Drawers(
    figure=draw_figure, calibration=draw_calibration, waveform=plot_step_edge, yields=plot_yield
)
"""How the report draws the pieces it runs."""

TITLES = {
    "fig1": "Fig. 1: scaled test error against steps x p (continuous rule, 143 edges)",
    "fig2a": "Fig. 2a: distance from the synchronous full-batch solution (16 edges)",
    "fig2b": "Fig. 2b: the same with fixed counts of edges and examples",
    "fig4c": "Fig. 4c: final error of allosteric tasks against p (discrete rule, 16 edges)",
    "fig4d": "Fig. 4d: final error against the number of outputs O (discrete rule, 143 edges)",
    "fig4e": "Fig. 4e: final error of 2-in-2-out regression against p (discrete, 143 edges)",
    "sense-gain": "Sensing gain: final error against the gain G at p = {p} (0-5 V board)",
    "temporal": "The enables in time: autocorrelation against oscillator jitter and trigger "
    "period (16-edge board, p = 0.5)",
    "clockless": "Clockless board: self-triggered edges against the clocked board, equal updates",
}


def figure_title(name: str, piece: dict | None = None) -> str:
    """The report's heading of figure ``name`` (the registry's description if it has none).

    ``{p}`` in a title becomes the values of p in the piece's table (``piece["table"]``,
    largest first), so the heading names what the plot shows.
    """
    from coupled.reproduction.base import FIGURES as REGISTRY

    title = TITLES.get(name) or f"{name}: {REGISTRY[name][1]}"
    if "{p}" in title:
        table = (piece or {}).get("table")
        values = [] if table is None or "p" not in table else sorted(set(table["p"]))[::-1]
        title = title.replace("{p}", ", ".join(f"{v:g}" for v in values) or "several values")
    return title


_STYLE = """
body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #bbb;padding:3px 7px;
text-align:left;vertical-align:top;font-size:.9em}th{background:#eee}
td.v-holds{background:#d6e9f8;border-left:5px solid #0072b2}
td.v-contradicted{background:#fbe0cc;border-left:5px solid #d55e00}
td.v-unresolved{background:#f0f0f0;border-left:5px dotted #555}
td.v-nm{background:#fff;color:#555;border-left:5px solid #bbb}
td.v-indicative{font-style:italic;border-top:2px dashed #888;border-bottom:2px dashed #888}
table.legend td,table.legend th{font-size:.8em;color:#444}
ul.verdict{font-weight:bold}th[title]{cursor:help;text-decoration:underline dotted}
figure{margin:.5em 0 1em}figcaption{color:#444;font-size:.85em;max-width:1000px}
img{max-width:100%;border:1px solid #ddd;margin:.3em 0}.meta{color:#555;font-size:.9em}
pre{background:#f6f6f6;padding:.5em;overflow-x:auto;font-size:.8em}
"""
MAX_TABLE_ROWS = 25
"""Rows a table shows in full; a longer one shows evenly spaced rows and says how many are
hidden and which file holds them all."""
VERDICTS = {
    "holds": ("v-holds", "\u2713", ("yes", "holds", "agrees")),
    "contradicted": ("v-contradicted", "\u2717", ("no", "contradicted")),
    "unresolved": ("v-unresolved", "?", ("not resolved", "unresolved")),
    "not measured": ("v-nm", "\u2013", ("not measured",)),
}
"""Verdict kind -> (CSS class, text mark, the words that name it). Colours from the Okabe-Ito
palette (blue, vermillion; told apart with red-green colour blindness) with a text mark and a
border style each, so a verdict reads in grey print too; indicative verdicts (quick pieces) are
italic between dashed lines."""


def png_data_uri(png: bytes | str | Path) -> str:
    """``data:image/png;base64,...`` of PNG bytes or of a PNG file."""
    raw = Path(png).read_bytes() if isinstance(png, str | Path) else png
    return "data:image/png;base64," + base64.b64encode(raw).decode("ascii")


def _img(png: bytes | str | Path, alt: str, caption: str) -> str:
    """An embedded PNG as a ``<figure>`` with its legend (``<figcaption>``)."""
    return (
        f'<figure><img src="{png_data_uri(png)}" alt="{html.escape(alt)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def verdict_kind(text: str) -> str:
    """The kind of a shown verdict (a key of :data:`VERDICTS`): ``yes``/``holds`` -> holds,
    ``no``/``contradicted`` -> contradicted, ``not resolved`` -> unresolved, else not measured;
    anything after the first comma (``"yes, indicative (...)"``) is ignored."""
    head = text.split(",")[0].strip().lower()
    for kind, (_, _, words) in VERDICTS.items():
        if any(head == w or head.startswith(w + " ") for w in words):
            return kind
    return "not measured"


def _verdict_cell(text: str, indicative: bool = False) -> str:
    kind = verdict_kind(text)
    css, mark, _ = VERDICTS[kind]
    if indicative or "indicative" in text:
        css += " v-indicative"
    return f'<td class="{css}">{mark} {html.escape(text)}</td>'


def _verdict_key() -> str:
    """The key of the verdict colours and marks, under the claims table."""
    cells = "".join(
        f'<td class="{css}">{mark} {html.escape(" / ".join(words))}</td>'
        for css, mark, words in VERDICTS.values()
    )
    return (
        f"<table class=legend><tr><td><b>verdict key</b></td>{cells}"
        '<td class="v-nm v-indicative">indicative: quick piece</td></tr></table>'
    )


def _header_cell(column: object) -> str:
    meaning = COLUMNS.get(str(column))
    title = f' title="{html.escape(meaning)}"' if meaning else ""
    return f"<th{title}>{html.escape(str(column))}</th>"


def _legend(columns) -> str:
    """A small table naming what each of ``columns`` means (those :data:`COLUMNS` knows)."""
    rows = [
        f"<tr><td><code>{html.escape(str(c))}</code></td><td>{html.escape(COLUMNS[str(c)])}</td></tr>"
        for c in columns
        if str(c) in COLUMNS
    ]
    if not rows:
        return ""
    return f"<table class=legend><tr><th>column</th><th>meaning</th></tr>{''.join(rows)}</table>"


def _table(
    frame: pd.DataFrame,
    verdict: str | tuple[str, ...] | None = None,
    legend: bool = True,
    source: str | Path | None = None,
) -> str:
    """An HTML table of ``frame`` (values escaped) with a legend of its columns.

    The cells of the ``verdict`` column(s) get the colour, border and text mark of their kind
    (:data:`VERDICTS`; ``agrees`` shows :func:`shown_verdict`), dashed when the row's
    ``evidence`` is indicative (a quick piece). A frame longer than :data:`MAX_TABLE_ROWS`
    shows evenly spaced rows (the first and last among them) and a note of how many are hidden
    and where ``source``, the file with every row, is.
    """
    verdicts = (verdict,) if isinstance(verdict, str) else tuple(verdict or ())
    shown = frame
    note = ""
    if len(frame) > MAX_TABLE_ROWS:
        keep = np.unique(np.linspace(0, len(frame) - 1, MAX_TABLE_ROWS).round().astype(int))
        shown = frame.iloc[keep]
        where = f"; every row is in {source}" if source is not None else ""
        note = (
            f"<p class=meta>Showing {len(shown)} of {len(frame)} rows, evenly spaced "
            f"({len(frame) - len(shown)} hidden){html.escape(where)}.</p>"
        )
    head = "".join(_header_cell(c) for c in frame.columns)
    rows = []
    for _, row in shown.iterrows():
        cells = []
        for col, value in row.items():
            if col in verdicts:
                text = shown_verdict(row) if col == "agrees" else str(value)
                quick = str(row.get("evidence", "") or "").startswith("indicative")
                cells.append(_verdict_cell(text, indicative=quick))
                continue
            text = f"{value:.4g}" if isinstance(value, float) else str(value)
            cells.append(f"<td>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    table = f"<table><tr>{head}</tr>{''.join(rows)}</table>{note}"
    return table + (_legend(frame.columns) if legend else "")


def _details(summary: str, data: dict) -> str:
    text = html.escape(json.dumps(data, indent=2, default=str))
    return f"<details><summary>{html.escape(summary)}</summary><pre>{text}</pre></details>"


# --- sections ----------------------------------------------------------------------------------


def _intro_section() -> str:
    return f"<h2>How to read this page</h2><p>{html.escape(HOW_TO_READ)}</p>"


def _glossary_section() -> str:
    items = "".join(
        f"<dt><b>{html.escape(term)}</b></dt><dd>{html.escape(text)}</dd>"
        for term, text in GLOSSARY.items()
    )
    return f"<h2 id=glossary>Glossary</h2><dl>{items}</dl>"


def _claims_section(data: ReportData) -> str:
    claims = data.claims if data.claims is not None else pd.DataFrame()
    table = _table(claims, verdict=tuple(c for c in ("verdict", "agrees") if c in claims))
    return "<h2>The paper's claims</h2>" + table + (_verdict_key() if len(claims) else "")


def _calibration_section(cal: dict, claims: pd.DataFrame | None = None) -> str:
    if not cal:
        return "<h2>Calibration</h2><p>No calibration in this folder.</p>"
    verdicts = "".join(
        f"<li>{html.escape(line)}</li>" for line in claim_lines(claims, "calibration")
    )
    table = cal["p_table"].sort_values("bias_v")
    cols = [c for c in ("bias_v", "p", "p_std", "p_formula", "n_triggers") if c in table]
    images = {p.stem: p for p in cal["images"]}
    cfg = cal.get("run", {}).get("config", {})
    board = (
        f"board {cfg.get('network', '?')}, part tolerance +-{cfg.get('tolerance', 0):g}, "
        f"seed {cfg.get('seed', '?')}, trigger period {cfg.get('trigger_period_s', 0):g} s, "
        f"events: {cfg.get('events', '?')}"
    )
    parts = [
        "<h2>Calibration of the board</h2>",
        f"<p class=meta>{html.escape(board)}; {html.escape(str(cal['path']))}</p>",
        f"<ul class=verdict>{verdicts}</ul>" if verdicts else "",
        "<h3>p against the global bias</h3>",
        _table(table[cols], source=Path(cal["path"]) / "p_vs_bias.csv"),
    ]
    parts += _calibration_image(images, "p_vs_bias", CALIBRATION_CAPTIONS["p_vs_bias"])
    corr = cal.get("correlation", {})
    if corr:
        n = int(corr["n_triggers"])
        parts.append(
            "<h3>Correlation of update events at p = 0.5</h3><p>"
            f"bias {corr['bias_v']:.4f} V, measured p {corr['p']:.3f}; mean |r| "
            f"{corr['mean_abs_pearson']:.4f}, median {corr['median_abs_pearson']:.4f}, max "
            f"{corr['max_abs_pearson']:.3f} over {corr['n_pairs']} pairs of edges; n = {n} "
            f"triggers, null 1/sqrt(n) = {1 / np.sqrt(n):.4f} (mean |r| of independent trains "
            f"{corr['null_mean_abs_pearson']:.4f}); paper: about {corr.get('paper_pearson', 0.01)}"
            f". Events: {html.escape(str(corr.get('events', '')))}.</p>"
        )
        parts += _calibration_image(
            images, "correlation_hist", CALIBRATION_CAPTIONS["correlation_hist"]
        )
    parts += _autocorrelation_parts(corr)
    bias = cal.get("effective_bias", {})
    if bias.get("positive_clamped_drop", {}).get("n"):
        pos, every = bias["positive_clamped_drop"], bias["all_branches"]
        parts.append(
            "<h3>Effective comparator bias</h3><p>"
            f"Where the clamped drop is positive: sigma from {pos['min_v'] * 1e3:.1f} to "
            f"{pos['max_v'] * 1e3:.1f} mV (mean {pos['mean_v'] * 1e3:.1f} mV, "
            f"{100 * pos['share_in_paper_range']:.0f} % inside the paper's "
            f"{html.escape(bias['paper_law'])}, n = {pos['n']}); over all four sign branches "
            f"from {every['min_v'] * 1e3:.1f} to {every['max_v'] * 1e3:.1f} mV.</p>"
        )
        parts += _calibration_image(
            images, "effective_bias", CALIBRATION_CAPTIONS["effective_bias"]
        )
    others = sorted(set(images) - set(CALIBRATION_CAPTIONS))
    parts += [_img(images[stem], images[stem].name, images[stem].name) for stem in others]
    return "\n".join(parts)


CALIBRATION_CAPTIONS = {
    "p_vs_bias": "p_vs_bias.png: update probability p (mean over edges; band: +-1 sd across "
    "edges) against the global bias voltage, the circuit's triggers and the phase model's "
    "time share.",
    "correlation_hist": "correlation_hist.png: Pearson r of the update events of every pair "
    "of edges at p = 0.5; grey dashed: the null spread 1/sqrt(n) of independent trains; red "
    "dotted: the paper's 0.01.",
    "effective_bias": "effective_bias.png: each edge's effective comparator bias sigma, per "
    "sign branch of the clamped drop, against the paper's U[0, 0.05] V (dashed).",
}
"""The calibration's figures, each shown under its own heading, with its legend."""


def _calibration_image(images: dict, stem: str, caption: str) -> list[str]:
    return [_img(images[stem], images[stem].name, caption)] if stem in images else []


def _autocorrelation_parts(corr: dict) -> list[str]:
    """Each edge's enable autocorrelation at lags 1-10 (mean over edges): the calibration's own
    events and the phase model with the oscillators' jitter."""
    auto = corr.get("autocorrelation", {})
    if not auto.get("lags"):
        return []
    table = pd.DataFrame(
        {
            "lag": auto["lags"],
            "mean_autocorrelation": auto["mean_autocorrelation"],
            "mean_abs_autocorrelation": auto["mean_abs_autocorrelation"],
        }
    )
    phase = corr.get("phase_model", {}).get("autocorrelation", {})
    jitter = corr.get("phase_model", {}).get("jitter", corr.get("jitter"))
    if phase.get("lags") == auto["lags"]:
        table["phase_model_autocorrelation"] = phase["mean_autocorrelation"]
    events = html.escape(str(corr.get("events", "")))
    text = (
        f"At the bias for p = 0.5, mean over edges, events: {events}; Bernoulli bits would give "
        f"0 +- {auto['null_std']:.3f}. "
    )
    if "phase_model_autocorrelation" in table and jitter is not None:
        text += f"phase_model_autocorrelation: the phase model with jitter {jitter:g}. "
    text += (
        "A deterministic oscillator sampled every trigger period is a rotation, not a coin flip "
        "(<code>coupled reproduce temporal</code>: against jitter and trigger period)."
    )
    return ["<h3>Each edge's enables in time</h3>", f"<p>{text}</p>", _table(table)]


def _training_section(runs: dict) -> str:
    if not runs:
        return (
            "<h2>Training on the board</h2><p>No training runs in this folder "
            "(<code>coupled demo</code> writes them to <code>training/</code>).</p>"
        )
    summary = training_summary(runs)
    parts = [
        "<h2>Training on the board</h2>",
        _table(summary),
        _img(
            plot_training_curves(runs),
            "training curves",
            "Scaled test error (mean over tasks) against training step (left) and against "
            "steps x p (right), one line per run (folder name and engine).",
        ),
    ]
    parts += [_details(f"{name}: run.json", run["run"]) for name, run in runs.items()]
    if "mean_share" in summary and summary["mean_share"].notna().any():
        parts.append(
            _img(
                plot_event_raster(runs),
                "update-event raster",
                f"The raster shows {raster_span(runs)} of the first task of each run (black: "
                "the edge updated at that step); right: the share of edges updated per step "
                "and the requested p (red).",
            )
        )
        parts.append(
            _img(
                plot_share_against_p(summary.dropna(subset=["mean_share"])),
                "share of edges updated against p",
                "Mean share of edges updated per step against the requested p (blue, +-1 sd "
                "over steps), the line share = p, and the spread of independent edges "
                "sqrt(p (1 - p) / E) (red).",
            )
        )
    return "\n".join(parts)


OWN_VERDICT_PREFIX = "paper's conclusion"
"""Summary lines of ``coupled reproduce`` with its own verdict: the page shows the claims
table's verdict line instead (one criterion per claim); the figure's JSON keeps them."""


def _figures_section(figures: dict, claims: pd.DataFrame | None = None) -> str:
    parts = [
        "<h2>Reproduced figures</h2>",
        "<p class=meta>Under each figure: its verdict line(s) from the claims table (the same "
        "criterion), then the figure's own summary of what it measured.</p>",
    ]
    for name in FIGURES:
        fig = figures.get(name)
        parts.append(f"<h3>{html.escape(figure_title(name, fig))}</h3>")
        if not fig:
            parts.append("<p>Not available in this folder.</p>")
            continue
        table = fig["table"]
        cfg = fig["json"].get(name, {}).get("train_config")
        if cfg:
            parts.append(f"<p><b>Board:</b> {html.escape(board_text(name, cfg))}</p>")
        parts.append(
            f"<p class=meta>{html.escape(str(fig['path']))}: {len(table)} rows, columns "
            f"{html.escape(', '.join(map(str, table.columns)))}</p>"
        )
        verdicts = claim_lines(claims, name)
        if verdicts:
            items = "".join(f"<li>{html.escape(line)}</li>" for line in verdicts)
            parts.append(f"<ul class=verdict>{items}</ul>")
        summary = [
            line
            for line in fig["json"].get(name, {}).get("summary", [])
            if not str(line).startswith(OWN_VERDICT_PREFIX)
        ]
        if summary:
            items = "".join(f"<li>{html.escape(str(line))}</li>" for line in summary)
            parts.append(f"<ul class=meta>{items}</ul>")
        parts += [
            _img(p, p.name, f"{p.name}: {figure_title(name, fig)}; data in {fig['path']}")
            for p in fig["images"]
        ]
        for stem, meta in fig["json"].items():
            parts.append(_details(f"{stem}.json", meta))
    return "\n".join(parts)


def _provenance_section(data: ReportData) -> str:
    pieces = pd.DataFrame([vars(p) for p in data.pieces])
    return (
        "<h2>Provenance</h2>"
        + (_table(pieces) if len(pieces) else "")
        + _details("report config", data.config.to_dict())
    )


def render_report(data: ReportData, path: str | Path) -> Path:
    """Write the self-contained page for ``data`` to ``path`` (atomically); returns the path."""
    from coupled.core.io import write_text

    mode = "quick" if data.config.quick else "full"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join(
        [
            "<h1>Desynchronous coupled learning: calibration and the paper's results</h1>",
            f"<p class=meta>coupled {html.escape(__version__)}; seed {data.config.seed}; {mode} "
            f"pieces; generated {stamp}; {data.wall_time_s:.1f} s to gather. Paper: Wycoff et al., "
            "J. Chem. Phys. 156, 144903 (2022).</p>",
            _intro_section(),
            _claims_section(data),
            board_check_section(data.board_check, _table),
            your_board_section(data.your_board, _table, _img),
            _calibration_section(data.calibration, data.claims),
            _training_section(data.training),
            _figures_section(data.figures, data.claims),
            _provenance_section(data),
            _glossary_section(),
        ]
    )
    page = (
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>coupled report"
        f"</title><style>{_STYLE}</style></head><body>{body}</body></html>\n"
    )
    return write_text(path, page)


def report(
    config: ReportConfig,
    out: str | Path,
    log: Callable[[str], None] | None = None,
    pieces: tuple[str, ...] | None = None,
) -> tuple[Path, tuple[str, ...]]:
    """Gather or run the report's pieces in ``out`` and write the page, claims CSV and JSON.

    Parameters
    ----------
    config
        The report's settings (:class:`coupled.reporting.data.ReportConfig`).
    out
        The report folder; created if missing, existing pieces in it are reused.
    log
        Callable taking one line of progress text.
    pieces
        Which pieces to reuse or run (default all of :data:`coupled.reporting.data.PIECES`);
        pieces already in ``out`` are shown either way.

    Returns
    -------
    tuple
        The path of ``report.html`` and the names of the pieces that failed (their errors are
        on the page).
    """
    from coupled.core.io import prepare_out_dir, write_json, write_table
    from coupled.reporting.data import gather, report_record
    from coupled.reporting.pieces import PIECES

    folder = Path(out)
    prepare_out_dir(folder, resume=True, option="out")
    data = gather(
        config,
        folder,
        pieces=PIECES if pieces is None else pieces,
        log=log,
        drawers=DRAWERS,
    )
    stamp = {"seed": config.seed, "quick": config.quick, "version": __version__}
    write_table(folder / "report_claims.csv", data.claims.assign(**stamp))
    write_json(folder / "report.json", report_record(data))
    failed = tuple(p.name for p in data.pieces if p.action == "failed")
    return render_report(data, folder / "report.html"), failed
