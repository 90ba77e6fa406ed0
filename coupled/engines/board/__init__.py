"""What the circuit engine and the calibration share about the simulated board.

:mod:`~coupled.engines.board.curve` (the saved p-against-bias curve and its inverse),
:mod:`~coupled.engines.board.events` (enable bits at the triggers, by ngspice transients or the
phase model), :mod:`~coupled.engines.board.phase` (oscillators fitted to their simulation) and
:mod:`~coupled.engines.board.session` (the board loaded in ngspice, stepped window by window).
"""
