"""What a training run returns and writes: ``TrainResult`` and ``load_result``.

``TrainResult`` is what :func:`coupled.training.run.train` returns; its tables have the columns
``HISTORY_COLUMNS`` and ``EVENT_COLUMNS`` (:mod:`coupled.training.config`). ``load_result(dir)``
reads a finished run's folder (``final_state.json``, ``history.csv``, ``run.json``, the copy of
its network ``network.json``) back into a ``TrainResult``, re-making its tasks from their seeded
streams (:mod:`coupled.training.draws`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from coupled.core.errors import UserError
from coupled.core.io import write_json, write_table
from coupled.core.version import __version__
from coupled.physics.catalogue import load_network, read_json
from coupled.physics.networks import Network
from coupled.physics.state import TrainState
from coupled.physics.tasks import Task
from coupled.training.config import TrainConfig
from coupled.training.draws import make_tasks

if TYPE_CHECKING:
    from coupled.engines.base import Engine


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

    def final_scaled_error(self) -> pd.Series:
        """Scaled test error of every task at the last logged step (indexed by task)."""
        history = self.history
        if history.empty:
            return pd.Series(dtype=float)
        last = history[history["step"] == history["step"].max()]
        return last.set_index("task")["scaled_error"]

    def __repr__(self) -> str:
        cfg = self.config
        final = self.final_scaled_error()
        error = (
            f"final scaled test error mean {final.mean():.4g} (min {final.min():.4g}, max "
            f"{final.max():.4g})"
            if len(final)
            else "no history"
        )
        where = f", out_dir={str(self.out_dir)!r}" if self.out_dir is not None else ""
        return (
            f"<TrainResult network {cfg.network_label}, engine {cfg.engine}, {cfg.rule} rule, "
            f"{cfg.tasks} {cfg.task} task(s) x {self.state.step} of {cfg.steps} steps, "
            f"p = {cfg.p:g}; {error}; {self.wall_time_s:.1f} s{where}>"
        )

    def plot(self):
        """The figure ``coupled plot`` draws for this run: scaled error against step and
        against steps x p (and the recorded edges' taps, when the run folder has them).

        Returns
        -------
        matplotlib.figure.Figure
            Not saved (``fig.savefig("run.png")``); in a notebook it shows as the cell's value.
            matplotlib is imported only here; the drawing code is
            :func:`coupled.analysis.training.result_figure`.
        """
        from coupled.analysis.training import result_figure

        return result_figure([self])


NETWORK_FILE = "network.json"
"""The copy of the trained network a run folder keeps (the project's JSON network format)."""


def write_network(out: Path, network: Network) -> Path:
    """Keep a copy of ``network`` in the run folder ``out`` (:data:`NETWORK_FILE`)."""
    return write_json(out / NETWORK_FILE, network.to_dict())


def stored_network(out: Path) -> Network | None:
    """The run folder's copy of its network, or ``None`` (folders of older versions)."""
    path = out / NETWORK_FILE
    return read_json(path) if path.is_file() else None


def load_result(out_dir: str | Path) -> TrainResult:
    """Read a finished run's folder back into a :class:`TrainResult` (events not loaded).

    The network is the folder's copy (``network.json``) when there is one, so this works from
    any working directory whatever the run's ``network`` was.
    """
    out = Path(out_dir)
    try:
        final = json.loads((out / "final_state.json").read_text())
        history = pd.read_csv(out / "history.csv")
    except (OSError, ValueError) as exc:
        raise UserError(f"{out}: not a finished training run ({exc})") from None
    network = stored_network(out)
    config = TrainConfig.from_dict(final["config"], network=network)
    network = network if network is not None else load_network(config.network)
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


# -- result files ---------------------------------------------------------------------------


def write_results(out: Path, result: TrainResult, provenance: dict) -> None:
    cfg = result.config
    write_table(out / "history.csv", result.history)
    if result.events is not None:
        write_table(out / f"update_events.{cfg.record_events}", result.events)
    final = {
        "task": (cfg.first_task + np.arange(cfg.tasks)).tolist(),
        "step": result.state.step,
        "resistance_ohm": result.state.resistance_ohm,
        "config": cfg.to_dict(),
        "seed": cfg.seed,
        "version": __version__,
        "tasks": [t.to_dict() for t in result.tasks],
    }
    if result.state.taps is not None:
        final["taps"] = result.state.taps
    write_json(out / "final_state.json", final)
    write_json(
        out / "run.json",
        {
            "config": cfg.to_dict(),
            "version": __version__,
            "seed": cfg.seed,
            "wall_time_s": result.wall_time_s,
            "steps": cfg.steps,
            "tasks": cfg.tasks,
            **provenance,
        },
    )


def provenance(engine: Engine, steps: int, edge_steps_per_step: int, updates: int) -> dict:
    """What ran the circuits and what the engine applied, for ``run.json``.

    Parameters
    ----------
    engine
        The run's engine (its name and its own provenance are recorded).
    steps
        Steps taken (at least one is counted).
    edge_steps_per_step
        Edges times the tasks the count covers.
    updates
        Edge-steps with the update enabled; ``updated_share`` is their measured share (compare
        with the requested ``p``).
    """
    return {
        "engine": engine.name,
        "simulator": _simulator(engine.name),
        "updated_share": updates / (max(steps, 1) * edge_steps_per_step),
        **engine.provenance(),
    }


def _simulator(engine_name: str) -> str:
    """What solved the circuits: numpy for the ideal engine, else the ngspice that was found."""
    if engine_name == "ideal":
        return f"numpy {np.__version__}"
    from coupled.spice.session import get_session

    return get_session().describe()
