"""Checkpoints of a training run: one ``checkpoint.npz`` written atomically.

A checkpoint after step ``s`` holds the learning state (resistances, taps), the states of the
per-task step generators at the start of the draw chunk that contains step ``s + 1``, the history
rows and recorded update events so far, and the run's configuration (as JSON). Everything else
(tasks, initial state, fixed comparator biases) is a pure function of the configuration and is
rebuilt on resume, so a resumed run replays exactly the draws of an uninterrupted one.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from coupled.core.errors import ParameterError, UserError, named
from coupled.core.io import atomic_write

if TYPE_CHECKING:
    from coupled.training.config import TrainConfig

CHECKPOINT_NAME = "checkpoint.npz"


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """Contents of a checkpoint (see the module docstring)."""

    config: dict
    step: int
    resistance_ohm: np.ndarray
    taps: np.ndarray | None
    rng_states: list[dict]
    history: dict[str, np.ndarray]
    events: dict[str, np.ndarray]
    resistance: dict[str, np.ndarray] = field(default_factory=dict)
    updates: int = 0
    """Edge updates applied so far (enabled bits summed over steps and tasks)."""


def save_checkpoint(folder: str | Path, checkpoint: Checkpoint) -> Path:
    """Write ``checkpoint`` to ``folder/checkpoint.npz`` atomically."""
    meta = {
        "config": checkpoint.config,
        "step": checkpoint.step,
        "rng_states": checkpoint.rng_states,
        "updates": int(checkpoint.updates),
    }
    arrays = {"meta": np.array(json.dumps(meta)), "resistance_ohm": checkpoint.resistance_ohm}
    if checkpoint.taps is not None:
        arrays["taps"] = checkpoint.taps
    arrays.update({f"history/{k}": v for k, v in checkpoint.history.items()})
    arrays.update({f"events/{k}": v for k, v in checkpoint.events.items()})
    arrays.update({f"resistance/{k}": v for k, v in checkpoint.resistance.items()})
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    data = buffer.getvalue()
    return atomic_write(Path(folder) / CHECKPOINT_NAME, lambda p: p.write_bytes(data))


def load_checkpoint(folder: str | Path) -> Checkpoint | None:
    """Read ``folder/checkpoint.npz``; ``None`` if there is none; ``UserError`` if unreadable."""
    path = Path(folder) / CHECKPOINT_NAME
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, KeyError) as exc:
        raise ParameterError(
            f"{{resume=True}}: checkpoint {path} is unreadable ({exc})", "resume=True"
        ) from None
    return Checkpoint(
        config=meta["config"],
        step=int(meta["step"]),
        resistance_ohm=arrays["resistance_ohm"],
        taps=arrays.get("taps"),
        rng_states=meta["rng_states"],
        history={k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("history/")},
        events={k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("events/")},
        resistance={
            k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("resistance/")
        },
        updates=int(meta.get("updates", 0)),
    )


def remove_checkpoint(folder: str | Path) -> None:
    """Delete the checkpoint of a finished run (if any)."""
    path = Path(folder) / CHECKPOINT_NAME
    if path.exists():
        path.unlink()


# -- resuming ---------------------------------------------------------------------------------


def resumable(out: Path, config: TrainConfig) -> Checkpoint | None:
    """The checkpoint to continue a run in ``out`` from; ``None`` when the run there is finished.

    Either way the stored configuration must equal ``config``: ``UserError`` names every
    option that differs (``checkpoint_every`` may change); a folder with no run is refused.
    """
    if not out.is_dir() or not any(out.iterdir()):
        raise ParameterError(
            f"{{resume=True}} {out}: no run there (the folder is missing or empty); start the run "
            "without {resume=True}",
            "resume=True",
        )
    saved = load_checkpoint(out)
    if saved is not None:
        _check_same_run(saved.config, config, out)
        return saved
    if not (out / "final_state.json").exists():
        raise ParameterError(
            f"{{resume=True}} {out}: no checkpoint.npz and no finished run there; start the run "
            "without {resume=True} (use {overwrite=True} to replace the folder)",
            "resume=True",
            "overwrite=True",
        )
    try:
        finished = json.loads((out / "final_state.json").read_text())["config"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{out}: not a finished training run ({exc})") from None
    _check_same_run(type(config).from_dict(finished).to_dict(), config, out)
    return None


def _check_same_run(saved: dict, config: TrainConfig, out: Path) -> None:
    now = config.to_dict()
    ignored = {"checkpoint_every"}
    differ = [k for k in now if k not in ignored and saved.get(k) != now[k]]
    if differ:
        shown = ", ".join(f"{named(k)} {saved.get(k)!r} (now {now[k]!r})" for k in differ)
        raise ParameterError(
            f"{{resume=True}} {out}: the run was made with {shown}; resume with the same options",
            "resume=True",
            *differ,
        )
