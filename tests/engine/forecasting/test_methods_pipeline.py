"""forecast_batch: point forecast plus distribution, on whole blocks, identical however split."""
from __future__ import annotations

import numpy as np
import pytest

from setu.engine.forecasting import methods as M
from setu.engine.forecasting.pipeline import forecast_batch, forecast_block
from setu.kit.compute import run_blocks, split_ranges


def _data(n=120, T=36, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.6, n)
    Y = ((rng.random((n, T)) < p[:, None]) * (1 + rng.poisson(4, (n, T)))).astype(float)
    return Y, rng.integers(0, T // 3, n)


@pytest.mark.parametrize("model", ["ses", "sba", "tsb", "croston_opt", "imapa"])
def test_mean_is_the_method_forecast(model):
    Y, start = _data()
    out = forecast_batch(Y, start, model=model)
    np.testing.assert_array_equal(out.mean, M.forecast(Y, start, method=model).mean)
    assert out.var is None and out.quantiles is None
    assert set(out.method) == {model}


def test_distribution_columns_are_consistent():
    Y, start = _data(seed=1)
    lead = np.arange(Y.shape[0]) % 7 + 1.0
    out = forecast_batch(Y, start, model="sba", quantiles=(0.5, 0.9, 0.99), variance=True, lead_time=lead)
    assert out.quantiles.shape == (Y.shape[0], 3)
    assert (np.diff(out.quantiles, axis=1) >= 0).all() and (np.diff(out.ltd_quantiles, axis=1) >= 0).all()
    np.testing.assert_allclose(out.ltd_mean, lead * out.mean)
    assert (out.var >= out.mean * (1 - 1e-12)).all()
    assert (out.ltd_var >= out.var * (1 - 1e-12)).all()  # a lead time of >= 1 period


def test_blocks_on_dask_or_serial_equal_one_call():
    Y, start = _data(n=90, seed=2)
    lead = np.full(90, 3.0)
    whole = forecast_batch(Y, start, model="adida", quantiles=(0.9,), lead_time=lead)
    blocks = [(Y[a:b], start[a:b], lead[a:b]) for a, b in split_ranges(90, 4)]
    parts = run_blocks(forecast_block, blocks, model="adida", quantiles=(0.9,))
    np.testing.assert_array_equal(np.concatenate([p.mean for p in parts]), whole.mean)
    np.testing.assert_array_equal(np.concatenate([p.ltd_quantiles for p in parts]), whole.ltd_quantiles)


def test_bad_requests():
    Y, start = _data(n=5)
    with pytest.raises(ValueError):
        forecast_batch(Y, start, model="adida", alpha=0.2)
    with pytest.raises(ValueError):
        forecast_batch(Y, start, model="holt")
    with pytest.raises(ValueError):
        forecast_batch(Y, start, model="ses", quantiles=(1.5,))
