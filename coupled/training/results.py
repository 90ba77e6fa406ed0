"""What a training run returns and writes: ``TrainResult`` and ``load_result``.

``TrainResult`` is what :func:`coupled.training.run.train` returns; its tables have the columns
``HISTORY_COLUMNS`` and ``EVENT_COLUMNS`` (:mod:`coupled.training.config`). ``load_result(dir)``
reads a finished run's folder (``final_state.json``, ``history.csv``, ``run.json``) back into a
``TrainResult``, re-making its tasks from their seeded streams (:mod:`coupled.training.draws`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from coupled.core.errors import UserError
from coupled.physics.networks import load_network
from coupled.physics.state import TrainState
from coupled.physics.tasks import Task
from coupled.training.config import TrainConfig
from coupled.training.draws import make_tasks


@dataclass(frozen=True, eq=False)
class TrainResult:
    """Outcome of :func:`train`.

    Attributes
    ----------
    config
        The resolved configuration.
    history
        Tidy table with columns ``HISTORY_COLUMNS``.
    state
        Final :class:`~coupled.engines.TrainState` (resistances (K, E), taps for the discrete rule).
    tasks
        The K tasks, in batch order (task index ``config.first_task + i``).
    events
        The ``update_events`` table when recorded, else ``None``.
    wall_time_s
        Wall time of this call.
    out_dir
        Where results were written, or ``None``.
    """

    config: TrainConfig
    history: pd.DataFrame
    state: TrainState
    tasks: list[Task]
    events: pd.DataFrame | None
    wall_time_s: float
    out_dir: Path | None


def load_result(out_dir: str | Path) -> TrainResult:
    """Read a finished run's folder back into a :class:`TrainResult` (events not loaded)."""
    out = Path(out_dir)
    try:
        final = json.loads((out / "final_state.json").read_text())
        history = pd.read_csv(out / "history.csv")
    except (OSError, ValueError) as exc:
        raise UserError(f"{out}: not a finished training run ({exc})") from None
    config = TrainConfig.from_dict(final["config"])
    network = load_network(config.network)
    taps = np.asarray(final["taps"], dtype=np.int64) if "taps" in final else None
    state = TrainState(
        step=int(final["step"]),
        resistance_ohm=np.asarray(final["resistance_ohm"], dtype=float),
        taps=taps,
    )
    run = json.loads((out / "run.json").read_text()) if (out / "run.json").exists() else {}
    return TrainResult(
        config=config,
        history=history,
        state=state,
        tasks=make_tasks(config, network),
        events=None,
        wall_time_s=float(run.get("wall_time_s", math.nan)),
        out_dir=out,
    )
