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


# ---- prior-data conflict and the power prior --------------------------------------------------

#: Tail probability below which the prior is discounted (Evans & Moshonov 2006 use the same
#: reading of the prior-predictive tail probability as a conflict measure).
CONFLICT_LEVEL = 0.05


def prior_predictive_tail(prior_rate, prior_periods, demand_total, exposure_periods) -> np.ndarray:
    """Two-sided prior-predictive tail probability of the observed demand total (Box 1980,
    "Sampling and Bayes' inference in scientific modelling and robustness", JRSS A 143:383-430;
    Evans & Moshonov 2006, "Checking for prior-data conflict", Bayesian Analysis 1:893-914).

    Under the prior ``Gamma(a0 = rate x b0, b0)`` (``a0`` the prior's equivalent demand count over
    ``b0`` equivalent periods) the total ``X`` over ``e`` periods is negative binomial with
    ``n = a0`` and ``p = b0 / (b0 + e)`` (gamma-Poisson mixture; Gelman et al. 2013, §2.6), and the
    check is ``p = min(1, 2 min(Pr{X <= x}, Pr{X >= x}))``: small when the observed total sits far
    in either tail of what the reliability rate predicts. NaN where no rate is given (or ``b0`` or
    ``e`` is 0: nothing to test)."""
    from scipy import stats

    r0 = np.atleast_1d(np.asarray(prior_rate, dtype=float))
    n = r0.shape[0]
    b0 = _as_series_array(prior_periods, n, "prior_periods")
    x = np.round(_as_series_array(demand_total, n, "demand_total"))
    e = _as_series_array(exposure_periods, n, "exposure_periods")
    ok = np.isfinite(r0) & (b0 > 0) & (e > 0)
    out = np.full(n, np.nan)
    if not ok.any():
        return out
    a0 = np.maximum(r0[ok] * b0[ok], 1e-12)
    p = b0[ok] / (b0[ok] + e[ok])
    lower = stats.nbinom.cdf(x[ok], a0, p)
    upper = stats.nbinom.sf(x[ok] - 1, a0, p)
    out[ok] = np.minimum(1.0, 2.0 * np.minimum(lower, upper))
    return out


def conflict_discount(tail: np.ndarray, level: float = CONFLICT_LEVEL) -> np.ndarray:
    """Power-prior exponent ``delta`` in [0, 1] from the tail probability (the power prior of
    Ibrahim & Chen 2000, "Power prior distributions for regression models", Statistical Science
    15:46-60, with its exponent set from the prior-data conflict p-value as in Gravestock & Held
    2017, "Adaptive power priors with empirical Bayes for clinical trials", Pharmaceutical
    Statistics 16:349-360): 1 when the data are not surprising at ``level``, falling linearly to
    0 as the tail probability goes to 0 (``delta = min(1, p / level)``). NaN tail (no rate): 0."""
    t = np.asarray(tail, dtype=float)
    return np.where(np.isfinite(t), np.clip(t / level, 0.0, 1.0), 0.0)


@dataclass(frozen=True)
class PriorBlend:
    """A reliability prior combined with a method's forecast, per series (n,)."""

    mean: np.ndarray          # blended mean per period
    vmr: np.ndarray           # variance-to-mean ratio of one period's demand around ``mean``
    weight: np.ndarray        # weight w of the prior in the mean (0 where none)
    tail: np.ndarray          # prior-predictive tail probability (NaN: no prior)
    discount: np.ndarray      # power-prior exponent delta
    conflict: np.ndarray      # bool: tail < level


def blend_power_prior(forecast, forecast_var, prior_rate, prior_periods: float, demand_total,
                      exposure_periods, *, level: float = CONFLICT_LEVEL) -> PriorBlend:
    """The reliability prior weighted by its equivalent counts and discounted by the prior-data
    conflict (:func:`prior_predictive_tail`, :func:`conflict_discount`).

    Prior ``Gamma(delta a0, delta b0)`` (the power prior ``pi(lambda)^delta``), so the posterior
    mean is ``(delta a0 + x) / (delta b0 + e) = w rate + (1 - w) x / e`` with
    ``w = delta b0 / (delta b0 + e)``; as in the conjugate update, the method's forecast stands in
    for the sample mean ``x / e`` (Aronis et al. 2004). Seven years of data that contradict a
    catalogue MTBF give ``delta ~ 0`` and leave the forecast as it is; data that agree with it give
    the prior its full ``b0`` months.

    Variance around the blended mean: the same weights on the two predictive variances,
    ``var = w rate (1 + 1/b) + (1 - w) var_method`` with ``b = delta b0 + e`` (the posterior
    predictive NB variance of one period for the prior's share, the method's own variance for the
    rest), so ``vmr = var / mean`` refers to the mean that is stored (>= 1)."""
    f = np.asarray(forecast, dtype=float)
    fv = np.asarray(forecast_var, dtype=float)
    r0 = np.asarray(prior_rate, dtype=float)
    e = np.asarray(exposure_periods, dtype=float)
    has = np.isfinite(r0)
    if prior_periods > 0 and has.any():
        tail = prior_predictive_tail(r0, prior_periods, demand_total, e)
        delta = np.where(has, conflict_discount(tail, level), 0.0)
    else:
        tail = np.full(f.shape, np.nan)
        delta = np.zeros(f.shape)
    bd = delta * prior_periods
    b = bd + e
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(has & (b > 0), bd / np.where(b > 0, b, 1.0), 0.0)
        rate = np.nan_to_num(r0)
        mean = w * rate + (1.0 - w) * f
        var = w * rate * (1.0 + 1.0 / np.where(b > 0, b, 1.0)) + (1.0 - w) * fv
        vmr = np.where(mean > 0, var / np.where(mean > 0, mean, 1.0), 1.0)
    vmr = np.where(np.isfinite(vmr), np.maximum(vmr, 1.0), 1.0)
    return PriorBlend(mean, vmr, w, tail, delta, np.isfinite(tail) & (tail < level))
