"""Physics layer: networks, packings, tasks, learning rules, the exact solver and its kernels.

Pure numpy (and numba for the kernels): no ngspice, no files beyond network loading. The state
types shared by engines and the training loop (:mod:`coupled.physics.state`) live here too.
"""
