"""Readiness engine: METRIC-family multi-echelon, multi-indenture spares models (numpy/scipy only).

Public API:

- `Case`, `Site`, `Item`, `Demand`, `CaseArrays` (setu.engine.readiness.case);
- `evaluate(case, stock, model="vari-metric") -> Evaluation` (METRIC: Sherbrooke 1968;
  VARI-METRIC: Sherbrooke 1986, Graves 1985; MOD-METRIC: Muckstadt 1973);
- `optimize(case, budget=..., target=...) -> Curve` (marginal analysis over convexified item
  curves, Sherbrooke 2004 ch. 4; Fox 1966: setu.engine.readiness.marginal) and
  `exact_frontier(...)` (Kettelle 1962 / DP: setu.engine.readiness.frontier), both over the item
  curves and objective of setu.engine.readiness.objective (`item_curves`, `Curve`);
- `recommend(case, stock, budget=..., target=...)`: a plan on the curve from today's stock, as
  buys and moves (`rebalance`; setu.engine.readiness.planning);
- `inputs`: the case inputs derived from records (turnaround, demand rates), shared by the
  readiness capability and the demo data;
- `backorder_curves`, `backorders_at` (Palm 1938 / negative-binomial backorder moments).
"""
from setu.engine.readiness.case import Case, CaseArrays, Demand, Item, Site, derive_demand
from setu.engine.readiness.distributions import backorder_curves, backorders_at, tail_level
from setu.engine.readiness.evaluation import Evaluation, availability, evaluate, evaluate_arrays
from setu.engine.readiness.frontier import exact_frontier
from setu.engine.readiness.marginal import optimize
from setu.engine.readiness.objective import Curve, item_curves
from setu.engine.readiness.planning import Recommendation, rebalance, recommend

__all__ = [
    "Case",
    "CaseArrays",
    "Curve",
    "Demand",
    "Evaluation",
    "Item",
    "Recommendation",
    "Site",
    "availability",
    "backorder_curves",
    "backorders_at",
    "derive_demand",
    "evaluate",
    "evaluate_arrays",
    "exact_frontier",
    "item_curves",
    "optimize",
    "rebalance",
    "recommend",
    "tail_level",
]
