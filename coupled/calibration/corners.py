"""Supply corners of a board: the ERC and a short training at each supply voltage.

:func:`supply_corners` runs :func:`coupled.calibration.erc.check_board` and a short training of
the board twin (``ideal`` engine, ``--p-mode oscillator --sigma-mode board``: the board's
oscillators, comparator offsets, amplifiers and pots with their spread, all referred to that
supply) at each supply voltage, by default the nominal supply and +-10 % about it (a common
regulator tolerance; e.g. 4.5, 5.0, 5.5 V). The inputs keep their range (``--input-max-v``): a
designer's signals do not follow the supply, so a low corner can put inputs above the rail,
which the ERC reports. One row per corner (``CORNER_COLUMNS``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coupled.core.errors import ParameterError
from coupled.core.options import check_range
from coupled.engines.board.options import SUPPLY_LIMITS_V

CORNER_COLUMNS = (
    "corner",
    "supply_v",
    "erc_ok",
    "erc_violations",
    "erc_summary",
    "final_scaled_error",
    "steps",
    "tasks",
)
SUPPLY_SPREAD = 0.10
"""Default corners: the nominal supply times (1 - 0.1, 1, 1 + 0.1)."""
CORNER_STEPS = 400
CORNER_TASKS = 4


@dataclass(frozen=True)
class CornerResult:
    """One supply corner: its ERC (``BoardCheck``) and its training's final errors."""

    corner: str
    supply_v: float
    check: object
    final_scaled_error: np.ndarray
    steps: int


def default_corners(supply_v: float) -> list[float]:
    """(minimum, nominal, maximum) = supply x (0.9, 1, 1.1), volts."""
    return [
        round(supply_v * (1 - SUPPLY_SPREAD), 6),
        supply_v,
        round(supply_v * (1 + SUPPLY_SPREAD), 6),
    ]


def parse_corners(text: str | None, supply_v: float) -> list[float]:
    """``"4.5,5,5.5"`` -> volts, sorted (``UserError`` naming a bad value); None: the default."""
    if text is None:
        values = default_corners(supply_v)
    else:
        try:
            values = [float(v) for v in str(text).split(",")]
        except ValueError:
            raise ParameterError(
                f"{{corners}} {text!r}: must be comma-separated volts, e.g. 4.5,5,5.5", "corners"
            ) from None
    for v in values:
        check_range("corners", v, *SUPPLY_LIMITS_V)
    return sorted(set(values))


def corner_names(values: list[float], supply_v: float) -> list[str]:
    """``min``/``nominal``/``max`` for the three default corners, else ``supply_<v>V``."""
    names = []
    for v in values:
        if v == supply_v:
            names.append("nominal")
        elif v == min(values) and v < supply_v:
            names.append("min")
        elif v == max(values) and v > supply_v:
            names.append("max")
        else:
            names.append(f"supply_{v:g}V")
    return names


def supply_corners(
    network: str,
    corners: list[float],
    *,
    supply_v: float = 5.0,
    tolerance: float = 0.05,
    seed: int = 0,
    sense_gain: float | None = None,
    input_max_v: float | None = None,
    steps: int = CORNER_STEPS,
    tasks: int = CORNER_TASKS,
    log=None,
) -> list[CornerResult]:
    """ERC and short training at each supply in ``corners`` (see the module docstring).

    The training: allostery on the network's roles (or random ones), discrete rule, p = 0.5,
    ``steps`` steps, ``tasks`` tasks from ``seed``, the board of ``tolerance`` and ``seed``.
    """
    from coupled.calibration.erc import check_board
    from coupled.training.config import TrainConfig
    from coupled.training.run import train

    results = []
    for name, volts in zip(corner_names(corners, supply_v), corners, strict=True):
        values = dict(
            network=network,
            task="allostery",
            rule="discrete",
            p=0.5,
            p_mode="oscillator",
            sigma_mode="board",
            steps=steps,
            tasks=tasks,
            seed=seed,
            checkpoint_every=0,
            engine_options={"supply_v": volts, "tolerance": tolerance, "board_seed": seed},
        )
        if sense_gain is not None:
            values["sense_gain"] = sense_gain
        if input_max_v is not None:
            values["input_max_v"] = input_max_v
        config = TrainConfig(**values)
        config.validate()
        if log:
            log(f"corner {name}: supply {volts:g} V, ERC")
        check = check_board(train_config=config, tolerance=tolerance, seed=seed)
        if log:
            log(f"corner {name}: supply {volts:g} V, training {tasks} task(s) x {steps} steps")
        history = train(config, None, progress=False).history
        last = history[history["step"] == history["step"].max()]
        errors = last["scaled_error"].to_numpy()
        results.append(CornerResult(name, volts, check, errors, steps))
    return results


def corner_table(results: list[CornerResult]) -> pd.DataFrame:
    """One row per corner (``CORNER_COLUMNS``); ``final_scaled_error`` is the mean over tasks."""
    rows = [
        (
            r.corner,
            r.supply_v,
            r.check.ok,
            int((~r.check.erc["ok"]).sum()),
            r.check.summary,
            float(np.mean(r.final_scaled_error)),
            r.steps,
            len(r.final_scaled_error),
        )
        for r in results
    ]
    return pd.DataFrame(rows, columns=list(CORNER_COLUMNS))
