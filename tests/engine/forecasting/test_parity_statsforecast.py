"""Parity with statsforecast 2.x: the same point forecasts (and fitted values) to 1e-9.

statsforecast is a test-only dependency; its per-series models are the reference implementation.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

sf_models = pytest.importorskip("statsforecast.models")

from setu.engine.forecasting import methods as M  # noqa: E402

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
TOL = 1e-9


def _cases():
    return [
        ("ses", lambda: sf_models.SimpleExponentialSmoothing(alpha=0.1), lambda Y, s: M.ses(Y, s, alpha=0.1)),
        ("ses_a03", lambda: sf_models.SimpleExponentialSmoothing(alpha=0.3), lambda Y, s: M.ses(Y, s, alpha=0.3)),
        ("ses_opt", sf_models.SimpleExponentialSmoothingOptimized, M.ses_optimized),
        ("croston", sf_models.CrostonClassic, M.croston),
        ("sba", sf_models.CrostonSBA, M.sba),
        ("croston_opt", sf_models.CrostonOptimized, M.croston_optimized),
        ("tsb", lambda: sf_models.TSB(alpha_d=0.2, alpha_p=0.05), lambda Y, s: M.tsb(Y, s, alpha_d=0.2, alpha_p=0.05)),
        ("adida", sf_models.ADIDA, M.adida),
        ("imapa", sf_models.IMAPA, M.imapa),
    ]


def _reference(model, Y, start, fitted=False):
    means, fits = [], []
    for i in range(Y.shape[0]):
        y = Y[i, start[i]:]
        out = model.forecast(y=y, h=3, fitted=fitted)
        assert np.all(out["mean"] == out["mean"][0]), "statsforecast forecasts are flat"
        means.append(out["mean"][0])
        if fitted:
            f = np.full(Y.shape[1], np.nan)
            f[start[i]:] = out["fitted"]
            fits.append(f)
    return np.array(means), (np.array(fits) if fitted else None)


def _synthetic(seed: int = 7, n: int = 600, T: int = 48):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.02, 0.6, n)
    Y = (rng.random((n, T)) < p[:, None]) * (1 + rng.poisson(rng.uniform(0.5, 8, n)[:, None], (n, T)))
    Y = Y.astype(float)
    Y[:50] *= rng.gamma(2.0, 1.0, (50, T))  # non-integer sizes
    Y[50:60] *= 1000.0  # large sizes
    start = np.zeros(n, dtype=np.int64)
    start[100:200] = rng.integers(1, T, 100)  # ragged series, some only 1 period long
    start[200] = T - 1
    # edge cases
    Y[0] = 0.0  # all zero
    Y[1] = 0.0
    Y[1, 20] = 4.0  # a single demand
    Y[2, :40] = 0.0  # leading zeros
    Y[3] = 0.0
    Y[3, -1] = 2.0  # single demand in the last period
    Y[4] = 0.0
    Y[4, :2] = [1.0, 3.0]  # two demands, then nothing (obsolescence)
    Y[5] = 7.0  # constant, every period
    Y[6] = 0.0
    Y[6, [0, T - 1]] = [2.0, 2.0]  # two equal demands far apart
    Y[7] = 0.0
    Y[7, ::2] = 1.0  # perfectly regular
    Y[8, :] = np.arange(T) % 5 == 0
    return Y, start


@pytest.mark.parametrize("name,make_model,ours", _cases(), ids=[c[0] for c in _cases()])
def test_parity_synthetic(name, make_model, ours):
    Y, start = _synthetic()
    ref, _ = _reference(make_model(), Y, start)
    got = ours(Y, start).mean
    assert got.shape == (Y.shape[0],)
    np.testing.assert_allclose(got, ref, rtol=0, atol=TOL)


@pytest.mark.parametrize("name,make_model,ours", _cases(), ids=[c[0] for c in _cases()])
def test_parity_raf(name, make_model, ours):
    path = DATA / "raf_demand.csv.gz"
    if not path.exists():
        pytest.skip("shared RAF data not available")
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(path)
    wide = df.pivot(index="unique_id", columns="ds", values="y").fillna(0.0)
    Y = wide.to_numpy(dtype=float)
    assert Y.shape == (5000, 84)
    start = np.zeros(Y.shape[0], dtype=np.int64)
    ref, _ = _reference(make_model(), Y, start)
    got = ours(Y, start).mean
    np.testing.assert_allclose(got, ref, rtol=0, atol=TOL)


@pytest.mark.parametrize(
    "make_model,ours",
    [
        (lambda: sf_models.SimpleExponentialSmoothing(alpha=0.2), lambda Y, s: M.ses(Y, s, alpha=0.2, fitted=True)),
        (sf_models.SimpleExponentialSmoothingOptimized, lambda Y, s: M.ses_optimized(Y, s, fitted=True)),
        (sf_models.CrostonClassic, lambda Y, s: M.croston(Y, s, fitted=True)),
        (sf_models.CrostonSBA, lambda Y, s: M.sba(Y, s, fitted=True)),
        (lambda: sf_models.TSB(alpha_d=0.1, alpha_p=0.3), lambda Y, s: M.tsb(Y, s, alpha_d=0.1, alpha_p=0.3, fitted=True)),
    ],
    ids=["ses", "ses_opt", "croston", "sba", "tsb"],
)
def test_parity_fitted_values(make_model, ours):
    Y, start = _synthetic(seed=3, n=250, T=30)
    _, ref = _reference(make_model(), Y, start, fitted=True)
    got = ours(Y, start).fitted
    assert got.shape == Y.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    ok = ~np.isnan(ref)
    np.testing.assert_allclose(got[ok], ref[ok], rtol=0, atol=TOL)


@pytest.mark.parametrize("name,make_model,ours", _cases(), ids=[c[0] for c in _cases()])
def test_parity_one_series_batches(name, make_model, ours):
    """Batch size must not matter: every series forecast alone matches statsforecast too."""
    Y, start = _synthetic(seed=11, n=204, T=36)
    ref, _ = _reference(make_model(), Y, start)
    for size in (1, 2, 3, 17):
        got = np.concatenate([ours(Y[i:i + size], start[i:i + size]).mean for i in range(0, 204, size)])
        np.testing.assert_allclose(got, ref, rtol=0, atol=TOL)
