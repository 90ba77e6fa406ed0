"""Reproduction layer: the data of each paper figure (tables and summaries, no drawing).

:mod:`~coupled.reproduction.base` holds the figure registry and :func:`reproduce`; one module
per figure family (``fig1``, ``fig2``, ``fig4``). Figures are drawn by
:mod:`coupled.analysis.figures`.
"""
