"""Forecast distributions: NB by moments, Willemain bootstrap, order-up-to levels."""

import numpy as np
import pytest
from scipy import stats

from setu.engine.forecasting.distributions import (
    FiniteHorizonFill,
    NegBinDemand,
    fill_rate,
    finite_horizon_fill_rate,
    fit_bootstrap,
    fit_negative_binomial,
    order_up_to_level,
    order_up_to_levels,
    variance_to_mean_ratio,
)


def _panel(n=300, T=48, seed=0):
    rng = np.random.default_rng(seed)
    occ = rng.random((n, T)) < rng.uniform(0.05, 0.6, n)[:, None]
    return (occ * (1 + rng.poisson(rng.uniform(0.5, 8, n)[:, None], (n, T)))).astype(float)


def test_vmr_hand_example_and_start():
    Y = np.array([[0.0, 2.0, 0.0, 4.0, 0.0, 0.0],
                  [9.0, 9.0, 1.0, 1.0, 1.0, 1.0],
                  [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]])
    vmr = variance_to_mean_ratio(Y, start=np.array([0, 2, 0]))
    # series 0: mean 1, sample variance (1+1+1+9+1+1)/5 = 2.8
    assert vmr[0] == pytest.approx(2.8)
    # series 1 observed from period 2: all ones -> variance 0
    assert vmr[1] == pytest.approx(0.0)
    assert vmr[2] == 1.0  # no demand -> Poisson


def test_nb_mean_variance_match_scipy_moments():
    mu = np.array([0.3, 2.0, 15.0, 4.0])
    vmr = np.array([3.0, 1.5, 12.0, 1.0])
    L = np.array([2.5, 7.0, 1.0, 3.0])
    ltd = NegBinDemand(mu, vmr).lead_time(L)
    np.testing.assert_allclose(ltd.mean, mu * L)
    np.testing.assert_allclose(ltd.variance, vmr * mu * L)
    for i in range(3):  # the NB ones
        p = ltd.mean[i] / ltd.variance[i]
        r = ltd.mean[i] * p / (1 - p)
        m, v = stats.nbinom.stats(r, p, moments="mv")
        assert m == pytest.approx(ltd.mean[i]) and v == pytest.approx(ltd.variance[i])
        # quantile is the scipy NB ppf
        assert ltd.quantile(0.9)[i] == stats.nbinom.ppf(0.9, r, p)


def test_poisson_special_case():
    mu = np.array([0.5, 3.0, 10.0])
    for vmr in (np.ones(3), np.array([0.2, 0.9, 1.0])):
        ltd = NegBinDemand(mu, vmr).lead_time(2.0)
        np.testing.assert_array_equal(ltd.variance, 2.0 * mu)
        for q in (0.1, 0.5, 0.95, 0.999):
            np.testing.assert_array_equal(ltd.quantile(q), stats.poisson.ppf(q, 2.0 * mu))
        np.testing.assert_allclose(ltd.cdf(np.array([1.0, 5.0, 20.0])),
                                   stats.poisson.cdf([1.0, 5.0, 20.0], 2.0 * mu))


def test_quantiles_monotone_in_level_and_lead_time():
    Y = _panel()
    nb = fit_negative_binomial(Y)
    levels = np.linspace(0.01, 0.999, 40)
    q = nb.lead_time(4.0).quantile(levels)
    assert q.shape == (Y.shape[0], levels.size)
    assert np.all(np.diff(q, axis=1) >= 0)
    q_l = np.stack([nb.lead_time(L).quantile(0.95) for L in (0.5, 1.0, 2.0, 4.0, 9.0)])
    assert np.all(np.diff(q_l, axis=0) >= 0)
    b = fit_bootstrap(Y, n_samples=300, seed=3).lead_time(4.0).quantile(levels)
    assert np.all(np.diff(b, axis=1) >= 0)


def test_nb_expected_excess_closed_form_equals_sum():
    mu = np.array([1.2, 6.0, 0.4])
    vmr = np.array([4.0, 1.0, 9.0])
    ltd = NegBinDemand(mu, vmr).lead_time(3.0)
    k = np.arange(0, 5000)
    for s in (0.0, 1.0, 4.0, 17.0):
        got = ltd.expected_excess(np.full(3, s))
        for i in range(3):
            if ltd.variance[i] > ltd.mean[i]:
                p = ltd.mean[i] / ltd.variance[i]
                pmf = stats.nbinom.pmf(k, ltd.mean[i] * p / (1 - p), p)
            else:
                pmf = stats.poisson.pmf(k, ltd.mean[i])
            assert got[i] == pytest.approx((np.maximum(k - s, 0) * pmf).sum(), rel=1e-9, abs=1e-12)


def test_zero_mean_and_zero_lead_time():
    nb = NegBinDemand(np.array([0.0, 2.0]), np.array([5.0, 5.0]))
    ltd = nb.lead_time(np.array([3.0, 0.0]))
    np.testing.assert_array_equal(ltd.quantile(0.99), [0.0, 0.0])
    np.testing.assert_array_equal(ltd.expected_excess(np.array([0.0, 0.0])), [0.0, 0.0])


def test_fit_negative_binomial_with_errors_uses_mse():
    Y = np.array([[1.0, 0.0, 3.0, 0.0, 2.0]])
    errors = np.array([[np.nan, -1.0, 2.0, -2.0, 1.0]])
    nb = fit_negative_binomial(Y, None, np.array([1.0]), errors=errors)
    assert nb.vmr[0] == pytest.approx((1 + 4 + 4 + 1) / 4 / 1.0)


def test_bootstrap_deterministic_with_seed():
    Y = _panel(n=50)
    a = fit_bootstrap(Y, n_samples=200, seed=7).lead_time(np.full(50, 3.5)).samples
    b = fit_bootstrap(Y, n_samples=200, seed=7).lead_time(np.full(50, 3.5)).samples
    c = fit_bootstrap(Y, n_samples=200, seed=8).lead_time(np.full(50, 3.5)).samples
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_bootstrap_paths_share_prefix_and_no_demand_is_zero():
    Y = _panel(n=40)
    Y[0] = 0.0
    Y[-1] = 0.0
    boot = fit_bootstrap(Y, n_samples=100, seed=1)
    assert boot.mean[0] == 0.0 and boot.mean[-1] == 0.0 and np.all(boot.mean[1:-1] > 0)
    d3 = boot.lead_time(3.0).samples
    d4 = boot.lead_time(4.0).samples
    assert np.all(d4 >= d3)
    assert np.all(d3[0] == 0)


def test_bootstrap_without_jitter_resamples_history():
    # constant sizes 5 and demand every period -> lead-time demand is exactly 5 L
    Y = np.full((2, 12), 5.0)
    Y[1, ::2] = 0.0  # alternating: Markov chain p01 = 1, p11 = 0
    s = fit_bootstrap(Y, n_samples=50, seed=0, jitter=False).lead_time(4.0).samples
    assert np.all(s[0] == 20.0)
    assert np.all(s[1] == 10.0)  # last period (index 11) had demand -> 0, 5, 0, 5


def test_bootstrap_mean_matches_markov_stationary_mean():
    rng = np.random.default_rng(5)
    Y = ((rng.random((200, 120)) < 0.3) * (1 + rng.poisson(2.0, (200, 120)))).astype(float)
    boot = fit_bootstrap(Y, n_samples=2000, seed=2, jitter=False)
    emp = boot.lead_time(24.0).mean / 24.0
    np.testing.assert_allclose(emp, boot.mean, rtol=0.12)


def test_order_up_to_fill_rate_is_smallest_feasible_level():
    Y = _panel(n=200)
    nb = fit_negative_binomial(Y)
    L = np.random.default_rng(1).integers(0, 8, Y.shape[0]).astype(float)
    for target in (0.8, 0.95, 0.99):
        S = order_up_to_level(nb, L, target, rounding="up")
        assert np.all(fill_rate(nb, L, S) >= target - 1e-9)
        below = S > 0
        assert np.all(fill_rate(nb, L, S - 1)[below] < target)
        # nearest: S or S - 1, whichever expected fill is closer to the target
        Sn = order_up_to_level(nb, L, target)
        assert np.all((Sn == S) | (Sn == S - 1))
        gap_n = np.abs(fill_rate(nb, L, Sn) - target)
        gap_other = np.abs(fill_rate(nb, L, np.where(Sn == S, np.maximum(S - 1, 0), S)) - target)
        assert np.all(gap_n <= gap_other + 1e-12)
    with pytest.raises(ValueError):
        order_up_to_level(nb, L, 0.9, rounding="down")


def test_order_up_to_fill_rate_poisson_hand_check():
    # L = 0, R = 1, Poisson(2): fill(S) = 1 - E[(D - S)^+] / 2
    nb = NegBinDemand(np.array([2.0]), np.array([1.0]))
    k = np.arange(200)
    pmf = stats.poisson.pmf(k, 2.0)
    fills = [1 - (np.maximum(k - s, 0) * pmf).sum() / 2.0 for s in range(10)]
    expected = next(s for s, f in enumerate(fills) if f >= 0.95)
    assert order_up_to_level(nb, 0.0, 0.95, rounding="up")[0] == expected


def test_order_up_to_csl_is_quantile_of_protection_interval():
    Y = _panel(n=100)
    nb = fit_negative_binomial(Y)
    S = order_up_to_level(nb, 3.0, 0.9, service="csl")
    np.testing.assert_array_equal(S, nb.lead_time(4.0).quantile(0.9))


def test_order_up_to_with_bootstrap():
    Y = _panel(n=60)
    boot = fit_bootstrap(Y, n_samples=400, seed=4)
    S = order_up_to_level(boot, 2.0, 0.95, rounding="up")
    assert np.all(fill_rate(boot, 2.0, S) >= 0.95 - 1e-9)


# ------------------------------------------------------------ finite-horizon fill rate


def test_finite_horizon_fill_exceeds_long_run_for_slow_movers():
    # Chen, Lin & Thomas (2003): the expected fill over a finite window is >= the long-run fill
    nb = NegBinDemand(np.full(50, 0.15), np.full(50, 2.0))
    L = np.full(50, 3.0)
    for target in (0.8, 0.9):
        S = order_up_to_level(nb, L, target)
        lr = fill_rate(nb, L, S)
        fh = finite_horizon_fill_rate(nb, L, S, 24, n_paths=400, seed=1)
        assert np.all(fh >= lr - 0.02)
        assert fh.mean() > lr.mean() + 0.02  # a few demands per window: a clearly higher ratio
    # a long window converges to the long-run fill rate
    fast = NegBinDemand(np.full(20, 4.0), np.full(20, 1.5))
    S = order_up_to_level(fast, 2.0, 0.9)
    np.testing.assert_allclose(finite_horizon_fill_rate(fast, 2.0, S, 200, n_paths=50, seed=2).mean(),
                               fill_rate(fast, 2.0, S).mean(), atol=0.01)


def test_finite_horizon_fill_matches_simulation_of_the_policy():
    from setu.engine.forecasting.evaluation import simulate_order_up_to

    rng = np.random.default_rng(5)
    n, T, L = 3000, 12, 2
    mu, vmr = 0.3, 2.5
    r, p = mu / (vmr - 1), 1 / vmr
    Y = rng.negative_binomial(r, p, size=(n, 20 + T)).astype(float)
    nb = NegBinDemand(np.full(n, mu), np.full(n, vmr))
    S = np.full(n, 2.0)
    sim = simulate_order_up_to(Y, None, np.tile(S, (T, 1)), 20, np.full(n, L))
    est = finite_horizon_fill_rate(nb, L, S, T, n_paths=200, seed=0)
    assert np.nanmean(sim.fill_rate) == pytest.approx(est.mean(), abs=0.01)


def test_order_up_to_finite_horizon_levels():
    Y = _panel(n=120)
    nb = fit_negative_binomial(Y)
    L = np.random.default_rng(3).integers(0, 6, Y.shape[0]).astype(float)
    for target in (0.9, 0.99):
        S_lr = order_up_to_level(nb, L, target, rounding="up")
        S = order_up_to_level(nb, L, target, rounding="up", horizon=12, n_paths=100, seed=7)
        fh = FiniteHorizonFill(nb, L, 12, n_paths=100, seed=7)
        assert np.all(fh(S) >= target - 1e-9)
        assert np.all(fh(S - 1)[S > 0] < target)
        if target == 0.9:  # the window fill is the higher one at low targets: lower levels
            assert S.mean() < S_lr.mean()
        # deterministic for a seed; nearest is S or S - 1
        np.testing.assert_array_equal(S, order_up_to_level(nb, L, target, rounding="up", horizon=12,
                                                           n_paths=100, seed=7))
        Sn = order_up_to_level(nb, L, target, horizon=12, n_paths=100, seed=7)
        assert np.all((Sn == S) | (Sn == S - 1))
    # several targets at once share the paths and equal the one-at-a-time levels
    both = order_up_to_levels(nb, L, [0.9, 0.99], horizon=12, n_paths=100, seed=7)
    np.testing.assert_array_equal(both[1], order_up_to_level(nb, L, 0.99, horizon=12, n_paths=100, seed=7))
    with pytest.raises(ValueError):
        order_up_to_level(nb, L, 0.9, horizon=12, review_period=2.0)
    with pytest.raises(ValueError):
        order_up_to_level(nb, L, 0.9, horizon=0)


def test_finite_horizon_with_bootstrap():
    Y = _panel(n=40)
    boot = fit_bootstrap(Y, n_samples=100, seed=4)
    S = order_up_to_level(boot, 2.0, 0.95, horizon=12, n_paths=100, seed=1)
    S_lr = order_up_to_level(boot, 2.0, 0.95)
    assert np.all(S >= 0) and S.mean() <= S_lr.mean() + 0.5


def test_forecast_error_variance_matches_simulated_ses_error():
    """Prak, Teunter & Syntetos (2017): the error of the lead-time forecast tau * SES has
    variance tau * sigma^2 * (1 + tau * alpha / (2 - alpha)) for i.i.d. demand; checked
    against SES run on simulated NB demand (many independent series, one origin each)."""
    from setu.engine.forecasting.methods import ses

    rng = np.random.default_rng(7)
    n, T, alpha, mu, vmr = 40_000, 120, 0.2, 2.0, 3.0
    r = mu / (vmr - 1.0)
    Y = rng.negative_binomial(r, 1.0 / vmr, size=(n, T + 8)).astype(float)
    f = ses(Y[:, :T], None, alpha=alpha).mean  # forecast at the origin T
    for L in (0, 3, 7):
        tau = L + 1
        err = Y[:, T:T + tau].sum(axis=1) - tau * f
        predicted = NegBinDemand(mean=np.array([mu]), vmr=np.array([vmr])).with_forecast_error(
            L, alpha=alpha).lead_time(tau).variance[0]
        assert predicted == pytest.approx(tau * vmr * mu * (1 + tau * alpha / (2 - alpha)))
        assert err.var() == pytest.approx(predicted, rel=0.04)
        # the textbook variance (demand only) misses the estimate's error, more so for long lead times
        assert err.var() > 1.1 * tau * vmr * mu if tau > 1 else True


def test_forecast_error_raises_levels_and_rejects_bad_input():
    dist = NegBinDemand(mean=np.array([0.0, 0.3, 2.0]), vmr=np.array([1.0, 0.8, 4.0]))
    L = np.array([2.0, 6.0, 12.0])
    wide = dist.with_forecast_error(L, alpha=0.1)
    np.testing.assert_allclose(wide.vmr, np.maximum(dist.vmr, 1) * (1 + (L + 1) * 0.1 / 1.9))
    np.testing.assert_array_equal(wide.mean, dist.mean)
    base = order_up_to_level(dist, L, 0.95)
    more = order_up_to_level(wide, L, 0.95)
    assert np.all(more >= base) and more[2] > base[2] and more[0] == base[0] == 0
    with pytest.raises(ValueError, match="alpha"):
        dist.with_forecast_error(L, alpha=0.0)
    with pytest.raises(ValueError, match="lead times"):
        dist.with_forecast_error(-L)
    with pytest.raises(ValueError, match="lead_time"):
        dist.with_forecast_error(np.ones(2))
