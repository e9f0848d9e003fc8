"""Pipeline distributions and backorder moments, vectorised over any array shape.

Palm's theorem (Palm 1938, Ericsson Technics 5:1-189; Sherbrooke 2004, sec. 2.3): with Poisson
demand of rate m and i.i.d. resupply times of mean T (ample servers) the number in resupply X is
Poisson(mu = m T) in steady state. With compound-Poisson demand, or when the variance of depot
delay is passed down (VARI-METRIC), X is fitted by a negative binomial with the same mean and
variance (Sherbrooke 2004, sec. 2.9 and eq. 4.11-4.12; Slay 1984, LMI; Graves 1985, Management
Science 31(10):1247-1256).

Both families share one recursion. Writing v = Var/E >= 1 (d = v - 1):

    p(0)   = exp(-mu * log(1 + d) / d)            (Poisson: exp(-mu), the limit d -> 0)
    p(x+1) = p(x) * (alpha + beta * x) / (x + 1),  alpha = mu / v,  beta = d / v

which is Poisson for d = 0 and the negative binomial with b = (v-1)/v, a = mu/(v-1) otherwise
(Sherbrooke 2004, eq. 2.19-2.20). Backorder moments for every stock level then follow by
cumulative sums of tail probabilities (Sherbrooke 2004, eq. 2.7 and 2.11):

    EBO(0) = mu,           EBO(s+1) = EBO(s) - Pr{X > s}
    B2(0)  = Var + mu^2,   B2(s+1)  = B2(s) - 2 EBO(s) + Pr{X > s},   VBO(s) = B2(s) - EBO(s)^2

A variance-to-mean below 1 is treated as 1 (Poisson).
"""
from __future__ import annotations

import numpy as np
from scipy import special

# below this log p(0) the recursion would start from an underflowed 0: use special functions
_LOG_P0_FLOOR = -600.0


def nb_coefficients(mean: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(alpha, beta, log p0) of the shared Poisson/negative-binomial recursion (module docstring)."""
    mean = np.asarray(mean, dtype=float)
    var = np.maximum(np.asarray(var, dtype=float), mean)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.where(mean > 0, var / np.where(mean > 0, mean, 1.0) - 1.0, 0.0)
        d = np.maximum(d, 0.0)
        small = d < 1e-9
        g = np.where(small, 1.0 - 0.5 * d, np.log1p(d) / np.where(small, 1.0, d))
    v = 1.0 + d
    return mean / v, d / v, -mean * g


def _cdf_special(x: int, mean: np.ndarray, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Pr{X <= x} by incomplete gamma/beta functions (used only where p(0) underflows)."""
    out = np.empty_like(mean)
    pois = beta <= 1e-12
    if pois.any():
        out[pois] = special.pdtr(x, mean[pois])
    nb = ~pois
    if nb.any():
        b = beta[nb]
        a = alpha[nb] / b
        out[nb] = special.betainc(a, x + 1.0, 1.0 - b)
    return out


def backorder_curves(
    mean: np.ndarray, var: np.ndarray, smax: int, with_var: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """EBO(s) and VBO(s) for s = 0..smax; arrays of shape mean.shape + (smax + 1,).

    Implements the recursions of the module docstring (Sherbrooke 2004, eq. 2.7, 2.11) for
    Poisson (Palm 1938) or negative-binomial pipelines (Sherbrooke 2004, eq. 2.19-2.20).
    """
    mean = np.asarray(mean, dtype=float)
    shape = mean.shape
    ebo, vbo = backorder_levels(mean, var, smax, with_var)
    out_e = np.moveaxis(ebo.reshape((smax + 1,) + shape), 0, -1)
    if not with_var:
        return out_e, None
    return out_e, np.moveaxis(vbo.reshape((smax + 1,) + shape), 0, -1)


def backorder_levels(
    mean: np.ndarray, var: np.ndarray, smax: int, with_var: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """`backorder_curves` in level-major layout: arrays (smax + 1, mean.size), row s = level s.

    Each recursion step writes one contiguous row; callers that work level by level (or
    transpose once for their own layout) avoid the strided copy of the curve layout.
    """
    mean = np.asarray(mean, dtype=float)
    var = np.maximum(np.asarray(var, dtype=float), mean)
    mean_f, var_f = mean.ravel(), var.ravel()
    alpha, beta, logp0 = nb_coefficients(mean_f, var_f)
    n = mean_f.size
    ebo = np.empty((smax + 1, n))
    ebo[0] = mean_f
    if with_var:
        b2 = np.empty((smax + 1, n))
        b2[0] = var_f + mean_f**2
    big = np.flatnonzero(logp0 < _LOG_P0_FLOOR)
    poisson = not np.any(beta)  # then alpha + beta * s == alpha exactly
    p = np.exp(logp0)
    cdf = p.copy()
    tail = np.empty(n)
    step = np.empty(n)
    for s in range(smax):
        if big.size:
            cdf[big] = _cdf_special(s, mean_f[big], alpha[big], beta[big])
        np.subtract(1.0, cdf, out=tail)
        np.maximum(tail, 0.0, out=tail)  # = clip to [0, 1]: cdf >= 0
        np.subtract(ebo[s], tail, out=ebo[s + 1])
        if with_var:
            b2[s + 1] = b2[s] - 2.0 * ebo[s] + tail
        if s + 1 < smax:
            if poisson:
                np.divide(alpha, s + 1.0, out=step)
            else:
                np.multiply(beta, s, out=step)
                np.add(alpha, step, out=step)
                np.divide(step, s + 1.0, out=step)
            p *= step
            cdf += p
    np.maximum(ebo, 0.0, out=ebo)
    if not with_var:
        return ebo, None
    return ebo, np.maximum(b2 - ebo**2, 0.0)


def backorders_at(
    mean: np.ndarray, var: np.ndarray, stock: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """EBO(s) and VBO(s) at one stock level per entry (arrays of any common shape).

    Same recursions as `backorder_curves`, run only as far as each entry's own stock level
    (entries drop out of the active set as their level is reached), so one item with a large
    stock does not make the whole batch slow.
    """
    mean, var, stock = np.broadcast_arrays(
        np.asarray(mean, dtype=float), np.asarray(var, dtype=float), np.asarray(stock)
    )
    shape = mean.shape
    mean_f = mean.ravel()
    var_f = np.maximum(var.ravel(), mean_f)
    s_f = np.maximum(stock.ravel().astype(np.int64), 0)
    alpha, beta, logp0 = nb_coefficients(mean_f, var_f)
    out_ebo = mean_f.copy()
    out_b2 = var_f + mean_f**2
    idx = np.flatnonzero(s_f > 0)
    if idx.size:
        m_a, al, be, s_a = mean_f[idx], alpha[idx], beta[idx], s_f[idx]
        big = logp0[idx] < _LOG_P0_FLOOR
        ebo, b2 = out_ebo[idx], out_b2[idx]
        p = np.exp(logp0[idx])
        cdf = p.copy()
        x = 0
        finished = 0  # entries past their level still in the arrays (dropped in batches)
        while idx.size:
            if big.any():
                cdf[big] = _cdf_special(x, m_a[big], al[big], be[big])
            tail = np.maximum(1.0 - cdf, 0.0)  # = clip to [0, 1]: cdf >= 0
            # Past the right end of the support (Pr{X > x} is 0 in floating point, or the pmf
            # term has underflowed to 0 above the mean, leaving only the rounding residue of the
            # summed cdf as "tail"), Pr{X > k} is 0 for every k >= x: EBO stops changing and
            # E[B^2] falls by 2 EBO a level. An entry with a far larger stock (a fuzzed 10^9,
            # say) is finished in closed form instead of stepping through every level.
            flat = np.flatnonzero((s_a > x) & ((tail == 0.0) | ((p == 0.0) & ~big & (x > m_a))))
            if flat.size:
                out_ebo[idx[flat]] = ebo[flat]
                out_b2[idx[flat]] = b2[flat] - 2.0 * ebo[flat] * (s_a[flat] - x)
                s_a[flat] = x
                finished += flat.size
            b2 = b2 - 2.0 * ebo + tail
            ebo = ebo - tail
            p *= (al + be * x) / (x + 1.0)
            cdf += p
            x += 1
            hit = np.flatnonzero(s_a == x)
            if hit.size:
                out_ebo[idx[hit]] = ebo[hit]
                out_b2[idx[hit]] = b2[hit]
                finished += hit.size
            if finished and 2 * finished >= idx.size:
                keep = s_a > x
                idx, m_a, al, be, s_a, big = idx[keep], m_a[keep], al[keep], be[keep], s_a[keep], big[keep]
                ebo, b2, p, cdf = ebo[keep], b2[keep], p[keep], cdf[keep]
                finished = 0
    out_ebo = np.maximum(out_ebo, 0.0)
    vbo = np.maximum(out_b2 - out_ebo**2, 0.0)
    return out_ebo.reshape(shape), vbo.reshape(shape)


def tail_level(mean: np.ndarray, var: np.ndarray, tol: float, cap: int) -> np.ndarray:
    """Smallest s >= 0 with Pr{X > s} < tol (at most ``cap``), per entry.

    Used to bound the stock levels worth considering: beyond it a unit of stock lowers EBO by
    less than ``tol`` (EBO(s) - EBO(s+1) = Pr{X > s}, Sherbrooke 2004 eq. 2.7).
    """
    mean = np.asarray(mean, dtype=float)
    shape = mean.shape
    mean_f = mean.ravel()
    var_f = np.maximum(np.broadcast_to(np.asarray(var, dtype=float), shape).ravel(), mean_f)
    alpha, beta, logp0 = nb_coefficients(mean_f, var_f)
    out = np.full(mean_f.size, cap, dtype=np.int64)
    idx = np.arange(mean_f.size)
    p = np.exp(logp0)
    cdf = p.copy()
    m_a, al, be = mean_f, alpha, beta
    big = logp0 < _LOG_P0_FLOOR
    for s in range(cap):
        if big.any():
            cdf[big] = _cdf_special(s, m_a[big], al[big], be[big])
        done = (1.0 - cdf) < tol
        if done.any():
            out[idx[done]] = s
            keep = ~done
            idx, m_a, al, be, big, p, cdf = idx[keep], m_a[keep], al[keep], be[keep], big[keep], p[keep], cdf[keep]
            if not idx.size:
                break
        p = p * (al + be * s) / (s + 1.0)
        cdf = cdf + p
    return out.reshape(shape)
