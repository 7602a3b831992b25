"""Fits the marketing-mix model: ModelData in, FitResult out (see contract.py).

Placeholder: the statistics land on branch `modeling-core`.
"""

from __future__ import annotations

from kpis.modeling.contract import FitRefused, FitResult, FitSettings, ModelData


def fit(data: ModelData, settings: FitSettings | None = None) -> FitResult:
    raise FitRefused("The model is not available in this build yet.")
