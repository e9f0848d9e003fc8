"""Demand-pattern classification (Syntetos-Boylan-Croston), for all series at once.

Syntetos, Boylan & Croston (2005), "On the categorization of demand patterns", JORS
56(5):495-503, with the cut-offs of Syntetos & Boylan (2005, IJF 21:303-314):

* ``ADI = n_periods / n_demands``, the average inter-demand interval over each series' observed
  periods (from its ``start``);
* ``CV2 = (std / mean)^2`` of the non-zero demand sizes (population standard deviation);
* smooth: ADI < 1.32 and CV2 < 0.49; erratic: ADI < 1.32 and CV2 >= 0.49;
  intermittent: ADI >= 1.32 and CV2 < 0.49; lumpy: ADI >= 1.32 and CV2 >= 0.49.

With these definitions the RAF data (5,000 items) give 2,905 intermittent and 2,095 lumpy items and
the AUTO data of Syntetos & Boylan (3,000 items) 1,241 smooth, 378 erratic, 1,074 intermittent and
307 lumpy (the counts in the project's reference note; reproduced by the tests). A series with no
demand has ADI = inf, CV2 = NaN and class ``NO_DEMAND`` (-1).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ADI_CUTOFF", "CV2_CUTOFF", "CLASS_NAMES", "SMOOTH", "ERRATIC", "INTERMITTENT", "LUMPY",
           "NO_DEMAND", "Classification", "classify"]

ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
SMOOTH, ERRATIC, INTERMITTENT, LUMPY, NO_DEMAND = 0, 1, 2, 3, -1
CLASS_NAMES = ("smooth", "erratic", "intermittent", "lumpy")


@dataclass(frozen=True)
class Classification:
    """Per-series ADI, CV2, number of demands and class code (see the module docstring)."""

    adi: np.ndarray
    cv2: np.ndarray
    n_demands: np.ndarray
    code: np.ndarray

    def names(self) -> np.ndarray:
        """Class names per series ("no demand" for code -1)."""
        table = np.array(CLASS_NAMES + ("no demand",), dtype=object)
        return table[self.code]

    def counts(self) -> dict[str, int]:
        return {name: int((self.code == c).sum()) for c, name in enumerate(CLASS_NAMES)} | {
            "no demand": int((self.code == NO_DEMAND).sum())}


def classify(Y: Any, start: Any = None, *, adi_cutoff: float = ADI_CUTOFF,
             cv2_cutoff: float = CV2_CUTOFF) -> Classification:
    """Classify every series of ``Y`` (n_series, n_periods); periods before ``start`` are ignored."""
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim == 1:
        Y = Y[None, :]
    n, T = Y.shape
    start = np.zeros(n, dtype=np.int64) if start is None else np.asarray(start, dtype=np.int64)
    observed = np.arange(T)[None, :] >= start[:, None]
    occ = (Y > 0) & observed
    k = occ.sum(axis=1)
    periods = (T - start).astype(np.float64)
    sizes = np.where(occ, Y, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        adi = np.where(k > 0, periods / k, np.inf)
        mean = sizes.sum(axis=1) / k
        var = np.where(occ, (Y - mean[:, None]) ** 2, 0.0).sum(axis=1) / k
        cv2 = np.where(k > 0, var / mean**2, np.nan)
    a = adi >= adi_cutoff
    c = cv2 >= cv2_cutoff
    code = np.where(a, np.where(c, LUMPY, INTERMITTENT), np.where(c, ERRATIC, SMOOTH))
    code = np.where(k > 0, code, NO_DEMAND).astype(np.int64)
    return Classification(adi, cv2, k.astype(np.int64), code)
