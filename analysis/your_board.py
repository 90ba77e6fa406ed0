"""The report's "Your board" section: ERC per supply corner, yield and budget, one waveform.

Drawn from the your-board piece (:func:`coupled.reporting.your_board.load_your_board`). Each
study that is missing is named with the exact command that makes it. ``table`` is the page's
table renderer (``table(frame, source=path)``), ``img`` its figure renderer
(``img(png, alt, caption)``).
"""

from __future__ import annotations

import html
from collections.abc import Callable

TITLE = "<h2>Your board</h2>"
H3_CORNERS = "<h3>ERC and training at the supply corners</h3>"
H3_YIELD = "<h3>Yield and tolerance budget</h3>"
H3_WAVEFORM = "<h3>One training step's waveforms</h3>"


def _missing(command: str, what: str) -> str:
    return (
        f"<p>No {html.escape(what)} in this folder. Run it with "
        f"<code>{html.escape(command)}</code>.</p>"
    )


def _corners(piece: dict, table: Callable) -> str:
    corners = piece.get("corners")
    if corners is None:
        return H3_CORNERS + _missing(piece["commands"]["corners"], "supply corners")
    fails = corners[~corners["erc_ok"].astype(bool)]
    text = (
        "The ERC passes at every corner."
        if fails.empty
        else "The ERC fails at " + ", ".join(f"{v:g} V" for v in fails["supply_v"]) + "."
    )
    steps = int(corners["steps"].max()) if len(corners) else 0
    return (
        H3_CORNERS
        + f"<p>{html.escape(text)} final_scaled_error: mean over the corner's tasks after "
        f"{steps} training steps of the board twin at that supply.</p>"
        + table(corners, source=piece["corners_path"])
    )


def _yield(piece: dict, table: Callable) -> str:
    summary = piece.get("yield")
    if not summary:
        return H3_YIELD + _missing(piece["commands"]["yield"], "yield study")
    note = (
        f" Indicative: {summary['boards']} boards (a full study draws 200: "
        f"<code>{html.escape(piece['commands']['yield'])}</code>)."
        if piece.get("yield_indicative")
        else ""
    )
    learned = summary.get("learned")
    count = f" ({learned} of {summary['boards']} boards)" if learned is not None else ""
    parts = [
        H3_YIELD,
        f"<p><b>Yield {summary['yield']:.3f}</b>{count}, 95 % interval "
        f"{summary['ci_low']:.3f}-{summary['ci_high']:.3f}: the share of drawn boards whose "
        f"final scaled error is at most {summary['target_error']:g}.{note}</p>",
    ]
    budget = piece.get("budget")
    if budget is not None and len(budget):
        top = budget.iloc[0]
        parts.append(
            f"<p>Tolerance budget, ranked by effect on the yield: first "
            f"{html.escape(str(top['part_class']))} {html.escape(str(top['change']))} "
            f"(yield {top['yield']:.3f}, {top['ci_low']:.3f}-{top['ci_high']:.3f}).</p>"
        )
        parts.append(table(budget, source=piece["budget_path"]))
    return "".join(parts)


def _waveform(piece: dict, img: Callable) -> str:
    png = piece.get("waveform")
    if png is None:
        return H3_WAVEFORM + _missing(piece["commands"]["waveforms"], "waveform figure")
    record = piece.get("waveform_record", {})
    cfg = record.get("config", {})
    caption = (
        f"{png.name}: one edge around one training step, golden circuit simulation of "
        f"{cfg.get('network', 'the board')} (seed {record.get('seed', '?')}): trigger, "
        "oscillator against the bias, enable and its latch, sense stages, comparators, XOR "
        "and direction latch, thresholds dashed; time from the trigger instant in us. Data "
        f"in {png.parent / 'waveforms.parquet'}."
    )
    return H3_WAVEFORM + img(png, png.name, caption)


def your_board_section(piece: dict, table: Callable, img: Callable) -> str:
    """HTML of the section; a line saying so when the folder has no your-board piece."""
    if not piece:
        return TITLE + "<p>No your-board folder.</p>"
    return (
        TITLE
        + f"<p class=meta>{html.escape(str(piece['path']))}</p>"
        + _corners(piece, table)
        + _yield(piece, table)
        + _waveform(piece, img)
    )


__all__ = ["your_board_section"]
