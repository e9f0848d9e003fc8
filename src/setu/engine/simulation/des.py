"""Discrete-event simulation of a two-echelon, multi-indenture repairable-item system.

The system is the one METRIC, MOD-METRIC and VARI-METRIC approximate (Sherbrooke 1968, 1986;
Muckstadt 1973; Sherbrooke 2004, *Optimal Inventory Modeling of Systems*, 2nd ed., ch. 2-5):
one-for-one ((S-1, S)) base-stock control at every stock point, ample repair servers,
first-come-first-served allocation, no lateral supply and no cannibalisation.

Method: event histories are computed in bulk with numpy rather than with an event calendar.
Under one-for-one replenishment every demand at a stock point triggers exactly one
replenishment, so with base stock ``s`` and first-come-first-served allocation the n-th demand
(0-based, times ``a_0 <= a_1 <= ...``) is filled by the n-th unit to become serviceable: the
``s`` units on hand at time 0, then the replenishments in order of arrival. Hence

    fill_n = a_n                              if n < s
    fill_n = max(a_n, R_(n - s))              otherwise,

where ``R_(k)`` is the k-th smallest replenishment arrival time. This is the sample-path form of
the base-stock identity BO(t) = (X(t) - s)^+ (X the outstanding replenishments; Sherbrooke 2004,
sec. 2.3; Axsaeter 1990, Oper. Res. 38(1):64-69 uses the same order-matching argument for
two-echelon systems) and is exact whatever the order of replenishment arrivals. A stock point's
replenishment times depend only on demands upstream in the indenture tree and on fills of
lower-indenture items, so one pass down the tree (generate failures, split them into base
repairs and depot returns, draw the failed SRU) followed by one pass up the tree (SRU fills,
then repair completions, then fills) reproduces the event-by-event simulation exactly, at numpy
speed.

Modelling choices, stated so that the comparison with the analytic model is explicit:

- LRU failures at a base are Poisson with rate m_ij; when ``variance_to_mean`` v > 1 they
  arrive in batches of logarithmic size with parameter b = (v - 1)/v at rate
  m_ij/E[batch], i.e. a compound Poisson process whose counts are negative binomial with
  variance-to-mean ratio v (Feller 1968, XII.2; Sherbrooke 2004 sec. 2.8). v < 1 is simulated
  as Poisson.
- Each failed unit is repaired at the base with probability r_ij, else shipped (instantly,
  as in METRIC) to the depot, which places a resupply order on the depot at the same instant.
- The cause of an LRU failure is SRU k with probability ``failure_share`` q_k (the residue
  needs no SRU). At the repair site the SRU is removed and a serviceable one demanded from the
  site's SRU stock; the LRU waits for it ("awaiting parts"), then is repaired in the LRU repair
  time. By Little's law the LRU pipeline then contains m*T plus the SRU backorders, which is the
  MOD-METRIC/VARI-METRIC structure (Muckstadt 1973; Sherbrooke 1986). The removed SRU is
  repaired at the base with its own base repair fraction, else at the depot.
- Repair times are deterministic (default) or exponential with the given mean; order-and-ship
  times are deterministic, as in Graves (1985), for which the VARI-METRIC variance is exact.
- Aircraft (units): each base backorder of an LRU is a hole in a unit. When a failure is
  backordered, the hole is placed uniformly at random among the item's installed positions that
  are not already holes (no cannibalisation), and the unit is down while it has any hole. This
  is the random-spread assumption behind A = prod_i (1 - EBO_i/(N Z_i))^{Z_i} (Sherbrooke 2004
  sec. 5.2), measured directly rather than assumed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from setu.engine.simulation.network import Network

REPAIR_DISTRIBUTIONS = ("deterministic", "exponential")


@dataclass
class _Stream:
    """Demands on one stock point (item, site) in one replication."""

    t: np.ndarray  # demand times, sorted
    local: np.ndarray  # repaired here (always True at the depot)
    cause: np.ndarray  # slot of the failed SRU in node.children, -1 for none
    child_idx: np.ndarray  # index of the SRU demand in the child's stream at this site
    depot_idx: np.ndarray  # for base returns: index of the order in the depot stream
    completion: np.ndarray = field(default_factory=lambda: np.empty(0))
    fill: np.ndarray = field(default_factory=lambda: np.empty(0))


@dataclass(frozen=True)
class ReplicationOutput:
    """Time averages over the measurement window of one replication."""

    ebo: np.ndarray  # [item, site] time-average backorders
    ebo_sq: np.ndarray  # [item, site] time-average of squared backorders
    pipeline: np.ndarray  # [item, site] time-average outstanding replenishments
    demands: np.ndarray  # [item, site] demands in the window
    mean_resupply_time: np.ndarray  # [item, site] mean replenishment time of window demands
    units_down: np.ndarray  # [base, type] time-average units down (random hole assignment)
    unit_types: tuple[str, ...] = ()


def _sorted_uniforms(rng: np.random.Generator, n: int, t_end: float) -> np.ndarray:
    """n sorted uniforms on [0, t_end) in O(n): normalised partial sums of n + 1 exponentials
    (the order statistics of uniforms; Devroye 1986, *Non-Uniform Random Variate Generation*,
    sec. V.2)."""
    if n == 0:
        return np.empty(0)
    s = np.cumsum(rng.standard_exponential(n + 1))
    return s[:-1] * (t_end / s[-1])


def _failure_times(rng: np.random.Generator, rate: float, vtm: float,
                   t_end: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Failure epochs on [0, t_end), their batch index and the number of batches.

    Poisson when vtm <= 1; else compound Poisson with logarithmic(b) batch sizes,
    b = (vtm - 1)/vtm, so that counts are negative binomial with variance/mean = vtm.
    """
    if rate <= 0.0 or t_end <= 0.0:
        return np.empty(0), np.empty(0, dtype=np.int64), 0
    if vtm <= 1.0 + 1e-12:
        n = int(rng.poisson(rate * t_end))
        return _sorted_uniforms(rng, n, t_end), np.arange(n), n
    b = (vtm - 1.0) / vtm
    mean_batch = -b / ((1.0 - b) * np.log1p(-b))
    n = int(rng.poisson(rate / mean_batch * t_end))
    times = _sorted_uniforms(rng, n, t_end)
    sizes = rng.logseries(b, n) if n else np.empty(0, dtype=np.int64)
    batch = np.repeat(np.arange(n), sizes)
    return times[batch], batch, n


def _draw_cause(rng: np.random.Generator, n: int, shares: tuple[float, ...]) -> np.ndarray:
    if not shares:
        return np.full(n, -1, dtype=np.int64)
    cum = np.cumsum(shares)
    cause = np.searchsorted(cum, rng.random(n), side="right")
    cause[cause >= len(shares)] = -1
    return cause.astype(np.int64)


def _repair(rng: np.random.Generator, mean: float, n: int, dist: str) -> np.ndarray:
    if dist == "deterministic" or mean <= 0.0:
        return np.full(n, float(mean))
    return rng.exponential(mean, n)


def fifo_fill(t: np.ndarray, replenishment: np.ndarray, stock: int) -> np.ndarray:
    """Fill times of sorted demands ``t`` at a one-for-one stock point (see module docstring)."""
    fill = t.astype(float, copy=True)
    n = t.size
    if n > stock:
        avail = np.sort(replenishment, kind="stable")  # timsort: often nearly sorted
        fill[stock:] = np.maximum(t[stock:], avail[: n - stock])
    return fill


def interval_moments(start: np.ndarray, end: np.ndarray, w0: float, w1: float) -> tuple[float, float]:
    """Time averages over [w0, w1) of N(t) and N(t)^2, N(t) = #{k: start_k <= t < end_k}."""
    s = np.maximum(start, w0)
    e = np.minimum(end, w1)
    keep = e > s
    s, e = s[keep], e[keep]
    span = w1 - w0
    if s.size == 0:
        return 0.0, 0.0
    first = float((e - s).sum()) / span
    times = np.concatenate([s, e])  # two sorted runs: timsort merges them in linear time
    delta = np.concatenate([np.ones(s.size), -np.ones(e.size)])
    order = np.argsort(times, kind="stable")
    times = times[order]
    count = np.cumsum(delta[order])
    dt = np.diff(times, append=w1)
    second = float((count * count * dt).sum()) / span
    return first, second


def _assign_holes(start: np.ndarray, end: np.ndarray, n_positions: int, u: np.ndarray) -> np.ndarray:
    """Random no-cannibalisation placement of holes [start, end) over ``n_positions``.

    Each hole takes a uniformly chosen position among those free at its start (``u`` are
    uniform draws, one per hole); -1 when every position is already a hole. Holes are the
    backordered demands of one stock point in demand order; FIFO filling makes their ends
    non-decreasing too, so positions are released in the order they were taken (a queue).
    """
    free = list(range(n_positions))
    out = [-1] * start.size
    released = np.searchsorted(end, start, side="right").tolist()  # holes ended by each start
    ptr = 0
    for k, (x, rel) in enumerate(zip(u.tolist(), released)):
        while ptr < rel:
            p = out[ptr]
            if p >= 0:
                free.append(p)
            ptr += 1
        if free:
            j = int(x * len(free))
            p = free[j]
            free[j] = free[-1]
            free.pop()
            out[k] = p
    return np.asarray(out, dtype=np.int64)


def _down_time(unit: np.ndarray, start: np.ndarray, end: np.ndarray, w0: float, w1: float,
               n_units: int) -> np.ndarray:
    """Per unit, the length of the union of its hole intervals within [w0, w1)."""
    s = np.maximum(start, w0)
    e = np.minimum(end, w1)
    keep = (e > s) & (unit >= 0)
    unit, s, e = unit[keep], s[keep], e[keep]
    out = np.zeros(n_units)
    if s.size == 0:
        return out
    u2 = np.concatenate([unit, unit])
    times = np.concatenate([s, e])
    delta = np.concatenate([np.ones(s.size), -np.ones(e.size)])
    order = np.lexsort((times, u2))
    u2, times, delta = u2[order], times[order], delta[order]
    count = np.cumsum(delta)  # each unit's events net to zero, so groups do not leak
    same = np.empty(u2.size, dtype=bool)
    same[:-1] = u2[1:] == u2[:-1]
    same[-1] = False
    dt = np.zeros(u2.size)
    dt[:-1] = times[1:] - times[:-1]
    down = np.where(same & (count > 0.5), dt, 0.0)
    np.add.at(out, u2, down)
    return out


def run_replication(
    net: Network,
    stock: np.ndarray,
    rng: np.random.Generator,
    *,
    horizon: float,
    warmup: float,
    repair_distribution: str = "deterministic",
    track_units: bool = True,
) -> ReplicationOutput:
    """Simulate [0, horizon) from empty pipelines and full stock; measure on [warmup, horizon)."""
    nodes = net.nodes
    n_items, n_bases = len(nodes), len(net.base_ids)
    n_sites = 1 + n_bases
    streams: list[list[_Stream | None]] = [[None] * n_sites for _ in range(n_items)]
    empty_i = np.empty(0, dtype=np.int64)

    # ---- pass down the tree: demand epochs, repair-or-return marks, failure causes --------
    for i in net.order:
        node = nodes[i]
        for b in range(n_bases):
            dem = node.demand[b]
            r = dem.repair_fraction if dem is not None else 0.0
            if node.parent < 0:
                rate = (dem.rate or 0.0) if dem is not None else 0.0
                t, batch, n_batches = _failure_times(rng, rate, node.variance_to_mean, horizon)
                # a batch is repaired at one place, so each sub-stream keeps the ratio v
                local = (rng.random(n_batches) < r)[batch]
            else:
                ps = streams[node.parent][1 + b]
                slot = nodes[node.parent].children.index(i)
                mask = ps.local & (ps.cause == slot)
                t = ps.t[mask]
                ps.child_idx[mask] = np.arange(t.size)
                local = rng.random(t.size) < r
            n = t.size
            streams[i][1 + b] = _Stream(
                t=t,
                local=local,
                cause=_draw_cause(rng, n, node.shares),
                child_idx=np.full(n, -1, dtype=np.int64),
                depot_idx=np.full(n, -1, dtype=np.int64),
            )
        parts_t = []
        parts_src = []  # -1: parent's depot repair; b: return from base b
        parts_idx = []
        for b in range(n_bases):
            if net.standalone[b]:
                continue
            s = streams[i][1 + b]
            ret = np.flatnonzero(~s.local)
            parts_t.append(s.t[ret])
            parts_src.append(np.full(ret.size, b, dtype=np.int64))
            parts_idx.append(ret)
        if node.parent >= 0:
            ps = streams[node.parent][0]
            slot = nodes[node.parent].children.index(i)
            sel = np.flatnonzero(ps.cause == slot)
            parts_t.append(ps.t[sel])
            parts_src.append(np.full(sel.size, -1, dtype=np.int64))
            parts_idx.append(sel)
        t0 = np.concatenate(parts_t) if parts_t else np.empty(0)
        src = np.concatenate(parts_src) if parts_src else empty_i
        idx = np.concatenate(parts_idx) if parts_idx else empty_i
        order = np.argsort(t0, kind="stable")
        t0, src, idx = t0[order], src[order], idx[order]
        pos = np.arange(t0.size)
        for b in range(n_bases):
            m = src == b
            streams[i][1 + b].depot_idx[idx[m]] = pos[m]
        if node.parent >= 0:
            m = src == -1
            streams[node.parent][0].child_idx[idx[m]] = pos[m]
        streams[i][0] = _Stream(
            t=t0,
            local=np.ones(t0.size, dtype=bool),
            cause=_draw_cause(rng, t0.size, node.shares),
            child_idx=np.full(t0.size, -1, dtype=np.int64),
            depot_idx=np.full(t0.size, -1, dtype=np.int64),
        )

    # ---- pass up the tree: SRU fills -> repair completions -> fills ------------------------
    def ready_times(i: int, site: int, s: _Stream, sel: np.ndarray) -> np.ndarray:
        ready = s.t[sel].copy()
        node = nodes[i]
        for slot, c in enumerate(node.children):
            m = s.cause[sel] == slot
            if m.any():
                ready[m] = streams[c][site].fill[s.child_idx[sel][m]]
        return ready

    for i in reversed(net.order):
        node = nodes[i]
        d = streams[i][0]
        allsel = np.arange(d.t.size)
        d.completion = ready_times(i, 0, d, allsel) + _repair(
            rng, node.depot_repair_time, d.t.size, repair_distribution)
        d.fill = fifo_fill(d.t, d.completion, int(stock[i, 0]))
        for b in range(n_bases):
            s = streams[i][1 + b]
            dem = node.demand[b]
            comp = np.empty(s.t.size)
            loc = np.flatnonzero(s.local)
            if loc.size:
                comp[loc] = ready_times(i, 1 + b, s, loc) + _repair(
                    rng, dem.repair_time if dem is not None else 0.0, loc.size, repair_distribution)
            ret = np.flatnonzero(~s.local)
            if ret.size:
                ship = dem.order_ship_time if dem is not None else 0.0
                if net.standalone[b]:  # no depot: resupply after the ship time alone
                    comp[ret] = s.t[ret] + ship
                else:
                    comp[ret] = d.fill[s.depot_idx[ret]] + ship
            s.completion = comp
            s.fill = fifo_fill(s.t, comp, int(stock[i, 1 + b]))

    # ---- measurement ------------------------------------------------------------------------
    ebo = np.zeros((n_items, n_sites))
    ebo_sq = np.zeros((n_items, n_sites))
    pipe = np.zeros((n_items, n_sites))
    demands = np.zeros((n_items, n_sites))
    resupply = np.full((n_items, n_sites), np.nan)
    for i in range(n_items):
        for k in range(n_sites):
            s = streams[i][k]
            ebo[i, k], ebo_sq[i, k] = interval_moments(s.t, s.fill, warmup, horizon)
            pipe[i, k] = float((np.minimum(s.completion, horizon) - np.maximum(s.t, warmup))
                               .clip(min=0.0).sum()) / (horizon - warmup)
            win = (s.t >= warmup) & (s.t < horizon)
            demands[i, k] = win.sum()
            if win.any():
                resupply[i, k] = float((s.completion[win] - s.t[win]).mean())

    types = unit_types(net)
    units_down = np.zeros((n_bases, len(types)))
    if track_units:
        for b in range(n_bases):
            n_of = net.units[b]
            offsets, total = {}, 0
            for ty in types:
                offsets[ty] = total
                total += int(n_of.get(ty, 0))
            if total == 0:
                continue
            unit_parts, start_parts, end_parts = [], [], []
            for i in range(n_items):
                node = nodes[i]
                if node.parent >= 0:
                    continue
                blocks = [(ty, int(n_of.get(ty, 0)), int(z)) for ty, z in node.qpa.items()
                          if int(z) > 0 and int(n_of.get(ty, 0)) > 0]
                n_pos = sum(n * z for _, n, z in blocks)
                s = streams[i][1 + b]
                holes = np.flatnonzero((s.fill > s.t) & (s.fill > warmup) & (s.t < horizon))
                u = rng.random(holes.size)
                if n_pos == 0 or holes.size == 0:
                    continue
                p = _assign_holes(s.t[holes], s.fill[holes], n_pos, u)
                unit = np.full(p.size, -1, dtype=np.int64)
                lo = 0
                for ty, n, z in blocks:
                    m = (p >= lo) & (p < lo + n * z)
                    unit[m] = offsets[ty] + (p[m] - lo) // z
                    lo += n * z
                unit_parts.append(unit)
                start_parts.append(s.t[holes])
                end_parts.append(s.fill[holes])
            if not unit_parts:
                continue
            down = _down_time(np.concatenate(unit_parts), np.concatenate(start_parts),
                              np.concatenate(end_parts), warmup, horizon, total)
            for c, ty in enumerate(types):
                n = int(n_of.get(ty, 0))
                if n:
                    units_down[b, c] = down[offsets[ty]:offsets[ty] + n].sum() / (horizon - warmup)
    return ReplicationOutput(ebo=ebo, ebo_sq=ebo_sq, pipeline=pipe, demands=demands,
                             mean_resupply_time=resupply, units_down=units_down,
                             unit_types=tuple(types))


def unit_types(net: Network) -> list[str]:
    """Equipment types present at any base, sorted."""
    return sorted({ty for u in net.units for ty in u})
