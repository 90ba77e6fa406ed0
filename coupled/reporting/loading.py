"""Reading a report's pieces back: the files each piece's command wrote, as tables and dicts."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd


def table_file(figure: str) -> str:
    """The main table a figure's folder holds: ``<figure>.csv`` (``-`` written as ``_``)."""
    return figure.replace("-", "_") + ".csv"


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def load_check_board_piece(path: Path) -> dict:
    """Tables, record and digest of a check-board folder (empty dict if absent)."""
    from coupled.calibration.erc_files import load_check

    return load_check(path)


def load_calibration_piece(path: Path) -> dict:
    """Tables and summaries of a calibration folder (empty dict if absent)."""
    if not (path / "p_vs_bias.csv").exists():
        return {}
    return {
        "path": path,
        "p_table": pd.read_csv(path / "p_vs_bias.csv"),
        "correlation": _read_json(path / "correlation.json"),
        "effective_bias": _read_json(path / "effective_bias.json"),
        "run": _read_json(path / "run.json"),
        "images": sorted(path.glob("*.png")),
    }


def load_figure_piece(path: Path, figure: str) -> dict:
    """Table, JSON files and PNGs of a figure folder (empty dict if absent)."""
    if not (path / table_file(figure)).exists():
        return {}
    return {
        "path": path,
        "table": pd.read_csv(path / table_file(figure)),
        "json": {p.stem: _read_json(p) for p in sorted(path.glob("*.json"))},
        "images": sorted(path.glob("*.png")),
    }


def load_training_runs(path: Path) -> dict:
    """Finished training runs under ``path`` (one subfolder each), by folder name."""
    runs = {}
    for folder in sorted(p for p in path.glob("*") if (p / "history.csv").exists()):
        events = None
        for suffix in ("parquet", "csv"):
            file = folder / f"update_events.{suffix}"
            if file.exists():
                events = pd.read_parquet(file) if suffix == "parquet" else pd.read_csv(file)
                break
        runs[folder.name] = {
            "path": folder,
            "history": pd.read_csv(folder / "history.csv"),
            "run": _read_json(folder / "run.json"),
            "events": events,
        }
    order = sorted(runs, key=lambda k: (-float(runs[k]["run"].get("config", {}).get("p", 0)), k))
    return {k: runs[k] for k in order}
