"""Automatic choice of the forecasting method per series, by rolling-origin evaluation.

The choice (documented here because it shapes every stock level downstream):

1. **Candidates** are point methods of :mod:`setu.engine.forecasting.methods`
   (default :data:`DEFAULT_CANDIDATES`).  Each is run at ``n_origins`` rolling origins
   at the end of the history (origin ``o`` sees periods ``0..o-1``; Tashman 2000, IJF
   16:437, "rolling-origin evaluation").
2. **Inventory criterion** (``criterion="inventory"``, the default): each candidate's
   forecast becomes a negative binomial lead-time-demand distribution (mean = forecast
   × horizon, the series' variance-to-mean ratio; see :mod:`.distributions`); its
   quantile at the service target ``tau`` is scored against the realised cumulative
   demand of the window by the pinball loss, scaled by the series' in-sample mean demand
   (:func:`.evaluation.lead_time_pinball`).  The pinball loss at ``tau`` is the
   newsvendor cost of an order-up-to level with holding cost ``1 - tau`` and shortage
   cost ``tau`` per unit, so the method that wins gives the best service for the stock
   it needs (Gneiting 2011, JASA 106:746, on quantiles as optimal point forecasts for
   the pinball loss; Kourentzes 2014, IJPE 156:180, and Syntetos, Babai & Gardner 2015,
   on judging intermittent-demand forecasts by their inventory outcome).
   ``criterion="rmsse"`` scores the point forecast by the M5 RMSSE instead.
3. **Ties** (equal criterion within 1e-12 relative, e.g. a window without demand where
   every method's quantile is 0) are broken by the scaled squared error (RMSSE), then by
   the order of the candidates.
4. **Combination of the best.** The forecast is the mean of the ``top_k`` best candidates
   of each series (default 3; ``top_k=1`` is pure selection) and the method name joins
   them with ``+`` (e.g. ``"ses_opt+sba+tsb"``).  Averaging the few best shrinks the
   selection noise (Petropoulos & Kourentzes 2015, JORS 66:914, on combinations for
   intermittent demand; Kourentzes, Barrow & Petropoulos 2019, IJPE 209:226, on pooling
   forecasts).  On the rolling-origin benchmarks (inventory criterion, per series) the
   top-3 mean was the only variant better than the best single method on both RAF
   (RMSSE 0.6034 against ADIDA 0.6067; pure selection 0.5994) and AUTO (0.8400 against
   SBA 0.8405; pure selection 0.8452, worse).
5. **Pooling.** Per-series selection on a few intermittent windows is noisy (Kourentzes
   2014 finds it no better than the best single method; Petropoulos & Kourentzes 2015).
   ``pool="series"`` chooses per series; ``pool="class"`` chooses per
   Syntetos–Boylan–Croston class (Syntetos, Boylan & Croston 2005, JORS 56:495) the
   method with the lowest mean scaled criterion over the class's series;
   ``pool="global"`` one method for all.  Default ``"series"``: on the RAF rolling-origin
   benchmark (``bench/bench_forecasting_accuracy.py``) class and global pooling settle on
   one method (``croston_opt`` with the inventory criterion, RMSSE 0.6217) and lose to
   the best single method.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .distributions import _as_series_array, fit_negative_binomial, observed_history, variance_to_mean_ratio
from .evaluation import _horizon_mask, _quiet, in_sample_scales, lead_time_pinball, point_metrics

__all__ = ["DEFAULT_CANDIDATES", "Selection", "candidate_forecasters", "score_candidates", "choose", "rank",
           "auto_select"]

#: default candidate methods, in tie-break preference order
DEFAULT_CANDIDATES: tuple[str, ...] = ("sba", "ses", "tsb", "croston", "adida", "imapa", "ses_opt", "croston_opt")


@dataclass(frozen=True)
class Selection:
    """Result of :func:`auto_select`.

    ``method`` (n,) chosen method name per series (names of a combination joined by
    ``+``); ``mean`` (n,) its point forecast from the whole history; ``scores`` (n_candidates, n) the mean criterion per candidate and
    series; ``candidates`` their names.  Unpacks as ``method, mean = auto_select(...)``.
    """

    method: np.ndarray
    mean: np.ndarray
    scores: np.ndarray
    candidates: tuple[str, ...]

    def __iter__(self):
        return iter((self.method, self.mean))


def candidate_forecasters(candidates: Sequence[str] | None = None) -> dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    """``{name: f(Y, start) -> (n,)}`` for methods of :data:`methods.METHODS` (TSB with
    ``alpha_d = alpha_p = 0.1``)."""
    from . import methods as M

    names = tuple(candidates or DEFAULT_CANDIDATES)
    out = {}
    for name in names:
        if name not in M.METHODS:
            raise ValueError(f"unknown method {name!r}; choose from {sorted(M.METHODS)}")
        fn = M.METHODS[name]
        kw = {"alpha_d": 0.1, "alpha_p": 0.1} if name == "tsb" else {}
        out[name] = lambda Y, s, fn=fn, kw=kw: fn(Y, s, **kw).mean
    return out


def score_candidates(Y, start, forecasts: Mapping[str, np.ndarray], origins: Sequence[int], horizon, *,
                     target: float = 0.95, criterion: str = "inventory") -> tuple[np.ndarray, np.ndarray]:
    """Mean criterion and mean RMSSE over ``origins`` per candidate: two (m, n) arrays.

    ``forecasts[name]`` is (k, n), the flat forecast at each origin.  The window of
    origin ``o`` is ``[o, o + horizon_i)`` truncated at the end of ``Y``."""
    values, observed = observed_history(Y, start)
    n, T = values.shape
    st = observed.argmax(axis=1)
    names = list(forecasts)
    crit = np.zeros((len(names), n))
    rm = np.zeros((len(names), n))
    cnt_c = np.zeros((len(names), n))
    cnt_r = np.zeros((len(names), n))
    for j, o in enumerate(origins):
        hist, sto = values[:, :o], np.minimum(st, o - 1)
        live = st < o
        sc = in_sample_scales(hist, sto)
        mask = _horizon_mask(n, T, o, horizon)
        m = mask.sum(axis=1).astype(float)
        ycum = np.where(mask, values[:, o:], 0.0).sum(axis=1)
        vmr = variance_to_mean_ratio(hist, sto)
        for i, name in enumerate(names):
            f = np.asarray(forecasts[name][j], dtype=float)
            ok = live & np.isfinite(f)
            r = point_metrics(values[:, o:], np.nan_to_num(f), sc, mask)["rmsse"]
            if criterion == "inventory":
                q = fit_negative_binomial(hist, sto, np.nan_to_num(f), vmr=vmr).lead_time(m).quantile(
                    np.full(n, target)[:, None])[:, 0]
                with np.errstate(invalid="ignore", divide="ignore"):
                    c = lead_time_pinball(ycum, q, target) / sc["mean"]
            elif criterion == "rmsse":
                c = r
            else:
                raise ValueError("criterion must be 'inventory' or 'rmsse'")
            good_c = ok & np.isfinite(c)
            good_r = ok & np.isfinite(r)
            crit[i] += np.where(good_c, c, 0.0)
            cnt_c[i] += good_c
            rm[i] += np.where(good_r, r, 0.0)
            cnt_r[i] += good_r
    with np.errstate(invalid="ignore", divide="ignore"):
        return crit / cnt_c, rm / cnt_r


def choose(scores: np.ndarray, tiebreak: np.ndarray, *, pool: str = "series", groups=None) -> np.ndarray:
    """Index of the chosen candidate per series (n,) from ``scores`` (m, n) (lower is
    better; NaN = no evidence), ties broken by ``tiebreak`` (m, n) then candidate order.

    ``pool="series"``: per series; ``"class"``: per value of ``groups`` (n,) on the mean
    score over the group; ``"global"``: one candidate for all series."""
    return rank(scores, tiebreak, pool=pool, groups=groups)[0]


def rank(scores: np.ndarray, tiebreak: np.ndarray, *, pool: str = "series", groups=None) -> np.ndarray:
    """Candidates ordered best first per series, (m, n): by the (pooled) score, then the
    (pooled) tie-break, then candidate order; NaN counts as worst.  See :func:`choose`."""
    m, n = scores.shape
    if pool == "series":
        s, t = scores, tiebreak
    elif pool in ("class", "global"):
        g = np.zeros(n, np.int64) if pool == "global" or groups is None else np.asarray(groups)
        keys, inv = np.unique(g, return_inverse=True)
        s = np.empty((m, n))
        t = np.empty((m, n))
        for a, b in ((scores, s), (tiebreak, t)):
            fin = np.isfinite(a)
            sums = np.zeros((m, keys.size))
            cnts = np.zeros((m, keys.size))
            for i in range(m):
                sums[i] = np.bincount(inv, np.where(fin[i], a[i], 0.0), keys.size)
                cnts[i] = np.bincount(inv, fin[i].astype(float), keys.size)
            with np.errstate(invalid="ignore", divide="ignore"):
                b[...] = (sums / cnts)[:, inv]
    else:
        raise ValueError("pool must be 'series', 'class' or 'global'")
    s = np.where(np.isfinite(s), s, np.inf)
    t = np.where(np.isfinite(t), t, np.inf)
    # scores equal within 1e-12 (relative) count as ties: round them onto a common grid
    scale = np.max(np.where(np.isfinite(s), np.abs(s), 0.0), axis=0, keepdims=True)
    step = 1e-12 * np.maximum(scale, 1.0)
    s_key = np.where(np.isfinite(s), np.round(s / step), np.inf)
    order_idx = np.broadcast_to(np.arange(m)[:, None], (m, n))
    return np.lexsort((order_idx, t, s_key), axis=0)


def auto_select(Y: Any, start: Any = None, horizon: Any = 1, *, target: float = 0.95, n_origins: int = 12,
                candidates: Sequence[str] | None = None, criterion: str = "inventory", pool: str = "series",
                top_k: int = 3, forecasts: Mapping[str, np.ndarray] | None = None,
                final: Mapping[str, np.ndarray] | None = None) -> Selection:
    """Choose a method per series and return its forecast from the whole history.

    ``horizon`` (scalar or (n,), e.g. the item lead time, at least 1) sets the evaluation
    window of each rolling origin; ``target`` the service level of the inventory
    criterion; ``n_origins`` the number of origins (the last ``n_origins`` periods, at
    most ``n_periods - 2``); ``top_k`` how many of the best candidates per series are
    averaged (1 = pure selection).  ``forecasts`` / ``final`` may carry pre-computed forecasts
    (``{name: (n_origins, n)}`` at those origins / ``{name: (n,)}`` from the whole
    history) to avoid recomputing them (benchmarks).  See the module docstring for the
    criterion, the tie-break and the pooling.
    """
    Y = np.asarray(Y, dtype=float)
    n, T = Y.shape
    st = np.zeros(n, np.int64) if start is None else _as_series_array(start, n, "start", np.int64)
    names = tuple(candidates or (tuple(forecasts) if forecasts is not None else DEFAULT_CANDIDATES))
    k = int(max(0, min(n_origins, T - 2)))
    origins = list(range(T - k, T))
    fns = None
    if forecasts is None or final is None:
        fns = candidate_forecasters(names)
    if forecasts is None:
        from .evaluation import rolling_origin_forecasts

        forecasts = rolling_origin_forecasts(Y, st, fns, origins)
    if final is None:
        final = {name: np.asarray(fns[name](Y, st), dtype=float) for name in names}
    forecasts = {name: forecasts[name] for name in names}
    m = len(names)
    if k == 0:
        order = np.broadcast_to(np.arange(m)[:, None], (m, n))
        scores = np.full((m, n), np.nan)
    else:
        scores, rm = score_candidates(Y, st, forecasts, origins, horizon, target=target, criterion=criterion)
        groups = None
        if pool == "class":
            from .classify import classify

            groups = classify(Y, st).code
        with _quiet():
            order = rank(scores, rm, pool=pool, groups=groups)
    kk = int(min(max(top_k, 1), m))
    top = order[:kk]
    F = np.stack([np.asarray(final[name], dtype=float) for name in names])
    mean = np.take_along_axis(F, top, axis=0).mean(axis=0)
    table = np.asarray(names, dtype=object)
    if kk == 1:
        method = table[top[0]]
    else:
        combos, inv = np.unique(top.T, axis=0, return_inverse=True)
        labels = np.array(["+".join(table[c]) for c in combos], dtype=object)
        method = labels[inv.reshape(-1)]
    return Selection(method=method, mean=mean, scores=scores, candidates=names)
