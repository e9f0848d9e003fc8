"""Exact mode: every undominated plan by dynamic programming over integer costs.

Kettelle 1962 (Operations Research 10(2):268-275; the DP of the KTH SF2863 reports): the optimum
for every budget, filling the budget between hull vertices, for small single-indenture problems.
Works on the item curves of :mod:`setu.engine.readiness.objective` (full, not convexified).
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from setu.engine.readiness.case import Case, CaseArrays
from setu.engine.readiness.evaluation import _check_model
from setu.engine.readiness.marginal import optimize
from setu.engine.readiness.objective import (
    Curve,
    MapFn,
    _as_arrays,
    _resolve_objective,
    _run_blocks,
    _targets,
    _vertex_table,
    build_item_model,
)


def _cost_unit(costs: np.ndarray) -> float:
    for scale in (1, 10, 100, 1000):
        c = costs * scale
        if np.allclose(c, np.round(c), atol=1e-9, rtol=0):
            g = int(np.gcd.reduce(np.round(c).astype(np.int64)))
            return g / scale
    raise ValueError("exact mode needs unit costs that are multiples of 0.001")


def exact_frontier(
    case: Case | CaseArrays,
    *,
    budget: float | None = None,
    target: float | Mapping[str, float] | None = None,
    model: str | None = None,
    objective: str | None = None,
    tol: float = 1e-5,
    max_cells: int = 50_000_000,
    map_fn: MapFn | None = None,
) -> Curve:
    """Every undominated plan up to ``budget`` by dynamic programming (Kettelle 1962).

    V_i(b) = min_S [F_i(S) + V_{i-1}(b - c_i S)] over integer cost units, with F_i the item
    curves optimal over the depot/base split (not convexified). The frontier is every budget
    where V strictly drops, which is where the optimal plan costs exactly that budget: the
    Kettelle undominated set. With a ``target`` and no budget, the greedy curve's cost at the
    target bounds the search. Single indenture only.
    """
    ca, case_model = _as_arrays(case)
    model = _check_model(model or case_model)
    if ca.max_level > 0:
        raise ValueError("exact mode supports single-indenture cases only")
    objective = _resolve_objective(ca, objective)
    targets = _targets(ca, target)
    if budget is None:
        if targets is None:
            raise ValueError("exact mode needs a budget or a target")
        g = optimize(ca, model=model, objective=objective, target=target, tol=tol, map_fn=map_fn)
        budget = float(g.cost[-1])
    im = build_item_model(ca, model, objective, tol=tol)
    tab = _vertex_table(_run_blocks(im, True, map_fn, 3_000_000), ca.n_items)
    unit = _cost_unit(im.cost)
    cells = int(np.floor(budget / unit + 1e-9))
    n_i = ca.n_items
    if n_i * (cells + 1) > max_cells:
        raise ValueError(f"exact mode too large: {n_i} items x {cells + 1} budget cells")
    ci = np.round(im.cost / unit).astype(np.int64)
    value = np.zeros(cells + 1)
    choice = np.zeros((n_i, cells + 1), dtype=np.int32)  # vertex offset S chosen per item
    first = tab["first"]
    counts = np.diff(np.append(first, tab["item"].size))
    for i in range(n_i):
        f = tab["f"][first[i]: first[i] + counts[i]]
        best = np.full(cells + 1, np.inf)
        arg = np.zeros(cells + 1, dtype=np.int32)
        for s in range(counts[i]):
            shift = s * ci[i]
            if shift > cells:
                break
            cand = np.full(cells + 1, np.inf)
            cand[shift:] = f[s] + value[: cells + 1 - shift]
            better = cand < best - 1e-15
            best = np.where(better, cand, best)
            arg = np.where(better, s, arg)
        value = best
        choice[i] = arg
    drops = np.concatenate([[0], np.flatnonzero(value[1:] < value[:-1] - 1e-12) + 1])
    plans = []
    for b_cell in drops:
        s_vec = np.zeros(n_i, dtype=np.int64)
        rem = int(b_cell)
        for i in range(n_i - 1, -1, -1):
            s = int(choice[i, rem])
            s_vec[i] = s
            rem -= s * int(ci[i])
        plans.append(first + s_vec)
    vertices = np.array(plans)  # (P, I) vertex index per item
    chan = tab["channels"][vertices].sum(axis=1)
    cost = (np.array(drops) * unit).astype(float)
    avail = np.negative(chan[:, 1:])
    np.exp(avail, out=avail)
    stop_reason, target_met, last = ("budget", None, len(drops) - 1)
    if targets is not None:
        met = np.flatnonzero(np.all(avail >= targets[None, :] - 1e-12, axis=1))
        if met.size:
            last, stop_reason, target_met = int(met[0]), "target", True
        else:
            target_met = False
    sl = slice(0, last + 1)
    return Curve(
        model=model, objective=objective, item_ids=ca.item_ids, site_ids=ca.site_ids,
        equipment_types=ca.equipment_types, cost=cost[sl], total_base_ebo=chan[sl, 0],
        objective_value=chan[sl] @ im.objective_weights, availability=avail[sl],
        step_item=np.zeros(0, dtype=np.int64), step_vertex=np.zeros(0, dtype=np.int64),
        vertex_s0=tab["s0"], vertex_S=tab["S"], vertex_k=tab["k"], vertex_nd=tab["nd"], item_first_vertex=first,
        stop_reason=stop_reason, target_met=target_met, exact=True, item_model=im, arrays=ca,
        point_vertices=tuple(vertices[sl]),
    )
