"""The report's "Your board" piece: supply corners, Monte Carlo yield and one waveform figure.

``DIR/your-board`` holds up to three folders, each written by its own command:

``corners/``
    ``coupled check-board --network NET --corners --out DIR/your-board/corners``
    (``corners.csv``: ``corner``, ``supply_v``, ``erc_ok``, ``erc_violations``, ``erc_summary``,
    ``final_scaled_error``, ``steps``, ``tasks``);
``yield/``
    ``coupled yield --network NET --out DIR/your-board/yield`` (``yield.json``: ``boards``,
    ``yield``, ``ci_low``, ``ci_high``, ``target_error``; ``budget.csv``: ``part_class``,
    ``change``, ``yield``, ``ci_low``, ``ci_high``, ``effect``);
``waveforms/``
    ``coupled waveforms --network NET --steps 1 --edges 0 --out DIR/your-board/waveforms``
    (``waveforms.json``, ``decisions.csv`` and ``step<n>_edge<i>.png``; the page shows the
    first figure).

When the folder holds none of them the report runs all three (:func:`run_your_board`):
``--quick`` and the demo at :data:`QUICK_SIZES` (a few seconds), the full report at
:data:`FULL_SIZES`. Folders a designer made with the commands are shown as they are, and for a
missing one the page gives the exact command that makes it (:func:`commands`). A yield of fewer
than :data:`FULL_BOARDS` boards is marked indicative, with the command of the full study.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

CORNERS = "corners"
YIELD = "yield"
WAVEFORMS = "waveforms"
FULL_BOARDS = 200
"""Boards of a full yield study (``coupled yield``'s default); fewer makes the numbers
indicative."""


def commands(network: str, seed: int, folder: str | Path) -> dict[str, str]:
    """The command that writes each sub-folder of ``folder`` (``DIR/your-board``)."""
    base = Path(folder)
    return {
        CORNERS: f"coupled check-board --network {network} --seed {seed} --corners "
        f"--out {base / CORNERS}",
        YIELD: f"coupled yield --network {network} --seed {seed} --boards {FULL_BOARDS} "
        f"--out {base / YIELD}",
        WAVEFORMS: f"coupled waveforms --network {network} --seed {seed} --steps 1 --edges 0 "
        f"--out {base / WAVEFORMS}",
    }


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def load_your_board(path: str | Path, network: str = "experiment16", seed: int = 0) -> dict:
    """Read the your-board folder ``path``: the pieces found and the commands of the others.

    Returns
    -------
    dict
        ``path``; ``commands`` (:func:`commands`); ``corners`` (the ``corners.csv`` table or
        ``None``); ``yield`` (``yield.json`` or ``{}``), ``budget`` (``budget.csv`` or
        ``None``), ``yield_indicative`` (fewer than :data:`FULL_BOARDS` boards); ``waveform``
        (the first ``step*_edge*.png`` or ``None``) with ``waveform_record``
        (``waveforms.json``) and ``decisions`` (``decisions.csv`` or ``None``).
    """
    folder = Path(path)
    corners_csv = folder / CORNERS / "corners.csv"
    yield_dir = folder / YIELD
    summary = _json(yield_dir / "yield.json")
    budget_csv = yield_dir / "budget.csv"
    wave_dir = folder / WAVEFORMS
    pngs = sorted(wave_dir.glob("step*_edge*.png")) if wave_dir.is_dir() else []
    decisions = wave_dir / "decisions.csv"
    return {
        "path": folder,
        "commands": commands(network, seed, folder),
        "corners": pd.read_csv(corners_csv) if corners_csv.exists() else None,
        "corners_path": corners_csv,
        "yield": summary,
        "yield_indicative": bool(summary) and int(summary.get("boards", 0)) < FULL_BOARDS,
        "budget": pd.read_csv(budget_csv) if budget_csv.exists() else None,
        "budget_path": budget_csv,
        "waveform": pngs[0] if pngs else None,
        "waveform_record": _json(wave_dir / "waveforms.json"),
        "decisions": pd.read_csv(decisions) if decisions.exists() else None,
    }


def your_board_digest(piece: dict) -> dict:
    """Plain summary for ``report.json``: which studies were found and their headline numbers."""
    if not piece:
        return {}
    corners = piece.get("corners")
    out: dict = {
        "corners": None
        if corners is None
        else corners[["corner", "supply_v", "erc_ok", "final_scaled_error"]].to_dict("records"),
        "yield": {
            k: piece["yield"].get(k)
            for k in ("boards", "yield", "ci_low", "ci_high", "target_error")
        }
        if piece.get("yield")
        else None,
        "waveform": None if piece.get("waveform") is None else str(piece["waveform"]),
    }
    out["missing_commands"] = {
        k: v
        for k, v in piece["commands"].items()
        if (k == CORNERS and corners is None)
        or (k == YIELD and not piece.get("yield"))
        or (k == WAVEFORMS and piece.get("waveform") is None)
    }
    return out


# --- running the studies -------------------------------------------------------------------

QUICK_SIZES = {
    "corner_steps": 100,
    "corner_tasks": 1,
    "yield_boards": 20,
    "yield_steps": 200,
    "yield_tasks": 1,
    "golden_steps_per_period": 200,
}
"""The quick report's studies (about 5 s together on a 2-core machine): corners with a 100-step
twin training of one task, 20 boards trained 200 steps on one task (indicative), one step's
waveform at 200 golden time steps per trigger period."""
FULL_SIZES = {
    "corner_steps": 400,
    "corner_tasks": 4,
    "yield_boards": FULL_BOARDS,
    "yield_steps": 1000,
    "yield_tasks": 4,
    "golden_steps_per_period": None,
}
"""The full report's studies: the ``check-board --corners`` and ``coupled yield`` defaults."""
RECORD = "your_board.json"


def study_config(network: str, seed: int, quick: bool) -> dict:
    """The recorded configuration of the studies the report runs."""
    sizes = QUICK_SIZES if quick else FULL_SIZES
    return {"network": network, "seed": seed, "quick": quick, **sizes}


def your_board_matches(path: Path, network: str, seed: int, quick: bool) -> str | None:
    """``None`` if ``path`` can be shown as it is, else why it must be (re)run.

    Reused: a folder the report ran with the same configuration (``your_board.json``), or,
    without that record, one holding any of the studies (folders a designer made with the
    commands of :func:`commands`, whose own records say how they were made; the page gives the
    commands of the missing ones). Only a folder without studies, or one the report itself ran
    with other sizes, is (re)run.
    """
    piece = load_your_board(path, network, seed)
    found = (piece["corners"] is not None, bool(piece["yield"]), piece["waveform"] is not None)
    saved = _json(Path(path) / RECORD).get("config")
    if saved is None:
        return None if any(found) else "no corners, yield or waveform study"
    if saved != study_config(network, seed, quick):
        return "other sizes or seed"
    return None if all(found) else "a study is missing"


def run_your_board(
    network: str,
    seed: int,
    quick: bool,
    out: str,
    draw_waveform=None,
    draw_yield=None,
) -> int:
    """Run the three studies into ``out`` with the files of their commands; 0 when done."""
    import dataclasses
    import os

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from coupled.calibration.corners import corner_table, supply_corners
    from coupled.calibration.erc_files import write_check
    from coupled.calibration.waveforms import golden_config, step_waveforms
    from coupled.core.io import write_json, write_table
    from coupled.core.version import __version__
    from coupled.sweep.yields import YieldConfig, run_yield
    from coupled.training.config import TrainConfig

    cfg = study_config(network, seed, quick)
    folder = Path(out)
    corners_dir = folder / CORNERS
    corners_dir.mkdir(parents=True, exist_ok=True)
    results = supply_corners(
        network,
        [4.5, 5.0, 5.5],
        seed=seed,
        steps=cfg["corner_steps"],
        tasks=cfg["corner_tasks"],
    )
    for r in results:
        write_check(r.check, corners_dir / f"corner_{r.supply_v:g}V", seed)
    write_table(corners_dir / "corners.csv", corner_table(results))
    ycfg = YieldConfig(
        network=network,
        seed=seed,
        boards=cfg["yield_boards"],
        steps=cfg["yield_steps"],
        tasks=cfg["yield_tasks"],
    )
    summary, _, budget = run_yield(ycfg, folder / YIELD, overwrite=True, progress=False)
    if draw_yield is not None:
        draw_yield(summary, budget, ycfg.tolerances(), folder / YIELD / "yield.png")
    train = TrainConfig(network=network, task="allostery", seed=seed)
    if cfg["golden_steps_per_period"] is not None:
        options = {"golden_steps_per_period": cfg["golden_steps_per_period"]}
        train = dataclasses.replace(train, engine_options=options)
    wave_dir = folder / WAVEFORMS
    wave_dir.mkdir(exist_ok=True)
    result = step_waveforms(golden_config(train, [1]), [1], raw_path=wave_dir / "waveforms.raw")
    write_table(wave_dir / "waveforms.parquet", result.table)
    write_table(wave_dir / "decisions.csv", result.decisions)
    write_json(
        wave_dir / "waveforms.json",
        {
            "config": result.config.to_dict(),
            "seed": seed,
            "version": __version__,
            "steps": [1],
            "trigger_times_s": {str(k): v for k, v in result.trigger_times_s.items()},
            "thresholds_v": result.thresholds_v,
        },
    )
    if draw_waveform is not None:
        draw_waveform(result, 1, 0, wave_dir / "step1_edge0.png")
    write_json(folder / RECORD, {"config": cfg, "seed": seed, "version": __version__})
    return 0
