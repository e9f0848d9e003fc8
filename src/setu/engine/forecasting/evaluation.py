"""Rolling-origin evaluation of demand forecasts: error metrics and an inventory simulation.

Everything works on a whole panel ``Y`` (n_series, n_periods) at once, with ``start``
(n_series,) the first observed period of each series (earlier periods are ignored; NaN
inside the observed span counts as zero demand, as in
:func:`setu.engine.forecasting.distributions.observed_history`).

Point-forecast metrics, per series and origin, then averaged over origins
(Makridakis, Spiliotis & Assimakopoulos 2022, "M5 accuracy competition", IJF 38(4):1346,
eqs. 1–2; Hyndman & Koehler 2006, IJF 22:679, eq. for MASE):

* ``rmsse = sqrt( mean_h (y - f)^2 / scale )``, ``scale`` = mean squared first difference
  of the in-sample data **from the first non-zero demand on** (M5 definition);
* ``mase = mean_h |y - f| / mean_t |y_t - y_{t-1}|`` over the observed in-sample span;
* ``sme = mean_h (y - f) / ybar`` (scaled mean error, Petropoulos & Kourentzes 2015,
  JORS 66:914; positive = under-forecast), ``ybar`` the in-sample mean demand;
* ``sapis = |sum_{t<=h} sum_{j<=t} (f_j - y_j)| / ybar`` (scaled absolute periods in
  stock, Wallström & Segerstedt 2010, IJPE 128:625).

Series whose scale is zero or undefined get NaN for that metric (excluded from means).

Inventory simulation: a periodic-review order-up-to policy (R = 1, lead time L periods,
backorders), the protocol of Teunter & Duncan (2009, JORS 60:321) and Syntetos, Babai &
Gardner (2015).  At the end of period t the level S_t (computed from data up to t) is
set and ``max(S_t - IP_t, 0)`` is ordered; it arrives at the start of period t + L + 1.
The policy is warm-started in steady state: at the first test origin the inventory
position equals S and the pipeline holds the actual demand of the last L + 1 periods.
Achieved **unit fill rate** per series = units filled from stock on hand / units demanded
over the test window; average stock = mean end-of-period on-hand stock.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np

from .distributions import (
    _as_series_array,
    fit_bootstrap,
    fit_negative_binomial,
    observed_history,
    order_up_to_levels,
    variance_to_mean_ratio,
)

__all__ = [
    "Forecaster",
    "in_sample_scales",
    "point_metrics",
    "rolling_origin_forecasts",
    "rolling_origin_metrics",
    "summarize",
    "lead_time_pinball",
    "rolling_order_up_to_levels",
    "InventoryResult",
    "simulate_order_up_to",
]

Forecaster = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``f(Y, start) -> (n_series,)`` flat per-period point forecast."""


def in_sample_scales(Y, start=None) -> dict[str, np.ndarray]:
    """Per-series scales of the in-sample data: ``rmsse`` (M5: mean squared first
    difference from the first non-zero demand on), ``mase`` (mean absolute first
    difference over the observed span) and ``mean`` (mean demand)."""
    values, observed = observed_history(Y, start)
    n, T = values.shape
    d = np.diff(values, axis=1)
    both = observed[:, 1:] & observed[:, :-1]
    nz = values > 0
    first_nz = np.where(nz.any(axis=1), nz.argmax(axis=1), T)
    from_nz = both & (np.arange(1, T)[None, :] > first_nz[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        s_rmsse = np.where(from_nz, d * d, 0.0).sum(axis=1) / from_nz.sum(axis=1)
        s_mase = np.where(both, np.abs(d), 0.0).sum(axis=1) / both.sum(axis=1)
        mean = values.sum(axis=1) / observed.sum(axis=1)
    clean = lambda a: np.where(np.isfinite(a) & (a > 0), a, np.nan)  # noqa: E731
    return {"rmsse": clean(s_rmsse), "mase": clean(s_mase), "mean": clean(mean)}


def point_metrics(y_test, forecast, scales: Mapping[str, np.ndarray], mask=None) -> dict[str, np.ndarray]:
    """RMSSE, MASE, sME, sAPIS per series (see module docstring) for one origin.

    ``y_test`` (n, h) actual demand, ``forecast`` (n,) flat or (n, h), ``mask`` (n, h)
    marks the periods to score (per-series horizons); NaN where nothing is scored."""
    y = np.nan_to_num(np.asarray(y_test, dtype=float))
    f = np.asarray(forecast, dtype=float)
    f = np.broadcast_to(f[:, None] if f.ndim == 1 else f, y.shape)
    mask = np.ones(y.shape, bool) if mask is None else np.asarray(mask, bool)
    e = np.where(mask, y - f, 0.0)
    k = mask.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mse = (e * e).sum(axis=1) / k
        mae = np.abs(e).sum(axis=1) / k
        me = e.sum(axis=1) / k
        pis = np.abs(np.cumsum(np.cumsum(-e, axis=1), axis=1)[np.arange(len(k)), np.maximum(k - 1, 0)])
        out = {
            "rmsse": np.sqrt(mse / scales["rmsse"]),
            "mase": mae / scales["mase"],
            "sme": me / scales["mean"],
            "sapis": pis / scales["mean"],
        }
    return {m: np.where(k > 0, v, np.nan) for m, v in out.items()}


def _horizon_mask(n: int, T: int, origin: int, horizon) -> np.ndarray:
    h = np.maximum(_as_series_array(horizon, n, "horizon", dtype=np.int64), 1)
    steps = np.arange(T - origin)[None, :]
    return steps < h[:, None]


def rolling_origin_forecasts(Y, start, forecasters: Mapping[str, Forecaster], origins: Sequence[int]) -> dict[str, np.ndarray]:
    """Point forecasts of every method at every origin: ``{name: (k, n_series)}``.

    At origin ``o`` each forecaster sees ``Y[:, :o]`` (periods 0..o-1).  Series not yet
    started at ``o`` get NaN."""
    Y = np.asarray(Y, dtype=float)
    n = Y.shape[0]
    start = np.zeros(n, np.int64) if start is None else _as_series_array(start, n, "start", np.int64)
    out = {name: np.full((len(origins), n), np.nan) for name in forecasters}
    for j, o in enumerate(origins):
        live = start < o
        st = np.minimum(start, o - 1)
        for name, fn in forecasters.items():
            f = np.asarray(fn(Y[:, :o], st), dtype=float)
            out[name][j] = np.where(live, f, np.nan)
    return out


def rolling_origin_metrics(Y, start, forecasts, origins: Sequence[int], horizon) -> dict[str, np.ndarray]:
    """Per-series point metrics averaged over origins (NaN-aware): ``{metric: (n,)}``.

    ``forecasts`` (k, n) are the flat forecasts at ``origins``; the test window of origin
    ``o`` is ``[o, o + horizon_i)``, truncated at the end of the panel."""
    values, observed = observed_history(Y, start)
    n, T = values.shape
    start_a = observed.argmax(axis=1)
    acc: dict[str, list[np.ndarray]] = {}
    for j, o in enumerate(origins):
        sc = in_sample_scales(values[:, :o], np.minimum(start_a, o - 1))
        live = start_a < o
        mask = _horizon_mask(n, T, o, horizon)
        m = point_metrics(values[:, o:], forecasts[j], sc, mask)
        for k, v in m.items():
            acc.setdefault(k, []).append(np.where(live & np.isfinite(forecasts[j]), v, np.nan))
    with np.errstate(invalid="ignore"), _quiet():
        return {k: np.nanmean(np.stack(v), axis=0) for k, v in acc.items()}


@contextmanager
def _quiet():
    """Silence numpy's RuntimeWarnings (means of all-NaN slices are NaN by design here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def summarize(metrics: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Mean over series of each per-series metric, ignoring NaN."""
    with _quiet():
        return {k: float(np.nanmean(v)) for k, v in metrics.items()}


def lead_time_pinball(y_cum, q_forecast, tau) -> np.ndarray:
    """Pinball (quantile) loss of a quantile forecast of cumulative lead-time demand
    (Koenker & Bassett 1978; the M5 Uncertainty SPL numerator, Makridakis et al. 2022b,
    IJF 38(4):1365, eq. 2): ``tau·(y - q)`` if ``y >= q`` else ``(1 - tau)·(q - y)``.
    Equals the newsvendor cost with holding cost ``1 - tau`` and shortage cost ``tau``."""
    y = np.asarray(y_cum, dtype=float)
    q = np.asarray(q_forecast, dtype=float)
    return np.where(y >= q, tau * (y - q), (1.0 - tau) * (q - y))


def rolling_order_up_to_levels(Y, start, forecasts, origins: Sequence[int], lead_time, target, *,
                               distribution: str = "negbin", service: str = "fill", n_samples: int = 500,
                               seed: int = 0, rounding: str = "nearest", horizon: int | None = None,
                               forecast_error_alpha: float | None = None) -> np.ndarray:
    """Order-up-to levels (k, n) at each origin from each origin's point forecast.

    ``distribution="negbin"``: NB with mean = the point forecast and the series' VMR of
    the history up to the origin (:func:`fit_negative_binomial`).
    ``distribution="bootstrap"``: the Willemain et al. (2004) bootstrap of the history up
    to the origin (``forecasts`` unused; may be None).
    ``distribution="bootstrap_scaled"``: the bootstrap rescaled to the point forecast's
    mean (sizes multiplied by forecast / bootstrap mean).
    ``forecast_error_alpha``: with ``"negbin"``, add the variance of the forecast's own
    error over the protection interval (:meth:`NegBinDemand.with_forecast_error`, Prak,
    Teunter & Syntetos 2017) with that smoothing constant; default None (demand variance only).
    ``horizon``: target the fill rate measured over that many periods (``order_up_to_level``'s
    finite-horizon option, Thomas 2005; ``n_samples`` paths); default the long-run fill.
    ``target`` a float -> (k, n); a sequence of targets -> (len(target), k, n) (one
    distribution, and with ``horizon`` one set of Monte Carlo paths, per origin)."""
    Y = np.asarray(Y, dtype=float)
    n = Y.shape[0]
    start = np.zeros(n, np.int64) if start is None else _as_series_array(start, n, "start", np.int64)
    L = _as_series_array(lead_time, n, "lead_time")
    multi = np.ndim(target) > 0
    targets = list(np.atleast_1d(np.asarray(target, dtype=float)))
    out = np.zeros((len(targets), len(origins), n))
    for j, o in enumerate(origins):
        st = np.minimum(start, o - 1)
        if distribution == "negbin":
            f = np.nan_to_num(forecasts[j])
            dist = fit_negative_binomial(Y[:, :o], st, f, vmr=variance_to_mean_ratio(Y[:, :o], st))
            if forecast_error_alpha is not None:
                dist = dist.with_forecast_error(L, alpha=forecast_error_alpha)
        elif distribution in ("bootstrap", "bootstrap_scaled"):
            dist = fit_bootstrap(Y[:, :o], st, n_samples=n_samples, seed=seed + o)
            if distribution == "bootstrap_scaled":
                bm = dist.mean
                with np.errstate(invalid="ignore", divide="ignore"):
                    ratio = np.where(bm > 0, np.nan_to_num(forecasts[j]) / bm, 1.0)
                dist = replace(dist, sizes=dist.sizes * np.repeat(ratio, dist.counts))
        else:
            raise ValueError(f"unknown distribution {distribution!r}")
        out[:, j] = order_up_to_levels(dist, L, targets, service=service, rounding=rounding, horizon=horizon,
                                       n_paths=n_samples, seed=seed + o)
    return out if multi else out[0]


@dataclass(frozen=True)
class InventoryResult:
    """Outcome of :func:`simulate_order_up_to`, per series (n,).

    ``fill_rate`` is NaN where no demand fell in the test window;
    ``avg_stock_scaled`` divides the average on-hand stock by the in-sample mean
    demand per period (NaN when that is zero)."""

    fill_rate: np.ndarray
    units_demanded: np.ndarray
    units_filled: np.ndarray
    avg_stock: np.ndarray
    avg_stock_scaled: np.ndarray
    backorder_periods: np.ndarray

    def summary(self, price=None) -> dict[str, float]:
        """Item-average fill rate, pooled (unit-weighted) fill rate, mean scaled stock,
        and with ``price`` the mean stock value per item."""
        with _quiet():
            out = {
                "fill_rate": float(np.nanmean(self.fill_rate)),
                "fill_rate_pooled": float(self.units_filled.sum() / max(self.units_demanded.sum(), 1e-300)),
                "avg_stock_scaled": float(np.nanmean(self.avg_stock_scaled)),
                "avg_stock": float(np.mean(self.avg_stock)),
            }
            if price is not None:
                out["avg_stock_value"] = float(np.mean(self.avg_stock * np.asarray(price, float)))
        return out


def simulate_order_up_to(Y, start, levels, test_start: int, lead_time) -> InventoryResult:
    """Simulate a periodic-review (R = 1) order-up-to policy with backorders over the
    test periods ``test_start .. n_periods-1`` for every series at once.

    ``levels`` (k, n) with ``k = n_periods - test_start``: ``levels[j]`` is the level set
    at the end of period ``test_start + j - 1`` (i.e. from the forecast at origin
    ``test_start + j``).  ``lead_time`` (n,) integer periods (fractional values are
    rounded up).  See the module docstring for timing and the steady-state warm start.
    """
    values, observed = observed_history(Y, start)
    n, T = values.shape
    t0 = int(test_start)
    k = T - t0
    levels = np.asarray(levels, dtype=float)
    if levels.shape != (k, n):
        raise ValueError(f"levels must have shape ({k}, {n}), got {levels.shape}")
    L = np.ceil(_as_series_array(lead_time, n, "lead_time")).astype(np.int64)
    if np.any(L < 0):
        raise ValueError("lead times must be >= 0")
    Lmax = int(L.max()) if n else 0
    rows = np.arange(n)
    arrivals = np.zeros((n, T + Lmax + 2))
    # warm start: pipeline = demand of periods t0-1-L .. t0-1, each arriving at j+L+1
    pipeline = np.zeros(n)
    for lag in range(Lmax + 1):
        j = t0 - 1 - lag
        if j < 0:
            continue
        q = np.where(lag <= L, values[:, j], 0.0)
        arrivals[rows, j + L + 1] += q
        pipeline += q
    S0 = levels[0]
    net = S0 - pipeline
    ip = S0.copy()
    filled = np.zeros(n)
    stock = np.zeros(n)
    bo_periods = np.zeros(n)
    for j in range(k):
        t = t0 + j
        net = net + arrivals[:, t]
        y = values[:, t]
        filled += np.minimum(y, np.maximum(net, 0.0))
        net = net - y
        ip = ip - y
        stock += np.maximum(net, 0.0)
        bo_periods += net < 0
        if j + 1 < k:
            q = np.maximum(levels[j + 1] - ip, 0.0)
            arrivals[rows, t + L + 1] += q
            ip = ip + q
    demanded = values[:, t0:].sum(axis=1)
    ybar = in_sample_scales(values[:, :t0], np.minimum(observed.argmax(axis=1), t0 - 1))["mean"]
    with np.errstate(invalid="ignore", divide="ignore"):
        fr = np.where(demanded > 0, filled / demanded, np.nan)
        avg = stock / k
        return InventoryResult(fill_rate=fr, units_demanded=demanded, units_filled=filled, avg_stock=avg,
                               avg_stock_scaled=avg / ybar, backorder_periods=bo_periods)
