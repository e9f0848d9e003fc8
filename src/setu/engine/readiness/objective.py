"""The shared objective of the stock optimisers: item models, item curves and their hulls.

Both optimisers (:mod:`setu.engine.readiness.marginal`, the greedy marginal-analysis curve, and
:mod:`setu.engine.readiness.frontier`, the exact Kettelle frontier) work on the item curves built
here, and both answer a :class:`Curve`.

Method (Sherbrooke 1968 sec. 4; Sherbrooke 2004 ch. 3-4 "marginal analysis"):

1. Item curves. For each item i, each depot level s_0 and each total base stock n, base stock
   is allocated by marginal analysis over bases: given s_0 each base's objective is separable
   and convex in its own stock, so merging the sorted decrements of all bases is exact
   (Sherbrooke 2004, sec. 4.5). The item curve is F_i(S) = min_{s_0 <= S} F_i(s_0, S - s_0),
   which is optimal over the depot/base split for every total S (Sherbrooke 1968, eq. 11-12).
   All of this is vectorised over items x depot levels x bases x stock levels, level-major and
   in cache-sized chunks; the merge over bases is one unsigned-integer sort per (item, depot
   level) with the same order as a stable sort (`merge_levels`).
2. F_i is not convex in S; its lower convex hull is taken (Sherbrooke 2004, sec. 4.6;
   `lower_hull_mask`).

Objectives: ``"ebo"`` minimises total base backorders sum_ij EBO_ij; ``"availability"`` minimises
-sum_e sum_j (N_je / N_e) log A_je, the separable log form of Sherbrooke 2004 eq. for
A = prod (1 - EBO/(N Z))^Z. The curve's ``availability`` column is the unit-weighted geometric
mean of site availabilities exp(sum_j (N_je/N_e) log A_je), exact for one site and a lower bound
of the unit-weighted (arithmetic) fleet availability otherwise, so a target met on the curve is
met by `evaluate` too.

Multi-indenture (Sherbrooke 1986; Sherbrooke 2004 ch. 5): an SRU's backorders at a site add to
its parent's pipeline there. The value of an SRU backorder is the derivative of the objective
through its parent, dEBO_parent/dmu = Pr{X_parent >= s_parent} (Poisson/NB), chained up the
indenture tree and across echelons through f_j (`build_item_model` with a reference plan); the
LRU pipelines carry the SRU backorders of that reference plan.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from setu.engine.readiness.case import Case, CaseArrays
from setu.engine.readiness.distributions import backorder_curves, backorder_levels, backorders_at, tail_level
from setu.engine.readiness.evaluation import (
    _check_model,
    base_pipeline,
    depot_parent_share,
    evaluate_arrays,
    local_pipeline,
    positions,
)

OBJECTIVES = ("ebo", "availability")
CHUNK_ELEMENTS = 1 << 18  # array elements per item-curve chunk (items x depot x bases x levels)
MapFn = Callable[[Callable[..., Any], Sequence[Any]], list]


@dataclass(frozen=True)
class ItemModel:
    """Separable per-item inputs of one optimisation pass. I items, J bases, C = 1 + E channels.

    Channel 0 is base EBO; channel 1 + e is -sum_j (N_je/N_e) log A_je for equipment type e. An
    item's channel value at a stock plan is
    sum_j [lin_base_jc EBO_j + log_coef_jc (-log(1 - EBO_j / P_j))] + lin_depot_c EBO_0.
    """

    model: str
    has_depot: bool
    cost: np.ndarray
    mean0: np.ndarray
    var0: np.ndarray
    local_mean: np.ndarray
    local_var: np.ndarray
    share: np.ndarray
    vtm: np.ndarray
    pos: np.ndarray
    lin_base: np.ndarray
    lin_depot: np.ndarray
    log_coef: np.ndarray
    objective_weights: np.ndarray
    depot_levels: np.ndarray
    base_levels: np.ndarray
    channel_offset: np.ndarray | None = None

    def take(self, rows: np.ndarray) -> dict[str, Any]:
        """A picklable block of rows (for Dask)."""
        out: dict[str, Any] = {"rows": rows, "model": self.model, "has_depot": self.has_depot,
                               "objective_weights": self.objective_weights}
        for name in ("cost", "mean0", "var0", "local_mean", "local_var", "share", "vtm", "pos",
                     "lin_base", "lin_depot", "log_coef", "depot_levels", "base_levels"):
            out[name] = getattr(self, name)[rows]
        return out


def _objective_of(b: Mapping[str, Any], ebo: np.ndarray) -> np.ndarray:
    """Objective value per base of EBO values ``ebo`` of shape (m, ..., J, K)."""
    ow = b["objective_weights"]
    lin = b["lin_base"] @ ow  # (m, J)
    logc = b["log_coef"] @ ow
    pos = b["pos"]
    extra = ebo.ndim - 3
    shp = (lin.shape[0],) + (1,) * extra + (lin.shape[1], 1)
    lin, logc, pos = lin.reshape(shp), logc.reshape(shp), pos.reshape(shp)
    return _weighted(ebo, lin, logc, pos)


def _depot_curves(b: Mapping[str, Any], n_depot: int) -> tuple[np.ndarray, np.ndarray]:
    m = b["rows"].size
    if not b["has_depot"]:
        return np.zeros((m, 1)), np.zeros((m, 1))
    return backorder_curves(b["mean0"], b["var0"], n_depot - 1)


def _sorted_base(b: Mapping[str, Any], e0: np.ndarray, v0: np.ndarray, k: int):
    """Base EBO curves, objective decrements sorted per (item, depot level). Shapes (m, D, ...)."""
    mean, var = base_pipeline(
        b["local_mean"][:, None, :], b["local_var"][:, None, :], b["share"][:, None, :],
        b["vtm"][:, None, None], e0[:, :, None], v0[:, :, None], b["model"],
    )
    ebo, _ = backorder_curves(mean, var, k, with_var=False)
    ebo = np.ascontiguousarray(ebo)  # (m, D, J, K+1)
    g = _objective_of(b, ebo)
    dec = np.maximum(g[..., :-1] - g[..., 1:], 0.0)
    m, d, j = mean.shape
    flat = dec.reshape(m, d, j * k)
    order = merge_order(dec.reshape(m, d, j, k))
    return ebo, g, flat, order


def lower_hull_mask(f: np.ndarray) -> np.ndarray:
    """Vertices of the lower convex hull of each row's points (S, f[S]), S = 0..n-1.

    Vectorised over rows: repeatedly drop every point lying strictly above the chord of its kept
    neighbours (such a point is never a hull vertex) until none is left (Sherbrooke 2004 sec. 4.6
    convexification of item curves).
    """
    rows, n = f.shape
    keep = np.ones((rows, n), dtype=bool)
    if n <= 2:
        return keep
    x = np.arange(n)
    big = n + 1
    scale = 1e-12 * (1.0 + np.abs(f))
    # first round, every point kept: the neighbours are S - 1 and S + 1 (same arithmetic as below)
    with np.errstate(invalid="ignore"):
        fp, fn = f[:, :-2], f[:, 2:]
        viol = f[:, 1:-1] > fp + (fn - fp) * 1.0 / 2.0 + scale[:, 1:-1]
    keep[:, 1:-1] = ~viol
    active = np.flatnonzero(viol.any(axis=1))
    del viol
    while active.size:
        k, ff = keep[active], f[active]
        cm = np.maximum.accumulate(np.where(k, x, -1), axis=1)
        prev = np.empty_like(cm)
        prev[:, 0] = -1
        prev[:, 1:] = cm[:, :-1]
        cn = np.minimum.accumulate(np.where(k, x, big)[:, ::-1], axis=1)[:, ::-1]
        nxt = np.empty_like(cn)
        nxt[:, -1] = big
        nxt[:, :-1] = cn[:, 1:]
        cand = k & (prev >= 0) & (nxt < big)
        pc, nc = np.clip(prev, 0, n - 1), np.clip(nxt, 0, n - 1)
        fp = np.take_along_axis(ff, pc, 1)
        fn = np.take_along_axis(ff, nc, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            interp = fp + (fn - fp) * (x - pc) / np.where(nc > pc, nc - pc, 1)
        viol = cand & (ff > interp + scale[active])
        changed = viol.any(axis=1)
        keep[active] = k & ~viol
        active = active[changed]
    return keep


def _level_objective(b: Mapping[str, Any], ebo: np.ndarray) -> np.ndarray:
    """`_objective_of` for level-major EBO values ``ebo`` of shape (K + 1, m, D, J)."""
    ow = b["objective_weights"]
    lin = (b["lin_base"] @ ow)[None, :, None, :]  # (1, m, 1, J)
    logc = (b["log_coef"] @ ow)[None, :, None, :]
    pos = b["pos"][None, :, None, :]
    return _weighted(ebo, lin, logc, pos)


def _weighted(ebo: np.ndarray, lin: np.ndarray, logc: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """The objective of EBO values: ``lin * EBO - logc * log(1 - EBO / pos)`` (the second term is
    the availability channel, log of A = prod (1 - EBO / (N Z))^Z), arrays broadcast together."""
    if np.all(lin == 1.0):
        g = ebo  # read-only use: no copy needed
    elif np.any(lin):
        g = lin * ebo
    else:
        g = np.zeros_like(ebo)
    if np.any(logc):
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(pos > 0, ebo / np.where(pos > 0, pos, 1.0), 0.0)
            g = g - logc * np.log(np.clip(1.0 - frac, 1e-300, 1.0))
    return g


def _block_bounds(b: Mapping[str, Any]) -> tuple[int, int]:
    """(depot levels, base level bound) of a block: its group's bounds when it is a chunk."""
    n_d = int(b["depot_levels"].max()) if b["has_depot"] else 1
    k = max(int(b["base_levels"].max()), 1)
    return int(b.get("n_d", n_d)), int(b.get("k", k))


def merge_levels(lev: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merged marginal-analysis order of per-base decrements, given level-major ``lev`` (K, R, J).

    Row r's values are ``lev[:, r, :]``; base-major index o = j * K + s names base j's level s.
    Returns ``order`` (R, J K): every row's indices by decreasing value, equal values in index
    order (the same as ``np.argsort(-row, kind="stable")`` on base-major rows, so ties go to
    the lower base); ``gidx`` (R, J K): the positions of those entries in ``lev.ravel()``; and
    the sorted values.

    One unsigned-integer sort per row: the key is the complemented bit pattern of the value
    (monotone for non-negative floats) with its low bits replaced by the index. Values that
    differ only in those low bits can come out of order; such rows are detected (the sorted
    values must be non-increasing) and sorted again exactly.
    """
    lev = np.ascontiguousarray(lev, dtype=np.float64)
    k, n_r, n_j = lev.shape
    jk = n_j * k
    nbits = max(1, (jk - 1).bit_length())
    rows_off = (np.arange(n_r, dtype=np.int64) * n_j)[:, None]
    lut = (np.arange(jk) % k) * (n_r * n_j) + np.arange(jk) // k  # base-major index -> position
    if nbits > 24:
        order = np.argsort(-lev.transpose(1, 2, 0).reshape(n_r, jk), axis=-1, kind="stable")
    else:
        low = np.uint64((1 << nbits) - 1)
        key = np.empty((n_r, k, n_j), dtype=np.uint64)
        key[...] = lev.view(np.uint64).transpose(1, 0, 2)
        np.bitwise_or(key, np.uint64(1 << 63) | low, out=key)  # -0.0 sorts as +0.0
        np.invert(key, out=key)
        payload = (np.arange(n_j, dtype=np.uint64)[None, :] * np.uint64(k)
                   + np.arange(k, dtype=np.uint64)[:, None])  # (K, J): j * K + s
        np.bitwise_or(key, payload, out=key)
        key = key.reshape(n_r, jk)
        key.sort(axis=-1)
        np.bitwise_and(key, low, out=key)
        order = key.view(np.int64)
    gidx = np.take(lut, order)
    gidx += rows_off
    val = np.take(lev.reshape(-1), gidx)
    if nbits <= 24:
        bad = np.flatnonzero((val[:, 1:] > val[:, :-1]).any(axis=1))
        if bad.size:
            o = np.argsort(-lev[:, bad, :].transpose(1, 2, 0).reshape(bad.size, jk), axis=-1, kind="stable")
            order[bad] = o
            gidx[bad] = lut[o] + rows_off[bad]
            val[bad] = lev.reshape(-1)[gidx[bad]]
    return order, gidx, val


def merge_order(dec: np.ndarray) -> np.ndarray:
    """``np.argsort(-dec, axis=-1, kind="stable")`` for base-major decrements ``dec`` (..., J, K)
    (see `merge_levels`); shape (..., J K)."""
    shape = dec.shape
    n_j, k = shape[-2:]
    lev = np.moveaxis(dec.reshape(-1, n_j, k), -1, 0)
    return merge_levels(lev)[0].reshape(shape[:-2] + (n_j * k,))


def item_curve_block(b: Mapping[str, Any], full: bool = False) -> dict[str, np.ndarray]:
    """Item curves for one block of items: hull vertices (or every S when ``full``).

    Returns arrays over vertices: item (global row), S (total stock), s0 (depot stock), f
    (objective), channels (V, C); vertices sorted by (item, S). Steps 1-2 of the module docstring.

    Everything is computed level-major (stock level, item, depot level, base), so that the
    pipeline recursion and the decrements run on contiguous rows; the merge over bases is one
    integer sort per (item, depot level) (`merge_levels`). Blocks are cache-sized chunks of a
    group of items sharing level bounds (`make_blocks`); results do not depend on the chunking.
    """
    rows = b["rows"]
    m = rows.size
    n_j = b["local_mean"].shape[1]
    n_d, k = _block_bounds(b)
    jk = n_j * k
    e0, v0 = _depot_curves(b, n_d)
    mean, var = base_pipeline(
        b["local_mean"][:, None, :], b["local_var"][:, None, :], b["share"][:, None, :],
        b["vtm"][:, None, None], e0[:, :, None], v0[:, :, None], b["model"],
    )
    ebo = backorder_levels(mean, var, k, with_var=False)[0].reshape(k + 1, m, n_d, n_j)
    del mean, var
    g = _level_objective(b, ebo)
    ow = b["objective_weights"]
    g0 = g[0].sum(-1) + (b["lin_depot"] @ ow)[:, None] * e0  # (m, D)
    # objective decrements, level-major (K, m, D, J), merged over bases per (item, depot level)
    lev = np.subtract(g[:-1], g[1:])
    np.maximum(lev, 0.0, out=lev)
    order, gidx, sdec = merge_levels(lev.reshape(k, m * n_d, n_j))
    del lev, order
    fb = np.empty((m, n_d, jk + 1))
    fb[..., 0] = g0
    np.cumsum(sdec.reshape(m, n_d, jk), axis=-1, out=fb[..., 1:])
    del sdec
    np.subtract(g0[..., None], fb[..., 1:], out=fb[..., 1:])
    smax = n_d - 1 + jk
    if n_d == 1:
        f = fb[:, 0, :]
        best = np.zeros((m, smax + 1), dtype=np.int64)
    else:
        # min over the depot level d of fb[d, S - d], the first (smallest) d on ties
        f = np.full((m, smax + 1), np.inf)
        best = np.zeros((m, smax + 1), dtype=np.int64)
        f[:, : jk + 1] = fb[:, 0, :]
        better = np.empty((m, jk + 1), dtype=bool)
        for d in range(1, n_d):
            seg = f[:, d:d + jk + 1]
            cand = fb[:, d, :]
            np.less(cand, seg, out=better)
            np.copyto(seg, cand, where=better)
            np.copyto(best[:, d:d + jk + 1], d, where=better)
    del fb
    keep = np.ones_like(f, dtype=bool) if full else lower_hull_mask(f)
    loc, s_tot = np.nonzero(keep)
    s0 = best[loc, s_tot]
    nb = s_tot - s0
    fv = f[loc, s_tot]
    del f, best, keep
    # channel values at the vertices: each channel is separable over bases too, so along the
    # objective's merged order it is its start value minus the cumulative sum of its decrements
    n_c = b["lin_base"].shape[2]
    ch = np.empty((loc.size, n_c))
    hot = np.flatnonzero(ow)
    todo = [c for c in range(n_c) if not (hot.size == 1 and hot[0] == c and ow[c] == 1.0)]
    for c in range(n_c):
        if c not in todo:
            ch[:, c] = fv  # this channel is the objective itself
    if todo:
        # cumulative channel decrements along the merged order, on the rows some vertex uses
        used = np.flatnonzero(nb > 0)
        row_of = loc[used] * n_d + s0[used]
        mark = np.zeros(m * n_d, dtype=bool)
        mark[row_of] = True
        urows = np.flatnonzero(mark)
        row_of = (np.cumsum(mark) - 1)[row_of]
        upos = nb[used] - 1
        gidx = gidx[urows]
        pos = b["pos"][None, :, None, :]
        nl = None
        if np.any(b["log_coef"]):  # -log(1 - EBO / P), clipped, level-major like ebo
            nl = np.empty_like(ebo)
            if np.all(pos > 0):
                np.divide(ebo, pos, out=nl)
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    nl[...] = np.where(pos > 0, ebo / np.where(pos > 0, pos, 1.0), 0.0)
            np.subtract(1.0, nl, out=nl)
            np.maximum(nl, 1e-300, out=nl)
            np.minimum(nl, 1.0, out=nl)
            np.log(nl, out=nl)
            np.negative(nl, out=nl)
        for c in todo:
            lin_c = b["lin_base"][None, :, None, :, c]
            log_c = b["log_coef"][None, :, None, :, c]
            if np.any(lin_c):
                h = lin_c * ebo
                if np.any(log_c):
                    h += log_c * nl
            elif np.any(log_c):
                h = log_c * nl
            else:
                h = np.zeros_like(ebo)
            h0 = h[0].sum(-1) + b["lin_depot"][:, c, None] * e0  # (m, D)
            dh = np.subtract(h[:-1], h[1:])
            del h
            cs = np.take(dh.reshape(-1), gidx)
            del dh
            np.cumsum(cs, axis=-1, out=cs)
            vals = h0[loc, s0]
            vals[used] -= cs[row_of, upos]
            ch[:, c] = vals
    return {"item": rows[loc].astype(np.int32), "S": s_tot.astype(np.int32), "s0": s0.astype(np.int32),
            "f": fv, "channels": ch, "k": np.full(loc.size, k, dtype=np.int16),
            "nd": np.full(loc.size, n_d, dtype=np.int16)}


def allocate(b: Mapping[str, Any], s0: np.ndarray, nb: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Base stock (m, J) for block items at depot level s0 and total base stock nb.

    Marginal analysis over bases given s0 (Sherbrooke 2004 sec. 4.5), with the same level bound
    ``k`` and tie order as `item_curve_block`, so it reproduces the curve's plans.
    """
    m = b["rows"].size
    n_j = b["local_mean"].shape[1]
    out = np.zeros((m, n_j), dtype=np.int64)
    for kk in np.unique(k).tolist():
        sel = np.flatnonzero(k == kk)
        sub = {key: (val[sel] if isinstance(val, np.ndarray) and key != "objective_weights" else val)
               for key, val in b.items()}
        if b["has_depot"]:
            e0, v0 = backorders_at(sub["mean0"], sub["var0"], s0[sel])
        else:
            e0 = v0 = np.zeros(sel.size)
        _, _, _, order = _sorted_base(sub, e0[:, None], v0[:, None], int(kk))
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(n_j * kk)[None, None, :].repeat(sel.size, 0), -1)
        rank = rank.reshape(sel.size, n_j, int(kk))
        out[sel] = (rank < nb[sel, None, None]).sum(-1)
    return out


def _weights_channels(ca: CaseArrays) -> tuple[np.ndarray, np.ndarray]:
    """Per-LRU direct channel weights: lin (I, J, C) for EBO and log_coef (I, J, C) for -log A."""
    n_i, n_j, n_e = ca.n_items, ca.n_bases, len(ca.equipment_types)
    lin = np.zeros((n_i, n_j, 1 + n_e))
    logc = np.zeros((n_i, n_j, 1 + n_e))
    lru = ca.level == 0
    lin[lru, :, 0] = 1.0
    tot = ca.units.sum(axis=0)
    w = np.where(tot > 0, ca.units / np.where(tot > 0, tot, 1.0), 0.0)  # (J, E) = N_je / N_e
    logc[:, :, 1:] = np.where(lru[:, None, None], ca.qpa[:, None, :] * w[None, :, :], 0.0)
    return lin, logc


def build_item_model(
    ca: CaseArrays,
    model: str,
    objective: str,
    ref_stock: np.ndarray | None = None,
    tol: float = 1e-5,
    max_depot: int = 200,
    max_base: int = 200,
) -> ItemModel:
    """Per-item inputs for one pass (see `ItemModel`); SRU terms linearised at ``ref_stock``.

    With no reference plan every SRU backorder counts as a full parent backorder
    (Pr{X_parent >= s_parent} = 1) and the LRU pipelines carry no SRU terms (first pass).
    """
    n_i, n_j = ca.n_items, ca.n_bases
    all_rows = np.arange(n_i)
    lm, lv = local_pipeline(ca, all_rows, model)
    m0t0 = ca.depot_rate * ca.depot_repair_time
    vtm = ca.variance_to_mean
    sub_e0 = np.zeros(n_i)
    sub_v0 = np.zeros(n_i)
    sub_ej = np.zeros((n_i, n_j))
    sub_vj = np.zeros((n_i, n_j))
    lin, logc = _weights_channels(ca)
    lin_depot = np.zeros((n_i, lin.shape[2]))
    pos_lru = positions(ca)
    pos = np.where(ca.level[:, None] == 0, pos_lru, 0.0)
    multi = ca.max_level > 0
    tail_b = np.ones((n_i, n_j))
    tail_0 = np.ones(n_i)
    ebo_b = np.zeros((n_i, n_j))
    if multi and ref_stock is not None:
        ev = evaluate_arrays(ca, ref_stock, model)
        bidx = ca.base_index
        child = ca.level > 0
        par = ca.parent[child]
        if ca.has_depot:
            d = ca.depot_index
            h = depot_parent_share(ca, np.flatnonzero(child))
            np.add.at(sub_e0, par, h * ev.ebo[child, d])
            np.add.at(sub_v0, par, h * (1.0 - h) * ev.ebo[child, d] + h * h * ev.vbo[child, d])
            s0 = ref_stock[:, d]
            e_a, _ = backorders_at(ev.pipeline_mean[:, d], ev.pipeline_var[:, d], np.maximum(s0 - 1, 0))
            tail_0 = np.where(s0 > 0, e_a - ev.ebo[:, d], 1.0)
        np.add.at(sub_ej, par, ev.ebo[child][:, bidx])
        np.add.at(sub_vj, par, ev.vbo[child][:, bidx])
        sj = ref_stock[:, bidx]
        e_a, _ = backorders_at(ev.pipeline_mean[:, bidx], ev.pipeline_var[:, bidx], np.maximum(sj - 1, 0))
        tail_b = np.where(sj > 0, e_a - ev.ebo[:, bidx], 1.0)
        ebo_b = ev.ebo[:, bidx]
    if multi:
        # derivative of each channel w.r.t. an item's base EBO and its depot EBO, top-down
        with np.errstate(divide="ignore", invalid="ignore"):
            dlog = np.where(pos > 0, 1.0 / np.maximum(pos - ebo_b, 1e-9), 0.0)
        for lev in range(1, ca.max_level + 1):
            rows = np.flatnonzero(ca.level == lev)
            p = ca.parent[rows]
            dw_p = lin[p] + logc[p] * dlog[p][:, :, None]  # (r, J, C)
            lin[rows] = dw_p * tail_b[p][:, :, None]
            wd_p = lin_depot[p] + np.einsum("rj,rjc->rc", ca.depot_share[p] * tail_b[p], dw_p)
            if ca.has_depot:
                lin_depot[rows] = wd_p * (tail_0[p] * depot_parent_share(ca, rows))[:, None]
    mean0 = m0t0 + sub_e0
    var0 = vtm * mean0 if model == "metric" else vtm * m0t0 + sub_v0
    lm = lm + sub_ej
    lv = lv + sub_vj
    n_e = len(ca.equipment_types)
    ow = np.zeros(1 + n_e)
    if objective == "ebo":
        ow[0] = 1.0
    else:
        ow[1:] = 1.0
    if ca.has_depot:
        dl = tail_level(mean0, var0, tol, max_depot) + 1
    else:
        dl = np.ones(n_i, dtype=np.int64)
    mb, vb = base_pipeline(lm, lv, ca.depot_share, vtm[:, None], mean0[:, None], var0[:, None], model)
    bl = tail_level(mb, vb, tol, max_base).max(axis=1) if n_j else np.zeros(n_i, dtype=np.int64)
    offset = None
    if multi and ref_stock is not None:
        # SRU channels count the change from the reference plan, whose SRU backorders the LRU
        # pipelines already carry
        offset = np.einsum("ij,ijc->ic", ebo_b, lin)
        if ca.has_depot:
            offset += lin_depot * ev.ebo[:, ca.depot_index][:, None]
        offset[ca.level == 0] = 0.0
    return ItemModel(
        channel_offset=offset,
        model=model, has_depot=ca.has_depot, cost=ca.unit_cost.astype(float), mean0=mean0,
        var0=var0, local_mean=lm, local_var=lv, share=ca.depot_share, vtm=vtm, pos=pos,
        lin_base=lin, lin_depot=lin_depot, log_coef=logc, objective_weights=ow,
        depot_levels=dl.astype(np.int64), base_levels=np.maximum(bl, 1).astype(np.int64),
    )


def make_blocks(
    im: ItemModel, max_elements: int = 3_000_000, chunk_elements: int | None = None
) -> list[dict[str, Any]]:
    """Group items with similar level bounds into groups of bounded array size (the groups fix
    each item's level bounds, hence its curve), then split the groups into row chunks."""
    n_i = im.cost.size
    n_j = im.local_mean.shape[1]
    dl = im.depot_levels if im.has_depot else np.ones(n_i, dtype=np.int64)
    bl = im.base_levels
    # bucket items by depot levels (15 % wide) and sort by base levels inside a bucket, so that
    # padding a block to its largest bounds wastes little
    dbucket = np.ceil(np.log(np.maximum(dl, 1)) / np.log(1.15)).astype(np.int64)
    order = np.lexsort((dl, bl, dbucket))
    dl, bl, dbucket = dl[order], bl[order], dbucket[order]
    blocks = []
    start = 0
    while start < n_i:
        stop, dmax = start, 0
        while stop < n_i:
            if stop > start and dbucket[stop] != dbucket[start]:
                break
            d_new = max(dmax, int(dl[stop]))
            size = (stop + 1 - start) * d_new * n_j * (int(bl[stop]) + 1)
            if size > max_elements and stop > start:
                break
            dmax = d_new
            stop += 1
        # the group's level bounds hold for all its rows; they are computed in chunks of about
        # ``chunk_elements`` array elements, small enough to stay in cache
        n_d = int(dl[start:stop].max()) if im.has_depot else 1
        k = max(int(bl[start:stop].max()), 1)
        group = np.sort(order[start:stop])
        per = max(1, (chunk_elements or CHUNK_ELEMENTS) // (n_d * n_j * (k + 1)))
        for c in range(0, group.size, per):
            b = im.take(group[c:c + per])
            b["n_d"], b["k"] = n_d, k
            blocks.append(b)
        start = stop
    return blocks


@dataclass(frozen=True)
class Curve:
    """An efficient cost-versus-objective curve. Point k is the plan after k greedy steps.

    ``cost``, ``total_base_ebo``, ``objective`` are (P,); ``availability`` is (P, E), the
    unit-weighted geometric mean over sites per equipment type (see module docstring).
    Values are exact model values for single-indenture cases and pass estimates otherwise.
    """

    model: str
    objective: str
    item_ids: tuple[str, ...]
    site_ids: tuple[str, ...]
    equipment_types: tuple[str, ...]
    cost: np.ndarray
    total_base_ebo: np.ndarray
    objective_value: np.ndarray
    availability: np.ndarray
    step_item: np.ndarray
    step_vertex: np.ndarray
    vertex_s0: np.ndarray
    vertex_S: np.ndarray
    vertex_k: np.ndarray
    item_first_vertex: np.ndarray
    stop_reason: str
    target_met: bool | None
    exact: bool
    item_model: ItemModel = field(repr=False)
    arrays: CaseArrays = field(repr=False)
    point_vertices: tuple[np.ndarray, ...] | None = field(default=None, repr=False)
    vertex_nd: np.ndarray | None = field(default=None, repr=False)

    def item_levels(self) -> tuple[np.ndarray, np.ndarray]:
        """(depot levels, base levels) each item's curve was computed over (block bounds)."""
        first = self.item_first_vertex
        return self.vertex_nd[first].astype(np.int64), self.vertex_k[first].astype(np.int64)

    @property
    def n_points(self) -> int:
        return int(self.cost.size)

    def item_vertices(self, k: int) -> np.ndarray:
        """Vertex index of every item at point k."""
        if self.point_vertices is not None:
            return self.point_vertices[k]
        cur = self.item_first_vertex.copy()
        if k > 0:
            np.maximum.at(cur, self.step_item[:k], self.step_vertex[:k])
        return cur

    def totals_at(self, k: int) -> np.ndarray:
        """Total stock S per item at point k."""
        return self.vertex_S[self.item_vertices(k)]

    def stock_at(self, k: int, cache: dict | None = None) -> np.ndarray:
        """The (I, L) stock plan of point k (depot and base levels per item).

        ``cache`` (a dict kept by the caller) remembers base allocations per curve vertex, so
        that evaluating many nearby points recomputes only the items that moved.
        """
        ca = self.arrays
        v = self.item_vertices(k)
        stock = np.zeros((ca.n_items, ca.n_sites), dtype=np.int64)
        s0 = self.vertex_s0[v]
        nb = self.vertex_S[v] - s0
        if ca.has_depot:
            stock[:, ca.depot_index] = s0
        rows = np.flatnonzero(nb > 0)
        if not rows.size:
            return stock
        if cache is None:
            b = self.item_model.take(rows)
            stock[np.ix_(rows, ca.base_index)] = allocate(b, s0[rows], nb[rows], self.vertex_k[v[rows]])
            return stock
        if "alloc" not in cache:
            # rows are written before they are read (``known``), so the table needs no fill
            cache["alloc"] = np.empty((self.vertex_S.size, ca.n_bases), dtype=np.int32)
            cache["known"] = np.zeros(self.vertex_S.size, dtype=bool)
        table, known = cache["alloc"], cache["known"]
        todo = rows[~known[v[rows]]]
        if todo.size:
            b = self.item_model.take(todo)
            table[v[todo]] = allocate(b, s0[todo], nb[todo], self.vertex_k[v[todo]])
            known[v[todo]] = True
        stock[np.ix_(rows, ca.base_index)] = table[v[rows]]
        return stock


def _resolve_objective(ca: CaseArrays, objective: str | None) -> str:
    if objective is None:
        return "availability" if np.any(positions(ca)[ca.level == 0] > 0) else "ebo"
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    if objective == "availability" and not np.any(positions(ca) > 0):
        raise ValueError("objective 'availability' needs units at bases and qpa on items")
    return objective


def _targets(ca: CaseArrays, target: float | Mapping[str, float] | None) -> np.ndarray | None:
    if target is None:
        return None
    n_e = len(ca.equipment_types)
    if n_e == 0:
        raise ValueError("an availability target needs equipment types (units at bases, qpa on items)")
    if isinstance(target, Mapping):
        t = np.full(n_e, -np.inf)
        for e, a in target.items():
            if e not in ca.equipment_types:
                raise ValueError(f"target: unknown equipment type {e!r}")
            t[ca.equipment_types.index(e)] = float(a)
        return t
    return np.full(n_e, float(target))


def _vertex_table(blocks_out: list[dict[str, np.ndarray]], n_items: int) -> dict[str, np.ndarray]:
    """Vertices of all blocks in (item, S) order, and each item's first vertex.

    Every item is in one block, where its vertices are contiguous and in S order, so each block
    is scattered straight to its place (first vertex of its item + rank): no global sort. One
    column at a time, freeing the blocks' copies as it goes; columns constant per item (item,
    level bounds) are repeated from per-item values.
    """
    keys = list(blocks_out[0].keys())
    per_item_keys = [key for key in ("item", "k", "nd") if key in keys]
    counts = np.zeros(n_items, dtype=np.int64)
    per_item = {key: np.zeros(n_items, dtype=blocks_out[0][key].dtype) for key in per_item_keys}
    runs = []
    for o in blocks_out:
        item = o["item"]
        starts = np.flatnonzero(np.concatenate([[True], item[1:] != item[:-1]])) if item.size else item[:0]
        lengths = np.diff(np.append(starts, item.size))
        ids = item[starts]
        counts[ids] = lengths
        for key in per_item_keys:
            per_item[key][ids] = o[key][starts]
        runs.append((ids, starts, lengths))
    first = np.zeros(n_items, dtype=np.int64)
    np.cumsum(counts[:-1], out=first[1:])
    total = int(counts.sum())
    dests = []
    for o, (ids, starts, lengths) in zip(blocks_out, runs):
        dest = np.arange(o["item"].size, dtype=np.int64)
        dest += np.repeat(first[ids] - starts, lengths)
        dests.append(dest)
        for key in per_item_keys:
            del o[key]
    del runs
    tab = {key: np.repeat(per_item[key], counts) for key in per_item_keys}
    for key in keys:
        if key in tab:
            continue
        col = np.empty((total,) + blocks_out[0][key].shape[1:], dtype=blocks_out[0][key].dtype)
        w = int(np.prod(col.shape[1:], dtype=np.int64))
        for o, dest in zip(blocks_out, dests):
            val = o.pop(key)
            if w == 1:
                np.put(col, dest, val)
            else:  # (n, C): whole rows through the flat view
                np.put(col.reshape(-1), (dest[:, None] * w + np.arange(w)).reshape(-1), val.reshape(-1))
        tab[key] = col
    tab["first"] = first
    return tab




def _release_memory() -> None:
    """Give the freed heap memory of the item-curve blocks back to the system (glibc only).

    The blocks' many mid-sized arrays come from the heap, the following full-size arrays from
    fresh mappings, which cannot reuse the heap's free space; without this the process would
    hold both (Dask's workers do the same after tasks)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _as_arrays(case: Case | CaseArrays) -> tuple[CaseArrays, str]:
    if isinstance(case, Case):
        return case.arrays(), case.model
    return case, "vari-metric"


def _run_blocks(im: ItemModel, full: bool, map_fn: MapFn | None, max_elements: int):
    blocks = make_blocks(im, max_elements)
    if map_fn is None:
        outs = [item_curve_block(b, full=full) for b in blocks]
    else:
        outs = map_fn(_block_full if full else _block_hull, blocks)
    return outs


def thread_map(threads: int) -> MapFn:
    """A ``map_fn`` running blocks on ``threads`` threads, results in block order."""
    from concurrent.futures import ThreadPoolExecutor

    def run(fn, blocks):
        with ThreadPoolExecutor(max_workers=threads) as pool:
            return list(pool.map(fn, blocks))

    return run


def _block_hull(b):
    return item_curve_block(b, full=False)


def _block_full(b):
    return item_curve_block(b, full=True)



def item_curves(
    case: Case | CaseArrays, *, model: str | None = None, objective: str | None = None,
    tol: float = 1e-5, smax: int | None = None,
) -> dict[str, Any]:
    """Full item curves F_i(S) with their optimal (depot, base...) allocation (no hull).

    Returns {"item_ids", "S": list of arrays, "objective": list, "stock": list of (n, L)}.
    Used for reports and for the published per-item tables (e.g. Sherbrooke-style T5 tables).
    """
    ca, case_model = _as_arrays(case)
    model = _check_model(model or case_model)
    objective = _resolve_objective(ca, objective)
    im = build_item_model(ca, model, objective, tol=tol)
    tab = _vertex_table(_run_blocks(im, True, None, 3_000_000), ca.n_items)
    out: dict[str, Any] = {"item_ids": ca.item_ids, "S": [], "objective": [], "stock": []}
    counts = np.diff(np.append(tab["first"], tab["item"].size))
    for i in range(ca.n_items):
        sl = slice(tab["first"][i], tab["first"][i] + counts[i])
        s_tot, s0 = tab["S"][sl], tab["s0"][sl]
        if smax is not None:
            keep = s_tot <= smax
            s_tot, s0 = s_tot[keep], s0[keep]
        b = im.take(np.full(s_tot.size, i))
        base = allocate(b, s0, s_tot - s0, tab["k"][sl][: s_tot.size])
        stock = np.zeros((s_tot.size, ca.n_sites), dtype=np.int64)
        if ca.has_depot:
            stock[:, ca.depot_index] = s0
        stock[:, ca.base_index] = base
        out["S"].append(s_tot)
        out["objective"].append(tab["f"][sl][: s_tot.size])
        out["stock"].append(stock)
    return out
