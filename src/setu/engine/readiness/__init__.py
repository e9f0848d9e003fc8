"""Readiness engine: METRIC-family multi-echelon, multi-indenture spares models (numpy/scipy only).

Public API:

- `Case`, `Site`, `Item`, `Demand`, `CaseArrays` (setu.engine.readiness.case);
- `evaluate(case, stock, model="vari-metric") -> Evaluation`;
- `optimize(...) -> Curve` (marginal analysis over convexified item curves, or exact DP);
- `backorder_curves`, `backorders_at` (Palm/negative-binomial backorder moments).
"""
from setu.engine.readiness.case import Case, CaseArrays, Demand, Item, Site
from setu.engine.readiness.distributions import backorder_curves, backorders_at
from setu.engine.readiness.evaluation import Evaluation, availability, evaluate, evaluate_arrays

__all__ = [
    "Case",
    "CaseArrays",
    "Demand",
    "Evaluation",
    "Item",
    "Site",
    "availability",
    "backorder_curves",
    "backorders_at",
    "evaluate",
    "evaluate_arrays",
]
