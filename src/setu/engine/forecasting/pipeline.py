"""One call from a batch of histories to point forecasts and, optionally, their distribution.

:func:`forecast_batch` is what adapters (the ``setu forecast file`` CLI, services) call on a block
of series; it is pure and works on whole arrays, so blocks can be computed anywhere (e.g. on Dask
workers through ``setu.kit.compute.run_blocks``) and give the same numbers as one serial call.

The distribution of demand per period (variance, quantiles) and over a lead time comes from
``setu.engine.forecasting.distributions`` (negative binomial around the point forecast, with its
dispersion from the method's in-sample one-step errors when the method has fitted values);
``model="auto"`` picks a method per series with ``setu.engine.forecasting.selection`` (its
evaluation window is the lead time when one is given). Its default pooling chooses per demand
class over the whole batch, so for ``auto`` the batch must not be split into blocks.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from setu.engine.forecasting import methods as M

__all__ = ["MODELS", "BatchForecast", "ComponentMissing", "forecast_batch"]

#: model names accepted by :func:`forecast_batch` -> method in :data:`methods.METHODS`
MODELS = ("ses", "ses_opt", "croston", "sba", "tsb", "croston_opt", "adida", "imapa", "auto")
_ALPHA_METHODS = ("ses", "croston", "sba")


class ComponentMissing(RuntimeError):
    """A part of the engine needed for this request is not available in this installation."""


@dataclass(frozen=True)
class BatchForecast:
    """Flat forecasts of a block of series (every future period has the same distribution).

    ``method``: (n,) method used per series; ``mean``/``var``: (n,) per-period mean and variance;
    ``quantiles``: (n, k) per-period quantiles at ``levels``; ``ltd_*``: the same for the demand
    summed over each series' lead time (None when no lead time was asked).
    """

    method: np.ndarray
    mean: np.ndarray
    var: np.ndarray | None = None
    quantiles: np.ndarray | None = None
    levels: tuple[float, ...] = ()
    lead_time: np.ndarray | None = None
    ltd_mean: np.ndarray | None = None
    ltd_var: np.ndarray | None = None
    ltd_quantiles: np.ndarray | None = None


def _method_params(model: str, alpha: float | None) -> dict[str, Any]:
    if alpha is None:
        return {}
    if model in _ALPHA_METHODS:
        return {"alpha": float(alpha)}
    if model == "tsb":
        return {"alpha_d": float(alpha), "alpha_p": float(alpha)}
    raise ValueError(f"model {model!r} chooses its smoothing constant itself; alpha is not accepted")


def _point(Y: np.ndarray, start: np.ndarray, model: str, alpha: float | None,
           want_errors: bool, lead_time: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    if model == "auto":
        try:
            from setu.engine.forecasting import selection
            auto_select = selection.auto_select
        except (ImportError, AttributeError) as exc:
            raise ComponentMissing(
                "model 'auto' needs setu.engine.forecasting.selection.auto_select, which is not "
                "available in this installation") from exc
        horizon = 1 if lead_time is None else np.maximum(np.asarray(lead_time, dtype=np.float64), 1.0)
        sel = auto_select(Y, start, horizon)
        mean = np.asarray(getattr(sel, "mean"), dtype=np.float64)
        names = getattr(sel, "method", None)
        if names is None:
            names = getattr(sel, "methods")
        return np.asarray(names, dtype=object), mean, None
    if model not in M.METHODS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    params = _method_params(model, alpha)
    if model == "tsb" and not params:
        params = {"alpha_d": 0.1, "alpha_p": 0.1}
    has_fitted = model in ("ses", "ses_opt", "croston", "sba", "tsb")
    if want_errors and has_fitted:
        params["fitted"] = True
    out = M.METHODS[model](Y, start, **params)
    errors = None
    if out.fitted is not None:
        errors = np.where(np.isnan(out.fitted), np.nan, Y - np.nan_to_num(out.fitted))
    return np.full(Y.shape[0], model, dtype=object), out.mean, errors


def forecast_batch(Y: Any, start: Any = None, *, model: str = "sba", alpha: float | None = None,
                   quantiles: Sequence[float] = (), variance: bool = False,
                   lead_time: Any = None) -> BatchForecast:
    """Point forecasts of every series with ``model`` and, on request, their distribution.

    ``quantiles``: per-period quantile levels in (0, 1); ``variance``: add the per-period
    variance; ``lead_time``: scalar or (n,) lead time in periods, adds the lead-time demand
    mean, variance and quantiles (the variance includes the error of the lead-time forecast,
    :meth:`~setu.engine.forecasting.distributions.NegBinDemand.with_forecast_error`). Needs ``distributions`` for anything beyond the mean.
    """
    Y = np.asarray(Y, dtype=np.float64)
    n = Y.shape[0]
    start = np.zeros(n, dtype=np.int64) if start is None else np.asarray(start, dtype=np.int64)
    levels = tuple(float(q) for q in quantiles)
    for q in levels:
        if not 0.0 < q < 1.0:
            raise ValueError(f"quantile levels must lie in (0, 1), got {q}")
    want_dist = bool(levels) or variance or lead_time is not None
    names, mean, errors = _point(Y, start, model, alpha, want_dist, lead_time)
    if not want_dist:
        return BatchForecast(names, mean)
    try:
        from setu.engine.forecasting.distributions import FORECAST_ERROR_ALPHA, fit_negative_binomial
    except ImportError as exc:
        raise ComponentMissing(
            "variance, quantiles and lead-time demand need setu.engine.forecasting.distributions, "
            "which is not available in this installation") from exc
    dist = fit_negative_binomial(Y, start, mean, errors=errors)
    per_period = dist.lead_time(1.0)
    var = np.asarray(per_period.variance, dtype=np.float64)
    qs = per_period.quantile(np.array(levels)) if levels else None
    lt = ltd_mean = ltd_var = ltd_q = None
    if lead_time is not None:
        lt = np.broadcast_to(np.asarray(lead_time, dtype=np.float64), (n,)).copy()
        # the lead-time forecast's own error adds to the demand's variance (Prak, Teunter &
        # Syntetos 2017): tau = L, with the method's smoothing constant where it has one
        err_alpha = FORECAST_ERROR_ALPHA if alpha is None else float(alpha)
        ltd = dist.with_forecast_error(lt, alpha=err_alpha, review_period=0.0).lead_time(lt)
        ltd_mean = np.asarray(ltd.mean, dtype=np.float64)
        ltd_var = np.asarray(ltd.variance, dtype=np.float64)
        ltd_q = ltd.quantile(np.array(levels)) if levels else None
    return BatchForecast(names, mean, var, qs, levels, lt, ltd_mean, ltd_var, ltd_q)


def forecast_block(block: tuple[np.ndarray, np.ndarray, Any], **kwargs: Any) -> BatchForecast:
    """:func:`forecast_batch` on a ``(Y, start, lead_time)`` block (for ``run_blocks``)."""
    Y, start, lead_time = block
    return forecast_batch(Y, start, lead_time=lead_time, **kwargs)
