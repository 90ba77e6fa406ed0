"""Per part class tolerances of the learning board, with the source of each distribution.

One entry per part class whose spread the yield study (``coupled yield``) draws. Until a parts
catalogue supplies them, the values are the datasheet figures of the parts the netlist library
names (``netlists/*.lib`` headers), as recalled here; each entry states its source and how the
datasheet limit is read. A catalogue can replace :data:`DEFAULT_TOLERANCES` entry by entry.

Reading of a datasheet limit (CHOICE): a "+-X" or "max X" limit is taken as three standard
deviations of a Gaussian truncated at the limit (``distribution="gauss"``: value
``nominal (1 + X z / 3)`` or ``X z / 3`` volts, ``z`` standard normal clipped to [-3, 3]); this is
ngspice's ``agauss(nominal, X, 3)``. The decision comparators' offsets follow the paper's
measured bias range instead: uniform on [0, X] volts (``distribution="uniform0"``, ngspice
``aunif`` about X / 2).

Classes (``PART_CLASSES``):

``pot_r_ab``
    End-to-end resistance of each digital potentiometer (both twins, independently): AD5220
    datasheet, nominal resistance tolerance +-30 %.
``pot_nonlinearity``
    Tap (resistor) integral nonlinearity of each pot, LSB: AD5220 datasheet R-INL +-1 LSB max;
    modelled as a bow ``a 4 x (1 - x)`` LSB over the tap fraction x, amplitude ``a`` per part.
``series_r``
    The fixed resistor in series with each pot (sets the 1 kOhm floor): 1 % metal film.
``amp_offset``
    Input offset of the five difference stages per edge, volts: 100 uV max (the
    MCP6N11 / AD8237-class instrumentation amplifier of ``netlists/diffamp.lib``).
``amp_gain``
    Gain error of the difference stages (fraction): 0.1 % max (same part).
``comparator_offset``
    Offset of the two decision comparators per edge, volts: uniform on [0, 0.05] V, the
    paper's measured comparator bias range (Eq. 10).
``osc_r``
    Timing and threshold-divider resistors of each relaxation oscillator: 1 % metal film.
``osc_c``
    Timing capacitor of each oscillator: C0G/NP0 ceramic, 5 %.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from coupled.core.errors import UserError

DISTRIBUTIONS = ("gauss", "uniform0")


@dataclass(frozen=True)
class PartTolerance:
    """The spread of one part class.

    Attributes
    ----------
    part_class
        Name (one of :data:`PART_CLASSES`).
    limit
        The datasheet limit: relative (``unit="fraction"``), volts (``"V"``) or LSB (``"LSB"``).
    unit
        Unit of ``limit``.
    distribution
        ``"gauss"`` (limit = 3 sigma, truncated) or ``"uniform0"`` (uniform on [0, limit]).
    source
        Where the number comes from.
    """

    part_class: str
    limit: float
    unit: str
    distribution: str
    source: str

    def __post_init__(self) -> None:
        if self.distribution not in DISTRIBUTIONS:
            raise UserError(
                f"tolerance {self.part_class}: distribution {self.distribution!r} must be one "
                f"of {', '.join(DISTRIBUTIONS)}"
            )
        if not self.limit >= 0:
            raise UserError(f"tolerance {self.part_class}: limit {self.limit!r} must be >= 0")

    def scaled(self, factor: float) -> PartTolerance:
        """The same class with its limit times ``factor`` (0: ideal parts)."""
        return replace(self, limit=self.limit * float(factor))


DEFAULT_TOLERANCES: dict[str, PartTolerance] = {
    t.part_class: t
    for t in (
        PartTolerance(
            "pot_r_ab", 0.30, "fraction", "gauss", "AD5220 datasheet: R_AB tolerance +-30 %"
        ),
        PartTolerance(
            "pot_nonlinearity", 1.0, "LSB", "gauss", "AD5220 datasheet: R-INL +-1 LSB max"
        ),
        PartTolerance("series_r", 0.01, "fraction", "gauss", "1 % metal-film resistor"),
        PartTolerance(
            "amp_offset",
            100e-6,
            "V",
            "gauss",
            "MCP6N11 / AD8237-class in-amp (netlists/diffamp.lib): input offset 100 uV max",
        ),
        PartTolerance(
            "amp_gain",
            1e-3,
            "fraction",
            "gauss",
            "MCP6N11 / AD8237-class in-amp (netlists/diffamp.lib): gain error 0.1 % max",
        ),
        PartTolerance(
            "comparator_offset",
            0.05,
            "V",
            "uniform0",
            "the paper's comparator bias, uniform on [0, 0.05] V (Eq. 10)",
        ),
        PartTolerance("osc_r", 0.01, "fraction", "gauss", "1 % metal-film resistors"),
        PartTolerance("osc_c", 0.05, "fraction", "gauss", "C0G/NP0 ceramic capacitor, 5 %"),
    )
}
"""The default board's part tolerances (see the module docstring for each source)."""
PART_CLASSES = tuple(DEFAULT_TOLERANCES)


def uniform_tolerances(fraction: float) -> dict[str, PartTolerance]:
    """Every relative class at ``fraction`` (the ``--tolerance`` board of ``coupled train``):
    pots, series and oscillator parts +-fraction, the in-amps' datasheet maxima, no tap
    nonlinearity, comparator offsets uniform on [0, 0.05] V."""
    out = {}
    for name, t in DEFAULT_TOLERANCES.items():
        if t.unit == "fraction" and name != "amp_gain":
            out[name] = replace(t, limit=float(fraction), source=f"uniform board +-{fraction:g}")
        elif name == "pot_nonlinearity":
            out[name] = t.scaled(0.0)
        else:
            out[name] = t
    return out


def check_tolerances(tolerances: dict[str, PartTolerance]) -> dict[str, PartTolerance]:
    """``UserError`` unless every class of :data:`PART_CLASSES` is given, and nothing else."""
    missing = [c for c in PART_CLASSES if c not in tolerances]
    extra = [c for c in tolerances if c not in PART_CLASSES]
    if missing or extra:
        raise UserError(
            f"part tolerances: missing {missing} / unknown {extra}; classes are "
            + ", ".join(PART_CLASSES)
        )
    return dict(tolerances)
