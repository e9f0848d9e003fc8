"""Behaviour of the vectorised point-forecast methods (hand-computed values, published bias
approximations, ragged series, batch independence)."""
from __future__ import annotations

import numpy as np
import pytest

from setu.engine.forecasting import methods as M

ALL = ["ses", "ses_opt", "croston", "sba", "croston_opt", "tsb", "adida", "imapa"]


def _panel(seed=0, n=300, T=40):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.6, n)
    Y = ((rng.random((n, T)) < p[:, None]) * (1 + rng.poisson(3, (n, T)))).astype(float)
    start = rng.integers(0, T // 2, n)
    return Y, start


def test_croston_hand_computed():
    # sizes 3, 2 and intervals 3, 4 (the first interval counts from the series start)
    y = np.array([[0, 0, 3, 0, 0, 0, 2]], dtype=float)
    z = 0.1 * 2 + 0.9 * (0.1 * 3 + 0.9 * 3)
    p = 0.1 * 4 + 0.9 * (0.1 * 3 + 0.9 * 3)
    assert M.croston(y).mean[0] == pytest.approx(z / p, rel=1e-15)
    assert M.sba(y).mean[0] == pytest.approx(0.95 * z / p, rel=1e-15)
    assert M.sba(y, alpha=0.2).mean[0] == pytest.approx(
        0.9 * (0.2 * 2 + 0.8 * 3) / (0.2 * 4 + 0.8 * 3), rel=1e-15)


def test_ses_and_tsb_hand_computed():
    y = np.array([[2.0, 0.0, 4.0]])
    level = 2.0
    for v in (2.0, 0.0, 4.0):
        level = 0.3 * v + 0.7 * level
    assert M.ses(y, alpha=0.3).mean[0] == pytest.approx(level, rel=1e-15)
    d = 1.0
    for v in (1.0, 0.0, 1.0):
        d = 0.2 * v + 0.8 * d
    z = 0.5 * 4 + 0.5 * (0.5 * 2 + 0.5 * 2)
    assert M.tsb(y, alpha_d=0.5, alpha_p=0.2).mean[0] == pytest.approx(d * z, rel=1e-15)


def test_tsb_decays_under_obsolescence_while_croston_does_not():
    # demand every other period, then 30 periods of nothing (Teunter, Syntetos & Babai 2011)
    y = np.zeros((1, 50))
    y[0, :20:2] = 5.0
    cro = M.croston(y).mean[0]
    tsb = M.tsb(y, alpha_d=0.1, alpha_p=0.1).mean[0]
    y_recent = y[:, :20]
    assert tsb < 0.1 * M.tsb(y_recent, alpha_d=0.1, alpha_p=0.1).mean[0]
    assert cro == pytest.approx(M.croston(y_recent).mean[0])  # Croston only updates on demand


def test_croston_bias_matches_syntetos_boylan_approximation():
    """Syntetos & Boylan (2001, 2005): E[z/p] ~ mu/p + alpha/(2-alpha) * mu (p-1)/p^2, and SBA
    removes most of that bias. Bernoulli demand occurrence (p = 4) with unit sizes."""
    rng = np.random.default_rng(2005)
    n, T, p_int, alpha = 20000, 400, 4.0, 0.2
    Y = (rng.random((n, T)) < 1 / p_int).astype(float)
    mu = 1.0
    true = mu / p_int
    approx = true + alpha / (2 - alpha) * mu * (p_int - 1) / p_int**2
    cro = M.croston(Y, alpha=alpha).mean.mean()
    sba = M.sba(Y, alpha=alpha).mean.mean()
    assert cro == pytest.approx(approx, rel=0.02)
    assert abs(sba - true) < 0.5 * abs(cro - true)


def test_zero_series_forecast_zero_and_constant_series_itself():
    Y = np.zeros((3, 12))
    Y[1] = 4.0
    Y[2, -1] = 0.0
    for name in ALL:
        out = M.forecast(Y, method=name)
        assert out.mean[0] == 0.0, name
        expected = 0.95 * 4.0 if name == "sba" else 4.0  # SBA deflates by (1 - alpha/2)
        assert out.mean[1] == pytest.approx(expected, rel=1e-12), name


@pytest.mark.parametrize("name", ALL)
def test_ragged_start_equals_truncated_series(name):
    Y, start = _panel(1, n=120, T=30)
    full = M.forecast(Y, start, method=name).mean
    for i in range(0, 120, 7):
        alone = M.forecast(Y[i:i + 1, start[i]:], method=name).mean[0]
        assert full[i] == alone
    # values before start are ignored, whatever they are
    Y2 = Y.copy()
    Y2[np.arange(30)[None, :] < start[:, None]] = 99.0
    np.testing.assert_array_equal(M.forecast(Y2, start, method=name).mean, full)


@pytest.mark.parametrize("name", ALL)
def test_blocks_give_identical_results(name):
    Y, start = _panel(2, n=400)
    whole = M.forecast(Y, start, method=name).mean
    parts = np.concatenate([M.forecast(Y[a:b], start[a:b], method=name).mean
                            for a, b in [(0, 1), (1, 150), (150, 400)]])
    np.testing.assert_array_equal(whole, parts)
    rev = M.forecast(Y[::-1], start[::-1], method=name).mean[::-1]
    np.testing.assert_array_equal(whole, rev)


def test_optimised_alphas_within_bounds_and_minimise_sse():
    Y, start = _panel(3, n=200)
    out = M.croston_optimized(Y, start)
    for key in ("alpha_size", "alpha_interval"):
        a = out.params[key]
        assert ((a >= 0.1) & (a <= 0.3)).all()
    ses = M.ses_optimized(Y, start)
    a = ses.params["alpha"]
    assert ((a >= 0.01) & (a <= 0.99)).all()

    def sse_ses(y, alpha):
        f, s = y[0], 0.0
        for i in range(1, len(y)):
            f = alpha * y[i - 1] + (1 - alpha) * f
            s += (y[i] - f) ** 2
        return s

    grid = np.linspace(0.01, 0.99, 99)
    for i in range(0, 200, 17):
        y = Y[i, start[i]:]
        best = min(sse_ses(y, g) for g in grid)
        assert sse_ses(y, a[i]) <= best + 1e-9 * max(1.0, best)


def test_adida_and_imapa_on_regular_demand():
    # demand of 6 every third period: aggregation level 3, every block sums to 6 -> 2 per period
    y = np.zeros((1, 36))
    y[0, 2::3] = 6.0
    ad = M.adida(y)
    assert ad.params["aggregation_level"][0] == 3
    assert ad.mean[0] == pytest.approx(2.0, rel=1e-12)
    im = M.imapa(y)
    assert im.params["max_aggregation_level"][0] == 3
    # levels 1, 2, 3 each forecast a flat rate close to 2 per period
    assert im.mean[0] == pytest.approx(2.0, rel=0.35)


def test_fitted_values_are_one_step_ahead():
    Y, start = _panel(4, n=50, T=25)
    out = M.ses(Y, start, alpha=0.3, fitted=True)
    for i in range(50):
        s = start[i]
        assert np.isnan(out.fitted[i, : s + 1]).all()
        if s + 1 < 25:
            # the last fitted value is the forecast made from all but the last observation
            prev = M.ses(Y[i:i + 1, s:-1], alpha=0.3).mean[0] if 25 - s > 2 else Y[i, s] * 0.3 + 0.7 * Y[i, s]
            assert out.fitted[i, -1] == pytest.approx(prev, rel=1e-12)


def test_bad_input_rejected():
    with pytest.raises(ValueError):
        M.croston(np.array([[1.0, -1.0]]))
    with pytest.raises(ValueError):
        M.croston(np.array([[1.0, np.inf]]))
    # NaN inside a series is no demand (as in distributions.observed_history)
    assert M.croston(np.array([[1.0, np.nan, 2.0]])).mean[0] == M.croston(np.array([[1.0, 0.0, 2.0]])).mean[0]
    with pytest.raises(ValueError):
        M.croston(np.ones((2, 3)), start=[0, 3])
    with pytest.raises(ValueError):
        M.forecast(np.ones((2, 3)), method="holt")
