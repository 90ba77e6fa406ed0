"""Digital potentiometer of the board: the tap-to-resistance map and its instance lines.

Each edge of the board has two potentiometers, one per twin network (``XPOTF_<i>`` free,
``XPOTC_<i>`` clamped), of subcircuit ``pot_ad5220`` (``netlists/pot.lib``): a 128-position
linear digital potentiometer (AD5220-class) wired as a rheostat, wiper ``W`` to terminal ``B``
with ``A`` tied to ``W``. Its edge resistance at tap ``D`` is the datasheet's

    R_WB(D) = r_wiper_ohm + D / n_taps * r_ab_ohm          (D = 0 .. n_taps - 1)

with ``r_ab_ohm`` the end-to-end resistance of that very part (nominal times its tolerance
factor, so the two twins of an edge differ when parts have spread). An optional fixed resistor
``r_series_ohm`` in series (``RSERF_<i>``, ``RSERC_<i>`` on the board) sets the bottom of the
range; the edge resistance is ``r_series_ohm + R_WB(D)``. :meth:`PotModel.for_range` picks the
values that put tap 0 and tap ``n_taps - 1`` exactly on a given range, such as the discrete
rule's (:func:`coupled.physics.rules.taps_to_ohm`). The training engine moves a tap by altering the
flattened resistor ``r.<instance>.rwb`` to ``R_WB(D)`` (:func:`tap_element`,
:meth:`PotModel.wiper_resistance_ohm`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from coupled.core.errors import UserError
from coupled.core.options import check_whole
from coupled.spice.numbers import spice_number

SUBCKT = "pot_ad5220"
LIBRARY = "pot"


@dataclass(frozen=True)
class PotModel:
    """Nominal values of the board's digital potentiometers.

    Parameters
    ----------
    r_ab_ohm
        Nominal end-to-end resistance (ohm); AD5220 parts come in 10k, 50k and 100k.
    r_wiper_ohm
        Wiper resistance (ohm), in series with every tap.
    n_taps
        Number of wiper positions (128 for the AD5220).
    r_series_ohm
        Nominal fixed resistor in series with each potentiometer (ohm); 0 for none.
    resistors
        Resistors of the law ``R_WB(D) = r_wiper + D r_ab / resistors`` (None: ``n_taps``, the
        AD5220's law; 63 for the 64-tap MCP4011).
    subckt, library
        The subcircuit and its ``.lib`` file (:mod:`coupled.circuits.parts.pots`).
    """

    r_ab_ohm: float = 10_000.0
    r_wiper_ohm: float = 50.0
    n_taps: int = 128
    r_series_ohm: float = 0.0
    resistors: int | None = None
    subckt: str = SUBCKT
    library: str = LIBRARY

    @classmethod
    def for_range(
        cls,
        r_min_ohm: float,
        r_max_ohm: float,
        n_taps: int = 128,
        r_wiper_ohm: float = 50.0,
        *,
        resistors: int | None = None,
        subckt: str = SUBCKT,
        library: str = LIBRARY,
    ) -> PotModel:
        """The pot (plus series resistor) whose tap 0 is ``r_min_ohm`` and last tap ``r_max_ohm``.

        ``r_ab = (r_max - r_min) * resistors / (n_taps - 1)``, ``r_series = r_min - r_wiper``
        (``resistors``: the resistors of the law ``R_WB(D) = r_wiper + D r_ab / resistors``;
        ``n_taps`` for the AD5220's law when omitted).
        """
        divisions = n_taps if resistors is None else resistors
        if not r_min_ohm >= r_wiper_ohm or not r_max_ohm > r_min_ohm:
            raise UserError(
                f"pot range {r_min_ohm!r}..{r_max_ohm!r} ohm: need r_wiper_ohm {r_wiper_ohm!r}"
                " <= r_min_ohm < r_max_ohm"
            )
        return cls(
            r_ab_ohm=(r_max_ohm - r_min_ohm) * divisions / (n_taps - 1),
            r_wiper_ohm=r_wiper_ohm,
            n_taps=n_taps,
            r_series_ohm=r_min_ohm - r_wiper_ohm,
            resistors=resistors,
            subckt=subckt,
            library=library,
        )

    def __post_init__(self) -> None:
        if not np.isfinite(self.r_ab_ohm) or self.r_ab_ohm <= 0:
            raise UserError(f"pot r_ab_ohm {self.r_ab_ohm!r}: must be a positive number of ohm")
        if not np.isfinite(self.r_wiper_ohm) or self.r_wiper_ohm <= 0:
            raise UserError(
                f"pot r_wiper_ohm {self.r_wiper_ohm!r}: must be a positive number of ohm"
            )
        check_whole("pot n_taps", self.n_taps, 2)
        if self.resistors is not None:
            check_whole("pot resistors", self.resistors, 1)
        if not np.isfinite(self.r_series_ohm) or self.r_series_ohm < 0:
            raise UserError(f"pot r_series_ohm {self.r_series_ohm!r}: must be a number of ohm >= 0")

    @property
    def divisions(self) -> int:
        """The divisor of the resistance law ``R_WB(D) = r_wiper + D r_ab / divisions``."""
        return self.n_taps if self.resistors is None else int(self.resistors)

    def check_taps(self, tap: np.ndarray | int) -> np.ndarray:
        """``tap`` as an integer array, or ``UserError`` if a tap is outside 0..n_taps-1."""
        taps = np.asarray(tap)
        if taps.size and not np.issubdtype(taps.dtype, np.integer):
            if not np.all(np.isfinite(taps)) or np.any(taps != np.round(taps)):
                raise UserError(f"taps must be whole numbers 0..{self.n_taps - 1}")
        taps = taps.astype(np.int64)
        bad = np.flatnonzero((taps.ravel() < 0) | (taps.ravel() >= self.n_taps))
        if bad.size:
            raise UserError(
                f"tap {taps.ravel()[bad[0]]} (index {bad[0]}): must be in 0..{self.n_taps - 1}"
            )
        return taps

    def wiper_resistance_ohm(
        self, tap: np.ndarray | int, r_ab_ohm: np.ndarray | float | None = None
    ) -> np.ndarray:
        """Wiper-to-B resistance ``r_wiper + tap / n_taps * r_ab`` in ohm (the altered value).

        Parameters
        ----------
        tap
            Tap positions, whole numbers in 0..n_taps-1, any shape.
        r_ab_ohm
            End-to-end resistance of each part (broadcast against ``tap``); the nominal value
            when omitted.
        """
        taps = self.check_taps(tap)
        r_ab = self.r_ab_ohm if r_ab_ohm is None else np.asarray(r_ab_ohm, dtype=float)
        return self.r_wiper_ohm + taps * r_ab / self.divisions

    def resistance_ohm(
        self,
        tap: np.ndarray | int,
        r_ab_ohm: np.ndarray | float | None = None,
        r_series_ohm: np.ndarray | float | None = None,
    ) -> np.ndarray:
        """Edge resistance: series resistor plus wiper-to-B resistance, in ohm.

        ``r_ab_ohm`` and ``r_series_ohm`` are each part's own values (nominal when omitted).
        """
        series = self.r_series_ohm if r_series_ohm is None else np.asarray(r_series_ohm, float)
        return series + self.wiper_resistance_ohm(tap, r_ab_ohm)

    def nearest_tap(
        self,
        resistance_ohm: np.ndarray | float,
        r_ab_ohm: np.ndarray | float | None = None,
        r_series_ohm: np.ndarray | float | None = None,
    ) -> np.ndarray:
        """The tap whose edge resistance is closest to ``resistance_ohm`` (clipped to the range)."""
        r_ab = self.r_ab_ohm if r_ab_ohm is None else np.asarray(r_ab_ohm, dtype=float)
        series = self.r_series_ohm if r_series_ohm is None else np.asarray(r_series_ohm, float)
        wiper = np.asarray(resistance_ohm, dtype=float) - series - self.r_wiper_ohm
        return np.clip(np.rint(wiper * self.divisions / r_ab), 0, self.n_taps - 1).astype(np.int64)

    def to_dict(self) -> dict:
        """Plain values, for result files (the part fields only where they are not the default)."""
        data = asdict(self)
        for name, default in (("resistors", None), ("subckt", SUBCKT), ("library", LIBRARY)):
            if data[name] == default:
                del data[name]
        return data


def pot_instance(
    name: str, a: str, w: str, b: str, r_ab_ohm: float, tap: int, model: PotModel
) -> str:
    """One instance line of the pot's subcircuit (``pot_ad5220`` by default).

    Parameters
    ----------
    name
        Instance name, e.g. ``XPOTF_3``.
    a, w, b
        Nodes of terminals A, W (wiper) and B; the board ties A to W (rheostat).
    r_ab_ohm
        End-to-end resistance of this part (ohm).
    tap
        Initial wiper position.
    model
        Wiper resistance and number of taps.
    """
    (tap_value,) = model.check_taps([tap]).tolist()
    return (
        f"{name} {a} {w} {b} {model.subckt} rab={spice_number(r_ab_ohm, 'r_ab_ohm')} "
        f"rw={spice_number(model.r_wiper_ohm)} tap={tap_value} ntaps={model.n_taps}"
    )


def tap_element(instance: str) -> str:
    """The flattened resistor to ``alter`` to move the tap of ``instance`` (ngspice spelling)."""
    return f"r.{instance.lower()}.rwb"
