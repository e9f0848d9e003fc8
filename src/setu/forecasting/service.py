"""Forecast runs over the database: use cases (services never commit).

A run forecasts every visible part x site series (or a filtered subset) and stores, per series, a
distribution rather than a point (:class:`setu.demand.models.ForecastResult`):

* **History series** (a part with demand recorded at a site): the monthly demand from the first
  recorded month of the series to the newest month in the data is one row of a
  :class:`setu.engine.forecasting.panel.Panel`; the engine
  (:func:`setu.engine.forecasting.pipeline.forecast_batch`) gives the method (or the automatic
  choice per series), the mean per month and the variance-to-mean ratio (VMR) of the negative
  binomial around it; the demand over the part's procurement lead time
  (``procurement_lead_time_days / 30.4375`` months) gives ``lead_time_mean``/``lead_time_var`` and
  the quantiles ``q50``/``q90``/``q99``. The Syntetos-Boylan-Croston class comes from
  :func:`setu.engine.forecasting.classify.classify`.
* **Accuracy**: the same method (and the same blend with a reliability rate, below) is refitted
  on the history without its last ``holdout_months`` and scored on them (RMSSE, scaled bias = sME, MASE; rolling-origin metrics of
  :mod:`setu.engine.forecasting.evaluation` at one origin). Series that start inside the holdout
  are not scored (None).
* **Reliability**: a part with an MTBF that sits in the bill of material of equipment units at a
  site has an engineering demand rate there (:func:`setu.engine.forecasting.reliability.
  reliability_demand_rate`: 1/MTBF x planned operating hours per month of the equipment type x
  quantity per equipment (the product of the quantities per assembly down the BOM) x units at the
  site; Sherbrooke 2004, §2.2). Where such a series has **no** demand history the run stores the
  gamma-Poisson prior (``method="reliability"``, VMR ``1 + 1/prior_months``, lead-time demand
  negative binomial; Aronis et al. 2004). Where it has history, the engineering rate is blended
  in with the weight of ``prior_months`` months of data: ``mean = w x rate + (1 - w) x
  forecast``, ``w = prior_months / (prior_months + observed months)`` (the gamma-Poisson posterior
  mean with the method's forecast standing in for the sample mean; ``method`` gets ``|rel``).
  With ``auto`` the engine combines the best-ranked methods of each series (their mean) and names
  them joined by ``+`` (``ses_opt+sba+tsb``); accuracy "by method" groups series by the first,
  best-ranked one.
  ``prior_months=0`` turns blending off.

Every number of a series depends on that series only, so the batch is cut into blocks of series
computed serially or on Dask (``workers=N`` / ``scheduler=ADDRESS``, through
:func:`setu.kit.compute.run_blocks`) with identical results. The negative binomial path draws no
random numbers: the ``seed`` is recorded with the run's parameters (and would seed any random
step), so the same data and parameters always give the same results.

Scoping: a run reads only the sites the actor may see (:func:`setu.fleet.policies.
visible_site_ids`); a run belongs to the actor's party (``party_id`` None for the installation's
batch runs); another party's run answers 404 and results are always filtered to visible sites.
"""
from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

import numpy as np
from sqlalchemy import String, func, insert, or_, select, type_coerce

from setu.catalog.models import BomLine, Part
from setu.catalog.service import family_heads
from setu.demand.models import DemandRecord
from setu.forecasting.models import ForecastResult, ForecastRun
from setu.fleet import policies as fleet_policies
from setu.catalog.models import EquipmentType
from setu.fleet.models import EquipmentUnit, Site
from setu.kit.access import Actor, require
from setu.kit.errors import ErrorList, FieldError, NotFound, ValidationFailed
from setu.kit.listing import Page, paginate
from setu.kit.uow import UnitOfWork

__all__ = [
    "METHODS", "LEVELS", "DAYS_PER_MONTH", "ForecastSpec", "ForecastInput", "ForecastOutput", "DemandRate",
    "validate_spec", "load_forecast_input", "compute_forecasts", "store_forecast_run", "start_forecast_run",
    "list_runs", "get_run", "run_results", "accuracy_summary", "latest_run_rates", "latest_run", "part_forecast",
    "result_labels", "method_group", "run_overviews", "record_failed_run", "PreparedRun", "prepare_forecast_run",
    "save_forecast_run",
]

#: Methods a run accepts (``auto`` chooses per series by rolling-origin evaluation).
METHODS = ("auto", "ses", "ses_opt", "croston", "sba", "tsb", "croston_opt", "adida", "imapa")
_ALPHA_METHODS = ("ses", "croston", "sba", "tsb")
#: Quantile levels stored per series (lead-time demand).
LEVELS = (0.5, 0.9, 0.99)
DAYS_PER_MONTH = 365.25 / 12
BLOCK_SERIES = 1000
MAX_HORIZON = 120
_INSERT_CHUNK = 2000
_IN_CHUNK = 900

Progress = Callable[[int, int], None]


# -- parameters ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ForecastSpec:
    """The validated parameters of a run (stored as JSON in ``ForecastRun.params``)."""

    method: str = "auto"
    horizon: int = 12
    alpha: float | None = None
    holdout_months: int = 6
    part_ids: tuple[uuid.UUID, ...] | None = None
    site_ids: tuple[uuid.UUID, ...] | None = None
    seed: int = 0
    prior_months: float = 12.0

    def params(self) -> dict[str, Any]:
        return {
            "method": self.method, "horizon": self.horizon, "alpha": self.alpha,
            "holdout_months": self.holdout_months, "seed": self.seed, "prior_months": self.prior_months,
            "quantiles": list(LEVELS), "lead_time": "procurement_lead_time_days / 30.4375",
            "part_ids": None if self.part_ids is None else [str(p) for p in self.part_ids],
            "site_ids": None if self.site_ids is None else [str(s) for s in self.site_ids],
            "distribution": "negative binomial (VMR of in-sample one-step errors)",
            "interchangeability": "demand of superseded parts rolled up into the replacing part",
        }


def _as_ids(values: Iterable[Any] | None, name: str, errors: ErrorList) -> tuple[uuid.UUID, ...] | None:
    if values is None:
        return None
    out = []
    for v in values:
        try:
            out.append(v if isinstance(v, uuid.UUID) else uuid.UUID(str(v)))
        except ValueError:
            errors.add(name, f"{v!r} is not an id")
    return tuple(dict.fromkeys(out))


def validate_spec(*, method: str = "auto", horizon: int = 12, alpha: float | None = None, holdout_months: int = 6,
                  part_ids: Iterable[Any] | None = None, site_ids: Iterable[Any] | None = None, seed: int = 0,
                  prior_months: float = 12.0, workers: int | None = None,
                  scheduler: str | None = None) -> ForecastSpec:
    """Check every parameter and report all problems at once (``ValidationFailed`` naming fields)."""
    e = ErrorList()
    if method not in METHODS:
        e.add("method", f"{method!r} is not one of {', '.join(METHODS)}")
    if not isinstance(horizon, int) or isinstance(horizon, bool) or not 1 <= horizon <= MAX_HORIZON:
        e.add("horizon", f"must be a whole number of months between 1 and {MAX_HORIZON}, got {horizon!r}")
    if alpha is not None:
        if not (isinstance(alpha, (int, float)) and math.isfinite(alpha) and 0.0 < alpha <= 1.0):
            e.add("alpha", f"must be in (0, 1], got {alpha!r}")
        elif method in METHODS and method not in _ALPHA_METHODS:
            e.add("alpha", f"method {method} chooses its own smoothing constant; leave alpha empty")
    if not isinstance(holdout_months, int) or isinstance(holdout_months, bool) or not 0 <= holdout_months <= 60:
        e.add("holdout_months", f"must be between 0 and 60 months, got {holdout_months!r}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        e.add("seed", f"must be a non-negative whole number, got {seed!r}")
    if not (isinstance(prior_months, (int, float)) and math.isfinite(prior_months) and prior_months >= 0):
        e.add("prior_months", f"must be >= 0, got {prior_months!r}")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        e.add("workers", f"must be >= 1, got {workers!r}")
    if workers and scheduler:
        e.add("scheduler", "give either workers or a scheduler address, not both")
    pids = _as_ids(part_ids, "part_ids", e)
    sids = _as_ids(site_ids, "site_ids", e)
    e.raise_if_any("Bad forecast run parameters")
    return ForecastSpec(method, int(horizon), None if alpha is None else float(alpha), int(holdout_months),
                        pids or None, sids or None, int(seed), float(prior_months))


# -- reading the database --------------------------------------------------------------------------

@dataclass
class ForecastInput:
    """What a run reads: the history panel and the reliability-only series (all numpy)."""

    part_ids: list[uuid.UUID]          # (n,) history series
    site_ids: list[uuid.UUID]
    Y: np.ndarray                      # (n, T) monthly demand
    start: np.ndarray                  # (n,) first month of each series
    first_month: date | None           # label of column 0
    lead_time_months: np.ndarray       # (n,)
    prior_rate: np.ndarray             # (n,) reliability rate per month (NaN: none)
    rel_part_ids: list[uuid.UUID] = field(default_factory=list)   # (m,) reliability-only series
    rel_site_ids: list[uuid.UUID] = field(default_factory=list)
    rel_rate: np.ndarray = field(default_factory=lambda: np.zeros(0))
    rel_lead_time_months: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def n_series(self) -> int:
        return len(self.part_ids) + len(self.rel_part_ids)


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def _raw_month_index(v: Any) -> int:
    """Month index of a period as the driver returns it (an ISO string on SQLite, a date elsewhere)."""
    if isinstance(v, str):
        return int(v[:4]) * 12 + int(v[5:7]) - 1
    return v.year * 12 + v.month - 1


def _as_uuid(v: Any) -> uuid.UUID:
    return v if isinstance(v, uuid.UUID) else uuid.UUID(str(v))


def _month_date(i: int) -> date:
    return date(i // 12, i % 12 + 1, 1)


def _chunks(values: Sequence[Any], size: int = _IN_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _lead_times(session, part_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[float, float | None]]:
    """Per part: (procurement lead time in months, MTBF hours or None)."""
    out: dict[uuid.UUID, tuple[float, float | None]] = {}
    for chunk in _chunks(list(part_ids)):
        for pid, days, mtbf in session.execute(
                select(Part.id, Part.procurement_lead_time_days, Part.mtbf_hours).where(Part.id.in_(chunk))):
            out[pid] = (max(float(days or 0), 0.0) / DAYS_PER_MONTH, mtbf)
    return out


def reliability_rates(session, scope, spec: ForecastSpec) -> dict[tuple[uuid.UUID, uuid.UUID], float]:
    """Engineering demand per month of every (part, site) with equipment units using the part.

    rate = 1/MTBF x operating hours per month of the type x quantity per equipment x units at the
    site (Sherbrooke 2004, §2.2; :func:`setu.engine.forecasting.reliability.reliability_demand_rate`),
    summed over equipment types. The quantity per equipment multiplies the quantities per
    assembly down the bill of material (a part under several parents adds up).
    """
    from setu.engine.forecasting.reliability import reliability_demand_rate

    unit_q = (select(EquipmentUnit.equipment_type_id, EquipmentUnit.site_id, func.count())
              .group_by(EquipmentUnit.equipment_type_id, EquipmentUnit.site_id))
    if scope is not None:
        unit_q = unit_q.where(EquipmentUnit.site_id.in_(scope))
    if spec.site_ids:
        unit_q = unit_q.where(EquipmentUnit.site_id.in_(spec.site_ids))
    units = [(t, s, int(c)) for t, s, c in session.execute(unit_q)]
    if not units:
        return {}
    type_ids = sorted({t for t, _, _ in units}, key=str)
    hours = {t: float(h or 0.0) / 12.0 for t, h in session.execute(
        select(EquipmentType.id, EquipmentType.operating_hours_per_year).where(EquipmentType.id.in_(type_ids)))}
    lines = list(session.execute(select(BomLine.equipment_type_id, BomLine.parent_part_id, BomLine.child_part_id,
                                        BomLine.quantity_per_assembly).where(BomLine.equipment_type_id.in_(type_ids))))
    # quantity per equipment of every (type, part): sum over the paths from the equipment down
    children: dict[tuple[Any, Any], list[tuple[Any, float]]] = {}
    for t, parent, child, qpa in lines:
        children.setdefault((t, parent), []).append((child, float(qpa)))
    per_equipment: dict[tuple[Any, Any], float] = {}
    for t in type_ids:
        stack = [(None, 1.0, 0)]
        while stack:
            parent, mult, depth = stack.pop()
            if depth > 20:  # a cycle would be a data error (the BOM import refuses them)
                continue
            for child, qpa in children.get((t, parent), ()):
                q = mult * qpa
                per_equipment[(t, child)] = per_equipment.get((t, child), 0.0) + q
                stack.append((child, q, depth + 1))
    part_ids = sorted({p for _, p in per_equipment}, key=str)
    if spec.part_ids:
        wanted = set(spec.part_ids)
        part_ids = [p for p in part_ids if p in wanted]
    mtbf = {p: m for p, (_, m) in _lead_times(session, part_ids).items() if m and m > 0}
    by_type: dict[Any, list[tuple[Any, float]]] = {}
    for (t, p), q in per_equipment.items():
        if p in mtbf:
            by_type.setdefault(t, []).append((p, q))
    keys: list[tuple[uuid.UUID, uuid.UUID]] = []
    fr, hrs, qpa, n_units = [], [], [], []
    for t, s, c in units:
        for p, q in by_type.get(t, ()):
            keys.append((p, s))
            fr.append(1.0 / mtbf[p])
            hrs.append(hours.get(t, 0.0))
            qpa.append(q)
            n_units.append(c)
    if not keys:
        return {}
    rate = reliability_demand_rate(np.array(fr), np.array(hrs), np.array(qpa), np.array(n_units, dtype=float))
    out: dict[tuple[uuid.UUID, uuid.UUID], float] = {}
    for k, r in zip(keys, rate.tolist()):
        out[k] = out.get(k, 0.0) + r
    return {k: v for k, v in out.items() if v > 0}


def load_forecast_input(uow: UnitOfWork, spec: ForecastSpec) -> ForecastInput:
    """Read the demand history of every visible (filtered) part x site series as one panel.

    Series are per family head and site: the demand of a superseded part is added to the part
    that replaced it (``catalog.rules.resolve_families``; chains followed to the newest part;
    ``qualified`` and ``not_interchangeable`` links never roll up). A ``part_ids`` filter selects
    the families of those parts."""
    require(uow.actor, "forecasting.run.create")
    s = uow.session
    scope = fleet_policies.visible_site_ids(uow.actor)
    if spec.site_ids:
        found = set(s.scalars(select(Site.id).where(Site.id.in_(spec.site_ids),
                                                    *([Site.id.in_(scope)] if scope is not None else []))))
        missing = [x for x in spec.site_ids if x not in found]
        if missing:
            raise NotFound(f"site {missing[0]} not found")
    if spec.part_ids:
        found = set()
        for chunk in _chunks(list(spec.part_ids)):
            found |= set(s.scalars(select(Part.id).where(Part.id.in_(chunk))))
        missing = [x for x in spec.part_ids if x not in found]
        if missing:
            raise NotFound(f"part {missing[0]} not found")
    # raw column values (no UUID / date objects per row: a few seconds on a million rows); each
    # distinct key becomes a UUID once below
    stmt = select(type_coerce(DemandRecord.part_id, String), type_coerce(DemandRecord.site_id, String),
                  type_coerce(DemandRecord.period, String), DemandRecord.quantity)
    if scope is not None:
        stmt = stmt.where(DemandRecord.site_id.in_(scope))
    if spec.site_ids:
        stmt = stmt.where(DemandRecord.site_id.in_(spec.site_ids))
    # interchangeability: demand of replaced parts rolls up into the newest replacing part
    # (one-way, two-way, as a set, re-identified; catalog.rules.resolve_families)
    heads, _ = family_heads(uow)
    if spec.part_ids:
        wanted = {heads.get(p, p) for p in spec.part_ids}
        family = sorted(wanted | {p for p, h in heads.items() if h in wanted}, key=str)
        stmt = stmt.where(or_(*[DemandRecord.part_id.in_(c) for c in _chunks(family)]))
    raw_keys: dict[tuple[Any, Any], int] = {}
    sid, mon, qty = [], [], []
    for pid, site, period, q in s.execute(stmt):
        sid.append(raw_keys.setdefault((pid, site), len(raw_keys)))
        mon.append(_raw_month_index(period))
        qty.append(q)
    # a superseded part's demand is its successor's history: every row goes to its family head
    raw_to_key = {i: (heads.get(p, p), _as_uuid(x)) for (p, x), i in
                  ((( _as_uuid(p), x), i) for (p, x), i in raw_keys.items())}
    keys = set(raw_to_key.values())
    # series in a fixed order (part, site) whatever order the database returned the rows in
    order = sorted(keys, key=lambda k: (str(k[0]), str(k[1])))
    pos = {k: j for j, k in enumerate(order)}
    remap = np.empty(len(raw_to_key), dtype=np.int64)
    for i, k in raw_to_key.items():
        remap[i] = pos[k]
    n = len(order)
    rel = reliability_rates(s, scope, spec)  # also with prior_months = 0: series without history
    if n:
        sid_a, mon_a = remap[np.asarray(sid, dtype=np.int64)], np.asarray(mon, dtype=np.int64)
        m0, m1 = int(mon_a.min()), int(mon_a.max())
        Y = np.zeros((n, m1 - m0 + 1))
        np.add.at(Y, (sid_a, mon_a - m0), np.asarray(qty, dtype=float))
        start = np.full(n, m1 - m0, dtype=np.int64)
        np.minimum.at(start, sid_a, mon_a - m0)
        first = _month_date(m0)
    else:
        Y, start, first = np.zeros((0, 1)), np.zeros(0, dtype=np.int64), None
    part_list = [k[0] for k in order]
    site_list = [k[1] for k in order]
    rel_only = sorted((k for k in rel if k not in keys), key=lambda k: (str(k[0]), str(k[1])))
    info = _lead_times(s, sorted({*part_list, *(k[0] for k in rel_only)}, key=str))
    lead = np.array([info[p][0] for p in part_list], dtype=float)
    prior = np.array([rel.get(k, np.nan) for k in order], dtype=float)
    return ForecastInput(
        part_list, site_list, Y, start, first, lead, prior,
        [k[0] for k in rel_only], [k[1] for k in rel_only],
        np.array([rel[k] for k in rel_only], dtype=float),
        np.array([info[k[0]][0] for k in rel_only], dtype=float),
    )


# -- computing (pure numpy; blocks may run on Dask) ------------------------------------------------

@dataclass
class ForecastOutput:
    """Per series of a run (history series first, then reliability-only ones), all (n,)."""

    method: np.ndarray
    demand_class: np.ndarray
    mean: np.ndarray
    vmr: np.ndarray
    lead_time_months: np.ndarray
    lead_time_mean: np.ndarray
    lead_time_var: np.ndarray
    quantiles: np.ndarray              # (n, 3) at LEVELS
    rmsse: np.ndarray
    scaled_bias: np.ndarray
    mase: np.ndarray

    @property
    def n_series(self) -> int:
        return int(self.mean.shape[0])


def _distribution(mean: np.ndarray, vmr: np.ndarray, lead: np.ndarray, alpha: float | None):
    """Lead-time demand: the NB around the forecast with the lead-time forecast's own error
    (the engine's ``with_forecast_error``, as ``forecast_batch`` reports it)."""
    from setu.engine.forecasting.distributions import FORECAST_ERROR_ALPHA, NegBinDemand

    err_alpha = FORECAST_ERROR_ALPHA if alpha is None else alpha
    ltd = NegBinDemand(mean=mean, vmr=vmr).with_forecast_error(lead, alpha=err_alpha, review_period=0.0).lead_time(lead)
    return ltd.mean, ltd.variance, ltd.quantile(np.array(LEVELS))


def forecast_block(block: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], *, method: str,
                   alpha: float | None, holdout_months: int, prior_months: float) -> dict[str, np.ndarray]:
    """Forecast one block ``(Y, start, lead_time_months, prior_rate)`` of history series.

    Pure: the numbers of a series depend on that series only (the blocks of a run can be computed
    anywhere, in any grouping, with identical results)."""
    from setu.engine.forecasting.classify import classify
    from setu.engine.forecasting.evaluation import rolling_origin_metrics
    from setu.engine.forecasting.pipeline import forecast_batch

    Y, start, lead, prior = block
    n, T = Y.shape
    fc = forecast_batch(Y, start, model=method, alpha=alpha, variance=True, lead_time=lead)
    mean = np.asarray(fc.mean, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        vmr = np.where(mean > 0, np.asarray(fc.var) / mean, 1.0)
    vmr = np.where(np.isfinite(vmr), np.maximum(vmr, 1.0), 1.0)
    names = np.asarray(fc.method, dtype=object).copy()
    if prior_months > 0:
        has = np.isfinite(prior)
        observed = (T - start).astype(float)
        w = prior_months / (prior_months + observed)
        mean = np.where(has, w * np.nan_to_num(prior) + (1.0 - w) * mean, mean)
        names = np.where(has, names.astype(str).astype(object) + "|rel", names)
    ltd_mean, ltd_var, q = _distribution(mean, vmr, lead, alpha)
    cls = classify(Y, start).names()
    nan = np.full(n, np.nan)
    rmsse, bias, mase = nan, nan.copy(), nan.copy()
    o = T - holdout_months
    if holdout_months > 0 and o >= 2:
        st = np.minimum(start, o - 1)
        live = start < o
        if live.any():
            tr = forecast_batch(Y[:, :o], st, model=method, alpha=alpha, lead_time=lead if method == "auto" else None)
            f = np.asarray(tr.mean, dtype=float)
            if prior_months > 0:  # score what is stored: the blend, with the weight it had at the origin
                has = np.isfinite(prior)
                w = prior_months / (prior_months + (o - st).astype(float))
                f = np.where(has, w * np.nan_to_num(prior) + (1.0 - w) * f, f)
            f = np.where(live, f, np.nan)
            m = rolling_origin_metrics(Y, start, f[None, :], [o], holdout_months)
            rmsse, bias, mase = m["rmsse"], m["sme"], m["mase"]
    return {"method": names, "demand_class": cls, "mean": mean, "vmr": vmr, "lead_time_months": lead,
            "lead_time_mean": ltd_mean, "lead_time_var": ltd_var, "quantiles": q,
            "rmsse": rmsse, "scaled_bias": bias, "mase": mase}


def _reliability_only(inp: ForecastInput, prior_months: float) -> dict[str, np.ndarray]:
    from setu.engine.forecasting.reliability import gamma_poisson_update

    m = len(inp.rel_part_ids)
    b0 = max(prior_months, 1.0)  # with no data at all the prior carries the forecast alone
    post = gamma_poisson_update(inp.rel_rate, b0, np.zeros(m), np.zeros(m))
    ltd = post.lead_time(inp.rel_lead_time_months)
    nan = np.full(m, np.nan)
    return {"method": np.full(m, "reliability", dtype=object), "demand_class": np.full(m, "no demand", dtype=object),
            "mean": post.mean, "vmr": post.vmr, "lead_time_months": inp.rel_lead_time_months,
            "lead_time_mean": ltd.mean, "lead_time_var": ltd.variance,
            "quantiles": ltd.quantile(np.array(LEVELS)).reshape(m, len(LEVELS)),
            "rmsse": nan, "scaled_bias": nan.copy(), "mase": nan.copy()}


def compute_forecasts(inp: ForecastInput, spec: ForecastSpec, *, workers: int | None = None,
                      scheduler: str | None = None, progress: Progress | None = None,
                      block_series: int = BLOCK_SERIES) -> ForecastOutput:
    """Run the engine over the input in blocks of series (serially, or on Dask); pure."""
    from setu.kit.compute import run_blocks, split_ranges

    n = len(inp.part_ids)
    n_blocks = max(1, math.ceil(n / block_series))
    if workers:
        n_blocks = max(n_blocks, int(workers))
    elif scheduler:
        n_blocks = max(n_blocks, 2)
    ranges = split_ranges(n, n_blocks)
    blocks = [(inp.Y[a:b], inp.start[a:b], inp.lead_time_months[a:b], inp.prior_rate[a:b]) for a, b in ranges]
    kwargs = dict(method=spec.method, alpha=spec.alpha, holdout_months=spec.holdout_months,
                  prior_months=spec.prior_months)
    total = len(blocks) + 1
    results: list[dict[str, np.ndarray]] = []
    if workers or scheduler:
        if blocks:
            results = run_blocks(forecast_block, blocks, workers=workers, scheduler=scheduler, **kwargs)
        if progress:
            progress(len(blocks), total)
    else:
        for i, blk in enumerate(blocks):
            results.append(forecast_block(blk, **kwargs))
            if progress:
                progress(i + 1, total)
    results.append(_reliability_only(inp, spec.prior_months))
    if progress:
        progress(total, total)

    def cat(name: str) -> np.ndarray:
        return np.concatenate([r[name] for r in results])

    return ForecastOutput(cat("method"), cat("demand_class"), cat("mean"), cat("vmr"), cat("lead_time_months"),
                          cat("lead_time_mean"), cat("lead_time_var"),
                          np.concatenate([r["quantiles"].reshape(-1, len(LEVELS)) for r in results]),
                          cat("rmsse"), cat("scaled_bias"), cat("mase"))


# -- accuracy ---------------------------------------------------------------------------------------

def method_group(name: str) -> str:
    """The method a result is grouped under: its (best-ranked) method, without ``|rel``."""
    return name.split("|")[0].split("+")[0]


def _summary(rows: Sequence[tuple[str, str, float | None, float | None, float | None]]) -> dict[str, Any]:
    """Accuracy figures over rows ``(method, demand_class, rmsse, scaled_bias, mase)``."""

    def stats(sel: Sequence[tuple]) -> dict[str, Any]:
        out: dict[str, Any] = {"series": len(sel)}
        for j, name in ((2, "rmsse"), (3, "scaled_bias"), (4, "mase")):
            v = np.array([r[j] for r in sel if r[j] is not None and math.isfinite(r[j])], dtype=float)
            out[f"{name}_n"] = int(v.size)
            out[f"{name}_mean"] = float(v.mean()) if v.size else None
            out[f"{name}_median"] = float(np.median(v)) if v.size else None
        return out

    scored = [r for r in rows if r[2] is not None and math.isfinite(r[2])]
    by_class: dict[str, list] = {}
    by_method: dict[str, list] = {}
    for r in rows:
        by_class.setdefault(r[1], []).append(r)
        by_method.setdefault(method_group(r[0]), []).append(r)
    return {"overall": stats(rows), "scored": len(scored),
            "by_class": {k: stats(v) for k, v in sorted(by_class.items())},
            "by_method": {k: stats(v) for k, v in sorted(by_method.items())}}


# -- storing ----------------------------------------------------------------------------------------

def _clean(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def store_forecast_run(uow: UnitOfWork, spec: ForecastSpec, inp: ForecastInput, out: ForecastOutput, *,
                       started_at: datetime | None = None, progress: Progress | None = None) -> ForecastRun:
    """Write the run and one result per series (ORM bulk insert through the session: audited)."""
    require(uow.actor, "forecasting.run.create")
    parts = inp.part_ids + inp.rel_part_ids
    sites = inp.site_ids + inp.rel_site_ids
    q = out.quantiles
    stored = [out.mean, out.vmr, out.lead_time_months, out.lead_time_mean, out.lead_time_var, q]
    bad = np.zeros(out.n_series, dtype=bool)
    for a in stored if out.n_series else ():
        a = np.asarray(a, dtype=float).reshape(out.n_series, -1)
        bad |= ~np.isfinite(a).all(axis=1)
    if bad.any():  # nothing is stored: a run holds usable distributions or none at all
        i = int(np.flatnonzero(bad)[0])
        raise ValidationFailed("forecast run", [FieldError(
            "demand", f"the forecast of part {parts[i]} at site {sites[i]} is not a finite number "
                      f"({int(bad.sum())} series): its demand history holds values too large to forecast")])
    s = uow.session
    actor = uow.actor
    now = datetime.now(timezone.utc)
    run = ForecastRun(party_id=None if actor.sees_all_parties else actor.party_id, started_by=actor.name,
                      method=spec.method, horizon=spec.horizon, params=json.dumps(spec.params(), sort_keys=True),
                      status="running", started_at=started_at or now, n_series=out.n_series)
    s.add(run)
    s.flush()
    rows = []
    for i in range(out.n_series):
        rows.append({
            "id": uuid.uuid4(), "run_id": run.id, "part_id": parts[i], "site_id": sites[i],
            "method": str(out.method[i]), "demand_class": str(out.demand_class[i]),
            "mean": float(out.mean[i]), "variance_to_mean": float(out.vmr[i]),
            "lead_time_months": float(out.lead_time_months[i]), "lead_time_mean": float(out.lead_time_mean[i]),
            "lead_time_var": float(out.lead_time_var[i]),
            "q50": float(q[i, 0]), "q90": float(q[i, 1]), "q99": float(q[i, 2]),
            "rmsse": _clean(out.rmsse[i]), "scaled_bias": _clean(out.scaled_bias[i]), "mase": _clean(out.mase[i]),
        })
    for k in range(0, len(rows), _INSERT_CHUNK):
        s.execute(insert(ForecastResult), rows[k:k + _INSERT_CHUNK])
        if progress:
            progress(min(k + _INSERT_CHUNK, len(rows)), len(rows))
    summary = _summary([(r["method"], r["demand_class"], r["rmsse"], r["scaled_bias"], r["mase"]) for r in rows])
    summary["holdout_months"] = spec.holdout_months
    summary["history_months"] = int(inp.Y.shape[1]) if inp.part_ids else 0
    summary["first_month"] = inp.first_month.isoformat() if inp.first_month else None
    run.accuracy = json.dumps(summary, sort_keys=True)
    run.status = "done"
    run.finished_at = datetime.now(timezone.utc)
    s.flush()
    return run


def record_failed_run(uow: UnitOfWork, spec: ForecastSpec, *, error: str,
                      started_at: datetime | None = None) -> ForecastRun:
    """Record a run whose computation failed (status ``failed``, the error, no results), so that
    the failure is visible in the list of runs; the adapter commits."""
    require(uow.actor, "forecasting.run.create")
    actor = uow.actor
    now = datetime.now(timezone.utc)
    run = ForecastRun(party_id=None if actor.sees_all_parties else actor.party_id, started_by=actor.name,
                      method=spec.method, horizon=spec.horizon, params=json.dumps(spec.params(), sort_keys=True),
                      status="failed", started_at=started_at or now, finished_at=now, n_series=0,
                      error=error[:2000])
    uow.session.add(run)
    uow.session.flush()
    return run


@dataclass
class PreparedRun:
    """A computed run not yet stored: see :func:`prepare_forecast_run`."""

    spec: ForecastSpec
    input: ForecastInput
    output: ForecastOutput
    started_at: datetime


def prepare_forecast_run(uow: UnitOfWork, *, method: str = "auto", horizon: int = 12, alpha: float | None = None,
                         holdout_months: int = 6, part_ids: Iterable[Any] | None = None,
                         site_ids: Iterable[Any] | None = None, seed: int = 0, prior_months: float = 12.0,
                         workers: int | None = None, scheduler: str | None = None,
                         progress: Progress | None = None, max_series: int | None = None) -> PreparedRun:
    """Validate, read and compute a run in a read-only unit of work; :func:`save_forecast_run`
    then stores it in a write unit of work. Adapters use the pair so that no write transaction
    (on SQLite: the database's write lock) is held while the engine computes. Parameters as
    :func:`start_forecast_run`."""
    require(uow.actor, "forecasting.run.create")
    spec = validate_spec(method=method, horizon=horizon, alpha=alpha, holdout_months=holdout_months,
                         part_ids=part_ids, site_ids=site_ids, seed=seed, prior_months=prior_months,
                         workers=workers, scheduler=scheduler)
    started = datetime.now(timezone.utc)
    inp = load_forecast_input(uow, spec)
    if max_series is not None and inp.n_series > max_series:
        raise ValidationFailed("too many series for one request", [FieldError(
            "part_ids", f"the run would cover {inp.n_series:,} series, more than {max_series:,} in one request; "
                        "filter by parts or sites, or run `setu forecast run`")])
    out = compute_forecasts(inp, spec, workers=workers, scheduler=scheduler, progress=progress)
    return PreparedRun(spec, inp, out, started)


def save_forecast_run(uow: UnitOfWork, prepared: PreparedRun, *, progress: Progress | None = None) -> ForecastRun:
    """Store a prepared run (see :func:`prepare_forecast_run`); the adapter commits."""
    return store_forecast_run(uow, prepared.spec, prepared.input, prepared.output, started_at=prepared.started_at,
                              progress=progress)


def start_forecast_run(uow: UnitOfWork, *, method: str = "auto", horizon: int = 12, alpha: float | None = None,
                       holdout_months: int = 6, part_ids: Iterable[Any] | None = None,
                       site_ids: Iterable[Any] | None = None, seed: int = 0, prior_months: float = 12.0,
                       workers: int | None = None, scheduler: str | None = None,
                       progress: Progress | None = None, max_series: int | None = None) -> ForecastRun:
    """Forecast every visible part x site series (optionally only ``part_ids`` / ``site_ids``) and
    store the run with one result per series, in this unit of work (the adapter commits).

    Bad parameters raise ``ValidationFailed`` naming each field, before anything is read or
    written. ``workers`` / ``scheduler``: compute the blocks on Dask (same results).
    ``max_series``: refuse (``ValidationFailed``) a run over more series than that (the API runs
    in the request and sends larger runs to the CLI)."""
    return save_forecast_run(uow, prepare_forecast_run(
        uow, method=method, horizon=horizon, alpha=alpha, holdout_months=holdout_months, part_ids=part_ids,
        site_ids=site_ids, seed=seed, prior_months=prior_months, workers=workers, scheduler=scheduler,
        progress=progress, max_series=max_series))


# -- reading runs and results -----------------------------------------------------------------------

def _runs_visible(actor: Actor):
    """Runs the actor may see: every run for the system actor and programme offices; else its own
    party's runs and the installation's batch runs (whose results are still filtered by site)."""
    if actor.sees_all_parties:
        return None
    if actor.party_id is None:
        return ForecastRun.party_id.is_(None)
    return or_(ForecastRun.party_id.is_(None), ForecastRun.party_id == actor.party_id)


def _as_seen(uow: UnitOfWork, run: ForecastRun | None) -> ForecastRun | None:
    """The run as the actor may see it. The installation's runs (and a programme office's) are
    seen by both parties, and their parameters may name sites of both in their filter: those the
    actor may not see are left out (of a detached copy; the stored run is unchanged)."""
    if run is None or uow.actor.sees_all_parties:
        return run
    params = json.loads(run.params or "{}")
    named = params.get("site_ids") or []
    if not named:
        return run
    scope = fleet_policies.visible_site_ids(uow.actor)
    ids = [uuid.UUID(str(x)) for x in named]
    stmt = select(Site.id).where(Site.id.in_(ids))
    if scope is not None:
        stmt = stmt.where(Site.id.in_(scope))
    seen = {str(x) for x in uow.session.scalars(stmt)}
    if len(seen) == len(set(map(str, ids))):
        return run
    from sqlalchemy import inspect as sa_inspect

    params["site_ids"] = [x for x in named if str(x) in seen]
    copy = ForecastRun(**{a.key: getattr(run, a.key) for a in sa_inspect(ForecastRun).column_attrs})
    copy.params = json.dumps(params)
    return copy


RUN_SORT = {"started_at": ForecastRun.started_at, "method": ForecastRun.method, "n_series": ForecastRun.n_series}
RESULT_SORT = {"mean": ForecastResult.mean, "q99": ForecastResult.q99, "rmsse": ForecastResult.rmsse,
               "method": ForecastResult.method, "demand_class": ForecastResult.demand_class,
               "lead_time_mean": ForecastResult.lead_time_mean}


def list_runs(uow: UnitOfWork, *, sort: str | None = None, cursor: str | None = None, limit: int = 50,
              status: str | None = None) -> Page[ForecastRun]:
    require(uow.actor, "forecasting.run.read")
    stmt = select(ForecastRun)
    cond = _runs_visible(uow.actor)
    if cond is not None:
        stmt = stmt.where(cond)
    if status:
        stmt = stmt.where(ForecastRun.status == status)
    page = paginate(uow.session, stmt, model=ForecastRun, sortable=RUN_SORT, sort=sort or "-started_at",
                    cursor=cursor, limit=limit)
    page.items = [_as_seen(uow, r) for r in page.items]
    return page


def get_run(uow: UnitOfWork, *, run_id: uuid.UUID | str) -> ForecastRun:
    """One run, or 404 (another party's run answers exactly like a missing one)."""
    require(uow.actor, "forecasting.run.read")
    try:
        rid = run_id if isinstance(run_id, uuid.UUID) else uuid.UUID(str(run_id))
    except ValueError:
        raise NotFound(f"forecast run {run_id} not found") from None
    stmt = select(ForecastRun).where(ForecastRun.id == rid)
    cond = _runs_visible(uow.actor)
    if cond is not None:
        stmt = stmt.where(cond)
    run = uow.session.scalar(stmt)
    if run is None:
        raise NotFound(f"forecast run {run_id} not found")
    return _as_seen(uow, run)


def _results_stmt(actor: Actor, run_id: uuid.UUID, *, part_id=None, site_id=None, method=None, demand_class=None):
    stmt = select(ForecastResult).where(ForecastResult.run_id == run_id)
    scope = fleet_policies.visible_site_ids(actor)
    if scope is not None:
        stmt = stmt.where(ForecastResult.site_id.in_(scope))
    if part_id:
        stmt = stmt.where(ForecastResult.part_id == part_id)
    if site_id:
        stmt = stmt.where(ForecastResult.site_id == site_id)
    if method:
        stmt = stmt.where(or_(ForecastResult.method == method,
                              ForecastResult.method.startswith(f"{method}+", autoescape=True),
                              ForecastResult.method.startswith(f"{method}|", autoescape=True)))
    if demand_class:
        stmt = stmt.where(ForecastResult.demand_class == demand_class)
    return stmt


def run_results(uow: UnitOfWork, *, run_id: uuid.UUID | str, part_id: uuid.UUID | None = None,
                site_id: uuid.UUID | None = None, method: str | None = None, demand_class: str | None = None,
                sort: str | None = None, cursor: str | None = None, limit: int = 50,
                with_total: bool = True) -> Page[ForecastResult]:
    """The run's results at the sites the actor may see, filtered, one page at a time."""
    run = get_run(uow, run_id=run_id)
    stmt = _results_stmt(uow.actor, run.id, part_id=part_id, site_id=site_id, method=method,
                         demand_class=demand_class)
    return paginate(uow.session, stmt, model=ForecastResult, sortable=RESULT_SORT, sort=sort or "-mean",
                    cursor=cursor, limit=limit, with_total=with_total)


def accuracy_summary(uow: UnitOfWork, *, run_id: uuid.UUID | str) -> dict[str, Any]:
    """Holdout accuracy of the run over the results the actor may see: RMSSE, scaled bias and
    MASE (mean and median), overall, per demand class and per (best-ranked) method, and
    the per-series values for charts (``series``: list of (method, class, rmsse, bias, mase))."""
    run = get_run(uow, run_id=run_id)
    stmt = _results_stmt(uow.actor, run.id).with_only_columns(
        ForecastResult.method, ForecastResult.demand_class, ForecastResult.rmsse, ForecastResult.scaled_bias,
        ForecastResult.mase)
    rows = [tuple(r) for r in uow.session.execute(stmt)]
    out = _summary(rows)
    out["series"] = [r for r in rows if r[2] is not None or r[4] is not None]
    out["holdout_months"] = json.loads(run.params).get("holdout_months")
    return out


@dataclass(frozen=True)
class DemandRate:
    """The latest forecast demand of one part at one site, as the readiness engine needs it."""

    mean_per_month: float
    variance_to_mean: float
    run_id: uuid.UUID
    method: str


def latest_run_rates(uow: UnitOfWork, part_ids: Iterable[uuid.UUID],
                     site_ids: Iterable[uuid.UUID]) -> dict[tuple[uuid.UUID, uuid.UUID], DemandRate]:
    """Mean monthly demand and variance-to-mean ratio per (part, site), from the newest finished
    forecast run the actor may see that has a result for that pair.

    Interface for the readiness engine (stable): ``part_ids`` and ``site_ids`` are the pairs'
    candidate parts and sites (their product is looked up); the answer maps ``(part_id, site_id)``
    to :class:`DemandRate` (``mean_per_month``: units per month; ``variance_to_mean``: VMR of
    monthly demand, >= 1, 1 meaning Poisson). Pairs without any forecast, or at sites the actor may
    not see, are absent (the caller decides its fallback). Permission: ``forecasting.run.read``.
    """
    require(uow.actor, "forecasting.run.read")
    parts = list(dict.fromkeys(part_ids))
    sites = list(dict.fromkeys(site_ids))
    if not parts or not sites:
        return {}
    scope = fleet_policies.visible_site_ids(uow.actor)
    cond = _runs_visible(uow.actor)
    out: dict[tuple[uuid.UUID, uuid.UUID], tuple[datetime, DemandRate]] = {}
    for pchunk in _chunks(parts, 500):
        for schunk in _chunks(sites, 400):
            stmt = (select(ForecastResult.part_id, ForecastResult.site_id, ForecastResult.mean,
                           ForecastResult.variance_to_mean, ForecastResult.run_id, ForecastResult.method,
                           ForecastRun.finished_at)
                    .join(ForecastRun, ForecastRun.id == ForecastResult.run_id)
                    .where(ForecastRun.status == "done", ForecastResult.part_id.in_(pchunk),
                           ForecastResult.site_id.in_(schunk)))
            if scope is not None:
                stmt = stmt.where(ForecastResult.site_id.in_(scope))
            if cond is not None:
                stmt = stmt.where(cond)
            for p, s, mean, vmr, rid, meth, fin in uow.session.execute(stmt):
                key = (p, s)
                fin_key = fin if fin.tzinfo else fin.replace(tzinfo=timezone.utc)
                if key not in out or (fin_key, str(rid)) > (out[key][0], str(out[key][1].run_id)):
                    out[key] = (fin_key, DemandRate(float(mean), float(vmr), rid, meth))
    return {k: v for k, (_, v) in out.items()}


def latest_run(uow: UnitOfWork, *, part_id: uuid.UUID | None = None) -> ForecastRun | None:
    """The newest finished run the actor may see (with a visible result for ``part_id``, if given)."""
    require(uow.actor, "forecasting.run.read")
    stmt = select(ForecastRun).where(ForecastRun.status == "done")
    cond = _runs_visible(uow.actor)
    if cond is not None:
        stmt = stmt.where(cond)
    if part_id is not None:
        sub = _results_stmt(uow.actor, ForecastRun.id, part_id=part_id).with_only_columns(ForecastResult.id)
        stmt = stmt.where(sub.exists())
    return _as_seen(uow, uow.session.scalar(stmt.order_by(ForecastRun.finished_at.desc(),
                                                          ForecastRun.id.desc()).limit(1)))


def part_forecast(uow: UnitOfWork, *, part_id: uuid.UUID, run_id: uuid.UUID | None = None,
                  history_months: int = 36) -> dict[str, Any]:
    """The part's forecast from the latest run (or ``run_id``): the distribution per visible site
    and the fan chart over the run's horizon for all those sites together.

    ``fan``: per month ahead the mean and the q50/q90/q99 of that month's demand (negative
    binomial with the summed means and variances of the sites: independent sites), and of the
    cumulative demand up to that month (its variance with the forecast's own error over those
    months, ``forecast_error_factor``). A run forecasts families (see :func:`load_forecast_input`):
    ``forecast_part_id`` is the part whose series this is (the newest part of the family), and the
    history is the family's. ``history``: the last ``history_months`` of monthly
    demand at those sites (zeros included)."""
    from setu.engine.forecasting.distributions import FORECAST_ERROR_ALPHA, NegBinLeadTimeDemand, forecast_error_factor

    require(uow.actor, "forecasting.run.read")
    from setu.kit.crud import get_or_404

    part = get_or_404(uow.session, Part, part_id, "part")
    # a superseded part is forecast as part of its successor's family
    heads, _ = family_heads(uow)
    head = heads.get(part.id, part.id)
    family = [head] + [p for p, h in heads.items() if h == head]
    run = get_run(uow, run_id=run_id) if run_id else latest_run(uow, part_id=head)
    if run is None:
        return {"part_id": part.id, "forecast_part_id": head, "run": None, "sites": [], "fan": [], "history": []}
    results = list(uow.session.scalars(_results_stmt(uow.actor, run.id, part_id=head)))
    site_codes = dict(uow.session.execute(select(Site.id, Site.code).where(
        Site.id.in_([r.site_id for r in results]))).all()) if results else {}
    results.sort(key=lambda r: site_codes.get(r.site_id, ""))
    mean = sum(r.mean for r in results)
    var = sum(r.mean * max(r.variance_to_mean, 1.0) for r in results)
    # history at the same sites, up to the run's last month
    params = json.loads(run.params)
    acc = json.loads(run.accuracy or "{}")
    history: list[tuple[date, float]] = []
    last_month = None
    if acc.get("first_month") and acc.get("history_months"):
        last_month = _month_index(date.fromisoformat(acc["first_month"])) + int(acc["history_months"]) - 1
    if results:
        stmt = (select(DemandRecord.period, func.sum(DemandRecord.quantity))
                .where(DemandRecord.part_id.in_(family), DemandRecord.site_id.in_([r.site_id for r in results]))
                .group_by(DemandRecord.period))
        by_month = {_month_index(p): float(q) for p, q in uow.session.execute(stmt)}
        if last_month is None:
            last_month = max(by_month) if by_month else _month_index(run.started_at.date()) - 1
        first = last_month - history_months + 1
        if by_month:  # not before the first recorded demand
            first = max(first, min(by_month))
        history = [(_month_date(m), by_month.get(m, 0.0)) for m in range(first, last_month + 1)]
    fan = []
    if results and last_month is not None:
        H = int(run.horizon)
        h = np.arange(1, H + 1, dtype=float)
        monthly = NegBinLeadTimeDemand(np.full(H, mean), np.full(H, max(var, mean)), np.ones(H))
        # the cumulative demand's spread grows with the error of the forecast itself (level
        # uncertainty, Prak, Teunter & Syntetos 2017), as in the lead-time demand of the results
        alpha = params.get("alpha") or FORECAST_ERROR_ALPHA
        cum = NegBinLeadTimeDemand(mean * h, np.maximum(var, mean) * h * forecast_error_factor(h, alpha), h)
        qm = monthly.quantile(np.array(LEVELS))
        qc = cum.quantile(np.array(LEVELS))
        for k in range(H):
            fan.append({"month": _month_date(last_month + k + 1).isoformat(), "mean": float(mean),
                        "q50": float(qm[k, 0]), "q90": float(qm[k, 1]), "q99": float(qm[k, 2]),
                        "cumulative_mean": float(mean * (k + 1)), "cumulative_q50": float(qc[k, 0]),
                        "cumulative_q90": float(qc[k, 1]), "cumulative_q99": float(qc[k, 2])})
    return {"part_id": part.id, "forecast_part_id": head, "run": run, "params": params,
            "sites": [{"site_id": r.site_id, "site_code": site_codes.get(r.site_id), "result": r} for r in results],
            "fan": fan, "history": history, "mean_per_month": mean, "variance_per_month": var}


def result_labels(uow: UnitOfWork, results: Sequence[ForecastResult]) -> tuple[dict, dict]:
    """Part numbers/names and site codes of some results (for pages): ``(parts, sites)`` where
    ``parts[id] = (part_number, name)`` and ``sites[id] = code``."""
    require(uow.actor, "forecasting.run.read")
    pids = list({r.part_id for r in results})
    sids = list({r.site_id for r in results})
    parts: dict[uuid.UUID, tuple[str, str]] = {}
    for chunk in _chunks(pids):
        for pid, pn, name in uow.session.execute(select(Part.id, Part.part_number, Part.name).where(Part.id.in_(chunk))):
            parts[pid] = (pn, name)
    sites = dict(uow.session.execute(select(Site.id, Site.code).where(Site.id.in_(sids))).all()) if sids else {}
    return parts, sites


def run_overviews(uow: UnitOfWork, run_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """Per run, counted over the results the actor may see only (a run of the installation covers
    both parties' sites): ``n_series`` and the mean RMSSE, scaled bias and MASE with the number of
    series scored (``rmsse_n``). One grouped query for a page of runs."""
    require(uow.actor, "forecasting.run.read")
    out = {rid: {"n_series": 0, "rmsse_n": 0, "rmsse_mean": None, "scaled_bias_mean": None, "mase_mean": None}
           for rid in run_ids}
    if not run_ids:
        return out
    stmt = (select(ForecastResult.run_id, func.count(), func.count(ForecastResult.rmsse), func.avg(ForecastResult.rmsse),
                   func.avg(ForecastResult.scaled_bias), func.avg(ForecastResult.mase))
            .where(ForecastResult.run_id.in_(list(run_ids))).group_by(ForecastResult.run_id))
    scope = fleet_policies.visible_site_ids(uow.actor)
    if scope is not None:
        stmt = stmt.where(ForecastResult.site_id.in_(scope))
    for rid, n, n_scored, rmsse, bias, mase in uow.session.execute(stmt):
        out[rid] = {"n_series": int(n), "rmsse_n": int(n_scored),
                    "rmsse_mean": None if rmsse is None else float(rmsse),
                    "scaled_bias_mean": None if bias is None else float(bias),
                    "mase_mean": None if mase is None else float(mase)}
    return out
