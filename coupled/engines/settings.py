"""What an engine reads of a run's configuration: :class:`RunSettings`.

Engines take the run's numeric settings through this protocol, not the training layer's
configuration class, so the engines layer imports nothing of :mod:`coupled.training` (not even
for type checking); :class:`coupled.training.TrainConfig` satisfies it. The board itself an
engine obtains as a :class:`coupled.circuits.spec.BoardSpec`
(:func:`coupled.engines.board.drawn.board_spec`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from coupled.physics.networks import Network


class RunSettings(Protocol):
    """The settings of a run that engines use (units as in ``TrainConfig``)."""

    network: str | Network
    rule: str
    p: float
    p_mode: str
    sigma_v: float
    sigma_mode: str
    sense_gain: float
    r_min_ohm: float
    r_max_ohm: float
    eta: float
    gamma: float
    steps: int
    trigger: str
    example_period_s: float | None
    engine_options: dict
    parts: dict

    @property
    def n_taps(self) -> int:
        """Tap count of the board's pots."""
        ...


__all__ = ["RunSettings"]
