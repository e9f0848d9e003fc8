"""Confidence intervals for simulation output (numpy and the standard library only).

Independent replications give i.i.d. estimates Y_1..Y_R of a steady-state mean; the interval is
the classical Student-t one, Ybar +/- t_{R-1, (1+c)/2} * S / sqrt(R) (Law 2015, *Simulation
Modeling and Analysis*, 5th ed., section 9.4.1; the batch-means variant is section 9.5.2).
The t quantile is computed from the exact closed form of the Student-t distribution for an
integer number of degrees of freedom (Abramowitz & Stegun 1964, eq. 26.7.3), so that no
statistics library is needed.
"""
from __future__ import annotations

import math

import numpy as np


def student_t_two_sided(t: float, dof: int) -> float:
    """Pr{|T| <= t} for Student's t with integer ``dof`` >= 1 (A&S 26.7.3)."""
    if dof < 1:
        raise ValueError("dof must be >= 1")
    if t <= 0.0:
        return 0.0
    theta = math.atan(t / math.sqrt(dof))
    s, c = math.sin(theta), math.cos(theta)
    c2 = c * c
    if dof % 2 == 1:
        total, term = 0.0, c  # cos + 2/3 cos^3 + (2*4)/(3*5) cos^5 + ...
        if dof > 1:
            total = term
            for k in range(2, dof - 1, 2):
                term *= c2 * k / (k + 1)
                total += term
        return min(1.0, (2.0 / math.pi) * (theta + s * total))
    total, term = 1.0, 1.0  # 1 + 1/2 cos^2 + (1*3)/(2*4) cos^4 + ...
    for k in range(1, dof - 2, 2):
        term *= c2 * k / (k + 1)
        total += term
    return min(1.0, s * total)


def student_t_quantile(confidence: float, dof: int) -> float:
    """The t with Pr{|T| <= t} = ``confidence`` (e.g. 12.706 for 0.95 and 1 dof)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be in (0, 1)")
    lo, hi = 0.0, 1.0
    while student_t_two_sided(hi, dof) < confidence:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if student_t_two_sided(mid, dof) < confidence:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, hi):
            break
    return 0.5 * (lo + hi)


def mean_half_width(samples: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Mean and t-interval half-width over axis 0 of ``samples`` (replications first)."""
    x = np.asarray(samples, dtype=float)
    n = x.shape[0]
    mean = x.mean(axis=0)
    if n < 2:
        return mean, np.full_like(mean, np.inf)
    sd = x.std(axis=0, ddof=1)
    return mean, student_t_quantile(confidence, n - 1) * sd / math.sqrt(n)
