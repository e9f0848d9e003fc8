"""The efficient curve by marginal analysis (the greedy VARI-METRIC curve).

Method (Sherbrooke 1968 sec. 4; Sherbrooke 2004 ch. 3-4 "marginal analysis"; Fox 1966):

1. Item curves and their lower convex hulls: :mod:`setu.engine.readiness.objective`.
2. Marginal analysis across items: hull segments of all items are sorted once by
   (objective gain) / (cost), which gives every efficient point of the convexified problem
   (Fox 1966, Management Science 13(3):210-216): each point is optimal for its own cost.
   The sort is one unsigned-integer key sort with exact repair of near-ties
   (`descending_order`), ties kept in (item, S) order.
3. Stopping: a budget, an availability target per equipment type, or both; or the whole curve.
   A target stop is checked with `evaluate` (the exact model value of the plan), so the first
   point whose evaluated fleet availability meets every target ends the curve.

Multi-indenture (Sherbrooke 1986; Sherbrooke 2004 ch. 5): the curve is built in passes; the LRU
pipelines carry the SRU backorders of the previous pass's reference plan (its stopping point).
Three passes by default; with a target, every pass stops where the exact model (`evaluate`)
meets it. Values on a multi-indenture curve are therefore estimates; `evaluate` gives the exact
model value of any point (``Curve.stock_at``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from setu.engine.readiness.case import Case, CaseArrays
from setu.engine.readiness.evaluation import _check_model, evaluate_arrays
from setu.engine.readiness.objective import (
    Curve,
    MapFn,
    _as_arrays,
    _release_memory,
    _resolve_objective,
    _run_blocks,
    _targets,
    _vertex_table,
    build_item_model,
    thread_map,
)


def descending_order(x: np.ndarray) -> np.ndarray:
    """``np.argsort(-x, kind="stable")`` for a 1-d float array (no NaN), faster.

    One sort of unsigned 64-bit keys: an order-preserving map of the value with its low bits
    replaced by the index (so equal values stay in index order). Values that differ only in
    those low bits may come out of order; each run of equal truncated keys holding such a pair
    is sorted again exactly.
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    nbits = max(1, (n - 1).bit_length())
    if n < 2 or nbits > 40:
        return np.argsort(-x, kind="stable")
    sign = np.uint64(1 << 63)
    low = np.uint64((1 << nbits) - 1)
    key = np.add(x, 0.0).view(np.uint64)  # -0.0 as +0.0
    neg = np.flatnonzero(x < 0)
    u_neg = key[neg] & ~low
    # descending map: x >= 0 -> ~u without the sign bit; x < 0 -> u; then the index in low bits
    np.invert(key, out=key)
    np.bitwise_and(key, ~(sign | low), out=key)
    if neg.size:
        key[neg] = u_neg
    key |= np.arange(n, dtype=np.uint64)
    key.sort()
    order = (key & low).view(np.int64)
    # only neighbours with equal truncated keys can be out of order
    np.right_shift(key, np.uint64(nbits), out=key)
    cand = np.flatnonzero(key[1:] == key[:-1])
    bad = cand[np.take(x, np.take(order, cand + 1)) > np.take(x, np.take(order, cand))]
    if bad.size:
        # re-sort exactly every run of equal truncated keys that holds an inversion
        lo = np.unique(np.searchsorted(key, key[bad], side="left"))
        hi = np.searchsorted(key, key[lo], side="right")
        lengths = hi - lo
        gid = np.repeat(np.arange(lo.size), lengths)
        sel = np.arange(int(lengths.sum())) + np.repeat(lo - (np.cumsum(lengths) - lengths), lengths)
        sub = order[sel]
        order[sel] = sub[np.lexsort((sub, -x[sub], gid))]
    return order


def _greedy(tab: dict[str, np.ndarray], cost: np.ndarray, min_gain: float) -> dict[str, np.ndarray]:
    """Hull segments of all items sorted by gain per cost (Fox 1966 marginal analysis).

    Returns per step, in curve order: the vertex it moves to ("to"; it comes from to - 1), its
    "item", "cost" and "dch", the change of every channel (row t + 1 for step t).
    """
    item, f, s_tot, ch = tab["item"], tab["f"], tab["S"], tab["channels"]
    ok = item[1:] == item[:-1]
    gain = f[:-1] - f[1:]
    ok &= gain > min_gain
    a = np.flatnonzero(ok)
    del ok
    gain = np.take(gain, a)
    dc = np.take(cost, np.take(item, a)) * np.take(s_tot[1:] - s_tot[:-1], a)
    ratio = np.divide(gain, dc, out=gain)
    # segments are already in (item, S) order, so a stable sort on the ratio keeps that order
    # among ties (each item's hull ratios decrease, so its segments stay in sequence)
    order = descending_order(ratio)
    del ratio, gain
    to = np.take(a, order)
    to += 1
    step_cost = np.take(dc, order)
    del dc
    # channel changes per segment in table order (sequential), then one gather into curve order;
    # row 0 is left free for the curve's start values (`_curve_from_table` sums in place)
    seg_ch = np.take(ch[1:] - ch[:-1], a, axis=0)
    del a
    dch = np.empty((to.size + 1, ch.shape[1]))
    np.take(seg_ch, order, axis=0, out=dch[1:])
    del seg_ch, order
    return {"to": to, "item": np.take(item, to), "cost": step_cost, "dch": dch}


def _curve_from_table(ca, im, tab, steps, objective, model, budget, targets):
    n_i = ca.n_items
    first = tab["first"]
    ch0 = tab["channels"][first].sum(axis=0)
    if im.channel_offset is not None:
        ch0 = ch0 - im.channel_offset.sum(axis=0)
    n_steps = steps["to"].size
    chan = steps.pop("dch")  # consumed: each table's steps make one curve
    chan[0] = ch0
    np.cumsum(chan, axis=0, out=chan)
    cost = np.empty(n_steps + 1)
    cost[0] = 0.0
    np.cumsum(steps["cost"], out=cost[1:])
    ow = im.objective_weights
    avail = np.negative(chan[:, 1:])
    np.exp(avail, out=avail)
    n_pts = cost.size
    stop_reason, target_met = "end", None
    last = n_pts - 1
    if budget is not None:
        within = np.flatnonzero(cost <= budget + 1e-9 * max(1.0, abs(budget)))
        last = int(within[-1])
        if last < n_pts - 1:
            stop_reason = "budget"
    if targets is not None:
        met = np.all(avail >= targets[None, :] - 1e-12, axis=1)
        hit = np.flatnonzero(met[: last + 1])
        if hit.size:
            last = int(hit[0])
            stop_reason, target_met = "target", True
        else:
            target_met = False
    k = last
    return Curve(
        model=model, objective=objective, item_ids=ca.item_ids, site_ids=ca.site_ids,
        equipment_types=ca.equipment_types, cost=cost[: k + 1], total_base_ebo=chan[: k + 1, 0],
        objective_value=chan[: k + 1] @ ow, availability=avail[: k + 1],
        step_item=steps["item"][:k], step_vertex=steps["to"][:k],
        vertex_s0=tab["s0"], vertex_S=tab["S"], vertex_k=tab["k"], vertex_nd=tab["nd"], item_first_vertex=first,
        stop_reason=stop_reason, target_met=target_met, exact=(ca.max_level == 0),
        item_model=im, arrays=ca,
    )



def optimize(
    case: Case | CaseArrays,
    *,
    model: str | None = None,
    objective: str | None = None,
    budget: float | None = None,
    target: float | Mapping[str, float] | None = None,
    passes: int | None = None,
    tol: float = 1e-5,
    map_fn: MapFn | None = None,
    max_elements: int = 3_000_000,
    min_gain: float = 1e-12,
    threads: int = 1,
) -> Curve:
    """The efficient curve by marginal analysis over convexified item curves (module docstring).

    Stops at ``budget`` (last point with cost <= budget), at the first point where every
    equipment type's availability reaches ``target`` (a number or a mapping type -> target), at
    whichever comes first when both are given, or at the end of the item curves (every item at
    the level where one more unit lowers its pipeline tail below ``tol``).
    ``map_fn(fn, blocks) -> list`` runs the per-block item-curve computation (e.g. on Dask);
    ``threads`` > 1 runs blocks on a thread pool (numpy releases the GIL in the heavy kernels);
    results are identical to the serial run either way.
    """
    ca, case_model = _as_arrays(case)
    model = _check_model(model or case_model)
    objective = _resolve_objective(ca, objective)
    targets = _targets(ca, target)
    if map_fn is None and threads > 1:
        map_fn = thread_map(threads)
    if passes is None:
        passes = 3 if ca.max_level > 0 else 1
    ref = None
    curve = None
    for _ in range(max(1, passes)):
        im = build_item_model(ca, model, objective, ref_stock=ref, tol=tol)
        tab = _vertex_table(_run_blocks(im, False, map_fn, max_elements), ca.n_items)
        _release_memory()
        steps = _greedy(tab, im.cost, min_gain)
        if targets is None:
            curve = _curve_from_table(ca, im, tab, steps, objective, model, budget, targets)
        else:
            curve = _exact_target_stop(ca, im, tab, steps, objective, model, budget, targets)
        del tab, steps
        if ca.max_level == 0:
            break
        k = curve.n_points - 1
        if curve.stop_reason == "end":
            gain = curve.objective_value[0] - curve.objective_value
            k = int(np.searchsorted(gain, 0.95 * gain[-1]))
        ref = curve.stock_at(min(k, curve.n_points - 1))
    assert curve is not None
    return curve


def _truncate(curve: Curve, k: int, **changes: Any) -> Curve:
    return replace(
        curve, cost=curve.cost[: k + 1], total_base_ebo=curve.total_base_ebo[: k + 1],
        objective_value=curve.objective_value[: k + 1], availability=curve.availability[: k + 1],
        step_item=curve.step_item[:k], step_vertex=curve.step_vertex[:k], **changes,
    )


def _exact_target_stop(ca, im, tab, steps, objective, model, budget, targets) -> Curve:
    """Stop at the first curve point whose *evaluated* fleet availability (the full model,
    `evaluate_arrays`: unit-weighted mean over bases, SRU effects exact) meets every target,
    found by galloping and bisection along the curve (availability grows along it). The curve's
    own availability column (geometric mean over bases; pass estimates for multi-indenture) only
    gives the starting guess."""
    full = _curve_from_table(ca, im, tab, steps, objective, model, budget, None)
    cache: dict = {}
    seen: dict[int, bool] = {}

    def ok(k: int) -> bool:
        if k not in seen:
            ev = evaluate_arrays(ca, full.stock_at(k, cache), model)
            seen[k] = bool(np.all(np.nan_to_num(ev.fleet_availability, nan=1.0) >= targets - 1e-12))
        return seen[k]

    last = full.n_points - 1
    est = np.flatnonzero(np.all(full.availability >= targets[None, :] - 1e-12, axis=1))
    guess = int(est[0]) if est.size else last
    # gallop from the estimate to a bracket [lo, hi] with not ok(lo - 1)... ok(hi), then bisect
    if ok(guess):
        hi, step = guess, 1
        lo = max(0, hi - step)
        while lo > 0 and ok(lo):
            hi, step = lo, step * 2
            lo = max(0, hi - step)
        if ok(lo):
            hi = lo
    else:
        lo, step = guess + 1, 1
        hi = min(last, guess + step)
        while not ok(hi):
            if hi == last:
                return _truncate(full, last, stop_reason=full.stop_reason, target_met=False)
            lo, step = hi + 1, step * 2
            hi = min(last, hi + step)
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return _truncate(full, hi, stop_reason="target", target_met=True)


