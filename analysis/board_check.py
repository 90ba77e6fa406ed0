"""The report's section on the board's electrical rule check and power budget.

Drawn from the ``check-board`` piece (``coupled check-board`` files, read by
:func:`coupled.reporting.loading.load_check_board_piece`): the ERC summary (rows checked,
violated and at a limit, the worst margin) and the power per rail and part class with the
energy per training step. ``table`` is the page's table renderer (column legends included).
"""

from __future__ import annotations

import html
from collections.abc import Callable

import pandas as pd


def board_check_section(check: dict, table: Callable[[pd.DataFrame], str]) -> str:
    """HTML of the section; a line saying so when the folder has no check-board piece."""
    title = "<h2>Electrical rule check and power of the board</h2>"
    if not check:
        return title + "<p>No check-board piece in this folder.</p>"
    digest, record = check["digest"], check["record"]
    worst = digest["worst_margin"]
    worst_text = (
        f"{worst['part']} {worst['pin']} {worst['quantity']}: {worst['value']:.4g} {worst['unit']} "
        f"in [{worst['limit_min']:.4g}, {worst['limit_max']:.4g}], margin {worst['margin']:.3g} "
        f"{worst['unit']}"
    )
    erc = pd.DataFrame(
        [
            {
                "rows_checked": digest["rows_checked"],
                "rows_violated": digest["rows_violated"],
                "rows_at_limit": digest["rows_at_limit"],
                "worst_margin": worst_text,
                "all_ok": "yes" if digest["all_ok"] else "no",
            }
        ]
    )
    power = pd.DataFrame(digest["power"]).rename(columns={"name": "part_or_rail"})
    power = power[["scope", "part_or_rail", "power_w", "energy_per_step_j"]]
    cfg = record.get("config", {})
    train = cfg.get("train_config", {})
    board = (
        f"board {train.get('network', '?')}, 5 V supply, inputs {train.get('input_min_v', 0):g}-"
        f"{train.get('input_max_v', 0):g} V, sense gain G = {train.get('sense_gain', 0):g}, "
        f"sigma ~ U[0, {train.get('sigma_v', 0):g}] V at the comparators, part tolerance "
        f"+-{cfg.get('tolerance', 0):g}, seed {record.get('seed', '?')}, "
        f"{cfg.get('examples', '?')} training examples and a transient around a trigger; "
        f"trigger period {cfg.get('trigger_period_s', 0):g} s"
    )
    return "\n".join(
        [
            title,
            f"<p class=meta>{html.escape(board)}; {html.escape(str(check['path']))}</p>",
            f"<p>{html.escape(str(record.get('summary', '')))}</p>",
            "<h3>ERC against the parts' datasheet limits</h3>",
            table(erc),
            "<h3>Power per rail and part class, energy per training step</h3>",
            table(power),
        ]
    )
