"""Calibration layer: p against the global bias, correlations of update events, comparator bias.

:mod:`~coupled.calibration.run` (``CalibrationConfig``, ``run_calibration``, ``calibrate``),
:mod:`~coupled.calibration.stats` (correlations, effective comparator bias). The saved curve
and its inverse, which the circuit engine also needs, are in :mod:`coupled.engines.board.curve`.
"""
