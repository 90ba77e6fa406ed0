"""SPICE layer: the one ngspice of a process, netlist number formatting, network solves.

:mod:`~coupled.spice.session` drives the ngspice shared library through ``ctypes``;
:mod:`~coupled.spice.numbers` formats numbers for netlists; :mod:`~coupled.spice.network` solves
resistor networks through ngspice with the signature of the exact solver.
"""
