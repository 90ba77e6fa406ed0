"""Reference simulator of physics-driven, desynchronous coupled-learning networks.

The package simulates the self-adjusting resistor networks of Wycoff et al. (J. Chem. Phys. 156,
144903, 2022) with exact linear algebra (``ideal`` engine), with ngspice solving the twin networks
(``spice`` engine) and with the whole learning board as an ngspice netlist (``circuit`` engine).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("coupled-learning-sim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
