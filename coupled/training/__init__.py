"""Training layer: configuration, random draws, the run object, checkpoints and results.

:mod:`~coupled.training.config` (``TrainConfig``), :mod:`~coupled.training.draws` (seeded
streams and step draws), :mod:`~coupled.training.run` (``Run``, ``train``, ``train_many``),
:mod:`~coupled.training.checkpoint` and :mod:`~coupled.training.results` (``TrainResult``,
``load_result``). The public names are exported by :mod:`coupled`.
"""
