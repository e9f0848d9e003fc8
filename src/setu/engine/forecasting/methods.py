"""Point-forecast methods for intermittent demand, over all series of a batch at once.

Every method takes ``Y`` (float64, ``(n_series, n_periods)``, non-negative demand) and an optional
``start`` (index of each series' first observed period; earlier periods are ignored) and returns a
:class:`PointForecast`: the flat point forecast per series (the same value for every future
period), optionally the in-sample one-step-ahead fitted values, and the fitted parameters.

Conventions follow statsforecast 2.x exactly (its ``models.py`` and ``src/ses.cpp`` are the
reference implementation; the parity test checks agreement to 1e-9):

* demand sizes ``z_1..z_k`` are the non-zero values; inter-demand intervals ``p_1..p_k`` count
  from the series' first period, so ``p_1`` = (index of the first demand - start) + 1;
* SES starts its level at the first value and updates it with every value, including the first;
* optimised smoothing: golden-section search on the in-sample SSE, alpha in [0.1, 0.3]
  (SES-optimised: [0.01, 0.99]);
* a series with no demand forecasts 0.

Loops run over time (or over the number of demands) only; each step is one numpy operation across
all series. The golden-section search of the optimised methods (SES-optimised, Croston-optimised,
ADIDA, IMAPA) runs in the optional compiled kernel when it is built, with identical results (see
:mod:`setu.engine.forecasting._ses` and docs/architecture.md).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from setu.engine.forecasting import _ses

__all__ = [
    "PointForecast",
    "METHODS",
    "ses",
    "ses_optimized",
    "croston",
    "sba",
    "croston_optimized",
    "tsb",
    "adida",
    "imapa",
    "forecast",
]


@dataclass(frozen=True)
class PointForecast:
    """Point forecasts of a batch.

    ``mean``: flat forecast per series, shape ``(n_series,)``.
    ``fitted``: in-sample one-step-ahead forecasts, shape ``(n_series, n_periods)``, NaN where
    undefined (before and at each series' start), or None when the method does not provide them.
    ``params``: fitted parameters per series, e.g. ``{"alpha": (n_series,)}``.
    """

    method: str
    mean: np.ndarray
    fitted: np.ndarray | None = None
    params: Mapping[str, np.ndarray] = field(default_factory=lambda: MappingProxyType({}))


# --------------------------------------------------------------------------------------------
# input handling and demand decomposition


def _prepare(Y: Any, start: Any) -> tuple[np.ndarray, np.ndarray]:
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim == 1:
        Y = Y[None, :]
    if Y.ndim != 2:
        raise ValueError(f"Y must be 2-D (n_series, n_periods), got shape {Y.shape}")
    n, T = Y.shape
    if T == 0:
        raise ValueError("Y has no periods")
    if start is None:
        start = np.zeros(n, dtype=np.int64)
    else:
        start = np.asarray(start, dtype=np.int64).reshape(-1)
        if start.shape != (n,):
            raise ValueError(f"start must have shape ({n},), got {start.shape}")
        if n and (start.min() < 0 or start.max() >= T):
            raise ValueError("start must lie in [0, n_periods)")
    if n == 0:
        return Y, start
    # Periods before start are ignored; NaN inside a series is no demand (as in distributions).
    V = Y if not start.any() else np.where(np.arange(T)[None, :] >= start[:, None], Y, 0.0)
    low, total = V.min(), V.sum()
    if not (low >= 0.0 and np.isfinite(total)):  # cheap checks first; details only on failure
        if np.isinf(V).any():
            raise ValueError("Y must be finite where observed")
        if np.isnan(V).any():
            V = np.nan_to_num(V, nan=0.0)
        if (V < 0).any():
            raise ValueError("Y must be non-negative (demand) where observed")
    return V, start


def _observed(Y: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Y with the periods before each start set to zero (already done by :func:`_prepare`)."""
    return Y


@dataclass(frozen=True)
class _Demands:
    """Demand sizes and intervals of every series, left-aligned (time-major)."""

    sizes: np.ndarray  # (K, n)
    intervals: np.ndarray  # (K, n)
    count: np.ndarray  # (n,) number of demands k
    rows: np.ndarray  # flat: series of each demand (sorted)
    cols: np.ndarray  # flat: period of each demand
    order: np.ndarray | None = None  # series of each column when not in series order


def _unsort(values: np.ndarray, order: np.ndarray | None) -> np.ndarray:
    if order is None:
        return values
    out = np.empty_like(values)
    out[order] = values
    return out


def _demands(Yo: np.ndarray, start: np.ndarray, *, by_count: bool = False) -> _Demands:
    """Sizes and intervals, left-aligned. ``by_count``: columns ordered by decreasing number of
    demands (``order`` gives the series of each column), for :func:`_ses.ses_last`."""
    n, T = Yo.shape
    Yc = np.ascontiguousarray(Yo)
    flat = np.flatnonzero(Yc > 0)
    rows = flat // T
    cols = flat - rows * T
    count = np.bincount(rows, minlength=n).astype(np.int64)
    order = None
    place = rows
    if by_count:
        order = np.argsort(-count, kind="stable")
        pos = np.empty(n, dtype=np.int64)
        pos[order] = np.arange(n)
        place = pos[rows]
    K = max(int(count.max()) if n else 0, 1)
    sizes = np.zeros((K, n))
    intervals = np.zeros((K, n))
    if flat.size:
        first = np.cumsum(count) - count
        rank = np.arange(flat.size) - np.repeat(first, count)
        dest = rank * n + place
        sizes.reshape(-1)[dest] = Yc.reshape(-1)[flat]
        iv = np.empty(flat.size, dtype=np.int64)
        iv[1:] = cols[1:] - cols[:-1]
        has = count > 0
        f = first[has]
        iv[f] = cols[f] - start[has] + 1  # the first interval counts from the series' start
        intervals.reshape(-1)[dest] = iv
    if order is not None:
        return _Demands(sizes, intervals, count[order], rows, cols, order)
    return _Demands(sizes, intervals, count, rows, cols)


def _ratio(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.divide(z, p, out=z.copy(), where=p != 0.0)


def _expand_after_demand(levels: np.ndarray, count: np.ndarray, Yo: np.ndarray, start: np.ndarray,
                         before: float) -> np.ndarray:
    """Spread per-demand estimates over periods: value at t uses the demands seen up to t - 1.

    ``levels[j, i]`` is series i's estimate after its j-th demand (j = 1..k); before the first
    demand the value is ``before``. Returns (n, T) with NaN at and before each start.
    """
    n, T = Yo.shape
    seen = np.cumsum(Yo > 0, axis=1)  # demands in [0, t]
    j = np.zeros((n, T), dtype=np.int64)
    j[:, 1:] = seen[:, :-1]
    out = levels.T[np.arange(n)[:, None], j]
    out = np.where(j == 0, before, out)
    out[np.arange(T)[None, :] <= start[:, None]] = np.nan
    return out


def _levels_after_demand(X: np.ndarray, count: np.ndarray, alpha: float) -> np.ndarray:
    """(K + 1, n) estimate after j demands: G[j] (statsforecast appends x_0 itself when k == 1)."""
    G = _ses.ses_levels(X, alpha)
    one = count == 1
    if one.any():
        G[1, one] = X[0, one]
    return G


# --------------------------------------------------------------------------------------------
# methods

#: series per chunk: large batches are computed chunk by chunk so that the arrays of the time loop
#: stay in the CPU cache; each series' arithmetic is unchanged, so results are identical.
CHUNK_SERIES = 8192


def _chunked(fn: Callable[..., PointForecast]) -> Callable[..., PointForecast]:
    import functools

    @functools.wraps(fn)
    def wrapper(Y: Any, start: Any = None, **kwargs: Any) -> PointForecast:
        Y = np.asarray(Y, dtype=np.float64)
        if Y.ndim != 2 or Y.shape[0] <= CHUNK_SERIES:
            return fn(Y, start, **kwargs)
        n = Y.shape[0]
        st = None if start is None else np.asarray(start, dtype=np.int64).reshape(-1)
        if st is not None and st.shape != (n,):
            raise ValueError(f"start must have shape ({n},), got {st.shape}")
        parts = [fn(Y[a:a + CHUNK_SERIES], None if st is None else st[a:a + CHUNK_SERIES], **kwargs)
                 for a in range(0, n, CHUNK_SERIES)]
        fitted = None if parts[0].fitted is None else np.concatenate([p.fitted for p in parts])
        params = MappingProxyType({k: np.concatenate([p.params[k] for p in parts]) for k in parts[0].params})
        return PointForecast(parts[0].method, np.concatenate([p.mean for p in parts]), fitted, params)

    return wrapper


@_chunked
def ses(Y: Any, start: Any = None, *, alpha: float = 0.1, fitted: bool = False) -> PointForecast:
    """Simple exponential smoothing with a fixed smoothing constant.

    ``l_t = alpha * y_t + (1 - alpha) * l_{t-1}``, ``l_0 = y_0``; forecast ``l_n`` for every horizon
    (Brown 1959; Gardner 1985, "Exponential smoothing: the state of the art", J. Forecasting
    4:1-28, eq. for N-N). statsforecast: ``SimpleExponentialSmoothing(alpha)``.
    """
    Y, start = _prepare(Y, start)
    Xs, lengths = _series_left_aligned(Y, start)
    n = Y.shape[0]
    if not fitted:
        mean, fit = _ses.ses_last(Xs, lengths, alpha), None
    else:
        G = _ses.ses_levels(Xs, alpha)
        mean = np.where(lengths == 1, Xs[0], G[lengths, np.arange(n)])
        fit = _series_fitted(G, start, Y.shape[1])
    return PointForecast("ses", mean, fit, MappingProxyType({"alpha": np.full(n, float(alpha))}))


@_chunked
def ses_optimized(Y: Any, start: Any = None, *, fitted: bool = False) -> PointForecast:
    """SES with alpha chosen per series by golden-section search on the in-sample SSE.

    Same recursion as :func:`ses`; alpha in [0.01, 0.99] minimising ``sum (y_t - l_{t-1})^2``
    (Gardner 1985). statsforecast: ``SimpleExponentialSmoothingOptimized``.
    """
    Y, start = _prepare(Y, start)
    values, offsets = _series_ragged(Y, start)
    mean, alpha = _ses.ses_optimized_ragged(values, offsets, 0.01, 0.99)
    fit = None
    if fitted:
        Xs, _ = _series_left_aligned(Y, start)
        fit = _series_fitted(_ses.ses_levels(Xs, alpha), start, Y.shape[1])
    return PointForecast("ses_opt", mean, fit, MappingProxyType({"alpha": alpha}))


def _series_ragged(Y: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each series from its start, concatenated (series-major), and the offsets of the series."""
    n, T = Y.shape
    if not start.any():
        return np.ascontiguousarray(Y).reshape(-1), np.arange(n + 1, dtype=np.int64) * T
    values = Y[np.arange(T)[None, :] >= start[:, None]]
    return values, np.concatenate(([0], np.cumsum(T - start))).astype(np.int64)


def _series_left_aligned(Y: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each series from its start, left-aligned and time-major: (T, n) and lengths."""
    n, T = Y.shape
    lengths = (T - start).astype(np.int64)
    if not start.any():
        return np.ascontiguousarray(Y.T), lengths
    idx = np.minimum(start[None, :] + np.arange(T)[:, None], T - 1)
    return Y[np.arange(n)[None, :], idx], lengths


def _series_fitted(G: np.ndarray, start: np.ndarray, T: int) -> np.ndarray:
    """Fitted value at period t is the level after the observations before t: G[t - start]."""
    n = start.size
    rel = np.arange(T)[None, :] - start[:, None]
    out = G.T[np.arange(n)[:, None], np.clip(rel, 0, G.shape[0] - 1)]
    out[rel <= 0] = np.nan
    return out


def _croston_core(Y: Any, start: Any, alpha: float, fitted: bool) -> tuple[np.ndarray, np.ndarray | None, int]:
    Y, start = _prepare(Y, start)
    Yo = _observed(Y, start)
    n = Y.shape[0]
    if not fitted:
        ds = _demands(Yo, start, by_count=True)
        z = _ses.ses_last(ds.sizes, ds.count, alpha, presorted=True)
        p = _ses.ses_last(ds.intervals, ds.count, alpha, presorted=True)
        return _unsort(np.where(ds.count > 0, _ratio(z, p), 0.0), ds.order), None, n
    dm = _demands(Yo, start)
    Gz = _levels_after_demand(dm.sizes, dm.count, alpha)
    Gp = _levels_after_demand(dm.intervals, dm.count, alpha)
    cols = np.arange(n)
    z = Gz[dm.count, cols]
    p = Gp[dm.count, cols]
    mean = np.where(dm.count > 0, _ratio(z, p), 0.0)
    fit = None
    if fitted:
        Gp = np.where(Gp == 0.0, 1.0, Gp)
        fz = _expand_after_demand(Gz, dm.count, Yo, start, 0.0)
        fp = _expand_after_demand(Gp, dm.count, Yo, start, 1.0)
        fit = fz / fp
    return mean, fit, n


@_chunked
def croston(Y: Any, start: Any = None, *, alpha: float = 0.1, fitted: bool = False) -> PointForecast:
    """Croston's method (classic): ratio of smoothed demand sizes to smoothed intervals.

    Croston (1972), "Forecasting and stock control for intermittent demands", Operational
    Research Quarterly 23(3):289-303: ``z_j = alpha y_j + (1 - alpha) z_{j-1}``,
    ``p_j = alpha q_j + (1 - alpha) p_{j-1}``, updated only in periods with demand; forecast
    ``z / p``. statsforecast: ``CrostonClassic`` (alpha = 0.1).
    """
    mean, fit, n = _croston_core(Y, start, alpha, fitted)
    return PointForecast("croston", mean, fit, MappingProxyType({"alpha": np.full(n, float(alpha))}))


@_chunked
def sba(Y: Any, start: Any = None, *, alpha: float = 0.1, fitted: bool = False) -> PointForecast:
    """Syntetos-Boylan approximation: Croston times the bias correction ``(1 - alpha / 2)``.

    Syntetos & Boylan (2005), "The accuracy of intermittent demand estimates", International
    Journal of Forecasting 21(2):303-314, eq. ``Y_t = (1 - alpha/2) z_t / p_t``.
    statsforecast: ``CrostonSBA`` (alpha = 0.1, factor 0.95).
    """
    mean, fit, n = _croston_core(Y, start, alpha, fitted)
    factor = 1.0 - float(alpha) / 2.0
    mean = mean * factor
    if fit is not None:
        fit = fit * factor
    return PointForecast("sba", mean, fit, MappingProxyType({"alpha": np.full(n, float(alpha))}))


@_chunked
def croston_optimized(Y: Any, start: Any = None) -> PointForecast:
    """Croston's method with separate smoothing constants for sizes and intervals, each chosen by
    golden-section search on its in-sample SSE in [0.1, 0.3].

    Croston (1972) with the optimisation of Kourentzes (2014), "On intermittent demand model
    optimisation and selection", IJPE 156:180-190 (here with the MSE cost, as statsforecast's
    ``CrostonOptimized``). Fitted values are not provided (statsforecast re-optimises every prefix).
    """
    Y, start = _prepare(Y, start)
    Yo = _observed(Y, start)
    n, T = Y.shape
    # sizes and intervals, flat in series order: one search over 2n ragged problems
    Yc = np.ascontiguousarray(Yo)
    flat = np.flatnonzero(Yc > 0)
    rows = flat // T
    cols = flat - rows * T
    count = np.bincount(rows, minlength=n).astype(np.int64)
    sizes = Yc.reshape(-1)[flat]
    iv = np.empty(flat.size)
    if flat.size:
        iv[1:] = cols[1:] - cols[:-1]
        has = count > 0
        first = (np.cumsum(count) - count)[has]
        iv[first] = cols[first] - start[has] + 1  # the first interval counts from the series' start
    ends = np.cumsum(count)
    offsets = np.concatenate(([0], ends, ends + flat.size)).astype(np.int64)
    fc, alpha = _ses.ses_optimized_ragged(np.concatenate([sizes, iv]), offsets, 0.1, 0.3)
    z, p = fc[:n], fc[n:]
    mean = np.where(count > 0, _ratio(z, p), 0.0)
    return PointForecast(
        "croston_opt", mean, None,
        MappingProxyType({"alpha_size": alpha[:n], "alpha_interval": alpha[n:]}),
    )


@_chunked
def tsb(Y: Any, start: Any = None, *, alpha_d: float = 0.1, alpha_p: float = 0.1,
        fitted: bool = False) -> PointForecast:
    """Teunter-Syntetos-Babai: smoothed demand probability times smoothed demand size.

    Teunter, Syntetos & Babai (2011), "Intermittent demand: linking forecasting to inventory
    obsolescence", EJOR 214(3):606-615: ``d_t = alpha_p 1[y_t > 0] + (1 - alpha_p) d_{t-1}`` every
    period, ``z_t = alpha_d y_t + (1 - alpha_d) z_{t-1}`` in demand periods; forecast ``d z``.
    statsforecast: ``TSB(alpha_d, alpha_p)``.
    """
    Y, start = _prepare(Y, start)
    Yo = _observed(Y, start)
    n, T = Y.shape
    if not start.any():  # occurrence, time-major, in one pass
        Xo = np.empty((T, n))
        np.greater(Yo.T, 0.0, out=Xo)
        lengths = np.full(n, T, dtype=np.int64)
    else:
        Xo, lengths = _series_left_aligned((Yo > 0).astype(np.float64), start)
    if not fitted:
        ds = _demands(Yo, start, by_count=True)
        z = _unsort(_ses.ses_last(ds.sizes, ds.count, alpha_d, presorted=True), ds.order)
        d = _ses.ses_last(Xo, lengths, alpha_p)
        count = _unsort(ds.count, ds.order)
        mean = np.where(count > 0, d * z, 0.0)
        return PointForecast("tsb", mean, None, MappingProxyType(
            {"alpha_d": np.full(n, float(alpha_d)), "alpha_p": np.full(n, float(alpha_p))}))
    dm = _demands(Yo, start)
    if not fitted:
        z = _ses.ses_last(dm.sizes, dm.count, alpha_d)
        d = _ses.ses_last(Xo, lengths, alpha_p)
        mean = np.where(dm.count > 0, d * z, 0.0)
        return PointForecast("tsb", mean, None, MappingProxyType(
            {"alpha_d": np.full(n, float(alpha_d)), "alpha_p": np.full(n, float(alpha_p))}))
    Gz = _levels_after_demand(dm.sizes, dm.count, alpha_d)
    z = Gz[dm.count, np.arange(n)]
    Go = _ses.ses_levels(Xo, alpha_p)
    d = np.where(lengths == 1, Xo[0], Go[lengths, np.arange(n)])
    mean = np.where(dm.count > 0, d * z, 0.0)
    fit = None
    if fitted:
        fz = _expand_after_demand(Gz, dm.count, Yo, start, 0.0)
        fit = _series_fitted(Go, start, T) * fz
        fit[dm.count == 0] = 0.0
        fit[np.arange(T)[None, :] <= start[:, None]] = np.nan
    return PointForecast(
        "tsb", mean, fit,
        MappingProxyType({"alpha_d": np.full(n, float(alpha_d)), "alpha_p": np.full(n, float(alpha_p))}),
    )


def _aggregation_level(dm: _Demands, start: np.ndarray, T: int) -> np.ndarray:
    """round(mean inter-demand interval), half to even as Python's round; 0 when no demand."""
    n = start.size
    last = np.full(n, -1, dtype=np.int64)
    if dm.cols.size:  # demands are in series order, then time order: the last one ends each run
        has = dm.count > 0
        last[has] = dm.cols[np.cumsum(dm.count)[has] - 1]
    span = (last - start + 1).astype(np.float64)
    k = np.maximum(dm.count, 1).astype(np.float64)
    return np.where(dm.count > 0, np.rint(span / k), 0).astype(np.int64)


def _block_sums(Yo: np.ndarray, start: np.ndarray, L: int) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping sums of L periods aligned to the end (the first (n mod L) points dropped),
    each series' blocks from its start, concatenated (series-major), with the number of blocks of
    each series."""
    n, T = Yo.shape
    B = T // L
    V = Yo[:, T - B * L:].reshape(n, B, L)
    S = V[:, :, 0].copy()
    for j in range(1, L):  # sequential sums, as the reference implementation
        S += V[:, :, j]
    nb = (T - start) // L
    if (nb == B).all():
        return S.reshape(-1), nb
    return S[np.arange(B)[None, :] >= (B - nb)[:, None]], nb


def _aggregated_ses(Yo: np.ndarray, start: np.ndarray, levels: np.ndarray, pairs_series: np.ndarray,
                    pairs_level: np.ndarray) -> np.ndarray:
    """Optimised SES (alpha in [0.1, 0.3]) forecast of the L-period block sums, for many
    (series, L) pairs in one golden-section search."""
    Xs, Ls, where = [], [], []
    for L in np.unique(pairs_level):
        pick = np.nonzero(pairs_level == L)[0]
        sel = pairs_series[pick]
        x, nb = _block_sums(Yo[sel], start[sel], int(L))
        Xs.append(x)
        Ls.append(nb)
        where.append(pick)
    lengths = np.concatenate(Ls)
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    fc, _ = _ses.ses_optimized_ragged(np.concatenate(Xs), offsets, 0.1, 0.3)
    out = np.empty(pairs_series.size)  # back to the order of the pairs
    out[np.concatenate(where)] = fc
    return out


@_chunked
def adida(Y: Any, start: Any = None) -> PointForecast:
    """ADIDA: aggregate-disaggregate intermittent demand approach.

    Nikolopoulos, Syntetos, Boylan, Petropoulos & Assimakopoulos (2011), "An aggregate-
    disaggregate intermittent demand approach (ADIDA) to forecasting: an empirical proposition and
    analysis", JORS 62(3):544-554. Aggregation level ``L = round(mean inter-demand interval)``;
    non-overlapping sums of L periods (aligned to the end); optimised SES on the sums; forecast
    divided by L. statsforecast: ``ADIDA``.
    """
    Y, start = _prepare(Y, start)
    Yo = _observed(Y, start)
    n, T = Y.shape
    dm = _demands(Yo, start)
    L = _aggregation_level(dm, start, T)
    mean = np.zeros(n)
    has = np.nonzero(L > 0)[0]
    if has.size:
        mean[has] = _aggregated_ses(Yo, start, L, has, L[has]) / L[has]
    return PointForecast("adida", mean, None, MappingProxyType({"aggregation_level": L}))


@_chunked
def imapa(Y: Any, start: Any = None) -> PointForecast:
    """IMAPA: intermittent multiple aggregation prediction algorithm.

    Petropoulos & Kourentzes (2015), "Forecast combinations for intermittent demand", JORS
    66(6):914-924: forecasts from every aggregation level ``L = 1 .. round(mean interval)``
    (optimised SES on L-period sums, divided by L) combined by their mean. statsforecast: ``IMAPA``.
    """
    Y, start = _prepare(Y, start)
    Yo = _observed(Y, start)
    n, T = Y.shape
    dm = _demands(Yo, start)
    Lmax = _aggregation_level(dm, start, T)
    mean = np.zeros(n)
    has = np.nonzero(Lmax > 0)[0]
    if has.size:
        # series by decreasing top level: the series aggregated at level L are a prefix
        srt = has[np.argsort(-Lmax[has], kind="stable")]
        top = Lmax[srt]
        Ys, st = Yo[srt], start[srt]
        prefix = [int(np.count_nonzero(top >= L)) for L in range(1, int(top[0]) + 1)]
        parts = [_block_sums(Ys[:k], st[:k], L) for L, k in enumerate(prefix, start=1)]
        lengths = np.concatenate([nb for _, nb in parts])
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        fc, _ = _ses.ses_optimized_ragged(np.concatenate([x for x, _ in parts]), offsets, 0.1, 0.3)
        # mean over levels, summed in level order
        total = np.zeros(srt.size)
        o = 0
        for L, k in enumerate(prefix, start=1):
            total[:k] += fc[o:o + k] / L
            o += k
        mean[srt] = total / top
    return PointForecast("imapa", mean, None, MappingProxyType({"max_aggregation_level": Lmax}))


METHODS: Mapping[str, Callable[..., PointForecast]] = MappingProxyType({
    "ses": ses,
    "ses_opt": ses_optimized,
    "croston": croston,
    "sba": sba,
    "croston_opt": croston_optimized,
    "tsb": tsb,
    "adida": adida,
    "imapa": imapa,
})


def forecast(Y: Any, start: Any = None, *, method: str, **params: Any) -> PointForecast:
    """Dispatch to one of :data:`METHODS` by name."""
    try:
        fn = METHODS[method]
    except KeyError:
        raise ValueError(f"unknown method {method!r}; choose one of {sorted(METHODS)}") from None
    return fn(Y, start, **params)
