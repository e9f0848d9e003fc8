"""Straightforward item-by-item reference of the readiness models (scalar Python loops).

Same models as setu.engine.readiness (METRIC: Sherbrooke 1968; VARI-METRIC: Sherbrooke 1986,
Graves 1985; multi-indenture: Muckstadt 1973, Sherbrooke 2004 ch. 5; marginal analysis:
Sherbrooke 2004 ch. 4, Fox 1966), written the textbook way: one item, one site, one stock level
at a time, with `math` only. It is the baseline of bench/bench_readiness.py and the oracle of
the property tests.
"""
from __future__ import annotations

import heapq
import math


def pmf_list(mean: float, var: float, n: int) -> list[float]:
    """p(0..n-1) of Poisson(mean) or the negative binomial with that mean and variance."""
    out = []
    if mean <= 0:
        return [1.0] + [0.0] * (n - 1)
    if var <= mean * (1 + 1e-12):
        p = math.exp(-mean)
        for x in range(n):
            out.append(p)
            p = p * mean / (x + 1)
        return out
    b = (var - mean) / var
    a = mean * mean / (var - mean)
    p = (1 - b) ** a
    for x in range(n):
        out.append(p)
        p = p * b * (a + x) / (x + 1)
    return out


def ebo_vbo(mean: float, var: float, s: int) -> tuple[float, float]:
    """EBO(s) and VBO(s) by the textbook recursions (Sherbrooke 2004 eq. 2.7, 2.11)."""
    var = max(var, mean)
    pm = pmf_list(mean, var, s + 1)
    ebo = mean
    b2 = var + mean * mean
    cdf = 0.0
    for x in range(s):
        cdf += pm[x]
        tail = max(0.0, 1.0 - cdf)
        b2 = b2 - 2 * ebo + tail
        ebo = ebo - tail
    ebo = max(ebo, 0.0)
    return ebo, max(b2 - ebo * ebo, 0.0)


def evaluate_ref(ca, stock, model: str = "vari-metric") -> dict:
    """Per item and site EBO/VBO, total base EBO and fleet availability, item by item."""
    n_i, n_j = ca.n_items, ca.n_bases
    bidx = [int(b) for b in ca.base_index]
    d = ca.depot_index
    ebo = [[0.0] * ca.n_sites for _ in range(n_i)]
    vbo = [[0.0] * ca.n_sites for _ in range(n_i)]
    sub0 = [[0.0, 0.0] for _ in range(n_i)]
    subj = [[[0.0, 0.0] for _ in range(n_j)] for _ in range(n_i)]
    order = sorted(range(n_i), key=lambda i: -int(ca.level[i]))
    for i in order:
        v = float(ca.variance_to_mean[i])
        e0 = w0 = 0.0
        if d >= 0:
            m0t0 = float(ca.depot_rate[i] * ca.depot_repair_time[i])
            mean0 = m0t0 + sub0[i][0]
            var0 = v * mean0 if model == "metric" else v * m0t0 + sub0[i][1]
            e0, w0 = ebo_vbo(mean0, var0, int(stock[i][d]))
            ebo[i][d], vbo[i][d] = e0, w0
        for j in range(n_j):
            m = float(ca.rate[i, j])
            r = float(ca.repair_fraction[i, j])
            f = float(ca.depot_share[i, j])
            local = m * r * float(ca.repair_time[i, j]) + m * (1 - r) * float(ca.order_ship_time[i, j])
            mean = local + subj[i][j][0] + f * e0
            if model == "metric":
                var = v * mean
            else:
                var = v * local + subj[i][j][1] + v * f * (1 - f) * e0 + f * f * w0
            e, w = ebo_vbo(mean, var, int(stock[i][bidx[j]]))
            ebo[i][bidx[j]], vbo[i][bidx[j]] = e, w
        p = int(ca.parent[i])
        if p >= 0:
            if d >= 0:
                m0k = float(ca.depot_rate[i])
                h = min(1.0, float(ca.failure_share[i] * ca.depot_rate[p]) / m0k) if m0k > 0 else 0.0
                sub0[p][0] += h * e0
                sub0[p][1] += h * (1 - h) * e0 + h * h * w0
            for j in range(n_j):
                subj[p][j][0] += ebo[i][bidx[j]]
                subj[p][j][1] += vbo[i][bidx[j]]
    total = sum(ebo[i][bidx[j]] for i in range(n_i) if ca.level[i] == 0 for j in range(n_j))
    fleet = []
    for e in range(len(ca.equipment_types)):
        num = den = 0.0
        for j in range(n_j):
            n_units = float(ca.units[j, e])
            if n_units <= 0:
                continue
            a = 1.0
            for i in range(n_i):
                z = float(ca.qpa[i, e])
                if ca.level[i] != 0 or z <= 0:
                    continue
                pos = sum(float(ca.qpa[i, x] * ca.units[j, x]) for x in range(len(ca.equipment_types)))
                a *= max(1.0 - ebo[i][bidx[j]] / pos, 0.0) ** z
            num += n_units * a
            den += n_units
        fleet.append(num / den if den else float("nan"))
    return {"ebo": ebo, "vbo": vbo, "total_base_ebo": total, "fleet_availability": fleet}


def item_curve_ref(ca, i: int, model: str, n_depot: int, n_base: int) -> list[tuple[float, int]]:
    """F_i(S) for S = 0..n_depot-1+J*n_base (total base EBO), min over the depot/base split.

    Given each depot level, base units go one at a time to the base with the largest EBO
    decrement (a heap), Sherbrooke 2004 sec. 4.5. Returns [(F, s0)] per S.
    """
    n_j = ca.n_bases
    v = float(ca.variance_to_mean[i])
    d = ca.depot_index
    best: list[tuple[float, int]] = [(math.inf, 0)] * (n_depot + n_j * n_base)
    for s0 in range(n_depot if d >= 0 else 1):
        e0 = w0 = 0.0
        if d >= 0:
            m0t0 = float(ca.depot_rate[i] * ca.depot_repair_time[i])
            e0, w0 = ebo_vbo(m0t0, v * m0t0, s0)
        curves = []
        for j in range(n_j):
            m = float(ca.rate[i, j])
            r = float(ca.repair_fraction[i, j])
            f = float(ca.depot_share[i, j])
            local = m * r * float(ca.repair_time[i, j]) + m * (1 - r) * float(ca.order_ship_time[i, j])
            mean = local + f * e0
            var = v * mean if model == "metric" else v * local + v * f * (1 - f) * e0 + f * f * w0
            curves.append([ebo_vbo(mean, var, s)[0] for s in range(n_base + 1)])
        total = sum(c[0] for c in curves)
        level = [0] * n_j
        heap = [(-(curves[j][0] - curves[j][1]), j) for j in range(n_j)]
        heapq.heapify(heap)
        vals = [total]
        for _ in range(n_j * n_base):
            neg, j = heapq.heappop(heap)
            total += neg
            vals.append(total)
            level[j] += 1
            if level[j] < n_base:
                heapq.heappush(heap, (-(curves[j][level[j]] - curves[j][level[j] + 1]), j))
        for nb, val in enumerate(vals):
            s = s0 + nb
            if val < best[s][0]:
                best[s] = (val, s0)
    return best


def hull_ref(points: list[float]) -> list[int]:
    """Lower convex hull vertex indices of (S, F(S)) by Andrew's monotone chain."""
    hull: list[int] = []
    for x, y in enumerate(points):
        while len(hull) >= 2:
            x1, x2 = hull[-2], hull[-1]
            y1, y2 = points[x1], points[x2]
            if (y2 - y1) * (x - x1) >= (y - y1) * (x2 - x1) - 1e-12 * (1 + abs(y2)):
                hull.pop()
            else:
                break
        hull.append(x)
    return hull


def curve_ref(ca, model: str, depot_levels, base_levels, min_gain: float = 1e-12) -> tuple[list[float], list[float]]:
    """Efficient (cost, total base EBO) curve of a single-indenture case, item by item."""
    segments = []
    start = 0.0
    for i in range(ca.n_items):
        n_d = int(depot_levels[i]) if ca.depot_index >= 0 else 1
        f = [v for v, _ in item_curve_ref(ca, i, model, n_d, int(base_levels[i]))]
        start += f[0]
        hull = hull_ref(f)
        c = float(ca.unit_cost[i])
        for a, b in zip(hull[:-1], hull[1:]):
            gain = f[a] - f[b]
            if gain > min_gain:
                segments.append((-(gain / (c * (b - a))), i, a, c * (b - a), gain))
    segments.sort()
    cost, ebo = [0.0], [start]
    for _, _, _, dc, gain in segments:
        cost.append(cost[-1] + dc)
        ebo.append(ebo[-1] - gain)
    return cost, ebo


def synthetic_arrays(n_items: int, n_bases: int, levels: int = 1, seed: int = 0, vtm_share: float = 0.2):
    """A random two-echelon case as `CaseArrays` (depot + ``n_bases`` bases, one equipment type).

    LRU demand per base is gamma distributed (base pipelines mostly 0.05-3 units); with
    ``levels`` > 1, 2/5 of the items are SRUs of the level above and 2/5 of the level below that
    (for 3 levels), each SRU taking a share of its parent's repairs.
    """
    import numpy as np

    from setu.engine.readiness.case import CaseArrays, derive_demand

    rng = np.random.default_rng(seed)
    n_j = n_bases
    if levels <= 1:
        counts = [n_items]
    else:
        top = max(1, n_items // (2 * levels - 1))
        rest = n_items - top
        counts = [top] + [rest // (levels - 1)] * (levels - 1)
        counts[-1] += n_items - sum(counts)
    level = np.concatenate([np.full(c, k) for k, c in enumerate(counts)]).astype(np.int64)
    parent = np.full(n_items, -1, dtype=np.int64)
    share = np.zeros(n_items)
    start = 0
    for k, c in enumerate(counts):
        if k > 0:
            prev0 = start - counts[k - 1]
            par = rng.integers(prev0, start, size=c)
            parent[start:start + c] = par
            raw = rng.uniform(0.2, 1.0, size=c)
            tot = np.bincount(par - prev0, weights=raw, minlength=counts[k - 1])
            share[start:start + c] = 0.9 * raw / tot[par - prev0]
        start += c
    rate = rng.gamma(0.8, 8.0, size=(n_items, n_j))
    rate_given = level[:, None] == 0
    rate = np.where(rate_given, rate, 0.0)
    r = np.where(level[:, None] == 0, rng.uniform(0.2, 0.8, (n_items, n_j)), rng.uniform(0.0, 0.6, (n_items, n_j)))
    t = rng.uniform(0.005, 0.03, (n_items, n_j))
    ost = np.tile(rng.uniform(0.005, 0.02, n_j), (n_items, 1))
    t0 = rng.uniform(0.02, 0.06, n_items)
    vtm = np.where(rng.random(n_items) < vtm_share, rng.uniform(1.0, 2.0, n_items), 1.0)
    cost = np.round(np.exp(rng.normal(6.0, 1.5, n_items)), 0) + 1
    units = rng.integers(6, 25, size=(n_j, 1)).astype(float)
    qpa = np.where(level[:, None] == 0, rng.integers(1, 5, size=(n_items, 1)), 0).astype(float)
    rate, depot_rate, depot_share = derive_demand(parent, share, level, rate, rate_given, r, True)
    return CaseArrays(
        item_ids=tuple(f"P{i:06d}" for i in range(n_items)),
        site_ids=("DEPOT",) + tuple(f"B{j:02d}" for j in range(n_j)),
        equipment_types=("AC",),
        depot_index=0,
        base_index=np.arange(1, n_j + 1),
        unit_cost=cost, depot_repair_time=t0, variance_to_mean=vtm, parent=parent,
        failure_share=share, level=level, qpa=qpa, units=units, rate=rate, repair_fraction=r,
        repair_time=t, order_ship_time=ost, depot_rate=depot_rate, depot_share=depot_share,
    )
