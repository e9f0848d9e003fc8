"""Readiness over the database: cases from the fleet, today's availability, plans, saved plans.

Use cases (adapters call only these; the service never commits):

- `build_case(uow, equipment_type_id=..., site_ids=None) -> BuiltCase` (unpacks as ``case, stock``);
- `evaluate_today(uow, equipment_type_id=...)`: availability per base with today's stock and the
  items that cost the most availability;
- `plan(uow, equipment_type_id=..., budget=..., target=...)`: the efficient curve and the
  recommended buys and moves per part and site with their cost;
- `save_plan(uow, result)`, `list_plans`, `get_plan`, `plan_lines`, `export_plan`.

Mapping from the database to the engine's case (docs/readiness-case-format.md; time unit: years)
-------------------------------------------------------------------------------------------------
- **Bases**: sites of echelon 2 the actor may see with at least one unit of the equipment type
  (any status); N_j = their number of units. A base's `parent_id` is its depot; a base without
  one is a stand-alone site. **Depot**: the parent of the bases. The engine has one depot; when the
  bases hang under several depots, every part becomes one engine item per depot (``PN@DEPOT``)
  with demand only at that depot's bases, and the case's single depot column ``DEPOTS`` holds each
  item's stock at its own depot. Items of different depots share nothing, so this is exactly the
  several-depot model.
- **Items**: the equipment type's bill of material. Level-1 lines (``parent_part_id`` None) are
  LRUs with Z = round(quantity_per_assembly) (at least 1); lines below are SRUs with their parent
  part and `failure_share` (missing shares get an equal part of what the given ones leave; shares
  of one parent above 1 in total are scaled down; a share of 0 drops the SRU and what is below
  it). A part listed under several parents is modelled once, under its first line (lowest level).
  Item id ``MANUFACTURER:PART_NUMBER`` (plus ``@DEPOT`` as above); unit cost = unit price
  converted into the plan currency with `REFERENCE_RATES`.
- **Demand of LRUs** per base and year, per (part, base): the newest forecast run's mean monthly
  rate x 12 and variance-to-mean (`setu.forecasting.service.latest_run_rates`); else the
  demand history: mean monthly demand over the 24 months that end with the newest month in the
  demand history (zeros for months without records; used when the pair has any record); else the
  reliability model N_j x Z x operating hours per year / MTBF; else 0. `demand_source` records how
  many pairs came from each. SRU rates are derived by the engine from their parents (q x r x m).
  An item's variance-to-mean is the rate-weighted mean over its bases (at least 1).
- **Repair**: at a base with a depot every removal goes to the depot (r = 0) after an
  order-and-ship time of `ORDER_SHIP_DAYS`; the depot turns it round in
  T_0 = (1 - c) x repair_turnaround_days + c x procurement_lead_time_days, c the condemnation
  rate (a consumable has c = 1: it is condemned and re-procured). At a stand-alone base the same
  time is the base's own repair time with r = 1.
- **Today's stock** (the engine's stock level s = spares on hand + in the site's pipeline):
  repairables serviceable + unserviceable + in_repair + on_order; consumables serviceable +
  on_order (an unserviceable consumable does not come back).

Plans: the engine's efficient curve starts from zero stock; the stock a site already holds is
free. At each curve point the plan's stock per item is first met from today's stock, moving
surplus (depot first, then bases) to sites below plan, and the rest is bought. ``cost`` of a point
is what it buys; its availability is the model's value (`evaluate`) of the stock after buying
and moving (the plan, plus surplus nobody needed, left where it is). With a budget, the plan is
the last point whose buys cost at most the budget, after which the later curve steps that still
fit the budget are taken in order (an item whose next step does not fit is skipped for good:
the usual fill-up of the greedy knapsack); with a target, the first point whose availability
reaches it (binary search on the evaluated points).
"""
from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, NamedTuple

import numpy as np

from setu.catalog import service as catalog
from setu.catalog.service import EquipmentTypeFacts, PartFacts
from setu.demand import service as demand
from setu.engine.readiness import Case, Demand, Item, Site, evaluate
from setu.engine.readiness import inputs
from setu.engine.readiness.case import MODELS
from setu.engine.readiness.case_io import case_to_dict
from setu.engine.readiness.planning import CHART_POINTS, Recommendation, recommend  # noqa: F401 (re-exported)
from setu.fleet import service as fleet
from setu.fleet.service import SiteFacts, StockFacts
from setu.kit import jobs
from setu.kit.access import require
from setu.kit.errors import ErrorList, FieldError, NotFound, ValidationFailed
from setu.kit.listing import Page, paginate
from setu.kit.money import REFERENCE_RATES as REFERENCE_RATE_TABLE, convert
from setu.kit.uow import UnitOfWork
from setu.readiness import repository as repo
from setu.readiness.models import ReadinessPlan

DAYS_PER_YEAR = inputs.DAYS_PER_YEAR
ORDER_SHIP_DAYS = inputs.ORDER_SHIP_DAYS
DEFAULT_REPAIR_DAYS = inputs.DEFAULT_REPAIR_DAYS
HISTORY_MONTHS = inputs.HISTORY_MONTHS
VIRTUAL_DEPOT = "DEPOTS"
#: Planning exchange rates (`setu.kit.money.REFERENCE_RATES`, dated reference values, not market
#: rates), as floats: units of USD per unit of each currency; pass ``rates=`` to override some.
REFERENCE_RATES = {c: float(r) for c, r in REFERENCE_RATE_TABLE.table().rates.items()}

READ = "readiness.plan.read"
CREATE = "readiness.plan.create"


# -- the case ---------------------------------------------------------------------------------

@dataclass
class BuiltCase:
    """A case built from the database, with the ids that map it back. Unpacks as ``case, stock``."""

    case: Case
    stock: dict[str, dict[str, int]]
    equipment_type: EquipmentTypeFacts
    currency: str
    #: engine item id -> part id; engine site id -> database site id (the virtual depot column
    #: maps through ``item_depot``)
    item_part: dict[str, uuid.UUID]
    item_depot: dict[str, uuid.UUID | None]
    site_db: dict[str, uuid.UUID]
    parts: dict[uuid.UUID, PartFacts]
    sites: dict[uuid.UUID, SiteFacts]
    demand_source: str
    demand_counts: dict[str, int]
    notes: list[str] = field(default_factory=list)
    #: the named demand source, and per LRU x base (part, site, rate a year, history rate a year)
    basis: DemandBasis | None = None
    pair_rates: list[tuple[uuid.UUID, uuid.UUID, float, float | None]] = field(default_factory=list)

    def __iter__(self) -> Iterator[Any]:
        yield self.case
        yield self.stock

    def db_site(self, item_id: str, site_id: str) -> uuid.UUID | None:
        """The database site of an engine (item, site) cell."""
        if site_id == VIRTUAL_DEPOT:
            return self.item_depot.get(item_id)
        return self.site_db.get(site_id)


def equipment_type_by_code(uow: UnitOfWork, *, code: str) -> EquipmentTypeFacts | None:
    """The equipment type with this code (for the CLI's argument), or None."""
    require(uow.actor, READ)
    return catalog.equipment_type_by_code(uow, code=code)


def _type_or_error(uow: UnitOfWork, equipment_type_id: Any, *, as_field: bool) -> EquipmentTypeFacts:
    et = None
    try:
        et_id = equipment_type_id if isinstance(equipment_type_id, uuid.UUID) else uuid.UUID(str(equipment_type_id))
        et = catalog.equipment_type_facts(uow, equipment_type_ids=[et_id]).get(et_id)
    except (ValueError, TypeError):
        et = None
    if et is None:
        msg = f"no equipment type {equipment_type_id}"
        if as_field:
            raise ValidationFailed("The input has errors: 1 error(s)", [FieldError("equipment_type_id", msg)])
        raise NotFound(f"equipment type {equipment_type_id} not found", [FieldError("equipment_type_id", msg)])
    return et


def _to_plan_currency(price: Decimal | float, currency: str, plan_currency: str, rates) -> float:
    """The price in the plan currency (`setu.kit.money.convert`, exact; a currency without a rate
    counts 1:1), as the engine's float."""
    return float(convert(price or 0, currency, plan_currency, rates=rates, unknown_rate=Decimal(1)))


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def _history(uow: UnitOfWork, part_ids: list[uuid.UUID], site_ids: list[uuid.UUID]):
    """(mean per month, variance-to-mean) per (part, site) over the last HISTORY_MONTHS months of the
    demand history, for pairs with any record (`inputs.history_rate`); plus the window's last month."""
    if not part_ids or not site_ids:
        return {}, None
    last = demand.last_demand_period(uow, site_ids=site_ids)
    if last is None:
        return {}, None
    end = _month_index(last)
    start = end - HISTORY_MONTHS + 1
    start_date = date(start // 12, start % 12 + 1, 1)
    ever, sums = demand.demand_window_sums(uow, part_ids=part_ids, site_ids=site_ids, start=start_date, end=last)
    out = {}
    for key in ever:
        if key not in sums:  # every record predates the window: no history to go by (reliability next)
            continue
        s1, s2 = sums[key]
        mean, vmr = inputs.history_rate(s1, s2, HISTORY_MONTHS)
        out[key] = (float(mean), float(vmr))
    return out, last


def _forecast_rates(uow: UnitOfWork, part_ids, site_ids, run_id: uuid.UUID | None = None) -> dict:
    try:
        from setu.forecasting.service import latest_run_rates
    except ImportError:  # pragma: no cover - forecasting not in this build
        return {}
    if not uow.actor or not uow.actor.can("forecasting.run.read"):
        return {}
    return latest_run_rates(uow, part_ids, site_ids, run_id=run_id)


# -- the demand source -------------------------------------------------------------------------

#: What an evaluation or plan takes its LRU demand from. ``history``: the mean of the last
#: HISTORY_MONTHS months of recorded demand (the default); ``forecast`` / ``forecast:<run id>``: the
#: newest finished forecast run the actor may see, or the named one; ``reliability``: units x
#: quantity x operating hours / MTBF. A pair the chosen source has no figure for falls back
#: (history -> reliability; forecast -> history -> reliability; reliability -> history).
DEMAND_SOURCES = ("history", "forecast", "reliability")
DEFAULT_DEMAND_SOURCE = "history"
#: Warn when availability under the two sources differs by more than this (fraction, 10 points)
#: or a pair's rate is more than RATE_RATIO_WARN times (or less than 1 / that) its history.
AVAILABILITY_GAP_WARN = 0.10
RATE_RATIO_WARN = 3.0


@dataclass(frozen=True)
class DemandBasis:
    """The demand source of an evaluation or plan, named."""

    kind: str                                  # history | forecast | reliability
    run_id: uuid.UUID | None = None
    run_finished_at: datetime | None = None
    run_method: str | None = None

    @property
    def token(self) -> str:
        return f"forecast:{self.run_id}" if self.kind == "forecast" else self.kind

    def describe(self) -> str:
        if self.kind == "history":
            return f"demand history: mean of the last {HISTORY_MONTHS} months recorded"
        if self.kind == "reliability":
            return "reliability: units x quantity x operating hours / MTBF"
        when = self.run_finished_at.strftime("%Y-%m-%d %H:%M UTC") if self.run_finished_at else "not finished"
        return f"forecast run {str(self.run_id)[:8]} of {when} (method {self.run_method})"


def resolve_demand_source(uow: UnitOfWork, source: Any = None) -> DemandBasis:
    """The :class:`DemandBasis` named by ``source`` (None: the default, history). A forecast
    source needs a finished run the actor may see (422 naming ``demand_source`` otherwise)."""
    text = DEFAULT_DEMAND_SOURCE if source in (None, "") else str(source).strip()
    if isinstance(source, DemandBasis):
        return source
    kind, _, rid = text.partition(":")
    if kind not in DEMAND_SOURCES or (rid and kind != "forecast"):
        raise ValidationFailed("bad demand source", [FieldError(
            "demand_source", f"must be one of history, forecast, forecast:<run id>, reliability; got {text!r}")])
    if kind != "forecast":
        return DemandBasis(kind)
    if not uow.actor or not uow.actor.can("forecasting.run.read"):
        raise ValidationFailed("bad demand source", [FieldError(
            "demand_source", "you may not read forecast runs: choose history or reliability")])
    from setu.forecasting import service as fs

    run = None
    if rid:
        try:
            run = fs.get_run(uow, run_id=rid)
        except (NotFound, ValueError):
            run = None
        if run is None or run.status != "done":
            raise ValidationFailed("bad demand source", [FieldError(
                "demand_source", f"no finished forecast run {rid} you may see")])
    else:
        run = fs.latest_run(uow)
        if run is None:
            raise ValidationFailed("bad demand source", [FieldError(
                "demand_source", "there is no finished forecast run yet: choose history or reliability")])
    return DemandBasis("forecast", run.id, run.finished_at, run.method)


def _other_basis(uow: UnitOfWork, basis: DemandBasis) -> DemandBasis | None:
    """The source shown beside the chosen one: history beside a forecast; the newest forecast run
    (else reliability) beside history; history beside reliability."""
    if basis.kind != "history":
        return DemandBasis("history")
    try:
        return resolve_demand_source(uow, "forecast")
    except ValidationFailed:
        return DemandBasis("reliability")


def _spares(pos: StockFacts | None, kind: str) -> int:
    if pos is None:
        return 0
    return int(inputs.spares(kind == "repairable", pos.serviceable, pos.unserviceable, pos.in_repair, pos.on_order))


class _Line(NamedTuple):
    """A bill-of-material line of the case (from `catalog.service.explode_bom`)."""

    id: uuid.UUID
    parent_part_id: uuid.UUID | None
    child_part_id: uuid.UUID
    quantity_per_assembly: float
    failure_share: float | None
    level: int


def _bom_lines(uow: UnitOfWork, equipment_type_id: uuid.UUID) -> list[_Line]:
    bom = catalog.explode_bom(uow, equipment_type_id=equipment_type_id)
    pid = bom.part_ids
    return [_Line(bom.line_ids[k], None if bom.parent[k] < 0 else pid[bom.parent[k]], pid[bom.child[k]],
                  float(bom.quantity_per_assembly[k]),
                  None if math.isnan(bom.failure_share[k]) else float(bom.failure_share[k]), int(bom.level[k]))
            for k in range(bom.n_lines)]


def build_case(uow: UnitOfWork, *, equipment_type_id: Any, site_ids: Sequence[uuid.UUID] | None = None,
               model: str = "vari-metric", currency: str = "USD",
               rates: dict[str, float] | None = None, as_field: bool = False,
               sites_field: str = "site_id", demand_source: Any = None) -> BuiltCase:
    """The readiness case of one equipment type over the bases the actor may see (module docstring
    gives the mapping) and today's stock per item and site. ``sites_field`` names the caller's
    field that chose ``site_ids`` (an error about them names it)."""
    require(uow.actor, READ)
    rates = REFERENCE_RATE_TABLE.with_overrides(rates)
    basis = resolve_demand_source(uow, demand_source)
    et = _type_or_error(uow, equipment_type_id, as_field=as_field)

    # bases with units of this type, and their depots
    units = {sid: n for _t, sid, n in fleet.unit_counts(uow, equipment_type_id=et.id, site_ids=site_ids, echelon=2)}
    if not units:
        raise ValidationFailed(
            f"no base you may see operates {et.code}",
            [FieldError(sites_field if site_ids else "equipment_type_id", f"no base with units of {et.code}")])
    # the bases are those the actor sees (above); their depots are named whoever runs them
    bases = sorted(fleet.site_facts(uow, site_ids=list(units), scoped=False).values(), key=lambda x: x.code)
    depot_ids = sorted({b.parent_id for b in bases if b.parent_id is not None}, key=str)
    depots = fleet.site_facts(uow, site_ids=depot_ids, scoped=False) if depot_ids else {}
    groups: dict[uuid.UUID | None, list[SiteFacts]] = {}
    for b in bases:
        groups.setdefault(b.parent_id if b.parent_id in depots else None, []).append(b)
    group_keys = sorted(groups, key=lambda g: (g is None, depots[g].code if g else ""))
    real_depots = [g for g in group_keys if g is not None]
    depot_col = depots[real_depots[0]].code if len(real_depots) == 1 else VIRTUAL_DEPOT
    multi = len(group_keys) > 1

    # bill of material
    lines = sorted(_bom_lines(uow, et.id), key=lambda ln: (ln.level, ln.parent_part_id is not None))
    part_ids = sorted({ln.child_part_id for ln in lines}, key=str)
    parts = catalog.part_facts(uow, part_ids=part_ids)
    chosen: dict[uuid.UUID, _Line] = {}
    for ln in sorted(lines, key=lambda x: (x.level, x.parent_part_id is not None,
                                           parts[x.child_part_id].part_number, str(x.id))):
        chosen.setdefault(ln.child_part_id, ln)
    notes = []
    dup = len(lines) - len(chosen)
    if dup:
        notes.append(f"{dup} BOM line(s) name a part already in the case; each part is modelled once")
    # failure shares per parent
    children: dict[uuid.UUID, list[_Line]] = {}
    for ln in chosen.values():
        if ln.parent_part_id is not None:
            children.setdefault(ln.parent_part_id, []).append(ln)
    share: dict[uuid.UUID, float] = {}
    for par, kids in children.items():
        given = [k for k in kids if k.failure_share is not None]
        total = sum(float(k.failure_share) for k in given)
        if total > 1.0:
            for k in given:
                share[k.child_part_id] = float(k.failure_share) / total
            total = 1.0
        else:
            for k in given:
                share[k.child_part_id] = float(k.failure_share)
        missing = [k for k in kids if k.failure_share is None]
        for k in missing:
            share[k.child_part_id] = max(0.0, 1.0 - total) / len(missing)
    # keep the parts reachable from a level-1 line through positive shares
    kept: list[uuid.UUID] = []
    frontier = [p for p, ln in chosen.items() if ln.parent_part_id is None]
    seen = set(frontier)
    while frontier:
        kept.extend(frontier)
        nxt = []
        for p in frontier:
            for k in children.get(p, ()):
                c = k.child_part_id
                if c not in seen and chosen[c] is k and share.get(c, 0.0) > 0:
                    seen.add(c)
                    nxt.append(c)
        frontier = nxt
    dropped = len(chosen) - len(kept)
    if dropped:
        notes.append(f"{dropped} part(s) with a failure share of 0 (or below one) left out")

    base_ids = [b.id for b in bases]
    lru_ids = [p for p in kept if chosen[p].parent_part_id is None]
    forecast = _forecast_rates(uow, lru_ids, base_ids, basis.run_id) if basis.kind == "forecast" else {}
    history, _last = _history(uow, lru_ids, base_ids)
    hours = float(et.operating_hours_per_year or 0.0)
    counts = {"forecast": 0, "history": 0, "reliability": 0, "none": 0}
    run_ids: set[uuid.UUID] = set()
    pair_rates: list[tuple[uuid.UUID, uuid.UUID, float, float | None]] = []
    order = {"history": ("history", "reliability"), "forecast": ("forecast", "history", "reliability"),
             "reliability": ("reliability", "history")}[basis.kind]

    def from_source(src: str, p: PartFacts, b: SiteFacts, z: int) -> tuple[float, float] | None:
        key = (p.id, b.id)
        if src == "forecast" and key in forecast:
            r = forecast[key]
            run_ids.add(r.run_id)
            return 12.0 * float(r.mean_per_month), max(1.0, float(r.variance_to_mean))
        if src == "history" and key in history:
            mean, vmr = history[key]
            return 12.0 * mean, max(1.0, vmr)
        if src == "reliability" and p.mtbf_hours and p.mtbf_hours > 0 and hours > 0:
            return float(inputs.reliability_rate(units[b.id], z, hours, float(p.mtbf_hours))), 1.0
        return None

    def rate_of(p: PartFacts, b: SiteFacts, z: int) -> tuple[float, float]:
        hist = history.get((p.id, b.id))
        for src in order:
            got = from_source(src, p, b, z)
            if got is not None:
                counts[src] += 1
                pair_rates.append((p.id, b.id, got[0], None if hist is None else 12.0 * hist[0]))
                return got
        counts["none"] += 1
        return 0.0, 1.0

    # stock positions
    stock_sites = base_ids + list(depots)
    positions = fleet.stock_facts(uow, part_ids=kept, site_ids=stock_sites)

    ost = ORDER_SHIP_DAYS / DAYS_PER_YEAR
    sites: list[Site] = []
    if real_depots:
        sites.append(Site(id=depot_col, echelon="depot"))
    site_db: dict[str, uuid.UUID] = {}
    for g in group_keys:
        for b in groups[g]:
            sites.append(Site(id=b.code, echelon="base", parent=depot_col if g is not None else None,
                              order_ship_time=ost if g is not None else 0.0, units={et.code: units[b.id]}))
            site_db[b.code] = b.id
    if len(real_depots) == 1:
        site_db[depot_col] = real_depots[0]

    def item_id(p: PartFacts, g) -> str:
        base = f"{p.manufacturer_code}:{p.part_number}"
        if not multi:
            return base
        return f"{base}@{depots[g].code if g is not None else '-'}"

    items: list[Item] = []
    stock: dict[str, dict[str, int]] = {}
    item_part: dict[str, uuid.UUID] = {}
    item_depot: dict[str, uuid.UUID | None] = {}
    for g in group_keys:
        for pid in kept:
            p, ln = parts[pid], chosen[pid]
            iid = item_id(p, g)
            c = 1.0 if p.kind != "repairable" else float(p.condemnation_rate or 0.0)
            tat = float(p.repair_turnaround_days if p.repair_turnaround_days is not None else DEFAULT_REPAIR_DAYS)
            plt = float(p.procurement_lead_time_days or 0)
            turn = float(inputs.depot_turnaround_years(c, tat, plt))
            cost = _to_plan_currency(p.unit_price, p.currency, currency, rates)
            if cost <= 0:
                cost = 0.01
            demand: dict[str, Demand] = {}
            vmr_num = vmr_den = 0.0
            is_lru = ln.parent_part_id is None
            z = int(inputs.lru_quantity(float(ln.quantity_per_assembly or 1)))
            if is_lru:
                for b in groups[g]:
                    m, v = rate_of(p, b, z)
                    vmr_num += m * v
                    vmr_den += m
                    if g is None:
                        demand[b.code] = Demand(rate=m, repair_fraction=1.0, repair_time=turn)
                    else:
                        demand[b.code] = Demand(rate=m, repair_fraction=0.0, repair_time=0.0)
            elif g is None:
                for b in groups[g]:  # SRUs at a stand-alone base are repaired there too
                    demand[b.code] = Demand(rate=None, repair_fraction=1.0, repair_time=turn)
            vmr = vmr_num / vmr_den if vmr_den > 0 else 1.0
            parent = item_id(parts[ln.parent_part_id], g) if not is_lru else None
            items.append(Item(
                id=iid, unit_cost=round(cost, 6), depot_repair_time=turn if g is not None else 0.0,
                variance_to_mean=max(1.0, vmr), parent=parent,
                failure_share=None if is_lru else share[pid],
                qpa={et.code: z} if is_lru else {}, demand=demand))
            item_part[iid] = pid
            item_depot[iid] = g
            row = {}
            if g is not None:
                n = _spares(positions.get((pid, g)), p.kind)
                if n:
                    row[depot_col] = n
            for b in groups[g]:
                n = _spares(positions.get((pid, b.id)), p.kind)
                if n:
                    row[b.code] = n
            if row:
                stock[iid] = row
    if not items:
        raise ValidationFailed(f"{et.code} has no bill of material",
                               [FieldError("equipment_type_id", f"{et.code} has no bill of material")])
    parts_used = [k for k in ("forecast", "history", "reliability", "none") if counts[k]]
    demand_source = basis.token + " | " + ("; ".join(f"{k} {counts[k]}" for k in parts_used) or "none")
    case = Case(sites=tuple(sites), items=tuple(items), model=model)
    site_objs = {b.id: b for b in bases} | depots
    return BuiltCase(case=case, stock=stock, equipment_type=et, currency=currency, item_part=item_part,
                     item_depot=item_depot, site_db=site_db, parts={p: parts[p] for p in kept},
                     sites=site_objs, demand_source=demand_source[:64], demand_counts=counts, notes=notes,
                     basis=basis, pair_rates=pair_rates)


# -- today ------------------------------------------------------------------------------------

def _site_rows(built: BuiltCase, ev) -> list[dict[str, Any]]:
    ca = built.case.arrays()
    e = ca.equipment_types.index(built.equipment_type.code)
    rows = []
    for j, col in enumerate(ca.base_index):
        sid = ca.site_ids[col]
        dbs = built.sites[built.site_db[sid]]
        rows.append({"site_id": dbs.id, "site_code": dbs.code, "site_name": dbs.name,
                     "units": int(ca.units[j, e]), "availability": float(ev.availability[col, e])})
    return rows


def worst_items(built: BuiltCase, ev, top: int = 10, only_sites: set[str] | None = None) -> list[dict[str, Any]]:
    """LRUs ranked by the (log) fleet availability their backorders cost.

    At base j, A_j = prod_i (1 - EBO_ij / P_ij)^Z_i (Sherbrooke 2004, ch. 5); without item i's
    backorders A_j would be A_j / (1 - EBO_ij / P_ij)^Z_i, so item i costs
    sum_j (N_j / N) A_j ((1 - EBO_ij / P_ij)^-Z_i - 1) of fleet availability
    (``availability_loss``). Items are ranked by their share of -sum_j (N_j / N) log A_j,
    ``log_availability_loss`` = sum_j (N_j / N) (-Z_i) log(1 - EBO_ij / P_ij), which still orders
    them when availability is near 0. (SRU shortages act through their LRU's backorders.)
    """
    ca = built.case.arrays()
    e = ca.equipment_types.index(built.equipment_type.code)
    bidx = ca.base_index
    units = ca.units[:, e]
    pos = ca.qpa[:, e][:, None] * units[None, :]
    if only_sites is not None:  # weigh only the chosen bases
        units = np.where(np.isin(np.array(ca.site_ids)[bidx], list(only_sites)), units, 0.0)
    n = units.sum()
    ebo = ev.ebo[:, bidx]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(pos > 0, ebo / np.where(pos > 0, pos, 1.0), 0.0)
        factor = np.clip(1.0 - frac, 1e-12, 1.0) ** (-ca.qpa[:, e][:, None]) - 1.0
    a_base = np.nan_to_num(ev.availability[bidx, e])
    w = units / (n if n else 1.0)
    loss_ij = factor * (w * a_base)[None, :]
    loss_ij[ca.level != 0] = 0.0
    # ranking: the item's share of -log A (unit-weighted), which still orders items when A ~ 0
    log_ij = np.log1p(np.clip(factor, 0.0, None)) * w[None, :]
    log_ij[ca.level != 0] = 0.0
    by_part: dict[uuid.UUID, dict[str, Any]] = {}
    for i, iid in enumerate(ca.item_ids):
        if ca.level[i] != 0:
            continue
        pid = built.item_part[iid]
        d = by_part.setdefault(pid, {"loss": 0.0, "log": 0.0, "ebo": 0.0, "stock": 0, "worst": (0.0, None)})
        d["loss"] += float(loss_ij[i].sum())
        d["log"] += float(log_ij[i].sum())
        d["ebo"] += float(ebo[i].sum())
        d["stock"] += int(ev.stock[i].sum())
        j = int(np.argmax(log_ij[i])) if log_ij.shape[1] else 0
        if log_ij.shape[1] and log_ij[i, j] > d["worst"][0]:
            d["worst"] = (float(log_ij[i, j]), ca.site_ids[bidx[j]])
    out = []
    for pid, d in sorted(by_part.items(), key=lambda kv: (-kv[1]["log"], -kv[1]["ebo"]))[:top]:
        if d["log"] <= 0 and d["ebo"] <= 0:
            continue
        p = built.parts[pid]
        site = d["worst"][1]
        out.append({"part_id": pid, "part_number": p.part_number, "name": p.name,
                    "availability_loss": d["loss"], "log_availability_loss": d["log"], "ebo": d["ebo"], "stock": d["stock"],
                    "worst_site": site, "unit_cost": float(p.unit_price), "currency": p.currency})
    return out


#: Today's fleet evaluations, kept per (database, change marker, viewer's scope, type, model). The
#: marker is the audit chain's head (``audit_head.last_seq``): every change of stock, demand,
#: catalog, fleet or forecast runs appends to the chain in the same transaction (the demo loader
#: and bulk imports too), so a new head means the inputs may have changed and the entry is stale.
#: Reading the one-row head costs far less than rebuilding and evaluating the fleet.
_EVAL_CACHE: dict[tuple, tuple[Any, Any]] = {}
_EVAL_CACHE_MAX = 64


def change_marker(uow: UnitOfWork) -> int:
    """The audit chain's head sequence number: it moves on every committed, audited change."""
    return repo.audit_head_seq(uow.session)


def _evaluated(uow: UnitOfWork, equipment_type_id: Any, model: str, demand_source: Any = None):
    a = uow.actor
    scope = (a.user_id, a.party_id, a.organisation_id, a.organisation_kind, a.role, a.system, a.sysadmin) if a else None
    source = getattr(demand_source, "token", demand_source)
    key = (str(uow.session.get_bind().url), change_marker(uow), scope, str(equipment_type_id), model, str(source))
    hit = _EVAL_CACHE.get(key)
    if hit is not None:
        return hit
    built = build_case(uow, equipment_type_id=equipment_type_id, model=model, demand_source=demand_source)
    ev = evaluate(built.case, built.stock, model=model)
    stale = [k for k in _EVAL_CACHE if k[0] == key[0] and k[1] != key[1]]
    for k in stale:
        del _EVAL_CACHE[k]
    while len(_EVAL_CACHE) >= _EVAL_CACHE_MAX:
        del _EVAL_CACHE[next(iter(_EVAL_CACHE))]
    _EVAL_CACHE[key] = (built, ev)
    return built, ev


def _fleet_figure(built: BuiltCase, ev, site_ids) -> tuple[list[dict[str, Any]], float, set[str] | None]:
    e = ev.equipment_types.index(built.equipment_type.code)
    sites = _site_rows(built, ev)
    fleet = float(ev.fleet_availability[e])
    only = None
    if site_ids:
        wanted = set(site_ids)
        sites = [r for r in sites if r["site_id"] in wanted]
        if not sites:
            raise NotFound("no such base with units of this type",
                           [FieldError("site_id", f"no base you may see with units of {built.equipment_type.code}")])
        only = {r["site_code"] for r in sites}
        n = sum(r["units"] for r in sites)
        fleet = sum(r["units"] * r["availability"] for r in sites) / n if n else 0.0
    return sites, fleet, only


def rate_warnings(built: BuiltCase, limit: int = 5) -> tuple[int, list[dict[str, Any]]]:
    """LRU x base pairs whose rate differs more than RATE_RATIO_WARN times (either way) from
    their own demand history (a history of 0 counts as half a demand in the window, so a rate
    far above "nothing seen" is caught too). Returns (how many, the largest ``limit``)."""
    floor = 0.5 * 12.0 / HISTORY_MONTHS
    out = []
    for pid, sid, rate, hist in built.pair_rates:
        if hist is None:
            continue
        ratio = max(rate, floor) / max(hist, floor)
        if ratio > RATE_RATIO_WARN or ratio < 1.0 / RATE_RATIO_WARN:
            p = built.parts[pid]
            out.append({"part_id": pid, "part_number": p.part_number, "name": p.name,
                        "site_code": built.sites[sid].code, "rate_per_year": rate, "history_per_year": hist,
                        "ratio": ratio})
    out.sort(key=lambda r: -max(r["ratio"], 1.0 / r["ratio"]))
    return len(out), out[:limit]


def evaluate_today(uow: UnitOfWork, *, equipment_type_id: Any, site_ids: Sequence[uuid.UUID] | None = None,
                   model: str = "vari-metric", top: int = 10, demand_source: Any = None,
                   compare: bool = True) -> dict[str, Any]:
    """Predicted availability per base and for the fleet with today's stock, and the items that
    cost the most availability. The whole visible fleet is evaluated (its bases share depots);
    ``site_ids`` narrows the answer (sites, their unit-weighted availability, worst items) to
    those bases.

    ``demand_source`` names the demand (:data:`DEMAND_SOURCES`; default history). With
    ``compare`` the fleet is evaluated under the other source too (:func:`_other_basis`) and
    ``warnings`` say, in words, when the two differ by more than 10 points of availability or a
    pair's rate is more than 3x off its history."""
    if model not in MODELS:
        raise ValidationFailed("bad model", [FieldError("model", f"must be one of {', '.join(MODELS)}")])
    built, ev = _evaluated(uow, equipment_type_id, model, demand_source)
    sites, fleet, only = _fleet_figure(built, ev, site_ids)
    basis = built.basis
    warnings: list[str] = []
    other = None
    if compare:
        ob = _other_basis(uow, basis)
        if ob is not None:
            ob_built, ob_ev = _evaluated(uow, equipment_type_id, model, ob)
            _s, ob_fleet, _o = _fleet_figure(ob_built, ob_ev, site_ids)
            other = {"demand_source": ob.token, "described": ob.describe(), "fleet_availability": ob_fleet}
            gap = fleet - ob_fleet
            if abs(gap) > AVAILABILITY_GAP_WARN:
                warnings.append(
                    f"Predicted availability is {fleet * 100:.1f} % from {basis.describe()} but "
                    f"{ob_fleet * 100:.1f} % from {ob.describe()}: {abs(gap) * 100:.1f} points apart "
                    f"(more than {AVAILABILITY_GAP_WARN * 100:.0f}). Check which demand figure to trust.")
    n_off, off = rate_warnings(built)
    if n_off and basis.kind != "history":
        warnings.append(
            f"{n_off} part x base rate(s) from {basis.describe()} differ more than {RATE_RATIO_WARN:g}x from "
            f"their own demand history (largest: " + ", ".join(
                f"{r['part_number']} at {r['site_code']} {r['rate_per_year']:.2f} a year against "
                f"{r['history_per_year']:.2f} recorded" for r in off[:3]) + ").")
    return {
        "equipment_type_id": built.equipment_type.id, "equipment_type_code": built.equipment_type.code,
        "model": model, "demand_source": built.demand_source,
        "demand_basis": basis.token, "demand_described": basis.describe(),
        "default_demand_source": DEFAULT_DEMAND_SOURCE,
        "other_source": other, "warnings": warnings, "rate_outliers": off,
        "fleet_availability": fleet, "total_base_ebo": float(ev.total_base_ebo),
        "sites": sites, "worst_items": worst_items(built, ev, top, only),
        "n_items": len(built.case.items), "notes": built.notes,
        "evaluation": ev, "built": built,
    }


# -- plans ------------------------------------------------------------------------------------

@dataclass
class PlanResult:
    built: BuiltCase
    model: str
    budget: Decimal | None
    target: float | None
    currency: str
    availability_now: float
    availability_planned: float
    sites: list[dict[str, Any]]
    lines: list[dict[str, Any]]
    moves: list[dict[str, Any]]
    curve: list[dict[str, float]]
    cost: Decimal
    stop_reason: str
    target_met: bool | None
    curve_points: int
    seconds: float
    computed_at: datetime


def validate_plan_input(*, budget: Any = None, target: Any = None, model: str = "vari-metric") -> tuple:
    errors = ErrorList()
    b = t = None
    if budget is not None and budget != "":
        try:
            b = Decimal(str(budget))
            if not b.is_finite() or b < 0:
                raise ValueError
        except (ValueError, ArithmeticError):
            errors.add("budget", f"must be a number >= 0, got {budget!r}")
            b = None
    if target is not None and target != "":
        try:
            t = float(target)
            if not (0.0 < t < 1.0) or math.isnan(t):
                raise ValueError
        except (TypeError, ValueError):
            errors.add("target", f"must be an availability between 0 and 1 (exclusive), got {target!r}")
            t = None
    if (budget is None or budget == "") and (target is None or target == ""):
        errors.add("budget", "give a budget, a target availability, or both")
    if model not in MODELS:
        errors.add("model", f"must be one of {', '.join(MODELS)}, got {model!r}")
    errors.raise_if_any()
    return b, t


def plan(uow: UnitOfWork, *, equipment_type_id: Any, budget: Any = None, target: Any = None,
         model: str = "vari-metric", site_ids: Sequence[uuid.UUID] | None = None, currency: str = "USD",
         workers: int | None = None, scheduler: str | None = None,
         progress: Callable[[str], None] | None = None, sites_field: str = "site_id",
         demand_source: Any = None) -> PlanResult:
    """The efficient curve and the recommended buys and moves for a budget and/or a target
    (``sites_field``: the caller's name of the field that chose ``site_ids``, for errors;
    ``demand_source``: see :func:`resolve_demand_source`, default history)."""
    require(uow.actor, CREATE)
    b, t = validate_plan_input(budget=budget, target=target, model=model)
    t0 = time.perf_counter()
    say = progress or (lambda _m: None)
    say("building the case")
    built = build_case(uow, equipment_type_id=equipment_type_id, site_ids=site_ids, model=model,
                       currency=currency, as_field=True, sites_field=sites_field, demand_source=demand_source)
    map_fn = None
    if workers or scheduler:
        from setu.kit.compute import run_blocks

        def map_fn(fn, blocks):
            return run_blocks(fn, blocks, workers=workers, scheduler=scheduler)

    case, stock = built
    rec, _curve = recommend(case, stock, budget=None if b is None else float(b), target=t, model=model,
                            map_fn=map_fn, progress=say)
    say("evaluating")
    ca = case.arrays()
    today = ca.stock_array(stock)
    ev_now = evaluate(ca, today, model=model)
    ev_new = evaluate(ca, rec.after, model=model)
    e = ca.equipment_types.index(built.equipment_type.code)
    sites_now = _site_rows(built, ev_now)
    for row, new in zip(sites_now, _site_rows(built, ev_new)):
        row["availability_planned"] = new["availability"]
    lines: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]] = {}
    cents = Decimal("0.01")
    changed = np.argwhere((rec.after != today) | (rec.buy > 0))
    for i, col in changed:
        iid, sid = ca.item_ids[i], ca.site_ids[col]
        pid, dbs = built.item_part[iid], built.db_site(iid, sid)
        p = built.parts[pid]
        unit = Decimal(str(ca.unit_cost[i]))
        lines[(pid, dbs)] = {
            "part_id": pid, "part_number": p.part_number, "part_name": p.name, "site_id": dbs,
            "site_code": built.sites[dbs].code, "stock_now": int(today[i, col]), "stock_planned": int(rec.after[i, col]),
            "change": int(rec.after[i, col] - today[i, col]), "buy": int(rec.buy[i, col]),
            "move_in": int(rec.moved_in[i, col]), "move_out": int(rec.moved_out[i, col]),
            "unit_cost": float(unit), "cost": (unit * int(rec.buy[i, col])).quantize(cents, ROUND_HALF_EVEN),
            "ebo_now": float(ev_now.ebo[i, col]), "ebo_planned": float(ev_new.ebo[i, col]),
        }
    moves = []
    for i, a, bcol, q in rec.moves:
        iid = ca.item_ids[i]
        pid = built.item_part[iid]
        fa, fb = built.db_site(iid, ca.site_ids[a]), built.db_site(iid, ca.site_ids[bcol])
        moves.append({"part_id": str(pid), "part_number": built.parts[pid].part_number,
                      "from_site_id": str(fa), "from_site": built.sites[fa].code,
                      "to_site_id": str(fb), "to_site": built.sites[fb].code, "quantity": int(q)})
    ordered = sorted(lines.values(), key=lambda r: (-float(r["cost"]), r["part_number"], r["site_code"]))
    total = sum((r["cost"] for r in ordered), Decimal("0.00"))
    return PlanResult(
        built=built, model=model, budget=b, target=t, currency=currency,
        availability_now=float(ev_now.fleet_availability[e]), availability_planned=float(ev_new.fleet_availability[e]),
        sites=sites_now, lines=ordered, moves=moves, curve=rec.chart, cost=total, stop_reason=rec.stop_reason,
        target_met=rec.target_met, curve_points=rec.curve_points, seconds=time.perf_counter() - t0,
        computed_at=datetime.now(timezone.utc))


def save_plan(uow: UnitOfWork, result: PlanResult, *, name: str | None = None) -> ReadinessPlan:
    """Store the plan with the inputs it used (case, today's stock, curve) and its lines."""
    require(uow.actor, CREATE)
    et = result.built.equipment_type
    what = f"budget {result.budget} {result.currency}" if result.budget is not None else ""
    if result.target is not None:
        what = (what + ", " if what else "") + f"target {result.target:g}"
    row = ReadinessPlan(
        party_id=uow.actor.party_id, equipment_type_id=et.id,
        name=(name or f"{et.code} · {what}")[:200], created_by=uow.actor.name[:200], model=result.model,
        budget=result.budget, target_availability=result.target, currency=result.currency,
        demand_source=result.built.demand_source[:64], availability_now=result.availability_now,
        availability_planned=result.availability_planned, cost=result.cost,
        case_json=json.dumps(case_to_dict(result.built.case)), stock_json=json.dumps(result.built.stock),
        curve_json=json.dumps({"points": result.curve, "moves": result.moves, "sites": [
            {**s, "site_id": str(s["site_id"])} for s in result.sites],
            "stop_reason": result.stop_reason, "target_met": result.target_met,
            "curve_points": result.curve_points, "seconds": result.seconds, "notes": result.built.notes}),
        computed_at=result.computed_at,
    )
    uow.session.add(row)
    uow.session.flush()
    rows = [{"id": uuid.uuid4(), "plan_id": row.id, "part_id": ln["part_id"], "site_id": ln["site_id"],
             "stock_now": ln["stock_now"], "stock_planned": ln["stock_planned"], "change": ln["change"],
             "cost": ln["cost"], "ebo_now": ln["ebo_now"], "ebo_planned": ln["ebo_planned"]}
            for ln in result.lines]
    repo.add_plan_lines(uow.session, rows)
    return row


# -- as a background job ----------------------------------------------------------------------------

#: The background job that computes and saves a plan (``POST /api/v1/readiness/plans``, the form).
PLAN_JOB = "readiness.plan.create"
_PLAN_STEPS = ("building the case", "efficient curve", "choosing the plan", "evaluating", "saving")


def check_plan(uow: UnitOfWork, *, equipment_type_id: Any, budget: Any = None, target: Any = None,
               model: str = "vari-metric", site_ids: Sequence[uuid.UUID] | None = None, currency: str = "USD",
               name: str | None = None, sites_field: str = "site_id", demand_source: Any = None) -> dict[str, Any]:
    """The cheap checks of a plan before it is started as a job, with the answers :func:`plan`
    would give: budget, target and model (422 naming each), the equipment type (422 naming
    ``equipment_type_id``), bases of the type among ``site_ids`` the actor may see (422 naming
    ``sites_field``). Returns the job's parameters (JSON values)."""
    require(uow.actor, CREATE)
    b, t = validate_plan_input(budget=budget, target=target, model=model)
    basis = resolve_demand_source(uow, demand_source)
    et = _type_or_error(uow, equipment_type_id, as_field=True)
    sids = [s if isinstance(s, uuid.UUID) else uuid.UUID(str(s)) for s in site_ids] if site_ids else None
    if not fleet.unit_counts(uow, equipment_type_id=et.id, site_ids=sids, echelon=2):
        raise ValidationFailed(
            f"no base you may see operates {et.code}",
            [FieldError(sites_field if sids else "equipment_type_id", f"no base with units of {et.code}")])
    return {"equipment_type_id": str(et.id), "budget": None if b is None else str(b), "target": t, "model": model,
            "site_ids": None if sids is None else [str(s) for s in sids], "currency": currency, "name": name,
            "sites_field": sites_field, "demand_source": basis.token}


@jobs.register(PLAN_JOB)
def plan_job(ctx: jobs.JobContext, *, equipment_type_id: str, budget: str | None = None, target: float | None = None,
             model: str = "vari-metric", site_ids: list[str] | None = None, currency: str = "USD",
             name: str | None = None, sites_field: str = "site_id", demand_source: str | None = None) -> dict[str, Any]:
    """Compute the plan in a read-only unit of work (no write lock is held meanwhile), then save it
    in one short write unit of work. Returns where to find it."""
    def say(message: str) -> None:
        step = _PLAN_STEPS.index(message) if message in _PLAN_STEPS else 0
        ctx.progress(step, len(_PLAN_STEPS), message)

    with ctx.reading() as uow:
        result = plan(uow, equipment_type_id=uuid.UUID(equipment_type_id), budget=budget, target=target, model=model,
                      site_ids=[uuid.UUID(s) for s in site_ids] if site_ids else None, currency=currency,
                      progress=say, sites_field=sites_field, demand_source=demand_source)
    say("saving")
    plan_id = ctx.write(lambda w: save_plan(w, result, name=name).id)
    return {"id": str(plan_id), "url": f"/readiness/plans/{plan_id}", "api_url": f"/api/v1/readiness/plans/{plan_id}"}


def list_plans(uow: UnitOfWork, *, equipment_type_id: uuid.UUID | None = None, sort: str | None = None,
               cursor: str | None = None, limit: int = 50) -> Page:
    """Saved plans of the actor's party (every plan for the system actor and programme offices)."""
    require(uow.actor, READ)
    return paginate(uow.session, repo.plans(uow.actor, equipment_type_id), model=ReadinessPlan,
                    sortable=repo.PLAN_SORT, sort=sort or "-computed_at", cursor=cursor, limit=limit)


def plans_awaiting_decision(uow: UnitOfWork, *, limit: int = 50) -> list[ReadinessPlan]:
    """Proposed plans the actor may decide: of its party (as every list), not its own, and only
    for an approver (``readiness.plan.approve``); oldest first. Empty for anyone else."""
    require(uow.actor, READ)
    if not uow.actor.can("readiness.plan.approve"):
        return []
    rows = [p for p in uow.session.scalars(repo.plans(uow.actor, None)) if p.status == "proposed"
            and p.created_by != uow.actor.name]
    rows.sort(key=lambda p: (p.computed_at, str(p.id)))
    return rows[:limit]


def get_plan(uow: UnitOfWork, *, plan_id: Any) -> ReadinessPlan:
    """A saved plan; another party's plan answers 404 like a missing one."""
    require(uow.actor, READ)
    try:
        pid = plan_id if isinstance(plan_id, uuid.UUID) else uuid.UUID(str(plan_id))
    except ValueError:
        raise NotFound(f"readiness plan {plan_id} not found") from None
    row = repo.plan(uow.session, uow.actor, pid)
    if row is None:
        raise NotFound(f"readiness plan {plan_id} not found")
    return row


PLAN_COLUMNS = ("part_number", "manufacturer_code", "part_name", "site", "stock_now", "stock_planned", "change",
                "buy", "move_in", "move_out", "unit_cost", "cost", "currency", "ebo_now", "ebo_planned")


def plan_lines(uow: UnitOfWork, *, plan_id: Any) -> list[dict[str, Any]]:
    """The plan's buys and moves per part and site (largest cost first)."""
    plan_row = get_plan(uow, plan_id=plan_id)
    rows = repo.plan_line_rows(uow.session, plan_row.id)
    parts = catalog.part_facts(uow, part_ids=[ln.part_id for ln in rows])
    sites = fleet.site_facts(uow, site_ids=[ln.site_id for ln in rows], scoped=False)
    moves = json.loads(plan_row.curve_json).get("moves", []) if plan_row.curve_json else []
    move_in: dict[tuple[str, str], int] = {}
    move_out: dict[tuple[str, str], int] = {}
    for m in moves:
        move_in[(m["part_id"], m["to_site_id"])] = move_in.get((m["part_id"], m["to_site_id"]), 0) + m["quantity"]
        move_out[(m["part_id"], m["from_site_id"])] = move_out.get((m["part_id"], m["from_site_id"]), 0) + m["quantity"]
    out = []
    for ln in rows:
        p, s = parts.get(ln.part_id), sites.get(ln.site_id)
        if p is None or s is None:
            continue
        key = (str(p.id), str(s.id))
        mi, mo = move_in.get(key, 0), move_out.get(key, 0)
        out.append({"part_id": p.id, "part_number": p.part_number, "manufacturer_code": p.manufacturer_code,
                    "part_name": p.name, "site_id": s.id, "site": s.code, "stock_now": ln.stock_now,
                    "stock_planned": ln.stock_planned, "change": ln.change, "buy": ln.change - mi + mo,
                    "move_in": mi, "move_out": mo, "cost": ln.cost, "currency": plan_row.currency,
                    "unit_cost": (ln.cost / (ln.change - mi + mo)).quantize(Decimal("0.01"))
                    if ln.change - mi + mo > 0 else None,
                    "ebo_now": ln.ebo_now, "ebo_planned": ln.ebo_planned})
    out.sort(key=lambda r: (-r["cost"], r["part_number"], r["site"]))
    return out


def export_plan(uow: UnitOfWork, *, plan_id: Any, fmt: str = "xlsx") -> tuple[str, str, bytes]:
    """(file name, media type, bytes) of the plan's lines as CSV or Excel."""
    from setu.kit import tabular

    if fmt not in tabular.FORMATS:
        raise ValidationFailed("unknown format", [FieldError("format", f"use one of {', '.join(tabular.FORMATS)}")])
    plan_row = get_plan(uow, plan_id=plan_id)
    lines = plan_lines(uow, plan_id=plan_row.id)
    rows = [[r[c] for c in PLAN_COLUMNS] for r in lines]
    name = f"readiness-plan-{str(plan_row.id)[:8]}.{fmt}"
    if fmt == "xlsx":
        body = tabular.xlsx_bytes(PLAN_COLUMNS, rows, sheet_title="plan")
    else:
        body = b"".join(tabular.iter_csv_bytes(PLAN_COLUMNS, rows))
    return name, tabular.MEDIA_TYPES[fmt], body


def plan_summary(plan_row: ReadinessPlan) -> dict[str, Any]:
    """The stored curve and site figures of a saved plan."""
    data = json.loads(plan_row.curve_json or "{}")
    if isinstance(data, list):
        data = {"points": data}
    return data
