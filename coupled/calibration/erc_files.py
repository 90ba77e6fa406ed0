"""The files of ``coupled check-board`` and their digest (for the demo and the report).

:func:`write_check` writes a :class:`~coupled.calibration.erc.BoardCheck` as ``erc.csv``,
``power.csv`` and ``check_board.json`` (configuration, seed, version, ok, summary, digest);
:func:`load_check` reads such a folder back; :func:`erc_digest` condenses the two tables: ERC
rows checked and violated, the worst margin (the row nearest to, or furthest past, a limit, as a
share of its allowed range), power per rail and per part class with the energy per training
step, and the board's total.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from coupled.calibration.erc import NUMERICAL_SLACK
from coupled.core.io import prepare_out_dir, write_json, write_table
from coupled.core.version import __version__

FILES = ("erc.csv", "power.csv", "check_board.json")
NEAR_LIMIT = 0.01
"""Share of a row's allowed range within which the row counts as "at its limit"."""


def _room(erc: pd.DataFrame) -> np.ndarray:
    """Each row's margin to its nearer limit in its unit; an excess within the ERC's numerical
    slack (integration overshoot at a rail) counts as 0."""
    value = erc["value"].to_numpy(float)
    room = np.minimum(
        value - erc["limit_min"].to_numpy(float), erc["limit_max"].to_numpy(float) - value
    )
    slack = erc["unit"].map(NUMERICAL_SLACK).fillna(0.0).to_numpy(float)
    return np.where((room < 0) & (room >= -slack), 0.0, room)


def margins(erc: pd.DataFrame) -> np.ndarray:
    """Each row's margin to its nearer limit as a share of the range (negative: violated)."""
    span = (erc["limit_max"] - erc["limit_min"]).to_numpy(float)
    return _room(erc) / np.where(span > 0, span, 1.0)


def erc_digest(erc: pd.DataFrame, power: pd.DataFrame) -> dict:
    """Rows checked, violations, the worst margin, and the power budget (JSON-ready)."""
    share, room = margins(erc), _room(erc)
    worst = int(np.argmin(share))
    row = erc.iloc[worst]
    per = power[power["scope"].isin(["rail", "part_class", "total"])]
    return {
        "rows_checked": int(len(erc)),
        "rows_violated": int((~erc["ok"].astype(bool)).sum()),
        "all_ok": bool(erc["ok"].astype(bool).all()),
        "rows_at_limit": int(np.sum(np.abs(share) <= NEAR_LIMIT)),
        "worst_margin": {
            "part": str(row["part"]),
            "pin": str(row["pin"]),
            "quantity": str(row["quantity"]),
            "value": float(row["value"]),
            "limit_min": float(row["limit_min"]),
            "limit_max": float(row["limit_max"]),
            "unit": str(row["unit"]),
            "margin": float(room[worst]),
            "margin_share_of_range": float(share[worst]),
        },
        "power": [
            {
                "scope": str(r.scope),
                "name": str(r.name),
                "power_w": float(r.power_w),
                "energy_per_step_j": float(r.energy_per_step_j),
            }
            for r in per.itertuples()
        ],
    }


def write_check(result, out: str | Path, seed: int, *, resume: bool = True) -> Path:
    """Write ``result`` (a ``BoardCheck``) into ``out``; returns the folder."""
    folder = prepare_out_dir(out, resume=resume, option="out")
    write_table(folder / "erc.csv", result.erc)
    write_table(folder / "power.csv", result.power)
    write_json(
        folder / "check_board.json",
        {
            "config": result.config,
            "board_spec": result.config.get("board_spec"),
            "board_spec_key": result.config.get("board_spec_key"),
            "seed": seed,
            "version": __version__,
            "ok": result.ok,
            "summary": result.summary,
            "digest": erc_digest(result.erc, result.power),
        },
    )
    return folder


def load_check(folder: str | Path) -> dict:
    """The tables, record and digest of a check-board folder (empty dict if incomplete)."""
    path = Path(folder)
    if not all((path / name).exists() for name in FILES):
        return {}
    try:
        record = json.loads((path / "check_board.json").read_text())
    except (OSError, ValueError):
        return {}
    erc, power = pd.read_csv(path / "erc.csv"), pd.read_csv(path / "power.csv")
    return {
        "path": path,
        "erc": erc,
        "power": power,
        "record": record,
        "digest": erc_digest(erc, power),
    }


__all__ = ["erc_digest", "load_check", "margins", "write_check"]
