"""Reliability-based demand forecasts for parts with little or no demand history.

1. **Engineering demand rate** (per series, vectorised, broadcasting):

       rate_per_period = failure_rate_per_hour × operating_hours_per_period
                         × quantity_per_assembly × units × replacement_fraction

   i.e. expected removals = fleet operating hours × QPA / MTBF, the demand-rate model of
   Sherbrooke, *Optimal Inventory Modeling of Systems* (2nd ed. 2004), §2.2
   ("demand rate = flying hours × QPA / MTBF"), and MIL-HDBK-338B §5.

2. **Blend with observed demand** as history accumulates: a conjugate gamma–Poisson
   update with the engineering rate as the prior mean (Aronis, Magou, Dekker & Tagaras
   2004, "Inventory control of spare parts using a Bayesian approach: a case study",
   EJOR 154:730–739; Gelman et al., *Bayesian Data Analysis*, 3rd ed. 2013, §2.6).
   Prior ``Gamma(a0, b0)`` on the demand rate per period with ``b0 = prior_periods``
   (the weight of the engineering estimate, in periods of observed demand) and
   ``a0 = rate × b0``.  After ``x`` units over an exposure of ``e`` periods:

       a = a0 + x,   b = b0 + e,   posterior mean = a / b
         = w × rate + (1 - w) × x / e,   w = b0 / (b0 + e),

   and the predictive demand over ``L`` periods is negative binomial with mean
   ``a·L/b`` and variance ``a·L/b·(1 + L/b)`` (Gelman et al. 2013, eq. 2.16 ff.).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .distributions import NegBinLeadTimeDemand, _as_series_array, observed_history

__all__ = ["reliability_demand_rate", "GammaPoissonDemand", "gamma_poisson_update", "blend_with_history"]


def reliability_demand_rate(failure_rate_per_hour, operating_hours_per_period, quantity_per_assembly,
                            units=1.0, *, replacement_fraction=1.0) -> np.ndarray:
    """Expected demand per period from reliability data (Sherbrooke 2004, §2.2): the
    product of the (broadcast) arrays; all arguments must be non-negative."""
    parts = [np.asarray(a, dtype=float) for a in (failure_rate_per_hour, operating_hours_per_period,
                                                  quantity_per_assembly, units, replacement_fraction)]
    names = ("failure_rate_per_hour", "operating_hours_per_period", "quantity_per_assembly", "units",
             "replacement_fraction")
    for a, name in zip(parts, names):
        if np.any(~np.isfinite(a)) or np.any(a < 0):
            raise ValueError(f"{name} must be finite and non-negative")
    out = parts[0]
    for a in parts[1:]:
        out = out * a
    return np.atleast_1d(out)


@dataclass(frozen=True)
class GammaPoissonDemand:
    """Posterior ``Gamma(shape, rate)`` on the demand rate per period of each series (n,).

    ``mean`` is the blended per-period forecast, ``prior_weight`` the weight ``w`` of the
    reliability estimate; ``lead_time(L)`` the NB predictive lead-time demand (usable by
    :func:`setu.engine.forecasting.distributions.order_up_to_level`)."""

    shape: np.ndarray
    rate: np.ndarray
    prior_weight: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.rate > 0, self.shape / self.rate, 0.0)

    @property
    def vmr(self) -> np.ndarray:
        """Variance-to-mean ratio of one period's predictive demand: ``1 + 1/b``."""
        with np.errstate(divide="ignore"):
            return np.where(self.rate > 0, 1.0 + 1.0 / self.rate, 1.0)

    def lead_time(self, lead_time) -> NegBinLeadTimeDemand:
        L = _as_series_array(lead_time, self.shape.shape[0], "lead_time")
        if np.any(L < 0):
            raise ValueError("lead times must be >= 0")
        m = self.mean * L
        with np.errstate(invalid="ignore", divide="ignore"):
            var = np.where(self.rate > 0, m * (1.0 + L / self.rate), m)
        return NegBinLeadTimeDemand(mean=m, variance=var, lead_time=L)


def gamma_poisson_update(prior_rate, prior_periods, demand_total, exposure_periods) -> GammaPoissonDemand:
    """Conjugate update (Aronis et al. 2004; Gelman et al. 2013, §2.6), all arrays (n,)
    or scalars: prior mean ``prior_rate`` per period with the weight of
    ``prior_periods`` periods, ``demand_total`` units observed over
    ``exposure_periods``."""
    r0 = np.atleast_1d(np.asarray(prior_rate, dtype=float))
    n = r0.shape[0]
    b0 = _as_series_array(prior_periods, n, "prior_periods")
    x = _as_series_array(demand_total, n, "demand_total")
    e = _as_series_array(exposure_periods, n, "exposure_periods")
    for a, name in ((r0, "prior_rate"), (b0, "prior_periods"), (x, "demand_total"), (e, "exposure_periods")):
        if np.any(~np.isfinite(a)) or np.any(a < 0):
            raise ValueError(f"{name} must be finite and non-negative")
    a = r0 * b0 + x
    b = b0 + e
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(b > 0, b0 / b, 1.0)
    return GammaPoissonDemand(shape=a, rate=b, prior_weight=w)


def blend_with_history(prior_rate, Y, start=None, *, prior_periods=12.0, exposure=None) -> GammaPoissonDemand:
    """Blend reliability rates (n,) with the demand history ``Y`` (n, T) (periods before
    ``start`` ignored).  ``exposure`` (n, T), optional: the operating level of each
    period relative to the plan behind ``prior_rate`` (e.g. hours flown / planned hours),
    default 1 for every observed period.  See the module docstring."""
    values, observed = observed_history(Y, start)
    ex = observed.astype(float) if exposure is None else np.where(observed, np.asarray(exposure, float), 0.0)
    if np.any(ex < 0):
        raise ValueError("exposure must be non-negative")
    r0 = _as_series_array(prior_rate, values.shape[0], "prior_rate")
    return gamma_poisson_update(r0, prior_periods, values.sum(axis=1), ex.sum(axis=1))
