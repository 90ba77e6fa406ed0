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


def readable_log_ticks(axis) -> None:
    """Label a log axis (``ax.yaxis`` or ``ax.xaxis``) with a few plain numbers.

    matplotlib labels only powers of ten on a log axis, so an axis spanning less than a decade
    shows no tick label at all; this sets 1-2-5 ticks (four evenly spaced ones on a narrow
    axis, powers of ten on one wider than three decades) labelled with three significant digits.
    Call it after the data are drawn.
    """
    import matplotlib.ticker as ticker
    import numpy as np

    low, high = sorted(float(v) for v in axis.get_view_interval())
    if not (low > 0 and np.isfinite(high)):
        return
    if high / low < 10:
        ticks = np.geomspace(low * 1.05, high / 1.05, 4)
        axis.set_major_locator(ticker.FixedLocator([float(f"{t:.2g}") for t in ticks]))
    elif high / low < 1e3:
        axis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    else:
        axis.set_major_locator(ticker.LogLocator(base=10, numticks=8))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:.3g}"))
    axis.set_minor_formatter(ticker.NullFormatter())
