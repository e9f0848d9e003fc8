"""Forecast runs over the database: use cases (services never commit).

A run forecasts every visible part x site series (or a filtered subset) and stores, per series, a
distribution rather than a point (:class:`setu.forecasting.models.ForecastResult`):

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
  negative binomial; Aronis et al. 2004; ``prior_months = 0``: Poisson at the rate). Where it
  has history, the engineering rate is a gamma prior with ``prior_months`` equivalent months
  (``rate x prior_months`` equivalent demands), first checked against the history: the
  two-sided prior-predictive tail probability of the observed total (negative binomial; Box
  1980, Evans & Moshonov 2006) sets a power-prior exponent ``delta = min(1, p / 0.05)``
  (Ibrahim & Chen 2000), so a history that contradicts the rate keeps its own forecast and one
  that agrees with it is pulled toward it: ``mean = w x rate + (1 - w) x forecast``,
  ``w = delta prior_months / (delta prior_months + observed months)``; the variance takes the
  same weights (``setu.engine.forecasting.reliability.blend_power_prior``), so the VMR refers to
  the blended mean (``method`` gets ``|rel`` where ``w >= 0.001``; the run's accuracy summary counts
  ``prior_conflicts``).
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
from setu.catalog import service as catalog
from setu.catalog.service import family_heads
from setu.demand import service as demand
from setu.fleet import service as fleet
from setu.forecasting import repository as repo
from setu.forecasting.models import ForecastResult, ForecastRun
from setu.kit import jobs
from setu.kit.access import require
from setu.kit.errors import ErrorList, FieldError, NotFound, ValidationFailed
from setu.kit.listing import Page, paginate
from setu.kit.uow import UnitOfWork
from setu.engine.forecasting.runs import (  # noqa: F401 (re-exported: the run's pure blocks)
    LEVELS, ForecastOutput, accuracy_figures, assemble_panel, forecast_block, lead_time_distribution, method_group,
    reliability_only,
)

__all__ = [
    "METHODS", "LEVELS", "DAYS_PER_MONTH", "ForecastSpec", "ForecastInput", "ForecastOutput", "DemandRate",
    "validate_spec", "load_forecast_input", "compute_forecasts", "store_forecast_run", "start_forecast_run",
    "list_runs", "get_run", "run_results", "accuracy_summary", "latest_run_rates", "latest_run", "part_forecast",
    "result_labels", "method_group", "run_overviews", "record_failed_run", "PreparedRun", "prepare_forecast_run",
    "save_forecast_run", "check_scope", "check_forecast_run", "RUN_JOB", "MAX_JOB_SERIES", "run_job",
]

#: Methods a run accepts (``auto`` chooses per series by rolling-origin evaluation).
METHODS = ("auto", "ses", "ses_opt", "croston", "sba", "tsb", "croston_opt", "adida", "imapa")
_ALPHA_METHODS = ("ses", "croston", "sba", "tsb")
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


def _lead_times(uow: UnitOfWork, part_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[float, float | None]]:
    """Per part: (procurement lead time in months, MTBF hours or None)."""
    return {pid: (max(float(p.procurement_lead_time_days or 0), 0.0) / DAYS_PER_MONTH, p.mtbf_hours)
            for pid, p in catalog.part_facts(uow, part_ids=part_ids).items()}


def reliability_rates(uow: UnitOfWork, spec: ForecastSpec) -> dict[tuple[uuid.UUID, uuid.UUID], float]:
    """Engineering demand per month of every (part, site) with equipment units using the part.

    rate = 1/MTBF x operating hours per month of the type x quantity per equipment x units at the
    site (Sherbrooke 2004, §2.2; :func:`setu.engine.forecasting.reliability.reliability_demand_rate`),
    summed over equipment types. The quantity per equipment multiplies the quantities per
    assembly down the bill of material (a part under several parents adds up):
    ``qpe_*`` of :func:`setu.catalog.service.explode_bom`. Units at the sites the actor may see.
    """
    from setu.engine.forecasting.reliability import reliability_demand_rate

    units = fleet.unit_counts(uow, site_ids=spec.site_ids)
    if not units:
        return {}
    type_ids = sorted({t for t, _, _ in units}, key=str)
    hours = {t: f.operating_hours_per_year / 12.0
             for t, f in catalog.equipment_type_facts(uow, equipment_type_ids=type_ids).items()}
    bom = catalog.explode_bom(uow, equipment_type_id=type_ids)
    per_equipment = {(bom.equipment_type_ids[e], bom.part_ids[p]): q for e, p, q in
                     zip(bom.qpe_equipment.tolist(), bom.qpe_part.tolist(), bom.qpe_quantity.tolist())}
    part_ids = sorted({p for _, p in per_equipment}, key=str)
    if spec.part_ids:
        wanted = set(spec.part_ids)
        part_ids = [p for p in part_ids if p in wanted]
    mtbf = {p: m for p, (_, m) in _lead_times(uow, part_ids).items() if m and m > 0}
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


def check_scope(uow: UnitOfWork, spec: ForecastSpec) -> None:
    """The run's filters name sites the actor may see and parts that exist (else 404); cheap."""
    require(uow.actor, "forecasting.run.create")
    if spec.site_ids:
        found = fleet.visible_site_ids_among(uow, site_ids=spec.site_ids)
        missing = [x for x in spec.site_ids if x not in found]
        if missing:
            raise NotFound(f"site {missing[0]} not found")
    if spec.part_ids:
        found = catalog.existing_part_ids(uow, part_ids=spec.part_ids)
        missing = [x for x in spec.part_ids if x not in found]
        if missing:
            raise NotFound(f"part {missing[0]} not found")


def load_forecast_input(uow: UnitOfWork, spec: ForecastSpec) -> ForecastInput:
    """Read the demand history of every visible (filtered) part x site series as one panel.

    Series are per family head and site: the demand of a superseded part is added to the part
    that replaced it (``catalog.rules.resolve_families``; chains followed to the newest part;
    ``qualified`` and ``not_interchangeable`` links never roll up). A ``part_ids`` filter selects
    the families of those parts."""
    check_scope(uow, spec)
    # interchangeability: demand of replaced parts rolls up into the newest replacing part
    # (one-way, two-way, as a set, re-identified; catalog.rules.resolve_families)
    heads, _ = family_heads(uow)
    family = None
    if spec.part_ids:
        wanted = {heads.get(p, p) for p in spec.part_ids}
        family = sorted(wanted | {p for p, h in heads.items() if h in wanted}, key=str)
    # raw column values (no UUID / date objects per row: a few seconds on a million rows); each
    # distinct key becomes a UUID once below
    raw_keys: dict[tuple[Any, Any], int] = {}
    sid, mon, qty = [], [], []
    for pid, site, period, q in demand.demand_rows(uow, site_ids=spec.site_ids, part_ids=family):
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
    rel = reliability_rates(uow, spec)  # also with prior_months = 0: series without history
    Y, start, m0 = assemble_panel(remap[np.asarray(sid, dtype=np.int64)] if n else np.zeros(0, dtype=np.int64),
                                  np.asarray(mon, dtype=np.int64), qty, n)
    first = None if m0 is None else _month_date(m0)
    part_list = [k[0] for k in order]
    site_list = [k[1] for k in order]
    rel_only = sorted((k for k in rel if k not in keys), key=lambda k: (str(k[0]), str(k[1])))
    info = _lead_times(uow, sorted({*part_list, *(k[0] for k in rel_only)}, key=str))
    lead = np.array([info[p][0] for p in part_list], dtype=float)
    prior = np.array([rel.get(k, np.nan) for k in order], dtype=float)
    return ForecastInput(
        part_list, site_list, Y, start, first, lead, prior,
        [k[0] for k in rel_only], [k[1] for k in rel_only],
        np.array([rel[k] for k in rel_only], dtype=float),
        np.array([info[k[0]][0] for k in rel_only], dtype=float),
    )


# -- computing (pure numpy; blocks may run on Dask) ------------------------------------------------

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
    results.append(reliability_only(inp.rel_rate, inp.rel_lead_time_months, spec.prior_months))
    if progress:
        progress(total, total)

    def cat(name: str) -> np.ndarray:
        return np.concatenate([r[name] for r in results])

    return ForecastOutput(cat("method"), cat("demand_class"), cat("mean"), cat("vmr"), cat("lead_time_months"),
                          cat("lead_time_mean"), cat("lead_time_var"),
                          np.concatenate([r["quantiles"].reshape(-1, len(LEVELS)) for r in results]),
                          cat("rmsse"), cat("scaled_bias"), cat("mase"), cat("prior_conflict"))


# -- accuracy ---------------------------------------------------------------------------------------

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
        repo.add_results(s, rows[k:k + _INSERT_CHUNK])
        if progress:
            progress(min(k + _INSERT_CHUNK, len(rows)), len(rows))
    summary = accuracy_figures([(r["method"], r["demand_class"], r["rmsse"], r["scaled_bias"], r["mase"]) for r in rows])
    summary["holdout_months"] = spec.holdout_months
    if out.prior_conflict is not None:
        # series whose history contradicts the reliability rate (prior-data conflict test)
        summary["prior_conflicts"] = int(np.asarray(out.prior_conflict, dtype=bool).sum())
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
        raise ValidationFailed("too many series for one run", [FieldError(
            "part_ids", f"the run would cover {inp.n_series:,} series, more than {max_series:,} in one run "
                        "started here; filter by parts or sites, or run `setu forecast run`")])
    if inp.n_series == 0:  # a run of nothing is refused, not stored as "done"
        raise ValidationFailed("nothing to forecast", [FieldError(
            "part_ids", "no part and site with demand history or reliability data matches these parts and sites: "
                        "there is nothing to forecast")])
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


# -- as a background job ----------------------------------------------------------------------------

#: The background job that computes and stores a run (``POST /api/v1/forecast-runs``, the form).
RUN_JOB = "forecasting.run.create"
#: Largest run (series) one job computes. Every series' results are held in memory and stored in
#: one write transaction (about 1 s per 10,000 series on SQLite), so a larger run goes through
#: ``setu forecast run``, or is cut by parts or sites.
MAX_JOB_SERIES = 100_000


def check_forecast_run(uow: UnitOfWork, *, method: str = "auto", horizon: int = 12, alpha: float | None = None,
                       holdout_months: int = 6, part_ids: Iterable[Any] | None = None,
                       site_ids: Iterable[Any] | None = None, seed: int = 0,
                       prior_months: float = 12.0) -> dict[str, Any]:
    """The cheap checks of a run before it is started as a job (parameters: 422 naming each field;
    sites the actor may not see, unknown parts: 404); returns the job's parameters (JSON values)."""
    require(uow.actor, "forecasting.run.create")
    spec = validate_spec(method=method, horizon=horizon, alpha=alpha, holdout_months=holdout_months,
                         part_ids=part_ids, site_ids=site_ids, seed=seed, prior_months=prior_months)
    check_scope(uow, spec)
    return {"method": spec.method, "horizon": spec.horizon, "alpha": spec.alpha,
            "holdout_months": spec.holdout_months, "seed": spec.seed, "prior_months": spec.prior_months,
            "part_ids": None if spec.part_ids is None else [str(p) for p in spec.part_ids],
            "site_ids": None if spec.site_ids is None else [str(x) for x in spec.site_ids]}


@jobs.register(RUN_JOB)
def run_job(ctx: jobs.JobContext, **params: Any) -> dict[str, Any]:
    """Read and compute the run in a read-only unit of work (progress per block of series), then
    store it in one short write unit of work. Returns where to find it."""
    steps = [1]  # blocks of series, then one step to store the results

    def progress(done: int, total: int) -> None:
        steps[0] = total
        ctx.progress(done, total + 1, f"forecasting: {done} of {total} blocks of series")

    with ctx.reading() as uow:
        ctx.progress(0, None, "reading the demand history")
        prepared = prepare_forecast_run(uow, **params, progress=progress, max_series=MAX_JOB_SERIES)
    ctx.progress(steps[0], steps[0] + 1, f"storing {prepared.output.n_series:,} results")
    run_id = ctx.write(lambda w: save_forecast_run(w, prepared).id)
    return {"id": str(run_id), "url": f"/forecast-runs/{run_id}", "api_url": f"/api/v1/forecast-runs/{run_id}"}


# -- reading runs and results -----------------------------------------------------------------------

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
    ids = [uuid.UUID(str(x)) for x in named]
    seen = {str(x) for x in fleet.visible_site_ids_among(uow, site_ids=ids)}
    if len(seen) == len(set(map(str, ids))):
        return run
    from sqlalchemy import inspect as sa_inspect

    params["site_ids"] = [x for x in named if str(x) in seen]
    copy = ForecastRun(**{a.key: getattr(run, a.key) for a in sa_inspect(ForecastRun).column_attrs})
    copy.params = json.dumps(params)
    return copy


RUN_SORT = repo.RUN_SORT
RESULT_SORT = repo.RESULT_SORT


def list_runs(uow: UnitOfWork, *, sort: str | None = None, cursor: str | None = None, limit: int = 50,
              status: str | None = None) -> Page[ForecastRun]:
    require(uow.actor, "forecasting.run.read")
    page = paginate(uow.session, repo.runs(uow.actor, status), model=ForecastRun, sortable=RUN_SORT, sort=sort or "-started_at",
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
    run = repo.run(uow.session, uow.actor, rid)
    if run is None:
        raise NotFound(f"forecast run {run_id} not found")
    return _as_seen(uow, run)


def run_results(uow: UnitOfWork, *, run_id: uuid.UUID | str, part_id: uuid.UUID | None = None,
                site_id: uuid.UUID | None = None, method: str | None = None, demand_class: str | None = None,
                sort: str | None = None, cursor: str | None = None, limit: int = 50,
                with_total: bool = True) -> Page[ForecastResult]:
    """The run's results at the sites the actor may see, filtered, one page at a time."""
    run = get_run(uow, run_id=run_id)
    stmt = repo.results(uow.actor, run.id, part_id=part_id, site_id=site_id, method=method,
                         demand_class=demand_class)
    return paginate(uow.session, stmt, model=ForecastResult, sortable=RESULT_SORT, sort=sort or "-mean",
                    cursor=cursor, limit=limit, with_total=with_total)


def accuracy_summary(uow: UnitOfWork, *, run_id: uuid.UUID | str) -> dict[str, Any]:
    """Holdout accuracy of the run over the results the actor may see: RMSSE, scaled bias and
    MASE (mean and median), overall, per demand class and per (best-ranked) method, and
    the per-series values for charts (``series``: list of (method, class, rmsse, bias, mase))."""
    run = get_run(uow, run_id=run_id)
    stmt = repo.results(uow.actor, run.id).with_only_columns(
        ForecastResult.method, ForecastResult.demand_class, ForecastResult.rmsse, ForecastResult.scaled_bias,
        ForecastResult.mase)
    rows = [tuple(r) for r in uow.session.execute(stmt)]
    out = accuracy_figures(rows)
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
                     site_ids: Iterable[uuid.UUID], *, run_id: uuid.UUID | None = None
                     ) -> dict[tuple[uuid.UUID, uuid.UUID], DemandRate]:
    """Mean monthly demand and variance-to-mean ratio per (part, site), from the newest finished
    forecast run the actor may see that has a result for that pair.

    Interface for the readiness engine (stable): ``part_ids`` and ``site_ids`` are the pairs'
    candidate parts and sites (their product is looked up); the answer maps ``(part_id, site_id)``
    to :class:`DemandRate` (``mean_per_month``: units per month; ``variance_to_mean``: VMR of
    monthly demand, >= 1, 1 meaning Poisson). Pairs without any forecast, or at sites the actor may
    not see, are absent (the caller decides its fallback). ``run_id``: that run's results only
    (a named demand source). Permission: ``forecasting.run.read``.
    """
    require(uow.actor, "forecasting.run.read")
    parts = list(dict.fromkeys(part_ids))
    sites = list(dict.fromkeys(site_ids))
    if not parts or not sites:
        return {}
    out: dict[tuple[uuid.UUID, uuid.UUID], tuple[datetime, DemandRate]] = {}
    for pchunk in _chunks(parts, 500):
        for schunk in _chunks(sites, 400):
            for p, s, mean, vmr, rid, meth, fin in repo.done_result_rates(uow.session, uow.actor, pchunk, schunk,
                                                                          run_id):
                key = (p, s)
                fin_key = fin if fin.tzinfo else fin.replace(tzinfo=timezone.utc)
                if key not in out or (fin_key, str(rid)) > (out[key][0], str(out[key][1].run_id)):
                    out[key] = (fin_key, DemandRate(float(mean), float(vmr), rid, meth))
    return {k: v for k, (_, v) in out.items()}


def latest_run(uow: UnitOfWork, *, part_id: uuid.UUID | None = None) -> ForecastRun | None:
    """The newest finished run the actor may see (with a visible result for ``part_id``, if given)."""
    require(uow.actor, "forecasting.run.read")
    return _as_seen(uow, repo.latest_run(uow.session, uow.actor, part_id))


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

    part = catalog.part_facts(uow, part_ids=[part_id]).get(part_id)
    if part is None:
        raise NotFound(f"part {part_id} not found")
    # a superseded part is forecast as part of its successor's family
    heads, _ = family_heads(uow)
    head = heads.get(part.id, part.id)
    family = [head] + [p for p, h in heads.items() if h == head]
    run = get_run(uow, run_id=run_id) if run_id else latest_run(uow, part_id=head)
    if run is None:
        return {"part_id": part.id, "forecast_part_id": head, "run": None, "sites": [], "fan": [], "history": []}
    results = list(uow.session.scalars(repo.results(uow.actor, run.id, part_id=head)))
    site_codes = {k: f.code for k, f in fleet.site_facts(
        uow, site_ids=[r.site_id for r in results], scoped=False).items()} if results else {}
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
        by_month = {_month_index(p): float(q) for p, q in demand.demand_totals_by_month(
            uow, part_ids=family, site_ids=[r.site_id for r in results])}
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
    parts = {pid: (f.part_number, f.name) for pid, f in catalog.part_facts(uow, part_ids=pids).items()}
    sites = {k: f.code for k, f in fleet.site_facts(uow, site_ids=sids, scoped=False).items()} if sids else {}
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
    for rid, n, n_scored, rmsse, bias, mase in repo.run_overview_rows(uow.session, uow.actor, list(run_ids)):
        out[rid] = {"n_series": int(n), "rmsse_n": int(n_scored),
                    "rmsse_mean": None if rmsse is None else float(rmsse),
                    "scaled_bias_mean": None if bias is None else float(bias),
                    "mase_mean": None if mase is None else float(mase)}
    return out
