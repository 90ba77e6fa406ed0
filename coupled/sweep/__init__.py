"""Sweep layer: TOML grid specs, executors (serial, process pool, Dask), resumable results.

:mod:`~coupled.sweep.spec` (specs and plans), :mod:`~coupled.sweep.worker` (one point),
:mod:`~coupled.sweep.executors` (where points run), :mod:`~coupled.sweep.run` (``run_sweep``).
"""
