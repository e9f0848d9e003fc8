"""Forecasts as distributions: lead-time demand for many series at once.

Two families, both vectorised over series (axis 0) and sharing one interface
(``mean``, ``variance``, ``quantile(q)``, ``cdf(x)``, ``expected_excess(s)``):

* **Negative binomial by moments** (:class:`NegBinDemand`, :class:`NegBinLeadTimeDemand`).
  Per period the demand has mean ``mu`` and variance ``vmr * mu``; over a lead time of
  ``L`` periods (``L`` per series, fractional allowed) the demand is NB(r·L, p) with
  ``p = 1/vmr`` and ``r = mu/(vmr - 1)``, i.e. mean ``L·mu`` and variance ``vmr·L·mu``
  (the NB family is closed under convolution at fixed ``p``; Johnson, Kemp & Kotz,
  *Univariate Discrete Distributions*, 3rd ed. 2005, eq. 5.1 and §5.5).  When
  ``vmr <= 1`` the Poisson is used (the NB limit as ``r -> inf``).  This is the
  textbook compound-demand fit for slow movers (Silver, Pyke & Peterson 1998, §8.4;
  Syntetos, Babai & Gardner 2015, J. Bus. Res. 68:1746).

* **Bootstrap of sizes and intervals** (:class:`BootstrapDemand`): Willemain, Smart &
  Schwarz (2004), "A new approach to forecasting intermittent demand for service parts
  inventories", IJF 20:375–387.  Occurrence follows a two-state Markov chain estimated
  from the history (their step 1), sizes are resampled from the observed non-zero
  demands (step 3) and jittered, ``1 + int(x + z·sqrt(x))`` with ``z ~ N(0, 1)``, kept
  as ``x`` when that is not positive (step 4); the lead-time demand is the sum over the
  lead time (step 5).  Deterministic for a given ``seed``.

Missing values: periods before ``start`` (the first observed period of each series) are
ignored; NaN inside the observed span counts as zero demand.

Order-up-to levels for a periodic-review (R, S) policy with backorders are set either by
the cycle-service quantile of demand over ``L + R`` periods, or for a unit fill-rate
target by the standard expected-shortage-per-review-cycle formula (Silver, Pyke &
Peterson 1998, eq. 7.21; Hadley & Whitin 1963):

    fill(S) = 1 - ( E[(D_{L+R} - S)^+] - E[(D_L - S)^+] ) / E[D_R].

The fill rate of eq. 7.21 is a long-run ratio of expectations.  A fill rate measured item
by item over a finite window and averaged over the items with demand in it is, in
expectation, higher (Chen, Lin & Thomas 2003, ORL 31:119; Thomas 2005, M&SOM 7:74): for
intermittent demand much higher, since an item with a couple of demands in the window
scores 1 whenever neither is short.  ``order_up_to_level(..., horizon=T)`` targets that
finite-window fill instead (:class:`FiniteHorizonFill`, Monte Carlo); the default
(``horizon=None``) is the long-run policy.

The loss function of the NB uses the identity ``E[X·1{X >= s}] = mu·P(Y >= s-1)`` with
``Y ~ NB(r+1, p)`` (``Y ~ Poisson(mu)`` in the Poisson case), which follows from
``k·f_r(k) = mu·f_{r+1}(k-1)`` (Johnson, Kemp & Kotz 2005, eq. 5.12).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

__all__ = [
    "NegBinDemand",
    "NegBinLeadTimeDemand",
    "BootstrapDemand",
    "EmpiricalLeadTimeDemand",
    "observed_history",
    "variance_to_mean_ratio",
    "fit_negative_binomial",
    "fit_bootstrap",
    "order_up_to_level",
    "order_up_to_levels",
    "fill_rate",
    "FiniteHorizonFill",
    "finite_horizon_fill_rate",
    "FORECAST_ERROR_ALPHA",
    "forecast_error_factor",
]

_POISSON_TOL = 1e-9
#: smoothing constant of the forecast-error term when the method does not give one
#: (:meth:`NegBinDemand.with_forecast_error`); Setu's default for the fixed-alpha methods
FORECAST_ERROR_ALPHA = 0.1


# --------------------------------------------------------------------------- helpers


def _as_series_array(x, n: int, name: str, dtype=float) -> np.ndarray:
    a = np.asarray(x, dtype=dtype)
    if a.ndim == 0:
        a = np.full(n, a, dtype=dtype)
    if a.shape != (n,):
        raise ValueError(f"{name} must be a scalar or have shape ({n},), got {a.shape}")
    return a


def observed_history(Y, start=None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(values, observed)`` for a panel ``Y`` (n_series, n_periods).

    ``observed[i, t]`` is True from ``start[i]`` on; ``values`` is ``Y`` with periods
    before ``start`` and NaN set to 0 and negative demand clipped to 0.
    """
    Y = np.asarray(Y, dtype=float)
    if Y.ndim != 2:
        raise ValueError(f"Y must be 2-D (n_series, n_periods), got shape {Y.shape}")
    n, T = Y.shape
    if start is None:
        start = np.zeros(n, dtype=np.int64)
    start = _as_series_array(start, n, "start", dtype=np.int64)
    observed = np.arange(T)[None, :] >= start[:, None]
    values = np.where(observed, np.nan_to_num(Y, nan=0.0), 0.0)
    return np.clip(values, 0.0, None), observed


def variance_to_mean_ratio(Y, start=None, *, errors=None, mean=None) -> np.ndarray:
    """Per-series variance-to-mean ratio (VMR) of per-period demand, shape (n_series,).

    By default the sample variance (ddof = 1) of the observed demand divided by its mean
    (the index of dispersion, Cox & Lewis 1966, §4.4).  When one-step forecast
    ``errors`` (n_series, k; NaN ignored) are given, the variance is their mean square
    (the MSE approach of Syntetos, Babai & Gardner 2015) and the mean is ``mean``
    (default: the demand mean).  Series with no demand, or fewer than two observations,
    get VMR 1 (Poisson).  Values are not floored: callers treat VMR <= 1 as Poisson.
    """
    values, observed = observed_history(Y, start)
    n_obs = observed.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = values.sum(axis=1) / n_obs
        if errors is not None:
            e = np.asarray(errors, dtype=float)
            var = np.nanmean(e * e, axis=1)
            if mean is not None:
                m = np.asarray(mean, dtype=float)
        else:
            dev = np.where(observed, values - m[:, None], 0.0)
            var = (dev * dev).sum(axis=1) / (n_obs - 1)
        vmr = var / m
    bad = ~np.isfinite(vmr) | (m <= 0) | (n_obs < 2)
    return np.where(bad, 1.0, vmr)


def forecast_error_factor(tau, alpha: float = 0.1):
    """``1 + tau * alpha / (2 - alpha)``: the variance of the error of forecasting the demand of
    ``tau`` periods as ``tau`` x an exponentially smoothed mean (smoothing constant ``alpha``),
    relative to the demand's own variance over those periods (Prak, Teunter & Syntetos 2017,
    EJOR 256(2):454-461; i.i.d. demand).  See :meth:`NegBinDemand.with_forecast_error`."""
    if not 0.0 < alpha <= 1.0:
        raise ValueError("alpha must lie in (0, 1]")
    return 1.0 + np.asarray(tau, dtype=float) * (alpha / (2.0 - alpha))


# ----------------------------------------------------------------- negative binomial


def _nb_sf(k, r, p):
    """P(X > k) for X ~ NB(r, p) at integer k: ``I_{1-p}(k + 1, r)`` (regularised incomplete
    beta; Johnson, Kemp & Kotz 2005, eq. 5.31), accurate in the upper tail."""
    k = np.asarray(k, float)
    return np.where(k < 0, 1.0, special.betainc(np.maximum(k, 0.0) + 1.0, r, 1.0 - p))


def _poisson_sf(k, mu):
    """P(X > k) for X ~ Poisson(mu) at integer k: the regularised lower gamma P(k + 1, mu)."""
    k = np.asarray(k, float)
    return np.where(k < 0, 1.0, special.gammainc(np.maximum(k, 0.0) + 1.0, mu))


def _nb_ppf(q, r, p):
    """Smallest integer x with NB(r, p) cdf(x) >= q (equals ``scipy.stats.nbinom.ppf``).

    Starts from the continuous inverse of the cdf in its count argument
    (``special.nbdtrik``; cdf(k) = I_p(r, k + 1)) and corrects by one step either way,
    which is several times faster than scipy's generic discrete search for large means."""
    q, r, p = np.broadcast_arrays(np.asarray(q, float), np.asarray(r, float), np.asarray(p, float))
    k = np.zeros(q.shape)
    need = p**r < q  # cdf(0) = p^r: where it already reaches q the quantile is 0
    with np.errstate(invalid="ignore"):
        k[need] = special.nbdtrik(q[need], r[need], p[need])
    x = np.maximum(np.ceil(np.where(np.isfinite(k), k, 0.0) - 1e-7), 0.0)
    bad = ~np.isfinite(k)
    if bad.any():
        x[bad] = stats.nbinom.ppf(q[bad], r[bad], p[bad])
    for _ in range(3):
        up = stats.nbinom.cdf(x, r, p) < q
        if not up.any():
            break
        x = np.where(up, x + 1, x)
    for _ in range(3):
        down = (x > 0) & (stats.nbinom.cdf(x - 1, r, p) >= q)
        if not down.any():
            break
        x = np.where(down, x - 1, x)
    return np.where(q >= 1.0, np.inf, x)


@dataclass(frozen=True)
class NegBinLeadTimeDemand:
    """Lead-time demand ~ NB with the given mean and variance per series (Poisson when
    ``variance <= mean``).  Parametrisation of scipy's ``nbinom(n=r, p)``:
    ``p = mean/variance``, ``r = mean²/(variance - mean)`` (Johnson, Kemp & Kotz 2005,
    eq. 5.9)."""

    mean: np.ndarray
    variance: np.ndarray
    lead_time: np.ndarray

    @property
    def vmr(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.mean > 0, self.variance / self.mean, 1.0)

    def take(self, idx) -> NegBinLeadTimeDemand:
        """The distribution of the series ``idx`` only."""
        return NegBinLeadTimeDemand(self.mean[idx], self.variance[idx], self.lead_time[idx])

    def _parts(self):
        mu = np.maximum(self.mean, 0.0)
        pos = mu > 0
        nb = pos & (self.variance > mu * (1.0 + _POISSON_TOL))
        pois = pos & ~nb
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(nb, mu / np.where(nb, self.variance, 1.0), 0.5)
            r = np.where(nb, mu * p / np.where(nb, 1.0 - p, 1.0), 1.0)
        return mu, nb, pois, r, p

    def _apply(self, x, nb_fn, pois_fn, zero_value):
        """Evaluate at ``x`` of shape (n,) or (n, k); returns the same shape."""
        mu, nb, pois, r, p = self._parts()
        x = np.asarray(x, dtype=float)
        extra = (None,) * (x.ndim - 1)
        out = np.empty(np.broadcast_shapes(x.shape, mu.shape + (1,) * (x.ndim - 1)))
        out[...] = zero_value(x) if callable(zero_value) else zero_value
        if nb.any():
            idx = np.nonzero(nb)[0]
            out[idx] = nb_fn(x[idx] if x.shape[0] == mu.shape[0] else x, r[idx][(...,) + extra],
                             p[idx][(...,) + extra], mu[idx][(...,) + extra])
        if pois.any():
            idx = np.nonzero(pois)[0]
            out[idx] = pois_fn(x[idx] if x.shape[0] == mu.shape[0] else x, mu[idx][(...,) + extra])
        return out

    def quantile(self, q) -> np.ndarray:
        """Smallest integer x with P(X <= x) >= q.  Scalar ``q`` -> (n,); a 1-D array of
        k levels -> (n, k)."""
        q_arr = np.asarray(q, dtype=float)
        n = self.mean.shape[0]
        qq = np.broadcast_to(q_arr, (n,) + q_arr.shape) if q_arr.ndim <= 1 else q_arr
        if np.any((qq < 0) | (qq > 1)):
            raise ValueError("quantile levels must lie in [0, 1]")
        out = self._apply(
            qq,
            lambda x, r, p, mu: _nb_ppf(x, r, p),
            lambda x, mu: stats.poisson.ppf(x, mu),
            0.0,
        )
        return np.maximum(out, 0.0)

    def cdf(self, x) -> np.ndarray:
        """P(X <= x), ``x`` of shape (n,) or (n, k)."""
        return self._apply(
            np.asarray(x, dtype=float),
            lambda x, r, p, mu: stats.nbinom.cdf(x, r, p),
            lambda x, mu: stats.poisson.cdf(x, mu),
            lambda x: (x >= 0).astype(float),
        )

    def expected_excess(self, s) -> np.ndarray:
        """Loss function E[(X - s)^+] for integer levels ``s`` ((n,) or (n, k))."""
        s = np.asarray(s, dtype=float)
        return self._apply(
            s,
            lambda x, r, p, mu: mu * _nb_sf(x - 2, r + 1.0, p) - x * _nb_sf(x - 1, r, p),
            lambda x, mu: mu * _poisson_sf(x - 2, mu) - x * _poisson_sf(x - 1, mu),
            lambda x: np.maximum(-x, 0.0),
        )


@dataclass(frozen=True)
class NegBinDemand:
    """Per-period demand with mean ``mean`` (n,) and variance-to-mean ratio ``vmr`` (n,).

    ``lead_time(L)`` gives the NB lead-time-demand distribution with mean ``L·mean`` and
    variance ``max(vmr, 1)·L·mean`` (NB(r·L, p) by closure under convolution at fixed p;
    Johnson, Kemp & Kotz 2005, §5.5).  ``L`` is a scalar or (n,), fractional allowed.
    """

    mean: np.ndarray
    vmr: np.ndarray

    @property
    def variance(self) -> np.ndarray:
        return np.maximum(self.vmr, 1.0) * self.mean

    def sample_paths(self, idx, n_periods: int, n_paths: int, rng) -> np.ndarray:
        """Independent per-period demand paths (len(idx), n_paths, n_periods) of the series
        ``idx``: NB(r, p) drawn as a gamma-Poisson mixture (Johnson, Kemp & Kotz 2005,
        §5.3), Poisson where ``vmr <= 1``."""
        idx = np.asarray(idx, dtype=np.int64)
        mu = np.maximum(np.nan_to_num(self.mean[idx]), 0.0)
        v = np.maximum(self.vmr[idx], 1.0)
        nb = (v > 1.0 + _POISSON_TOL) & (mu > 0)
        shape = (idx.size, n_paths, n_periods)
        lam = np.broadcast_to(mu[:, None, None], shape).astype(np.float32)
        if nb.any():
            r = (mu[nb] / (v[nb] - 1.0)).astype(np.float32)  # NB(r, p = 1/vmr): scale (1-p)/p = vmr - 1
            g = rng.standard_gamma(np.broadcast_to(r[:, None, None], (int(nb.sum()),) + shape[1:]),
                                   dtype=np.float32)
            lam = lam.copy()
            lam[nb] = g * (v[nb] - 1.0).astype(np.float32)[:, None, None]
        return rng.poisson(lam).astype(np.float32)

    def with_forecast_error(self, lead_time, *, alpha: float = 0.1, review_period: float = 1.0) -> NegBinDemand:
        """The same forecast with the variance of its own error added (Prak, Teunter &
        Syntetos 2017, "On the calculation of safety stocks when demand is forecasted",
        EJOR 256(2):454-461, the SES case).

        The mean ``mu`` is an estimate; the demand over a protection interval of
        ``tau = L + R`` periods differs from ``tau * mu`` by the demand's own variation
        and by the estimate's error.  For i.i.d. demand of variance ``sigma^2`` and an
        exponentially weighted estimate with smoothing constant ``alpha``,
        ``Var(mu) = alpha / (2 - alpha) * sigma^2``, so

            Var(D_tau - tau * mu) = tau * sigma^2 * (1 + tau * alpha / (2 - alpha)).

        Ignoring the second term (the textbook ``tau * sigma^2``) sets levels too low, the
        more so the longer the lead time.  Here ``sigma^2 = max(vmr, 1) * mu`` (the
        forecast's own dispersion, so the term stays proportional to the forecast even
        when the history's level and the forecast differ), i.e. the per-period VMR
        becomes ``max(vmr, 1) * (1 + tau * alpha / (2 - alpha))`` per series.  The same
        ``alpha`` serves every method: the Croston family and the temporal aggregation
        methods average demand over a comparable memory (Setu's default 0.1).
        ``review_period=0`` gives the error of the forecast of the lead-time demand alone
        (``tau = L``), as a forecast run reports it.
        """
        n = self.mean.shape[0]
        L = _as_series_array(lead_time, n, "lead_time")
        if np.any(L < 0):
            raise ValueError("lead times must be >= 0")
        if review_period < 0:
            raise ValueError("review_period must be >= 0")
        return NegBinDemand(mean=self.mean, vmr=np.maximum(self.vmr, 1.0) * forecast_error_factor(L + review_period, alpha))

    def lead_time(self, lead_time) -> NegBinLeadTimeDemand:
        L = _as_series_array(lead_time, self.mean.shape[0], "lead_time")
        if np.any(L < 0):
            raise ValueError("lead times must be >= 0")
        m = self.mean * L
        return NegBinLeadTimeDemand(mean=m, variance=np.maximum(self.vmr, 1.0) * m, lead_time=L)


def fit_negative_binomial(Y, start=None, mean=None, *, vmr=None, errors=None) -> NegBinDemand:
    """Fit the NB forecast distribution for every series.

    ``mean`` is the per-period point forecast (n,) of any method (default: the observed
    mean demand).  The dispersion is the per-series VMR from
    :func:`variance_to_mean_ratio` (sample VMR of demand, or the MSE of ``errors``), so
    the variance scales with the forecast mean.  Reference: Syntetos, Babai & Gardner
    (2015), J. Bus. Res. 68:1746–1752 (NB lead-time demand on a point forecast).
    """
    values, observed = observed_history(Y, start)
    if mean is None:
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = values.sum(axis=1) / observed.sum(axis=1)
    mean = np.nan_to_num(np.maximum(np.asarray(mean, dtype=float), 0.0))
    if vmr is None:
        vmr = variance_to_mean_ratio(Y, start, errors=errors, mean=mean if errors is not None else None)
    vmr = _as_series_array(vmr, values.shape[0], "vmr")
    return NegBinDemand(mean=mean, vmr=vmr)


# ------------------------------------------------------------------------ bootstrap


@dataclass(frozen=True)
class EmpiricalLeadTimeDemand:
    """Lead-time demand given by ``samples`` (n_series, n_samples) (e.g. a bootstrap)."""

    samples: np.ndarray
    lead_time: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        return self.samples.mean(axis=1)

    def take(self, idx) -> EmpiricalLeadTimeDemand:
        """The distribution of the series ``idx`` only."""
        return EmpiricalLeadTimeDemand(self.samples[idx], self.lead_time[idx])

    @property
    def variance(self) -> np.ndarray:
        return self.samples.var(axis=1)

    @property
    def vmr(self) -> np.ndarray:
        m = self.mean
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(m > 0, self.variance / m, 1.0)

    def quantile(self, q) -> np.ndarray:
        """Empirical quantile (inverted CDF: smallest sample x with F(x) >= q)."""
        q_arr = np.asarray(q, dtype=float)
        srt = np.sort(self.samples, axis=1)
        B = srt.shape[1]
        k = np.clip(np.ceil(q_arr * B).astype(np.int64) - 1, 0, B - 1)
        if q_arr.ndim == 0:
            return srt[:, k]
        return srt[:, k] if k.ndim == 1 else np.take_along_axis(srt, k, axis=1)

    def cdf(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if x.ndim == 1:
            return (self.samples <= x[:, None]).mean(axis=1)
        return (self.samples[:, None, :] <= x[:, :, None]).mean(axis=2)

    def expected_excess(self, s) -> np.ndarray:
        s = np.asarray(s, dtype=float)
        if s.ndim == 1:
            return np.maximum(self.samples - s[:, None], 0.0).mean(axis=1)
        return np.maximum(self.samples[:, None, :] - s[:, :, None], 0.0).mean(axis=2)


@dataclass(frozen=True)
class BootstrapDemand:
    """Fitted Willemain–Smart–Schwarz (2004, IJF 20:375) bootstrap for n series.

    ``sizes`` holds every series' non-zero demands back to back (``offsets``/``counts``
    index them); ``p01``/``p11`` are the Markov probabilities of a demand after a zero /
    non-zero period; ``last_state`` the occurrence state of the last observed period.
    """

    sizes: np.ndarray
    offsets: np.ndarray
    counts: np.ndarray
    p01: np.ndarray
    p11: np.ndarray
    last_state: np.ndarray
    n_samples: int = 1000
    seed: int = 0
    jitter: bool = True

    @property
    def n_series(self) -> int:
        return self.counts.shape[0]

    @property
    def mean(self) -> np.ndarray:
        """Stationary mean demand per period of the fitted chain × mean size."""
        pi1 = np.where(self.counts > 0, self.p01 / np.maximum(1.0 - self.p11 + self.p01, 1e-12), 0.0)
        sums = np.bincount(np.repeat(np.arange(self.n_series), self.counts), self.sizes, minlength=self.n_series)
        with np.errstate(invalid="ignore", divide="ignore"):
            msize = np.where(self.counts > 0, sums / np.maximum(self.counts, 1), 0.0)
        return pi1 * msize

    def sample_paths(self, idx, n_periods: int, n_paths: int, rng) -> np.ndarray:
        """Per-period demand paths (len(idx), n_paths, n_periods) of the series ``idx``
        from the fitted chain (the same steps as :meth:`lead_time`, period by period)."""
        idx = np.asarray(idx, dtype=np.int64)
        m = idx.size
        counts, offsets = self.counts[idx], self.offsets[idx]
        p01, p11 = self.p01[idx], self.p11[idx]
        has = counts > 0
        out = np.zeros((m, n_paths, n_periods), dtype=np.float32)
        state = np.broadcast_to(self.last_state[idx][:, None], (m, n_paths)).copy()
        for k in range(n_periods):
            occ = (rng.random((m, n_paths)) < np.where(state, p11[:, None], p01[:, None])) & has[:, None]
            pick = rng.random((m, n_paths))
            j = offsets[:, None] + np.minimum((pick * counts[:, None]).astype(np.int64),
                                              np.maximum(counts[:, None] - 1, 0))
            x = self.sizes[np.where(has[:, None], j, 0)] if self.sizes.size else np.zeros((m, n_paths))
            if self.jitter:
                z = rng.standard_normal((m, n_paths))
                jit = 1.0 + np.floor(x + z * np.sqrt(x))
                x = np.where(jit > 0, jit, x)
            out[:, :, k] = np.where(occ, x, 0.0)
            state = occ
        return out

    def lead_time(self, lead_time) -> EmpiricalLeadTimeDemand:
        """Bootstrap lead-time demand for per-series lead times (fractional allowed: the
        last, partial period contributes that fraction of its simulated demand).

        Paths are generated period by period from one random stream, so for the same
        seed the demand over ``L`` and over ``L + 1`` periods share their first ``L``
        periods exactly (needed by the fill-rate formula)."""
        n = self.n_series
        L = _as_series_array(lead_time, n, "lead_time")
        if np.any(L < 0):
            raise ValueError("lead times must be >= 0")
        B = int(self.n_samples)
        n_steps = int(np.ceil(L.max())) if n else 0
        rng = np.random.default_rng(self.seed)
        total = np.zeros((n, B))
        state = np.broadcast_to(self.last_state[:, None], (n, B)).copy()
        has = self.counts > 0
        for k in range(n_steps):
            u = rng.random((n, B))
            prob = np.where(state, self.p11[:, None], self.p01[:, None])
            occ = (u < prob) & has[:, None]
            pick = rng.random((n, B))
            idx = self.offsets[:, None] + np.minimum((pick * self.counts[:, None]).astype(np.int64),
                                                     np.maximum(self.counts[:, None] - 1, 0))
            x = self.sizes[np.where(has[:, None], idx, 0)] if self.sizes.size else np.zeros((n, B))
            if self.jitter:
                z = rng.standard_normal((n, B))
                j = 1.0 + np.floor(x + z * np.sqrt(x))
                x = np.where(j > 0, j, x)
            weight = np.clip(L - k, 0.0, 1.0)
            total += np.where(occ, x, 0.0) * weight[:, None]
            state = occ
        return EmpiricalLeadTimeDemand(samples=total, lead_time=L)


def fit_bootstrap(Y, start=None, *, n_samples: int = 1000, seed: int = 0, jitter: bool = True) -> BootstrapDemand:
    """Fit the Willemain, Smart & Schwarz (2004, IJF 20:375–387) bootstrap on every series.

    Transition probabilities are the observed frequencies over consecutive observed
    periods; where a state was never left (e.g. one demand, in the last period) the
    overall demand frequency is used instead.
    """
    values, observed = observed_history(Y, start)
    n, T = values.shape
    occ = (values > 0) & observed
    prev, nxt = occ[:, :-1], occ[:, 1:]
    both_obs = observed[:, :-1] & observed[:, 1:]
    n0 = (both_obs & ~prev).sum(axis=1)
    n1 = (both_obs & prev).sum(axis=1)
    n01 = (both_obs & ~prev & nxt).sum(axis=1)
    n11 = (both_obs & prev & nxt).sum(axis=1)
    n_obs = observed.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n_obs > 0, occ.sum(axis=1) / np.maximum(n_obs, 1), 0.0)
        p01 = np.where(n0 > 0, n01 / np.maximum(n0, 1), rate)
        p11 = np.where(n1 > 0, n11 / np.maximum(n1, 1), rate)
    counts = occ.sum(axis=1).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    sizes = values[occ]  # row-major: series by series, in time order
    last_state = occ[:, -1] if T else np.zeros(n, bool)
    return BootstrapDemand(sizes=sizes, offsets=offsets, counts=counts, p01=p01, p11=p11,
                           last_state=last_state, n_samples=n_samples, seed=seed, jitter=jitter)


# ------------------------------------------------------------------- order-up-to level


def fill_rate(demand, lead_time, S, *, review_period: float = 1.0) -> np.ndarray:
    """Expected unit fill rate of an (R, S) policy with backorders (Silver, Pyke &
    Peterson 1998, eq. 7.21): ``1 - (E[(D_{L+R}-S)^+] - E[(D_L-S)^+]) / E[D_{L+R} - D_L]``."""
    n = np.asarray(demand.mean).shape[0]
    L = _as_series_array(lead_time, n, "lead_time")
    S = _as_series_array(S, n, "S")
    d_lr = demand.lead_time(L + review_period)
    d_l = demand.lead_time(L)
    d_r_mean = d_lr.mean - d_l.mean  # demand expected in the last R periods
    short = np.maximum(d_lr.expected_excess(S) - d_l.expected_excess(S), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(d_r_mean > 0, 1.0 - short / d_r_mean, 1.0)


class FiniteHorizonFill:
    """Expected unit fill rate of an (R = 1, S) policy **measured over a finite horizon**
    of ``horizon`` periods, conditional on some demand in that horizon (Thomas 2005,
    "Measuring item fill-rate performance in a finite horizon", M&SOM 7(1):74–80; Chen,
    Lin & Thomas 2003, "On the single item fill rate for a finite horizon", ORL
    31:119–123):

        FH(S) = E[ sum_t min(d_t, (S - W_t)^+) / sum_t d_t  |  sum_t d_t > 0 ],

    with ``d_t`` the demand of horizon period ``t`` and ``W_t`` the demand of the ``L``
    periods before it (the on-hand stock at the start of period ``t`` of a steady-state
    backorder (R = 1, S) policy is ``S - W_t``).  The long-run fill rate of eq. 7.21
    (:func:`fill_rate`) is the ratio of the *expectations* of the numerator and the
    denominator; the expectation of the per-item *ratio* is larger (Chen, Lin & Thomas
    2003 show ``FH >= long-run`` for i.i.d. demand) and much larger for intermittent demand: an item
    with two demands in the horizon has fill 1 in every path without a shortage.  A
    policy judged item by item over a finite window therefore over-achieves a target
    met in the long run.

    Estimated by Monte Carlo on ``n_paths`` demand paths per series (``L + horizon``
    periods from ``demand.sample_paths``; fractional lead times rounded up, as in
    :func:`setu.engine.forecasting.evaluation.simulate_order_up_to`), deterministic for a
    given ``seed``; the same paths (common random numbers) serve every level, so the
    estimate is non-decreasing in ``S``.
    """

    def __init__(self, demand, lead_time, horizon: int, *, n_paths: int = 200, seed: int = 0):
        n = np.asarray(demand.mean).shape[0]
        L = np.ceil(_as_series_array(lead_time, n, "lead_time") - 1e-9).astype(np.int64)
        if np.any(L < 0):
            raise ValueError("lead times must be >= 0")
        T = int(horizon)
        if T < 1:
            raise ValueError("horizon must be >= 1 period")
        rng = np.random.default_rng(seed)
        self.d = np.zeros((n, n_paths, T), dtype=np.float32)
        self.W = np.zeros((n, n_paths, T), dtype=np.float32)
        for lt in np.unique(L):  # one block of paths per lead time (no padding)
            idx = np.nonzero(L == lt)[0]
            for chunk in np.array_split(idx, max(1, idx.size * n_paths * (lt + T) // 4_000_000)):
                x = demand.sample_paths(chunk, int(lt) + T, n_paths, rng)
                c = np.concatenate([np.zeros(x.shape[:2] + (1,), np.float32), np.cumsum(x, axis=2)], axis=2)
                self.d[chunk] = x[:, :, lt:]
                self.W[chunk] = c[:, :, lt:lt + T] - c[:, :, :T]
        self.D = self.d.sum(axis=2)
        self.valid = self.D > 0
        self.n_valid = self.valid.sum(axis=1)

    def __call__(self, S, idx=None) -> np.ndarray:
        """FH fill rate at levels ``S`` (one per series of ``idx``, default all); 1 where
        no path has demand in the horizon."""
        idx = np.arange(self.d.shape[0]) if idx is None else np.asarray(idx)
        S = np.asarray(S, dtype=np.float32)
        filled = np.minimum(self.d[idx], np.maximum(S[:, None, None] - self.W[idx], 0.0)).sum(axis=2)
        D, ok = self.D[idx], self.valid[idx]
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(ok, filled / np.where(ok, D, 1.0), 0.0).sum(axis=1) / self.n_valid[idx]
        return np.where(self.n_valid[idx] > 0, ratio, 1.0).astype(float)


def finite_horizon_fill_rate(demand, lead_time, S, horizon: int, *, n_paths: int = 200, seed: int = 0) -> np.ndarray:
    """Expected per-series unit fill rate over ``horizon`` periods, conditional on demand
    in the horizon, of a steady-state (R = 1, S) policy: see :class:`FiniteHorizonFill`."""
    n = np.asarray(demand.mean).shape[0]
    return FiniteHorizonFill(demand, lead_time, horizon, n_paths=n_paths, seed=seed)(_as_series_array(S, n, "S"))


def _round_nearest(S_up, target, fill_at):
    """Take ``S_up - 1`` where its fill is closer to the target than ``S_up``'s."""
    S = S_up.copy()
    idx = np.nonzero(S_up > 0)[0]
    if idx.size:
        f_hi, f_lo = fill_at(S_up[idx], idx), fill_at(S_up[idx] - 1, idx)
        lower = (target[idx] - f_lo) < (f_hi - target[idx])
        S[idx[lower]] -= 1
    return S


def order_up_to_levels(demand, lead_time, targets, *, service: str = "fill", review_period: float = 1.0,
                       rounding: str = "nearest", horizon: int | None = None, n_paths: int = 200,
                       seed: int = 0) -> np.ndarray:
    """:func:`order_up_to_level` for several service targets at once: (len(targets), n).
    With a ``horizon`` the Monte Carlo paths are drawn once and shared by all targets."""
    if rounding not in ("up", "nearest"):
        raise ValueError("rounding must be 'up' or 'nearest'")
    n = np.asarray(demand.mean).shape[0]
    L = _as_series_array(lead_time, n, "lead_time")
    tg = [_as_series_array(t, n, "target") for t in targets]
    for t in tg:
        if np.any((t <= 0) | (t >= 1)):
            raise ValueError("service targets must lie in (0, 1)")
    if service == "csl":
        d_lr = demand.lead_time(L + review_period)
        return np.stack([d_lr.quantile(t[:, None])[:, 0] for t in tg]) if tg else np.zeros((0, n))
    if service != "fill":
        raise ValueError("service must be 'fill' or 'csl'")
    if horizon is None:
        return np.stack([_long_run_fill_level(demand, L, t, review_period, rounding) for t in tg])
    if review_period != 1.0:
        raise ValueError("a finite measurement horizon is supported for review_period = 1 only")
    fh = FiniteHorizonFill(demand, L, horizon, n_paths=n_paths, seed=seed)
    out = []
    for t in tg:
        # start from the long-run level reaching the target (usually feasible: FH >= long-run)
        S = _long_run_fill_level(demand, L, t, review_period, "up")
        short = np.arange(n)
        for _ in range(64):  # Monte Carlo noise can leave it short: step up
            short = short[fh(S[short], short) < t[short] - 1e-12]
            if not short.size:
                break
            S[short] += 1
        # bisection on [0, S]: the estimate is non-decreasing in S (common random numbers)
        hi, lo = S, np.full(n, -1.0)
        ok0 = fh(np.zeros(n)) >= t - 1e-12
        hi[ok0] = 0.0
        idx = np.nonzero(hi - lo > 1)[0]
        while idx.size:
            mid = np.floor((lo[idx] + hi[idx]) / 2)
            good = fh(mid, idx) >= t[idx] - 1e-12
            hi[idx[good]] = mid[good]
            lo[idx[~good]] = mid[~good]
            idx = idx[hi[idx] - lo[idx] > 1]
        S = hi
        if rounding == "nearest":
            S = _round_nearest(S, t, lambda s, i: fh(s, i))
        out.append(S)
    return np.stack(out)


def order_up_to_level(demand, lead_time, target, *, service: str = "fill",
                      review_period: float = 1.0, rounding: str = "nearest", horizon: int | None = None,
                      n_paths: int = 200, seed: int = 0) -> np.ndarray:
    """Order-up-to level S (n,) for a periodic-review (R, S) policy, backorders allowed.

    ``demand`` is a per-period distribution (:class:`NegBinDemand` or
    :class:`BootstrapDemand`); the protection interval is ``L + R``.

    * ``service="csl"``: S = the ``target`` quantile of D_{L+R} (cycle service level).
    * ``service="fill"``, ``horizon=None`` (the plain policy): the smallest integer S
      whose expected long-run unit fill rate (:func:`fill_rate`, Silver, Pyke & Peterson
      1998, eq. 7.21) reaches ``target``; found by a vectorised bisection (the fill rate
      is non-decreasing in S).  ``rounding="up"`` returns that level;
      ``rounding="nearest"`` (default) takes the level one unit lower instead when its
      expected fill rate is closer to the target (integer levels of slow movers jump by
      several fill-rate points; nearest centres the expected fill on the target).
    * ``service="fill"``, ``horizon=T`` (R = 1 only): the same rule with the fill rate
      *as measured item by item over T periods* (:class:`FiniteHorizonFill`, Thomas
      2005; Chen, Lin & Thomas 2003), for targets judged on a finite window (a contract
      period, a benchmark's test window).  For intermittent demand the per-item
      finite-window fill is well above the long-run fill at the same level (an item
      with a couple of demands in the window mostly scores 1), so the long-run level
      over-achieves a window target, the more so the lower the target, and this level
      is usually lower than the long-run one (at high targets and with few paths the
      Monte Carlo noise can put it above).  Monte Carlo with ``n_paths`` paths, deterministic
      for a given ``seed``.
    """
    n = np.asarray(demand.mean).shape[0]
    return order_up_to_levels(demand, lead_time, [_as_series_array(target, n, "target")], service=service,
                              review_period=review_period, rounding=rounding, horizon=horizon,
                              n_paths=n_paths, seed=seed)[0]


def _long_run_fill_level(demand, L, target, review_period, rounding) -> np.ndarray:
    """Long-run fill-rate level (eq. 7.21) by bisection; see :func:`order_up_to_level`."""
    n = L.shape[0]
    d_lr = demand.lead_time(L + review_period)
    d_l = demand.lead_time(L)
    d_r_mean = d_lr.mean - d_l.mean  # demand expected in the last R periods of the cycle

    def fill_at(S, idx):
        short = np.maximum(d_lr.take(idx).expected_excess(S) - d_l.take(idx).expected_excess(S), 0.0)
        dm = d_r_mean[idx]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(dm > 0, 1.0 - short / dm, 1.0)

    def feasible(S, idx):
        """fill(S) >= target for the series ``idx`` (evaluated on that subset only)."""
        return fill_at(S, idx) >= target[idx] - 1e-12

    everyone = np.arange(n)
    # start above the mean by 8 standard deviations (Cantelli: P(X > hi) < 1/65); grown below
    hi = np.maximum(np.ceil(d_lr.mean + 8.0 * np.sqrt(np.maximum(d_lr.variance, 0.0))), 1.0)
    idx = everyone
    for _ in range(60):  # grow until feasible (rarely needed)
        ok = feasible(hi[idx], idx)
        if ok.all():
            break
        idx = idx[~ok]
        hi[idx] *= 2.0
    lo = np.zeros(n)  # invariant: S = lo infeasible (or lo = -1), S = hi feasible
    ok0 = feasible(np.zeros(n), everyone)
    hi[ok0] = 0.0
    lo[ok0] = -1.0
    idx = np.nonzero(hi - lo > 1)[0]
    while idx.size:
        mid = np.floor((lo[idx] + hi[idx]) / 2)
        good = feasible(mid, idx)
        hi[idx[good]] = mid[good]
        lo[idx[~good]] = mid[~good]
        idx = idx[hi[idx] - lo[idx] > 1]
    if rounding == "nearest":
        hi = _round_nearest(hi, target, fill_at)
    return hi
