"""Vectorised simple-exponential-smoothing kernels shared by the point-forecast methods.

Every kernel works on many independent problems at once. A batch of problems is stored
*time-major and left-aligned*: ``X`` has shape ``(K, n)``; column ``j`` holds problem ``j``'s values
``x_0 .. x_{len_j - 1}`` in rows ``0 .. len_j - 1``; rows past ``len_j`` are padding (any finite
value) and never influence the result. Loops run over the (short) time axis only; every step is
one numpy operation over all problems.

The arithmetic reproduces, operation for operation, the scalar kernels of statsforecast 2.x
(``ses_forecast``, ``ses_sse`` and ``golden_section_ses`` in its ``src/ses.cpp``) so that the
optimised smoothing constant chosen here is bit-identical to statsforecast's:

* level: ``g_0 = x_0``, ``g_{i+1} = alpha * x_i + (1 - alpha) * g_i``; forecast = ``g_len``
  (``x_0`` itself when ``len == 1``);
* SSE of one-step errors: ``sum_{i>=1} (x_i - g_i)^2`` accumulated in time order (0 if ``len < 2``);
* golden-section search for alpha in ``[lower, upper]`` until ``|b - a| < 1e-12`` or an exact tie,
  returning ``(a + b) / 2``.

The golden-section search needs 40-57 SSE evaluations per problem, each a pass over the problem's
values; :func:`ses_optimized_ragged` runs it in the optional compiled kernel ``_kernel`` (C, built
by ``pip install -e .``) when it is available, else in numpy (:func:`golden_alpha`). Both give
bit-identical results; set ``SETU_FORECAST_KERNEL=numpy`` (or ``USE_KERNEL = False``) to force the
numpy path. Why the kernel exists: docs/architecture.md.
"""
from __future__ import annotations

import math
import os

import numpy as np

try:  # the optional compiled kernel (see setup.py); the numpy path below gives identical results
    from setu.engine.forecasting import _kernel
except ImportError:  # pragma: no cover - depends on the build
    _kernel = None

#: use the compiled kernel for the golden-section search when it is built
USE_KERNEL = _kernel is not None and os.environ.get("SETU_FORECAST_KERNEL", "").lower() != "numpy"

GOLDEN_RATIO = (math.sqrt(5.0) + 1.0) / 2.0
GOLDEN_TOL = 1e-12


def left_align(values: np.ndarray, owner: np.ndarray, n_problems: int) -> tuple[np.ndarray, np.ndarray]:
    """Pack a flat list of values, grouped by problem and in time order, into a left-aligned batch.

    ``values[m]`` belongs to problem ``owner[m]``; ``owner`` must be non-decreasing. Returns
    ``(X, lengths)`` with ``X`` of shape ``(max(lengths), n_problems)`` (zero padding).
    """
    lengths = np.bincount(owner, minlength=n_problems).astype(np.int64)
    K = int(lengths.max()) if lengths.size else 0
    X = np.zeros((max(K, 1), n_problems))
    if values.size:
        first = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        rank = np.arange(values.size) - first[owner]
        X[rank, owner] = values
    return X, lengths


def ses_levels(X: np.ndarray, alpha: np.ndarray | float) -> np.ndarray:
    """All smoothed levels: ``G[i] = g_i`` for ``i = 0..K`` (shape ``(K + 1, n)``).

    ``G[i]`` is the one-step-ahead forecast made after the first ``i`` observations
    (``G[0] = x_0``). For a problem of length ``len`` the out-of-sample forecast is ``G[len]``
    (``x_0`` when ``len == 1``, as statsforecast does) and its in-sample fitted values are
    ``G[1 .. len - 1]``.
    """
    K, n = X.shape
    alpha = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (n,))
    comp = 1.0 - alpha
    AX = alpha * X
    G = np.empty((K + 1, n))
    G[0] = X[0]
    for i in range(K):
        np.multiply(comp, G[i], out=G[i + 1])
        np.add(AX[i], G[i + 1], out=G[i + 1])
    return G


def ses_last(X: np.ndarray, lengths: np.ndarray, alpha: float | np.ndarray, *,
             presorted: bool = False) -> np.ndarray:
    """SES forecast ``g_len`` of every problem with one scalar alpha, without storing the levels.

    Problems are visited in order of decreasing length, so that step ``i`` updates only the
    leading slice of problems still running: the work is ``sum(lengths)``, not ``K * n``.
    ``presorted``: the columns of X are already in order of non-increasing length.
    """
    K, n = X.shape
    if n == 0:
        return np.zeros(0)
    scalar = np.ndim(alpha) == 0
    alpha = float(alpha) if scalar else np.asarray(alpha, dtype=np.float64)
    order = None
    if not presorted and not (lengths == lengths[0]).all():
        order = np.argsort(-lengths, kind="stable")
        X = X[:, order]
        lengths = lengths[order]
        if not scalar:
            alpha = alpha[order]
    comp = 1.0 - alpha
    g = X[0].copy()
    if (lengths == K).all():  # dense: every problem runs every step
        AX = X * alpha
        for i in range(K):
            g *= comp
            g += AX[i]
        return np.where(lengths == 1, X[0], g)
    running = np.searchsorted(-lengths, -np.arange(K), side="left")  # #problems with len > i
    tmp = np.empty(n)
    for i in range(K):
        m = int(running[i])
        if m == 0:
            break
        gi = g[:m]
        t = tmp[:m]
        if scalar:
            gi *= comp
            np.multiply(X[i, :m], alpha, out=t)
        else:
            gi *= comp[:m]
            np.multiply(X[i, :m], alpha[:m], out=t)
        gi += t
    g = np.where(lengths == 1, X[0], g)
    if order is None:
        return g
    out = np.empty(n)
    out[order] = g
    return out


def ses_forecast(X: np.ndarray, lengths: np.ndarray, alpha: np.ndarray | float) -> np.ndarray:
    """One-step-ahead SES forecast of each problem (statsforecast ``ses_forecast`` convention)."""
    n = X.shape[1]
    if n == 0:
        return np.zeros(0)
    G = ses_levels(X, alpha)
    out = G[lengths, np.arange(n)]
    return np.where(lengths == 1, X[0], out)


def ses_sse(X: np.ndarray, mask: np.ndarray | None, alpha: np.ndarray, work: np.ndarray | None = None) -> np.ndarray:
    """In-sample SSE of one-step SES errors for each problem, accumulated in time order.

    ``mask`` has shape ``(K - 1, n)``: ``mask[i - 1, j] = 1.0`` when ``x_i`` of problem ``j`` is
    real data (``i < len_j``) and ``0.0`` otherwise (None: every problem has length K). ``work``: optional scratch of shape
    ``(2, K - 1, n)``.
    """
    K, n = X.shape
    if K < 2:
        return np.zeros(n)
    if work is None:
        work = np.empty((2, K - 1, n))
    AX, F = work[0], work[1]
    comp = 1.0 - alpha
    np.multiply(alpha, X[:-1], out=AX)
    prev = X[0]
    for i in range(K - 1):
        row = F[i]
        np.multiply(comp, prev, out=row)
        np.add(AX[i], row, out=row)
        prev = row
    np.subtract(X[1:], F, out=F)
    np.multiply(F, F, out=F)
    if mask is not None:
        np.multiply(F, mask, out=F)
    # The errors must be added one after the other, in the scalar loop's order. ``add.reduce``
    # over the slow axis of a C-ordered (K - 1, n >= 2) array does exactly that (the inner loop
    # runs across problems); with one column the axis is contiguous and numpy would switch to
    # pairwise summation, so small batches take a running sum instead.
    if n < 16:
        np.add.accumulate(F, axis=0, out=F)
        return F[-1].copy()
    return np.add.reduce(F, axis=0)


def _golden_dense(X: np.ndarray, lengths: np.ndarray, lower: float, upper: float) -> np.ndarray:
    """Golden-section search (statsforecast ``golden_section_ses``) for every column of X at once.

    Each iteration moves every running problem left (``fc < fd``: ``b = d, d = c`` and a new
    ``c``) or right (``a = c, c = d`` and a new ``d``) and evaluates the SSE at its one new point.
    A problem stops when ``|b - a| < 1e-12`` or at an exact tie ``fc == fd``; its answer is
    recorded then, and stopped problems are dropped from the working set in batches.
    """
    K, n = X.shape
    mask = None
    if (lengths < K).any():
        mask = (np.arange(1, K)[:, None] < lengths[None, :]).astype(np.float64)
    work = np.empty((2, max(K - 1, 1), n))
    a = np.full(n, float(lower))
    b = np.full(n, float(upper))
    c = b - (b - a) / GOLDEN_RATIO
    d = a + (b - a) / GOLDEN_RATIO
    fc = ses_sse(X, mask, c, work)
    fd = ses_sse(X, mask, d, work)
    alpha_out = np.empty(n)
    idx = np.arange(n)
    done = np.zeros(n, dtype=bool)
    while idx.size:
        stop = ~done & ((np.abs(b - a) < GOLDEN_TOL) | (fc == fd))
        if stop.any():
            alpha_out[idx[stop]] = (b[stop] + a[stop]) / 2.0
            done |= stop
            if done.all():
                break
        # Stopped problems keep moving harmlessly (their answer is recorded) until a quarter of
        # the working set has stopped; then the working set is compacted.
        if done.mean() >= 0.25:
            keep = np.nonzero(~done)[0]
            done = np.zeros(keep.size, dtype=bool)
            idx = idx[keep]
            X = np.ascontiguousarray(X[:, keep])
            if mask is not None:
                mask = np.ascontiguousarray(mask[:, keep])
            a, b, c, d, fc, fd = a[keep], b[keep], c[keep], d[keep], fc[keep], fd[keep]
            work = np.empty((2, max(K - 1, 1), keep.size))
        left = fc < fd
        # left:  b = d; d = c; fd = fc; c = b - (b - a) / gr  (new point c)
        # right: a = c; c = d; fc = fd; d = a + (b - a) / gr  (new point d)
        a = np.where(left, a, c)
        b = np.where(left, d, b)
        kept_x = np.where(left, c, d)
        kept_f = np.where(left, fc, fd)
        w = (b - a) / GOLDEN_RATIO
        x = np.where(left, b - w, a + w)
        f = ses_sse(X, mask, x, work)
        c = np.where(left, x, kept_x)
        d = np.where(left, kept_x, x)
        fc = np.where(left, f, kept_f)
        fd = np.where(left, kept_f, f)
    return alpha_out


# Cost model used to split a batch of problems into groups of similar length: one numpy call
# costs about CALL_COST element-operations. Groups wider than MAX_WIDTH problems are cut into
# chunks so that the working set of the time loop stays in the CPU cache.
_CALL_COST = 5000.0
MAX_WIDTH = 6000


def _length_groups(sorted_lengths: np.ndarray) -> list[tuple[int, int]]:
    """Split problems sorted by length into contiguous groups minimising a simple cost model.

    Each group runs the time loop up to its own longest problem: cost = calls + padded elements.
    Solved exactly by dynamic programming over the distinct lengths.
    """
    n = sorted_lengths.size
    if n == 0:
        return []
    vals, first = np.unique(sorted_lengths, return_index=True)
    ends = np.append(first[1:], n)  # group of distinct value v spans [first, end)
    D = vals.size
    best = np.full(D + 1, np.inf)
    best[0] = 0.0
    arg = np.zeros(D + 1, dtype=np.int64)
    for j in range(1, D + 1):  # groups covering distinct values [i, j)
        K = float(vals[j - 1])
        stop = ends[j - 1]
        for i in range(j):
            count = stop - first[i]
            chunks = -(-count // MAX_WIDTH)
            cost = best[i] + chunks * (2.0 * K + 20.0) * _CALL_COST + 3.0 * K * count
            if cost < best[j]:
                best[j] = cost
                arg[j] = i
    out = []
    j = D
    while j > 0:
        i = arg[j]
        out.append((int(first[i]), int(ends[j - 1])))
        j = i
    return out[::-1]


def golden_alpha(X: np.ndarray, lengths: np.ndarray, lower: float = 0.1, upper: float = 0.3) -> np.ndarray:
    """Optimised smoothing constant of every problem, bit-identical to statsforecast.

    Problems with fewer than two values have a flat (zero) SSE: the search stops at once and
    returns the midpoint ``(lower + upper) / 2``, as statsforecast does. Problems are grouped by
    length so that short problems do not pay for the longest one.
    """
    n = X.shape[1]
    alpha = np.full(n, (float(lower) + float(upper)) / 2.0)
    todo = np.nonzero(lengths >= 2)[0]
    if todo.size == 0:
        return alpha
    order = todo[np.argsort(lengths[todo], kind="stable")]
    sl = lengths[order]
    for lo, hi in _length_groups(sl):
        cols = order[lo:hi]
        K = int(sl[hi - 1])
        for o in range(0, cols.size, MAX_WIDTH):
            cc = cols[o: o + MAX_WIDTH]
            alpha[cc] = _golden_dense(np.ascontiguousarray(X[:K, cc]), lengths[cc], lower, upper)
    return alpha


def ses_optimized_forecast(
    X: np.ndarray, lengths: np.ndarray, lower: float = 0.1, upper: float = 0.3
) -> tuple[np.ndarray, np.ndarray]:
    """Forecast with the golden-section-optimised alpha; returns ``(forecast, alpha)``."""
    alpha = golden_alpha(X, lengths, lower, upper)
    return ses_last(X, lengths, alpha), alpha


def ses_optimized_ragged(values: np.ndarray, offsets: np.ndarray, lower: float, upper: float
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Golden-section-optimised SES of ragged problems; returns ``(forecast, alpha)``.

    Problem ``i`` is ``values[offsets[i]:offsets[i + 1]]`` (time order). A problem of length 0
    forecasts 0, one of length 1 its value; both get alpha ``(lower + upper) / 2``.
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    n = offsets.size - 1
    lengths = np.diff(offsets)
    if n == 0:
        return np.zeros(0), np.zeros(0)
    if USE_KERNEL and _kernel is not None:
        # longest first: lanes of the kernel then hold problems of one length most of the time
        order = (np.arange(n, dtype=np.int64) if (lengths == lengths[0]).all()
                 else np.argsort(-lengths, kind="stable").astype(np.int64))
        alpha = np.empty(n)
        fc = np.empty(n)
        _kernel.golden_ses(values, offsets, order, float(lower), float(upper), GOLDEN_RATIO, GOLDEN_TOL,
                           alpha, fc)
        return fc, alpha
    owner = np.repeat(np.arange(n), lengths)
    X, _ = left_align(values, owner, n)
    alpha = golden_alpha(X, lengths, lower, upper)
    fc = np.where(lengths == 0, 0.0, ses_last(X, np.maximum(lengths, 1), alpha))
    return fc, alpha
