"""What a training run records as it goes: history rows, update events, resistances.

:class:`Recorder` accumulates column arrays (cheap appends, one concatenation at the end) and
hands them to checkpoints, so a resumed run continues the same tables. History rows hold the
test and training errors of every task (``HISTORY_COLUMNS``); update events the per-edge enable
and direction bits of every step (``EVENT_COLUMNS``); resistance rows the resistances and taps of
every edge every ``record_resistance_every`` steps (``RESISTANCE_COLUMNS``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coupled.physics import rules
from coupled.physics.state import TrainState
from coupled.physics.tasks import Task
from coupled.training.checkpoint import Checkpoint
from coupled.training.config import EVENT_COLUMNS, HISTORY_COLUMNS, RESISTANCE_COLUMNS

_EVENT_DTYPES = {
    "step": np.int64,
    "task": np.int64,
    "edge": np.int64,
    "enabled": bool,
    "direction": np.int8,
}
_RESISTANCE_DTYPES = {
    "step": np.int64,
    "task": np.int64,
    "edge": np.int64,
    "resistance_ohm": float,
    "tap": np.int64,
}


class Recorder:
    """Accumulates history rows, update events and resistance rows as column arrays.

    Parameters
    ----------
    tasks
        The K tasks of the batch (their test and training sets give the errors).
    predict
        ``predict(resistance_ohm (K, E), inputs_v (K, X, k)) -> outputs (K, X, O)``.
    task_ids, p
        Per slot of the batch: the task index and the run's p (for ``steps_x_p``).
    saved
        A checkpoint to continue from, or ``None``.
    """

    def __init__(
        self,
        tasks: list[Task],
        predict,
        task_ids: np.ndarray,
        p: np.ndarray,
        saved: Checkpoint | None = None,
    ):
        self.predict = predict
        self.test_x = np.stack([t.test_inputs_v for t in tasks])
        self.test_y = np.stack([t.test_targets_v for t in tasks])
        self.train_x = np.stack([t.train_inputs_v for t in tasks])
        self.train_y = np.stack([t.train_targets_v for t in tasks])
        self.task_ids, self.p = task_ids, p
        self.history = {k: list(v) for k, v in (saved.history if saved else {}).items()}
        self.events = {k: [v] for k, v in (saved.events if saved else {}).items()}
        self.resistance = {k: [v] for k, v in (saved.resistance if saved else {}).items()}
        self.history = self.history or {k: [] for k in HISTORY_COLUMNS}
        self.events = self.events or {k: [] for k in EVENT_COLUMNS}
        self.resistance = self.resistance or {k: [] for k in RESISTANCE_COLUMNS}
        self.saved_updates = saved.updates if saved else 0
        self.slot_updates = np.zeros(len(tasks), dtype=np.int64)
        first = np.asarray(self.history["error"][: len(tasks)], dtype=float)
        self.error0 = first if first.size else None

    def log(self, state: TrainState) -> None:
        """One history row per task for ``state``."""
        r = state.resistance_ohm
        error = rules.mean_squared_error(self.predict(r, self.test_x), self.test_y)
        train_error = rules.mean_squared_error(self.predict(r, self.train_x), self.train_y)
        if self.error0 is None:
            self.error0 = error
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = error / self.error0
        h = self.history
        h["task"].extend(self.task_ids.tolist())
        h["step"].extend([state.step] * len(error))
        h["steps_x_p"].extend((state.step * self.p).tolist())
        h["error"].extend(error.tolist())
        h["scaled_error"].extend(scaled.tolist())
        h["train_error"].extend(train_error.tolist())

    def count(self, state: TrainState) -> None:
        """Add the step's enabled edges to the update counts (per slot of the batch)."""
        if state.enabled is not None:
            self.slot_updates += np.count_nonzero(state.enabled, axis=1)

    @property
    def updates(self) -> int:
        """Edge updates applied so far, every task (a resumed run's earlier ones included)."""
        return self.saved_updates + int(self.slot_updates.sum())

    def record(self, state: TrainState) -> None:
        """The step's update events (every edge of every task)."""
        k, e = state.enabled.shape
        ev = self.events
        ev["step"].append(np.full(k * e, state.step, dtype=np.int64))
        ev["task"].append(np.repeat(self.task_ids, e))
        ev["edge"].append(np.tile(np.arange(e), k))
        ev["enabled"].append(state.enabled.ravel().astype(bool))
        ev["direction"].append(state.direction.ravel().astype(np.int8))

    def record_resistance(self, state: TrainState) -> None:
        """Resistances (and taps; -1 for the continuous rule) of every edge of every task."""
        k, e = state.resistance_ohm.shape
        rows = self.resistance
        rows["step"].append(np.full(k * e, state.step, dtype=np.int64))
        rows["task"].append(np.repeat(self.task_ids, e))
        rows["edge"].append(np.tile(np.arange(e), k))
        rows["resistance_ohm"].append(state.resistance_ohm.ravel().astype(float))
        taps = np.full(k * e, -1) if state.taps is None else state.taps.ravel()
        rows["tap"].append(np.asarray(taps, dtype=np.int64))

    def history_arrays(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(v) for k, v in self.history.items()}

    def event_arrays(self) -> dict[str, np.ndarray]:
        return _joined(self.events, _EVENT_DTYPES)

    def resistance_arrays(self) -> dict[str, np.ndarray]:
        return _joined(self.resistance, _RESISTANCE_DTYPES)

    def history_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.history_arrays(), columns=list(HISTORY_COLUMNS))
        return frame.astype({"task": np.int64, "step": np.int64})


def _joined(columns: dict[str, list], dtypes: dict) -> dict[str, np.ndarray]:
    return {
        k: (np.concatenate(v) if v else np.zeros(0, dtypes[k])).astype(dtypes[k])
        for k, v in columns.items()
    }
