"""Forecast runs as whole arrays: the panel, the blend with a reliability prior, block forecasts,
accuracy figures (pure numpy; a run's blocks may be computed anywhere, e.g. on Dask).

The forecasting capability (`setu.forecasting.service`) reads the records and stores the
results; everything between is here:

- `assemble_panel`: the monthly history panel of a run from its records;
- `forecast_block`: one block of history series: the method's mean (or the automatic choice per
  series, `setu.engine.forecasting.pipeline.forecast_batch`), the variance-to-mean ratio of the
  negative binomial around it, the blend with a reliability rate (`blend_prior`: a power prior
  weighted by its equivalent counts and discounted by a prior-data conflict test; Box 1980,
  Evans & Moshonov 2006, Ibrahim & Chen 2000; the variance follows the blended mean), the lead-time demand with the forecast's own error
  (`lead_time_distribution`; Prak, Teunter & Syntetos 2017) and its quantiles at `LEVELS`, the
  Syntetos-Boylan-Croston class (Syntetos, Boylan & Croston 2005) and the holdout accuracy
  (RMSSE, scaled bias, MASE at one origin; Hyndman & Koehler 2006, Makridakis et al. 2022);
- `reliability_only`: series with an engineering rate and no history (the prior alone);
- `accuracy_figures`: mean and median accuracy overall, by class and by method.

Every number of a series depends on that series only, so blocks give identical results in any
grouping.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Quantile levels stored per series (lead-time demand).
LEVELS = (0.5, 0.9, 0.99)


@dataclass
class ForecastOutput:
    """Per series of a run (history series first, then reliability-only ones), all (n,)."""

    method: np.ndarray
    demand_class: np.ndarray
    mean: np.ndarray
    vmr: np.ndarray
    lead_time_months: np.ndarray
    lead_time_mean: np.ndarray
    lead_time_var: np.ndarray
    quantiles: np.ndarray              # (n, 3) at LEVELS
    rmsse: np.ndarray
    scaled_bias: np.ndarray
    mase: np.ndarray
    #: bool (n,): the reliability prior conflicted with the history (and was discounted)
    prior_conflict: np.ndarray | None = None

    @property
    def n_series(self) -> int:
        return int(self.mean.shape[0])


def reliability_only(rate: np.ndarray, lead_time_months: np.ndarray, prior_months: float) -> dict[str, np.ndarray]:
    """Series with a reliability rate and no demand history: the gamma-Poisson prior alone
    (Aronis et al. 2004; :func:`setu.engine.forecasting.reliability.gamma_poisson_update` with no
    data) with ``prior_months`` months of weight: VMR ``1 + 1/prior_months``, lead-time demand
    negative binomial. ``prior_months = 0`` gives the prior no spread to carry: the rate is taken
    as known (Poisson, VMR 1), as with blending turned off everywhere else."""
    from setu.engine.forecasting.reliability import gamma_poisson_update

    m = len(rate)
    if prior_months > 0:
        post = gamma_poisson_update(rate, prior_months, np.zeros(m), np.zeros(m))
        mean, vmr = post.mean, post.vmr
        ltd = post.lead_time(lead_time_months)
        ltd_mean, ltd_var, q = ltd.mean, ltd.variance, ltd.quantile(np.array(LEVELS)).reshape(m, len(LEVELS))
    else:
        from setu.engine.forecasting.distributions import NegBinDemand

        mean = np.asarray(rate, dtype=float)
        vmr = np.ones(m)
        ltd = NegBinDemand(mean=mean, vmr=vmr).lead_time(lead_time_months)
        ltd_mean, ltd_var = ltd.mean, ltd.variance
        q = ltd.quantile(np.array(LEVELS)).reshape(m, len(LEVELS))
    nan = np.full(m, np.nan)
    return {"method": np.full(m, "reliability", dtype=object), "demand_class": np.full(m, "no demand", dtype=object),
            "mean": mean, "vmr": vmr, "lead_time_months": lead_time_months,
            "lead_time_mean": ltd_mean, "lead_time_var": ltd_var, "quantiles": q,
            "rmsse": nan, "scaled_bias": nan.copy(), "mase": nan.copy(),
            "prior_conflict": np.zeros(m, dtype=bool), "prior_weight": np.ones(m)}


def assemble_panel(series: np.ndarray, month: np.ndarray, quantity: np.ndarray, n: int
                   ) -> tuple[np.ndarray, np.ndarray, int | None]:
    """The history panel of ``n`` series from records ``(series index, month index, quantity)``
    (several records of a cell add up): ``Y`` (n, T) monthly demand from the first to the last
    month in the records (zeros where none), ``start`` (n,) each series' first month (column),
    and the month index of column 0 (None without records)."""
    if not n:
        return np.zeros((0, 1)), np.zeros(0, dtype=np.int64), None
    sid_a, mon_a = np.asarray(series, dtype=np.int64), np.asarray(month, dtype=np.int64)
    m0, m1 = int(mon_a.min()), int(mon_a.max())
    Y = np.zeros((n, m1 - m0 + 1))
    np.add.at(Y, (sid_a, mon_a - m0), np.asarray(quantity, dtype=float))
    start = np.full(n, m1 - m0, dtype=np.int64)
    np.minimum.at(start, sid_a, mon_a - m0)
    return Y, start, m0


def blend_prior(forecast: np.ndarray, forecast_var: np.ndarray, prior_rate: np.ndarray, Y: np.ndarray,
                start: np.ndarray, end: int, prior_months: float):
    """The reliability prior combined with the forecast of the history ``Y[:, start:end]``: the
    power prior weighted by its equivalent counts and discounted by the prior-data conflict test
    (:func:`setu.engine.forecasting.reliability.blend_power_prior`; Box 1980, Evans & Moshonov
    2006, Ibrahim & Chen 2000). Returns the :class:`~setu.engine.forecasting.reliability.PriorBlend`."""
    from setu.engine.forecasting.reliability import blend_power_prior

    cols = np.arange(end)
    inside = (cols[None, :] >= start[:, None])
    total = (Y[:, :end] * inside).sum(axis=1)
    exposure = np.maximum(end - start, 0).astype(float)
    return blend_power_prior(forecast, forecast_var, prior_rate, prior_months, total, exposure)


def lead_time_distribution(mean: np.ndarray, vmr: np.ndarray, lead: np.ndarray, alpha: float | None):
    """Lead-time demand: the NB around the forecast with the lead-time forecast's own error
    (the engine's ``with_forecast_error``, as ``forecast_batch`` reports it)."""
    from setu.engine.forecasting.distributions import FORECAST_ERROR_ALPHA, NegBinDemand

    err_alpha = FORECAST_ERROR_ALPHA if alpha is None else alpha
    ltd = NegBinDemand(mean=mean, vmr=vmr).with_forecast_error(lead, alpha=err_alpha, review_period=0.0).lead_time(lead)
    return ltd.mean, ltd.variance, ltd.quantile(np.array(LEVELS))


def forecast_block(block: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], *, method: str,
                   alpha: float | None, holdout_months: int, prior_months: float) -> dict[str, np.ndarray]:
    """Forecast one block ``(Y, start, lead_time_months, prior_rate)`` of history series.

    Pure: the numbers of a series depend on that series only (the blocks of a run can be computed
    anywhere, in any grouping, with identical results)."""
    from setu.engine.forecasting.classify import classify
    from setu.engine.forecasting.evaluation import rolling_origin_metrics
    from setu.engine.forecasting.pipeline import forecast_batch

    Y, start, lead, prior = block
    n, T = Y.shape
    fc = forecast_batch(Y, start, model=method, alpha=alpha, variance=True, lead_time=lead)
    mean = np.asarray(fc.mean, dtype=float)
    fvar = np.asarray(fc.var, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        vmr = np.where(mean > 0, fvar / mean, 1.0)
    vmr = np.where(np.isfinite(vmr), np.maximum(vmr, 1.0), 1.0)
    names = np.asarray(fc.method, dtype=object).copy()
    conflict = np.zeros(n, dtype=bool)
    prior_weight = np.zeros(n)
    if prior_months > 0:
        bl = blend_prior(mean, np.where(np.isfinite(fvar), fvar, mean), prior, Y, start, T, prior_months)
        mean, vmr, conflict, prior_weight = bl.mean, bl.vmr, bl.conflict, bl.weight
        names = np.where(bl.weight >= 1e-3, names.astype(str).astype(object) + "|rel", names)
    ltd_mean, ltd_var, q = lead_time_distribution(mean, vmr, lead, alpha)
    cls = classify(Y, start).names()
    nan = np.full(n, np.nan)
    rmsse, bias, mase = nan, nan.copy(), nan.copy()
    o = T - holdout_months
    if holdout_months > 0 and o >= 2:
        st = np.minimum(start, o - 1)
        live = start < o
        if live.any():
            tr = forecast_batch(Y[:, :o], st, model=method, alpha=alpha, lead_time=lead if method == "auto" else None)
            f = np.asarray(tr.mean, dtype=float)
            if prior_months > 0:  # score what is stored: the blend, as it was at the origin
                f = blend_prior(f, f, prior, Y, st, o, prior_months).mean
            f = np.where(live, f, np.nan)
            m = rolling_origin_metrics(Y, start, f[None, :], [o], holdout_months)
            rmsse, bias, mase = m["rmsse"], m["sme"], m["mase"]
    return {"method": names, "demand_class": cls, "mean": mean, "vmr": vmr, "lead_time_months": lead,
            "lead_time_mean": ltd_mean, "lead_time_var": ltd_var, "quantiles": q,
            "rmsse": rmsse, "scaled_bias": bias, "mase": mase,
            "prior_conflict": conflict, "prior_weight": prior_weight}



def method_group(name: str) -> str:
    """The method a result is grouped under: its (best-ranked) method, without ``|rel``."""
    return name.split("|")[0].split("+")[0]


def accuracy_figures(rows: Sequence[tuple[str, str, float | None, float | None, float | None]]) -> dict[str, Any]:
    """Accuracy figures over rows ``(method, demand_class, rmsse, scaled_bias, mase)``."""

    def stats(sel: Sequence[tuple]) -> dict[str, Any]:
        out: dict[str, Any] = {"series": len(sel)}
        for j, name in ((2, "rmsse"), (3, "scaled_bias"), (4, "mase")):
            v = np.array([r[j] for r in sel if r[j] is not None and math.isfinite(r[j])], dtype=float)
            out[f"{name}_n"] = int(v.size)
            out[f"{name}_mean"] = float(v.mean()) if v.size else None
            out[f"{name}_median"] = float(np.median(v)) if v.size else None
        return out

    scored = [r for r in rows if r[2] is not None and math.isfinite(r[2])]
    by_class: dict[str, list] = {}
    by_method: dict[str, list] = {}
    for r in rows:
        by_class.setdefault(r[1], []).append(r)
        by_method.setdefault(method_group(r[0]), []).append(r)
    return {"overall": stats(rows), "scored": len(scored),
            "by_class": {k: stats(v) for k, v in sorted(by_class.items())},
            "by_method": {k: stats(v) for k, v in sorted(by_method.items())}}
