"""Shared plotting plumbing: a lazily imported Agg pyplot and atomic PNG writing with metadata.

matplotlib is imported only when a figure is drawn, so importing any ``analysis`` module is cheap
and needs no display.
"""

from __future__ import annotations

import json
from pathlib import Path


def pyplot():
    """``matplotlib.pyplot`` with the Agg backend (imported on first use)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(fig, path: str | Path, meta: dict | None = None) -> Path:
    """Write ``fig`` as a PNG atomically, the run's ``meta`` (config, seed, version) in its
    ``Description`` metadata, and close it."""
    from coupled.core.io import atomic_write

    description = json.dumps(meta or {}, default=str)
    path = Path(path)
    atomic_write(
        path,
        lambda p: fig.savefig(p, format="png", dpi=120, metadata={"Description": description}),
    )
    pyplot().close(fig)
    return path
