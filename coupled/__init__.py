"""Reference simulator of physics-driven, desynchronous coupled-learning networks.

The package simulates the self-adjusting resistor networks of Wycoff et al. (J. Chem. Phys. 156,
144903, 2022) with exact linear algebra (``ideal`` engine), with ngspice solving the twin networks
(``spice`` engine) and with the whole learning board as an ngspice netlist (``circuit`` engine).

The public Python API is exported here (see ``docs/api.md``); names load on first use, so
``import coupled`` stays cheap::

    import coupled
    cfg = coupled.TrainConfig(network="experiment16", task="allostery", rule="discrete", p=0.5)
    result = coupled.train(cfg, "runs/first")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from coupled.core.version import __version__

_API = {
    "Network": "coupled.physics.networks",
    "load_network": "coupled.physics.catalogue",
    "TrainConfig": "coupled.training.config",
    "TrainResult": "coupled.training.results",
    "TrainState": "coupled.physics.state",
    "load_result": "coupled.training.results",
    "Run": "coupled.training.run",
    "train": "coupled.training.run",
    "train_many": "coupled.training.run",
    "CalibrationConfig": "coupled.calibration.run",
    "calibrate": "coupled.calibration.files",
    "load_calibration": "coupled.engines.board.curve",
    "reproduce": "coupled.reproduction.base",
    "figure_names": "coupled.reproduction.base",
    "report": "coupled.analysis.report",
    "ReportConfig": "coupled.reporting.pieces",
    "BoardDesign": "coupled.circuits.design",
    "BoardSpec": "coupled.circuits.spec",
    "draw_board": "coupled.circuits.spec",
    "PartSet": "coupled.circuits.parts",
    "parts_catalogue": "coupled.circuits.parts",
    "build_board": "coupled.circuits.assembly",
    "draw_board_parameters": "coupled.circuits.design",
    "board_to_pyspice": "coupled.circuits.pyspice",
    "SelfTriggerSchedule": "coupled.engines.board.selftrigger",
    "load_spec": "coupled.sweep.spec",
    "plan_sweep": "coupled.sweep.spec",
    "run_sweep": "coupled.sweep.run",
    "UserError": "coupled.core.errors",
    "ParameterError": "coupled.core.errors",
    "SpiceError": "coupled.core.errors",
}
"""Public name -> the module that defines it."""

__all__ = ["__version__", *sorted(_API)]


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'coupled' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))


if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names load lazily
    # ruff: noqa: F401
    from coupled.analysis.report import report
    from coupled.calibration.files import calibrate
    from coupled.calibration.run import CalibrationConfig
    from coupled.circuits.assembly import build_board
    from coupled.circuits.design import BoardDesign, draw_board_parameters
    from coupled.circuits.parts import PartSet, parts_catalogue
    from coupled.circuits.pyspice import board_to_pyspice
    from coupled.circuits.spec import BoardSpec, draw_board
    from coupled.core.errors import ParameterError, SpiceError, UserError
    from coupled.engines.board.curve import load_calibration
    from coupled.engines.board.selftrigger import SelfTriggerSchedule
    from coupled.physics.catalogue import load_network
    from coupled.physics.networks import Network
    from coupled.physics.state import TrainState
    from coupled.reporting.pieces import ReportConfig
    from coupled.reproduction.base import figure_names, reproduce
    from coupled.sweep.run import run_sweep
    from coupled.sweep.spec import load_spec, plan_sweep
    from coupled.training.config import TrainConfig
    from coupled.training.results import TrainResult, load_result
    from coupled.training.run import Run, train, train_many
