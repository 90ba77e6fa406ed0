"""The board's p-against-bias curve: the saved calibration, its inverse, and the table it comes
from.

At every global trigger an edge may update only while its relaxation oscillator is above the
global bias voltage. :class:`Calibration` is the saved curve (``calibration.json`` of
``coupled calibrate``, read by :func:`load_calibration`); :func:`bias_for_p` is the exact inverse
of :func:`p_for_bias` on its monotone envelope, which the circuit engine uses to set the bias for
a requested p; :func:`p_against_bias` turns enable bits into the tidy table the curve is made
from. Engines and the calibration command share this module, so it sits in the engine layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from coupled.circuits.oscillator import DEFAULT_SUPPLY_V, OscillatorParameters, duty_above
from coupled.core.errors import ParameterError, UserError, engine_option, named


@dataclass(frozen=True, eq=False)
class Calibration:
    """p against the global bias, as the circuit engine loads it.

    Parameters
    ----------
    bias_v
        Bias voltages, strictly increasing (V).
    p
        Mean share of triggers with the enable high at each bias (non-increasing after
        :func:`monotone_p`).
    p_std
        Spread of the per-edge shares across edges.
    supply_v
        Oscillator supply span ``vdd - vss`` (V).
    meta
        Config, seed, version and provenance (kept verbatim in ``calibration.json``).
    """

    bias_v: np.ndarray
    p: np.ndarray
    p_std: np.ndarray
    supply_v: float = DEFAULT_SUPPLY_V
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        bias = np.asarray(self.bias_v, dtype=float)
        p = np.asarray(self.p, dtype=float)
        std = np.asarray(self.p_std, dtype=float)
        if bias.ndim != 1 or bias.size < 2 or p.shape != bias.shape or std.shape != bias.shape:
            raise UserError("calibration: bias_v, p and p_std must be equal-length lists (>= 2)")
        if not (np.all(np.isfinite(bias)) and np.all(np.isfinite(p))):
            raise UserError("calibration: bias_v and p must be finite numbers")
        if np.any(np.diff(bias) <= 0):
            raise UserError("calibration: bias_v must be strictly increasing")
        if np.any((p < 0) | (p > 1)):
            raise UserError("calibration: p values must be in [0, 1]")
        if p[0] < 1 or p[-1] > 0:
            raise UserError(
                f"calibration: p must run from 1 (bias below every oscillator) to 0; "
                f"got {p[0]:g} .. {p[-1]:g}"
            )
        for name, value in (("bias_v", bias), ("p", monotone_p(p)), ("p_std", std)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    def to_dict(self) -> dict:
        """Plain values for ``calibration.json``."""
        return {
            "bias_v": self.bias_v.tolist(),
            "p": self.p.tolist(),
            "p_std": self.p_std.tolist(),
            "supply_v": float(self.supply_v),
            "always_on_bias_v": float(self.bias_v[0]),
            **self.meta,
        }

    def oscillator_parameters(self) -> OscillatorParameters | None:
        """The calibrated board's oscillators (phases at time 0), if recorded."""
        data = self.meta.get("oscillators")
        return None if data is None else OscillatorParameters.from_dict(data)

    @classmethod
    def from_dict(cls, data: Mapping) -> Calibration:
        """Inverse of :meth:`to_dict` (extra keys go to ``meta``)."""
        missing = [k for k in ("bias_v", "p", "p_std") if k not in data]
        if missing:
            raise UserError(f"calibration: missing key {missing[0]!r}")
        skip = {"bias_v", "p", "p_std", "supply_v", "always_on_bias_v"}
        return cls(
            bias_v=np.asarray(data["bias_v"], dtype=float),
            p=np.asarray(data["p"], dtype=float),
            p_std=np.asarray(data["p_std"], dtype=float),
            supply_v=float(data.get("supply_v", DEFAULT_SUPPLY_V)),
            meta={k: v for k, v in data.items() if k not in skip},
        )


def check_same_oscillators(
    calibration: Calibration,
    oscillators: OscillatorParameters,
    path: str | Path,
    tolerance: float,
    board_seed: int,
) -> None:
    """Refuse a calibration made for other oscillators than this board's.

    Parameters
    ----------
    calibration
        The loaded calibration (its ``meta`` records the calibrated board's oscillators and the
        ``coupled calibrate`` config: ``seed`` is the board seed, ``tolerance`` the spread).
    oscillators
        This board's oscillators (phases at time 0).
    path
        Where the calibration came from (named in the message).
    tolerance, board_seed
        This board's part spread and board seed.

    Raises
    ------
    UserError
        Naming the board seed and tolerance of each side and the options that make them agree.
    """
    recorded = calibration.oscillator_parameters()
    if recorded is None or recorded.to_dict() == oscillators.to_dict():
        return
    made = calibration.meta.get("config", {})
    their_seed, their_tolerance = made.get("seed", "?"), made.get("tolerance", "?")
    same = their_seed == board_seed and their_tolerance == tolerance
    option, seed_option = engine_option("calibration"), engine_option("board_seed")
    raise ParameterError(
        f"{named(option)}={str(path)!r}: made for other oscillators than this board's "
        f"(calibration: board seed {their_seed}, tolerance {their_tolerance}; this board: board "
        f"seed {board_seed}, tolerance {tolerance:g}); "
        + (
            "same board seed and tolerance, so the network or the oscillator design differs"
            if same
            else f"calibrate this board (coupled calibrate --board-seed {board_seed} --tolerance "
            f"{tolerance:g}) or train the calibrated one: {named(seed_option)} {their_seed}"
            + (
                ""
                if their_tolerance == tolerance
                else f", {named(engine_option('tolerance'))} {their_tolerance}"
            )
        ),
        option,
        seed_option,
        engine_option("tolerance"),
    )


def load_calibration(path: str | Path) -> Calibration:
    """Read ``calibration.json`` written by ``coupled calibrate``."""
    import json

    path = Path(path)
    if path.is_dir():
        path = path / "calibration.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"calibration {path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UserError(f"calibration {path}: not a calibration JSON file") from None
    if not isinstance(data, dict):
        raise UserError(f"calibration {path}: expected a JSON object")
    return Calibration.from_dict(data)


def monotone_p(p: np.ndarray) -> np.ndarray:
    """p made non-increasing in the bias (running minimum; sampling noise can break it)."""
    return np.minimum.accumulate(np.asarray(p, dtype=float))


def _as_calibration(calibration: Calibration | Mapping) -> Calibration:
    if isinstance(calibration, Calibration):
        return calibration
    return Calibration.from_dict(calibration)


def _inverse_points(calibration: Calibration) -> tuple[np.ndarray, np.ndarray]:
    """(p ascending, bias) knots of the inverse: strictly monotone, plateaus cut to their edge."""
    bias, p = calibration.bias_v, calibration.p
    keep = np.ones(p.size, dtype=bool)
    keep[:-1] &= p[:-1] > p[1:]  # of a run of equal p keep the last (highest bias)...
    top = np.flatnonzero(p >= 1.0)
    keep[top] = False
    keep[top.max()] = True  # ...except at p = 1: the highest bias still always enabled
    zero = np.flatnonzero(p <= 0.0)
    keep[zero] = False
    keep[zero.min()] = True  # and at p = 0 the lowest bias never enabled
    knots_p, knots_b = p[keep][::-1], bias[keep][::-1]
    return knots_p, knots_b


def bias_for_p(p: float, calibration: Calibration | Mapping) -> float:
    """The bias voltage (V) that gives update probability ``p``.

    Piecewise-linear interpolation of the measured curve (monotone, and the exact inverse of
    :func:`p_for_bias`). ``p = 1`` returns the lowest calibrated bias, below every oscillator's
    minimum (always enabled).

    Parameters
    ----------
    p
        Update probability in (0, 1].
    calibration
        A :class:`Calibration` or its dict (``calibration.json``).
    """
    cal = _as_calibration(calibration)
    if isinstance(p, bool) or not isinstance(p, int | float | np.floating | np.integer):
        raise UserError(f"p {p!r}: must be a probability in (0, 1]")
    if not 0 < p <= 1:
        raise UserError(f"p {p!r}: must be a probability in (0, 1]")
    if p == 1:
        return float(cal.bias_v[0])
    knots_p, knots_b = _inverse_points(cal)
    return float(np.interp(float(p), knots_p, knots_b))


def p_for_bias(bias_v: float | np.ndarray, calibration: Calibration | Mapping) -> np.ndarray:
    """Update probability at a bias voltage: piecewise-linear in the measured curve."""
    cal = _as_calibration(calibration)
    return np.interp(np.asarray(bias_v, dtype=float), cal.bias_v, cal.p)


def calibration_from_table(
    table: pd.DataFrame, supply_v: float = DEFAULT_SUPPLY_V, meta: dict | None = None
) -> Calibration:
    """A :class:`Calibration` from a :func:`p_against_bias` table."""
    return Calibration(
        bias_v=table["bias_v"].to_numpy(),
        p=table["p"].to_numpy(),
        p_std=table["p_std"].to_numpy(),
        supply_v=supply_v,
        meta=dict(meta or {}),
    )


def p_against_bias(
    events: np.ndarray,
    bias_v: np.ndarray,
    params: OscillatorParameters,
    supply_v: float = DEFAULT_SUPPLY_V,
) -> pd.DataFrame:
    """Tidy p-against-bias table from enable bits of shape (K, n, E).

    Columns: ``bias_v``, ``p`` (mean over edges of each edge's share of triggers with the enable
    high), ``p_std`` (spread of those shares across edges), ``p_min``, ``p_max``, ``p_formula``
    (mean analytic duty of the phase model), ``n_triggers``, ``n_edges``.
    """
    shares = events.mean(axis=1)  # (K, E)
    formula = duty_above(params, bias_v, supply_v).mean(axis=-1)
    return pd.DataFrame(
        {
            "bias_v": np.asarray(bias_v, dtype=float),
            "p": shares.mean(axis=1),
            "p_std": shares.std(axis=1),
            "p_min": shares.min(axis=1),
            "p_max": shares.max(axis=1),
            "p_formula": formula,
            "n_triggers": events.shape[1],
            "n_edges": events.shape[2],
        }
    )
