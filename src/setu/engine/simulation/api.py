"""``simulate``: replicated discrete-event estimates of backorders and availability.

Output analysis follows the method of independent replications (Law 2015, *Simulation Modeling
and Analysis*, 5th ed., sec. 9.4): each replication starts with empty pipelines and full stock,
runs ``warmup_years`` (discarded, to remove the initial transient) plus ``horizon_years``
(measured), and yields time averages; the R replication averages are i.i.d., so a Student-t
interval with R - 1 degrees of freedom covers the steady-state mean. Every replication has its
own random stream spawned from ``numpy.random.SeedSequence(seed)``, so results are identical for
a given seed, whatever else runs.
"""
from __future__ import annotations

import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from setu.engine.simulation.des import REPAIR_DISTRIBUTIONS, run_replication, unit_types
from setu.engine.simulation.network import Network, compile_case, stock_array
from setu.engine.simulation.stats import mean_half_width


@dataclass(frozen=True)
class Estimate:
    """A simulated mean with its confidence interval."""

    mean: float
    half_width: float

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def covers(self, value: float, rel_tol: float = 0.0) -> bool:
        """True if ``value`` lies in the interval, or within ``rel_tol`` of the mean."""
        return (self.low <= value <= self.high) or abs(value - self.mean) <= rel_tol * abs(self.mean)


@dataclass(frozen=True)
class SimulationResult:
    """Steady-state estimates from :func:`simulate` (arrays indexed [item, site]).

    Attributes:
        item_ids, site_ids: row and column labels in case order (as in the readiness
            engine's ``Evaluation``); ``depot_col`` is the depot's column (-1 if none) and
            ``lru_mask`` marks the LRU rows.
        ebo_mean, ebo_half_width: time-average backorders per stock point and the half-width of
            its confidence interval. Depot backorders are reported too.
        vbo, vbo_half_width: variance of the backorder level over time (pooled over
            replications) and the half-width of the interval from per-replication variances.
        ebo_replicates: ``[replication, item, site]`` replication averages.
        pipeline_mean, pipeline_half_width: time-average outstanding replenishments (the
            resupply pipeline X of Palm's theorem).
        demand_rate: observed demands per year at each stock point.
        mean_resupply_time: observed mean replenishment time (years) per stock point.
        availability_keys: ``(base id, equipment type)`` for every type with units at a base.
        availability_mean, availability_half_width: fraction of units up, with units down
            counted directly (a unit is down while any LRU position on it is a hole; holes
            placed at random, no cannibalisation).
        availability_formula_mean, availability_formula_half_width: the analytic-comparable
            value: A = prod_i (1 - EBO_ij/(N_j Z_i))^{Z_i} evaluated on each replication's
            simulated EBO (Sherbrooke 2004 sec. 5.2), with EBO split over equipment types in
            proportion to installed positions.
        fleet_types, fleet_availability_mean, fleet_availability_half_width: measured
            availability per equipment type over all bases (unit-weighted).
    """

    item_ids: tuple[str, ...]
    site_ids: tuple[str, ...]
    depot_col: int
    lru_mask: np.ndarray
    horizon_years: float
    warmup_years: float
    replications: int
    seed: int
    confidence: float
    repair_distribution: str
    ebo_mean: np.ndarray
    ebo_half_width: np.ndarray
    vbo: np.ndarray
    vbo_half_width: np.ndarray
    ebo_replicates: np.ndarray
    pipeline_mean: np.ndarray
    pipeline_half_width: np.ndarray
    demand_rate: np.ndarray
    mean_resupply_time: np.ndarray
    availability_keys: tuple[tuple[str, str], ...]
    availability_mean: np.ndarray
    availability_half_width: np.ndarray
    availability_replicates: np.ndarray
    availability_formula_mean: np.ndarray
    availability_formula_half_width: np.ndarray
    fleet_types: tuple[str, ...] = ()
    fleet_availability_mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    fleet_availability_half_width: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def _ij(self, item: str, site: str) -> tuple[int, int]:
        try:
            return self.item_ids.index(item), self.site_ids.index(site)
        except ValueError:
            raise KeyError(f"no stock point ({item}, {site})") from None

    def ebo(self, item: str, site: str) -> Estimate:
        """Expected backorders of ``item`` at ``site`` with its confidence interval."""
        i, j = self._ij(item, site)
        return Estimate(float(self.ebo_mean[i, j]), float(self.ebo_half_width[i, j]))

    def vbo_estimate(self, item: str, site: str) -> Estimate:
        """Variance of backorders of ``item`` at ``site`` with its confidence interval."""
        i, j = self._ij(item, site)
        return Estimate(float(self.vbo[i, j]), float(self.vbo_half_width[i, j]))

    def pipeline(self, item: str, site: str) -> Estimate:
        i, j = self._ij(item, site)
        return Estimate(float(self.pipeline_mean[i, j]), float(self.pipeline_half_width[i, j]))

    def base_ebo_total(self) -> Estimate:
        """Sum of base backorders over all LRUs and bases (the METRIC objective)."""
        bases = [k for k in range(len(self.site_ids)) if k != self.depot_col]
        tot = self.ebo_replicates[:, self.lru_mask][:, :, bases].sum(axis=(1, 2))
        m, h = mean_half_width(tot, self.confidence)
        return Estimate(float(m), float(h))

    def availability(self, site: str, equipment_type: str) -> Estimate:
        """Measured fraction of ``equipment_type`` units up at ``site``."""
        k = self.availability_keys.index((site, equipment_type))
        return Estimate(float(self.availability_mean[k]), float(self.availability_half_width[k]))

    def fleet_availability(self, equipment_type: str) -> Estimate:
        """Measured fraction of ``equipment_type`` units up over all bases."""
        k = self.fleet_types.index(equipment_type)
        return Estimate(float(self.fleet_availability_mean[k]),
                        float(self.fleet_availability_half_width[k]))

    def availability_formula(self, site: str, equipment_type: str) -> Estimate:
        """The product formula evaluated on simulated EBO."""
        k = self.availability_keys.index((site, equipment_type))
        return Estimate(float(self.availability_formula_mean[k]),
                        float(self.availability_formula_half_width[k]))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (means and half-widths), shaped like the readiness Evaluation's."""
        def est(m: float, h: float) -> dict[str, float]:
            return {"mean": float(m), "half_width": float(h)}

        items = {
            item: {
                site: {
                    "ebo": est(self.ebo_mean[i, k], self.ebo_half_width[i, k]),
                    "vbo": est(self.vbo[i, k], self.vbo_half_width[i, k]),
                    "pipeline": est(self.pipeline_mean[i, k], self.pipeline_half_width[i, k]),
                    "demand_rate": float(self.demand_rate[i, k]),
                }
                for k, site in enumerate(self.site_ids)
            }
            for i, item in enumerate(self.item_ids)
        }
        avail: dict[str, dict[str, Any]] = {}
        for k, (site, ty) in enumerate(self.availability_keys):
            avail.setdefault(site, {})[ty] = {
                "units": est(self.availability_mean[k], self.availability_half_width[k]),
                "formula": est(self.availability_formula_mean[k],
                               self.availability_formula_half_width[k]),
            }
        total = self.base_ebo_total()
        return {
            "method": "independent replications",
            "horizon_years": self.horizon_years,
            "warmup_years": self.warmup_years,
            "replications": self.replications,
            "seed": self.seed,
            "confidence": self.confidence,
            "repair_distribution": self.repair_distribution,
            "total_base_ebo": est(total.mean, total.half_width),
            "availability": avail,
            "fleet_availability": {
                ty: est(self.fleet_availability_mean[k], self.fleet_availability_half_width[k])
                for k, ty in enumerate(self.fleet_types)
            },
            "items": items,
        }


def _formula_availability(net: Network, ebo: np.ndarray, keys: list[tuple[int, str]]) -> np.ndarray:
    """A_jt = prod_i (1 - EBO_ij / P_ij)^{Z_it}, P_ij = sum_t N_jt Z_it (random spread)."""
    out = np.ones(len(keys))
    for k, (b, ty) in enumerate(keys):
        n_of = net.units[b]
        for node in net.nodes:
            if node.parent >= 0:
                continue
            z = int(node.qpa.get(ty, 0))
            if z <= 0:
                continue
            p = sum(int(n_of.get(t2, 0)) * int(z2) for t2, z2 in node.qpa.items() if int(z2) > 0)
            frac = min(1.0, ebo[node.index, 1 + b] / p) if p else 0.0  # internal columns
            out[k] *= (1.0 - frac) ** z
    return out


def _one_replication(args: tuple) -> Any:
    net, stock, seq, kw = args
    return run_replication(net, stock, np.random.Generator(np.random.PCG64(seq)), **kw)


def simulate(
    case: Any,
    stock: Any,
    *,
    horizon_years: float = 100.0,
    warmup_years: float = 1.0,
    replications: int = 10,
    seed: int = 0,
    confidence: float = 0.95,
    repair_distribution: str = "deterministic",
    track_units: bool = True,
    workers: int = 1,
) -> SimulationResult:
    """Simulate a stock plan and estimate EBO per item/site and availability per site/type.

    Args:
        case: a :class:`setu.engine.readiness.case.Case` or a mapping in the readiness JSON
            format (see :mod:`setu.engine.simulation.network`).
        stock: item id -> site id -> stock level (missing entries are 0), or an int array
            ``[item, site]`` with the depot in column 0.
        horizon_years: measured length of each replication (after the warm-up).
        warmup_years: discarded start of each replication; should be several times the longest
            resupply time.
        replications: independent replications (>= 2 for an interval).
        seed: root seed; equal seeds give equal results.
        confidence: level of the Student-t intervals.
        repair_distribution: ``"deterministic"`` or ``"exponential"`` repair times (means as
            given); ship times are deterministic.
        track_units: also place holes on units and count units down (a Python loop over
            backordered failures; switch off for EBO-only runs).
        workers: run replications in this many processes (results are identical to a serial
            run, since every replication has its own seeded stream).
    """
    if horizon_years <= 0 or warmup_years < 0:
        raise ValueError("horizon_years must be > 0 and warmup_years >= 0")
    if replications < 1:
        raise ValueError("replications must be >= 1")
    if repair_distribution not in REPAIR_DISTRIBUTIONS:
        raise ValueError(f"repair_distribution must be one of {REPAIR_DISTRIBUTIONS}")
    net = case if isinstance(case, Network) else compile_case(case)
    s = stock_array(net, stock)
    total = warmup_years + horizon_years
    seqs = np.random.SeedSequence(int(seed)).spawn(int(replications))
    kw = dict(horizon=total, warmup=warmup_years, repair_distribution=repair_distribution,
              track_units=track_units)
    if workers > 1 and replications > 1:
        # replications are independent with their own streams: identical results in any order
        with ProcessPoolExecutor(max_workers=min(int(workers), int(replications))) as pool:
            outs = list(pool.map(_one_replication, [(net, s, sq, kw) for sq in seqs]))
    else:
        outs = [_one_replication((net, s, sq, kw)) for sq in seqs]
    cols = net.to_case_columns
    ebo_r = cols(np.stack([o.ebo for o in outs]))
    sq_r = cols(np.stack([o.ebo_sq for o in outs]))
    pipe_r = cols(np.stack([o.pipeline for o in outs]))
    ebo_m, ebo_h = mean_half_width(ebo_r, confidence)
    pipe_m, pipe_h = mean_half_width(pipe_r, confidence)
    vbo = np.maximum(sq_r.mean(axis=0) - ebo_m**2, 0.0)
    _, vbo_h = mean_half_width(sq_r - ebo_r**2, confidence)
    demand_rate = cols(np.stack([o.demands for o in outs]).mean(axis=0)) / horizon_years
    with warnings.catch_warnings():  # all-NaN columns: stock points that saw no demand
        warnings.simplefilter("ignore", RuntimeWarning)
        resupply = cols(np.nanmean(np.stack([o.mean_resupply_time for o in outs]), axis=0))

    types = unit_types(net)
    keys = [(b, ty) for b in range(len(net.base_ids)) for ty in types
            if int(net.units[b].get(ty, 0)) > 0]
    n_units = np.array([net.units[b][ty] for b, ty in keys], dtype=float)
    if keys:
        down_r = np.stack([[o.units_down[b, types.index(ty)] for b, ty in keys] for o in outs])
        avail_r = 1.0 - down_r / n_units
        if not track_units:
            avail_r = np.full_like(avail_r, np.nan)
        form_r = np.stack([_formula_availability(net, o.ebo, keys) for o in outs])
        tot = {ty: sum(n for (b, t2), n in zip(keys, n_units) if t2 == ty) for ty in types}
        fleet_types = [ty for ty in types if tot[ty] > 0]
        up = (avail_r * n_units)
        fleet_r = np.stack([sum(up[:, k] for k, (b, t2) in enumerate(keys) if t2 == ty) / tot[ty]
                            for ty in fleet_types], axis=1)
    else:
        avail_r = np.zeros((len(outs), 0))
        form_r = np.zeros((len(outs), 0))
        fleet_types, fleet_r = [], np.zeros((len(outs), 0))
    fl_m, fl_h = mean_half_width(fleet_r, confidence)
    a_m, a_h = mean_half_width(avail_r, confidence)
    f_m, f_h = mean_half_width(form_r, confidence)
    for arr in (ebo_m, ebo_h, vbo, vbo_h, ebo_r, pipe_m, pipe_h, demand_rate, resupply, a_m, a_h,
                avail_r, f_m, f_h, fl_m, fl_h):
        arr.setflags(write=False)
    return SimulationResult(
        item_ids=net.item_ids,
        site_ids=net.site_ids,
        depot_col=net.depot_col,
        lru_mask=np.array([n.parent < 0 for n in net.nodes], dtype=bool),
        horizon_years=float(horizon_years),
        warmup_years=float(warmup_years),
        replications=int(replications),
        seed=int(seed),
        confidence=float(confidence),
        repair_distribution=repair_distribution,
        ebo_mean=ebo_m,
        ebo_half_width=ebo_h,
        vbo=vbo,
        vbo_half_width=vbo_h,
        ebo_replicates=ebo_r,
        pipeline_mean=pipe_m,
        pipeline_half_width=pipe_h,
        demand_rate=demand_rate,
        mean_resupply_time=resupply,
        availability_keys=tuple((net.base_ids[b], ty) for b, ty in keys),
        availability_mean=a_m,
        availability_half_width=a_h,
        availability_replicates=avail_r,
        availability_formula_mean=f_m,
        availability_formula_half_width=f_h,
        fleet_types=tuple(fleet_types),
        fleet_availability_mean=fl_m,
        fleet_availability_half_width=fl_h,
    )

