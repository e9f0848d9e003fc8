"""Case inputs derived from records: shared by the readiness capability (over the database) and
the demo data set (over generated arrays), so that both derive them the same way.

Time unit: years (docs/readiness-case-format.md). All functions take and return numpy arrays
(scalars broadcast) and are elementwise.

- `depot_turnaround_years`: T_0 = (1 - c) x repair turnaround + c x procurement lead time, c the
  condemnation rate (a condemned unit is re-procured; Sherbrooke 2004 sec. 2.4, the METRIC depot
  pipeline with condemnations);
- `history_rate`: the mean monthly demand and its variance-to-mean ratio over a window of months
  (zeros for months without records), the sample variance with n - 1 (VARI-METRIC's VMR input,
  Sherbrooke 1986);
- `reliability_rate`: units x quantity per equipment x operating hours per year / MTBF
  (Sherbrooke 2004 sec. 2.2);
- `lru_quantity`: Z = round(quantity per assembly), at least 1 (half to even);
- `spares`: the engine's stock level s = on hand + pipeline (repairables serviceable +
  unserviceable + in repair + on order; consumables serviceable + on order: an unserviceable
  consumable does not come back).
"""
from __future__ import annotations

import numpy as np

DAYS_PER_YEAR = 365.0
#: Order-and-ship time base <- depot, days.
ORDER_SHIP_DAYS = 7.0
#: Depot repair turnaround when a repairable part gives none, days.
DEFAULT_REPAIR_DAYS = 30.0
#: The demand-history window of the LRU rates, months.
HISTORY_MONTHS = 24


def depot_turnaround_years(condemnation_rate, repair_turnaround_days, procurement_lead_time_days):
    """T_0 = ((1 - c) x repair turnaround + c x lead time) / 365, in years."""
    c = np.asarray(condemnation_rate, dtype=float)
    return ((1.0 - c) * np.asarray(repair_turnaround_days, dtype=float)
            + c * np.asarray(procurement_lead_time_days, dtype=float)) / DAYS_PER_YEAR


def history_rate(sum_q, sum_q2, months: int = HISTORY_MONTHS) -> tuple[np.ndarray, np.ndarray]:
    """(mean per month, variance-to-mean) from the window's sum of monthly quantities and of their
    squares over ``months`` months: mean = S1 / n, var = max(0, (S2 - n mean^2) / (n - 1)),
    VMR = var / mean (1 where the mean is 0)."""
    s1 = np.asarray(sum_q, dtype=float)
    s2 = np.asarray(sum_q2, dtype=float)
    n = float(months)
    mean = s1 / n
    var = np.maximum(0.0, (s2 - n * mean * mean) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        vmr = np.where(mean > 0, var / np.where(mean > 0, mean, 1.0), 1.0)
    return mean, vmr


def reliability_rate(units, quantity, hours_per_year, mtbf_hours):
    """Removals per year: units x quantity x operating hours per year / MTBF."""
    return (np.asarray(units, dtype=float) * np.asarray(quantity, dtype=float)
            * np.asarray(hours_per_year, dtype=float) / np.asarray(mtbf_hours, dtype=float))


def lru_quantity(quantity_per_assembly) -> np.ndarray:
    """Z of an LRU: its quantity per assembly rounded (half to even), at least 1."""
    return np.maximum(1, np.round(np.asarray(quantity_per_assembly, dtype=float))).astype(np.int64)


def spares(repairable, serviceable, unserviceable, in_repair, on_order) -> np.ndarray:
    """The engine's stock level s of a position (module docstring)."""
    rep = np.asarray(repairable, dtype=bool)
    sv, us, ir, oo = (np.asarray(x, dtype=np.int64) for x in (serviceable, unserviceable, in_repair, on_order))
    return np.where(rep, sv + us + ir + oo, sv + oo)
