"""The optional compiled kernel (golden-section-optimised SES) and its pure-numpy fallback give
bit-identical results, and the numpy path alone still matches statsforecast."""
from __future__ import annotations

import numpy as np
import pytest

from setu.engine.forecasting import _ses
from setu.engine.forecasting import methods as M

OPTIMISED = ["ses_opt", "croston_opt", "adida", "imapa"]

needs_kernel = pytest.mark.skipif(_ses._kernel is None, reason="compiled kernel not built")


def _ragged(seed=0, n=700):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, 70, n)
    lengths[:5] = [0, 1, 2, 3, 2]
    values = (rng.random(lengths.sum()) < 0.3) * rng.poisson(4, lengths.sum()).astype(float)
    values[rng.random(values.size) < 0.05] *= 1e4
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    values[offsets[10]:offsets[11]] = 3.0  # constant: exact ties
    values[offsets[11]:offsets[12]] = 0.0  # all zero
    values[offsets[12]:offsets[13]] = rng.gamma(2.0, 1.0, lengths[12])  # non-integer
    return values, offsets


def _both(fn, monkeypatch):
    monkeypatch.setattr(_ses, "USE_KERNEL", True)
    with_kernel = fn()
    monkeypatch.setattr(_ses, "USE_KERNEL", False)
    with_numpy = fn()
    return with_kernel, with_numpy


@needs_kernel
@pytest.mark.parametrize("bounds", [(0.1, 0.3), (0.01, 0.99)])
def test_kernel_and_numpy_bit_identical_on_ragged_problems(bounds, monkeypatch):
    values, offsets = _ragged()
    (fk, ak), (fn, an) = _both(lambda: _ses.ses_optimized_ragged(values, offsets, *bounds), monkeypatch)
    np.testing.assert_array_equal(ak, an)
    np.testing.assert_array_equal(fk, fn)
    lengths = np.diff(offsets)
    assert (ak[lengths < 2] == (bounds[0] + bounds[1]) / 2).all()
    assert fk[0] == 0.0 and fk[1] == values[offsets[1]]


@needs_kernel
def test_kernel_and_numpy_bit_identical_on_long_and_equal_length_problems(monkeypatch):
    rng = np.random.default_rng(4)
    for lengths in (np.full(100, 37), rng.integers(300, 500, 40)):
        offsets = np.concatenate(([0], np.cumsum(lengths)))
        values = rng.gamma(0.3, 5.0, offsets[-1]) * (rng.random(offsets[-1]) < 0.4)
        (fk, ak), (fn, an) = _both(lambda: _ses.ses_optimized_ragged(values, offsets, 0.01, 0.99), monkeypatch)
        np.testing.assert_array_equal(ak, an)
        np.testing.assert_array_equal(fk, fn)


@needs_kernel
@pytest.mark.parametrize("name", OPTIMISED)
def test_methods_identical_with_and_without_kernel(name, monkeypatch):
    rng = np.random.default_rng(5)
    n, T = 2000, 50
    p = rng.uniform(0.03, 0.7, n)
    Y = ((rng.random((n, T)) < p[:, None]) * (1 + rng.poisson(3, (n, T)))).astype(float)
    start = np.where(rng.random(n) < 0.3, rng.integers(0, T, n), 0)
    (k, nump) = _both(lambda: M.METHODS[name](Y, start), monkeypatch)
    np.testing.assert_array_equal(k.mean, nump.mean)
    for key in k.params:
        np.testing.assert_array_equal(k.params[key], nump.params[key])


def test_numpy_path_matches_statsforecast(monkeypatch):
    sf_models = pytest.importorskip("statsforecast.models")
    monkeypatch.setattr(_ses, "USE_KERNEL", False)
    rng = np.random.default_rng(9)
    n, T = 120, 40
    Y = ((rng.random((n, T)) < 0.3) * (1 + rng.poisson(3, (n, T)))).astype(float)
    cases = [(sf_models.SimpleExponentialSmoothingOptimized, M.ses_optimized),
             (sf_models.CrostonOptimized, M.croston_optimized), (sf_models.ADIDA, M.adida),
             (sf_models.IMAPA, M.imapa)]
    for make_model, ours in cases:
        model = make_model()
        ref = np.array([model.forecast(y=y, h=1)["mean"][0] for y in Y])
        np.testing.assert_allclose(ours(Y).mean, ref, rtol=0, atol=1e-9)


def test_kernel_rejects_inconsistent_buffers():
    if _ses._kernel is None:
        pytest.skip("compiled kernel not built")
    a, f = np.empty(2), np.empty(2)
    with pytest.raises(ValueError):
        _ses._kernel.golden_ses(np.zeros(3), np.array([0, 2, 9], dtype=np.int64), np.arange(2, dtype=np.int64),
                                0.1, 0.3, _ses.GOLDEN_RATIO, _ses.GOLDEN_TOL, a, f)
