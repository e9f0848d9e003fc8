"""Reliability-based forecasts and their gamma-Poisson blend with demand history."""

import numpy as np
import pytest
from scipy import stats

from setu.engine.forecasting.distributions import order_up_to_level
from setu.engine.forecasting.reliability import (
    blend_with_history,
    gamma_poisson_update,
    reliability_demand_rate,
)


def test_reliability_rate_is_product():
    # 2e-4 failures/h, 50 h per month, 2 per assembly, 12 units -> 0.24 per month
    r = reliability_demand_rate(np.array([2e-4, 1e-3]), 50.0, np.array([2, 1]), np.array([12, 3]))
    np.testing.assert_allclose(r, [0.24, 0.15])
    r2 = reliability_demand_rate(2e-4, 50.0, 2, 12, replacement_fraction=0.5)
    np.testing.assert_allclose(r2, [0.12])
    with pytest.raises(ValueError):
        reliability_demand_rate(-1.0, 50.0, 1, 1)


def test_gelman_asthma_example():
    """BDA3 §2.6: prior Gamma(3.0, 5.0), 3 deaths over an exposure of 2.0 (hundred
    thousand person-years) -> posterior Gamma(6.0, 7.0), mean 0.86."""
    post = gamma_poisson_update(prior_rate=3.0 / 5.0, prior_periods=5.0, demand_total=3.0, exposure_periods=2.0)
    assert post.shape[0] == pytest.approx(6.0)
    assert post.rate[0] == pytest.approx(7.0)
    assert round(float(post.mean[0]), 2) == 0.86


def test_blend_is_weighted_average_and_converges():
    prior = np.array([0.5, 0.5, 0.0])
    Y = np.zeros((3, 48))
    Y[0, ::4] = 4.0   # observed rate 1.0
    Y[2, ::6] = 3.0   # observed rate 0.5, prior 0
    for k in (0, 6, 12, 48):
        post = blend_with_history(prior, Y[:, :k] if k else np.zeros((3, 1)), start=None if k else np.array([0, 0, 0]),
                                  prior_periods=12.0)
        e = k if k else 1
        obs = (Y[:, :k].sum(axis=1) if k else np.zeros(3))
        w = 12.0 / (12.0 + e)
        np.testing.assert_allclose(post.prior_weight, w)
        np.testing.assert_allclose(post.mean, w * prior + (1 - w) * obs / e)
    # no history at all: the reliability rate itself
    post0 = gamma_poisson_update(prior, 12.0, 0.0, 0.0)
    np.testing.assert_allclose(post0.mean, prior)
    # long history dominates the prior
    long = blend_with_history(prior, np.tile(Y, (1, 50)), prior_periods=12.0)
    np.testing.assert_allclose(long.mean[[0, 2]], [1.0, 0.5], rtol=0.01)


def test_predictive_is_negative_binomial():
    post = gamma_poisson_update(np.array([0.4]), 10.0, 6.0, 20.0)  # Gamma(10, 30)
    ltd = post.lead_time(6.0)
    a, b, L = 10.0, 30.0, 6.0
    p = b / (b + L)
    m, v = stats.nbinom.stats(a, p, moments="mv")
    assert ltd.mean[0] == pytest.approx(m)
    assert ltd.variance[0] == pytest.approx(v)
    for q in (0.5, 0.9, 0.99):
        assert ltd.quantile(q)[0] == stats.nbinom.ppf(q, a, p)
    assert post.vmr[0] == pytest.approx(1 + 1 / b)
    S = order_up_to_level(post, 3.0, 0.95)
    assert S.shape == (1,) and S[0] >= 0


def test_exposure_scales_observation_weight():
    Y = np.array([[2.0, 0.0, 2.0, 0.0]])
    half = blend_with_history(np.array([1.0]), Y, prior_periods=4.0, exposure=np.full((1, 4), 0.5))
    # a = 4 + 4, b = 4 + 2
    assert half.mean[0] == pytest.approx(8.0 / 6.0)
