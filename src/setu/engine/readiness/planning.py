"""Plans from an efficient curve and today's stock: choice of the point, buys and moves (pure numpy).

The engine's efficient curve (`setu.engine.readiness.optimize`, marginal analysis: Sherbrooke
2004 ch. 4; Fox 1966) starts from zero stock; the stock a fleet already holds is free. At each
curve point the plan's stock per item is first met from today's stock, moving surplus (depot
first, then bases) to sites below plan, and the rest is bought (`rebalance`: a transportation
problem with one source order, solved by cumulative sums; lateral resupply as in Sherbrooke 2004
sec. 6). ``cost`` of a point is what it buys; its availability is the model's value
(`evaluate`, Sherbrooke 2004 eq. 5.x: A = prod (1 - EBO / (N Z))^Z per base) of the stock after
buying and moving (the plan, plus surplus nobody needed, left where it is).

With a budget, the plan is the last point whose buys cost at most the budget, after which the
later curve steps that still fit the budget are taken in order (an item whose next step does not
fit is skipped for good: the usual fill-up of the greedy knapsack, Martello & Toth 1990 sec.
2.4; `fill_budget`); with a target, the first point whose availability reaches it (binary
search on the evaluated points: availability grows along the curve).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from setu.engine.readiness.case import Case
from setu.engine.readiness.evaluation import evaluate
from setu.engine.readiness.marginal import optimize

#: Points of the cost/availability chart of a plan.
CHART_POINTS = 40


@dataclass
class Recommendation:
    """A point chosen on the curve, as buys and moves from today's stock (pure arrays)."""

    k: int
    plan: np.ndarray  # (I, L) the curve point's stock
    after: np.ndarray  # (I, L) stock after buying and moving
    buy: np.ndarray  # (I, L)
    moved_in: np.ndarray
    moved_out: np.ndarray
    moves: list[tuple[int, int, int, int]]  # (item, from col, to col, qty)
    buy_cost: float
    availability: float
    stop_reason: str
    target_met: bool | None
    chart: list[dict[str, float]]
    curve_points: int


def rebalance(plan: np.ndarray, today: np.ndarray, depot_col: int):
    """Meet ``plan`` from ``today``'s stock: surplus moves (depot first, then bases in column order)
    to sites below plan (in column order); the rest is bought. Returns after, buy, in, out."""
    order = np.arange(plan.shape[1])
    if depot_col >= 0:
        order = np.concatenate([[depot_col], order[order != depot_col]])
    sur = np.maximum(0, today - plan)[:, order]
    dfc = np.maximum(0, plan - today)[:, order]
    moved = np.minimum(sur.sum(1), dfc.sum(1))[:, None]
    taken = np.clip(moved - (np.cumsum(sur, 1) - sur), 0, sur)
    filled = np.clip(moved - (np.cumsum(dfc, 1) - dfc), 0, dfc)
    inv = np.argsort(order)
    out, inn = taken[:, inv], filled[:, inv]
    buy = np.maximum(0, plan - today) - inn
    after = today - out + inn + buy
    return after, buy, inn, out


def moves_of(out: np.ndarray, inn: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The moves ``(item, from column, to column, quantity)`` that carry each item's outflows
    ``out`` to its inflows ``inn``, both taken in column order (the north-west corner rule of the
    transportation problem, Dantzig 1951)."""
    moves = []
    for i in np.flatnonzero(out.sum(1) > 0):
        src = [[int(c), int(out[i, c])] for c in np.flatnonzero(out[i])]
        dst = [[int(c), int(inn[i, c])] for c in np.flatnonzero(inn[i])]
        a = b = 0
        while a < len(src) and b < len(dst):
            q = min(src[a][1], dst[b][1])
            moves.append((int(i), src[a][0], dst[b][0], q))
            src[a][1] -= q
            dst[b][1] -= q
            a += src[a][1] == 0
            b += dst[b][1] == 0
    return moves


def recommend(case: Case, stock: Any, *, budget: float | None = None, target: float | None = None,
              model: str | None = None, map_fn=None, chart_points: int = CHART_POINTS,
              progress: Callable[[str], None] | None = None) -> tuple[Recommendation, Any]:
    """Choose the plan on the efficient curve given today's stock (module docstring). Returns the
    recommendation and the engine's curve."""
    ca = case.arrays()
    model = model or case.model
    today = ca.stock_array(stock)
    tot = today.sum(1)
    c = ca.unit_cost
    say = progress or (lambda _m: None)
    say("efficient curve")
    opt_budget = None if budget is None else float(budget) + float((c * tot).sum())
    curve = optimize(case, model=model, budget=opt_budget, target=target, map_fn=map_fn)
    n_pts = curve.n_points
    # buy cost of every point, incrementally (vertex index per item only grows along the curve)
    v = curve.item_first_vertex.copy()
    S = curve.vertex_S[v].astype(np.int64)
    cur = float((c * np.maximum(0, S - tot)).sum())
    buy_cost = np.empty(n_pts)
    buy_cost[0] = cur
    for t in range(n_pts - 1):
        i = int(curve.step_item[t])
        nv = max(int(v[i]), int(curve.step_vertex[t]))
        if nv != v[i]:
            s_new = int(curve.vertex_S[nv])
            cur += c[i] * (max(0, s_new - tot[i]) - max(0, int(S[i]) - tot[i]))
            v[i], S[i] = nv, s_new
        buy_cost[t + 1] = cur
    e_idx = 0
    cache: dict = {}
    evals: dict[int, tuple[float, float, np.ndarray]] = {}

    def at(k: int):
        if k not in evals:
            plan_k = curve.stock_at(k, cache)
            after = rebalance(plan_k, today, ca.depot_index)[0]
            ev = evaluate(ca, after, model=model)
            fleet = ev.fleet_availability
            evals[k] = (float(np.nanmin(fleet)) if fleet.size else 1.0, float(ev.total_base_ebo), plan_k)
        return evals[k]

    say("choosing the plan")
    k = n_pts - 1
    stop = curve.stop_reason
    met = None
    if budget is not None:
        k = int(np.searchsorted(buy_cost, float(budget) + 1e-9, side="right")) - 1
        k = max(0, k)
        stop = "budget" if k < n_pts - 1 or curve.stop_reason == "budget" else curve.stop_reason
    if target is not None:
        hi = k
        if at(hi)[0] >= target - 1e-12:
            lo = 0
            while lo < hi:
                mid = (lo + hi) // 2
                if at(mid)[0] >= target - 1e-12:
                    hi = mid
                else:
                    lo = mid + 1
            k, stop, met = hi, "target", True
        else:
            met = False
    plan_k = at(k)[2]
    rec_a, rec_ebo = at(k)[0], at(k)[1]
    if budget is not None and stop == "budget" and met is not True:
        filled = fill_budget(curve, k, today, float(budget), cache)
        if filled is not None:
            after_f = rebalance(filled, today, ca.depot_index)[0]
            ev_f = evaluate(ca, after_f, model=model)
            a_f = float(np.nanmin(ev_f.fleet_availability)) if ev_f.fleet_availability.size else 1.0
            if a_f > rec_a:
                plan_k, rec_a, rec_ebo = filled, a_f, float(ev_f.total_base_ebo)
    after, buy, inn, out = rebalance(plan_k, today, ca.depot_index)
    rec_cost = float((buy * c[:, None]).sum())
    # the chart: evaluated curve points, cheapest first, only those that raise availability, with
    # the recommended plan in its place (curve points it dominates left out)
    n_chart = min(n_pts, max(2, chart_points))
    idx = sorted(set(np.linspace(0, n_pts - 1, n_chart).round().astype(int).tolist()) | {0})
    pts = [{"point": int(j), "cost": float(buy_cost[j]), "availability": at(j)[0], "total_base_ebo": at(j)[1],
            "recommended": False} for j in idx]
    pts.append({"point": int(k), "cost": rec_cost, "availability": rec_a, "total_base_ebo": rec_ebo,
                "recommended": True})
    pts.sort(key=lambda p: (p["cost"], not p["recommended"]))
    chart = []
    for p in pts:
        if chart and p["availability"] <= chart[-1]["availability"] + 1e-12:
            if p["recommended"]:  # the plan replaces the points it does not beat
                while chart and chart[-1]["availability"] >= p["availability"] - 1e-12:
                    chart.pop()
            else:
                continue
        chart.append(p)
    rec = Recommendation(k=k, plan=plan_k, after=after, buy=buy, moved_in=inn, moved_out=out,
                         moves=moves_of(out, inn), buy_cost=rec_cost,
                         availability=rec_a, stop_reason=stop, target_met=met, chart=chart, curve_points=n_pts)
    return rec, curve


def fill_budget(curve, k: int, today: np.ndarray, budget: float, cache: dict) -> np.ndarray | None:
    """Spend what the budget leaves after point k: take the later curve steps in order whose buys
    still fit, skipping (for good) an item whose next step does not fit. Returns the stock plan, or
    None when nothing more fits."""
    ca = curve.arrays
    c = ca.unit_cost
    tot = today.sum(1)
    v = curve.item_vertices(k).copy()
    S = curve.vertex_S[v].astype(np.int64)
    spent = float((c * np.maximum(0, S - tot)).sum())
    frozen = np.zeros(v.size, dtype=bool)
    moved = False
    for t in range(k, curve.n_points - 1):
        i = int(curve.step_item[t])
        nv = int(curve.step_vertex[t])
        if frozen[i] or nv <= v[i]:
            continue
        s_new = int(curve.vertex_S[nv])
        delta = c[i] * (max(0, s_new - tot[i]) - max(0, int(S[i]) - tot[i]))
        if spent + delta <= budget + 1e-9:
            spent += delta
            v[i], S[i] = nv, s_new
            moved = True
        else:
            frozen[i] = True
    if not moved:
        return None
    return replace(curve, point_vertices=(v,)).stock_at(0, cache)
