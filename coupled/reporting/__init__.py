"""Reporting layer: the report's pieces (run when missing), the paper's claims and their verdicts.

Data only; the HTML page and its figures are drawn by :mod:`coupled.analysis.report`.
"""
