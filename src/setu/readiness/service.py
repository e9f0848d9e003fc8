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
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select

from setu.catalog.models import BomLine, Part
from setu.engine.readiness import Case, Demand, Item, Site, evaluate, optimize
from setu.engine.readiness.case import MODELS
from setu.fleet import policies as fleet_policies
from setu.catalog.models import EquipmentType
from setu.fleet.models import EquipmentUnit, Site as DbSite, StockPosition
from setu.demand.models import DemandRecord
from setu.kit.access import require
from setu.kit.errors import ErrorList, FieldError, NotFound, ValidationFailed
from setu.kit.listing import Page, paginate
from setu.kit.uow import UnitOfWork
from setu.readiness.case_io import case_to_dict
from setu.readiness.models import ReadinessPlan, ReadinessPlanLine

DAYS_PER_YEAR = 365.0
ORDER_SHIP_DAYS = 7.0
DEFAULT_REPAIR_DAYS = 30.0
HISTORY_MONTHS = 24
VIRTUAL_DEPOT = "DEPOTS"
#: Planning exchange rates: units of USD per unit of each currency (costs are compared in one
#: currency; change here or pass ``rates=``). Reference values, not market rates.
REFERENCE_RATES = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "INR": 1.0 / 83.0, "RUB": 1.0 / 90.0}
CHART_POINTS = 40

READ = "readiness.plan.read"
CREATE = "readiness.plan.create"


# -- the case ---------------------------------------------------------------------------------

@dataclass
class BuiltCase:
    """A case built from the database, with the ids that map it back. Unpacks as ``case, stock``."""

    case: Case
    stock: dict[str, dict[str, int]]
    equipment_type: EquipmentType
    currency: str
    #: engine item id -> part id; engine site id -> database site id (the virtual depot column
    #: maps through ``item_depot``)
    item_part: dict[str, uuid.UUID]
    item_depot: dict[str, uuid.UUID | None]
    site_db: dict[str, uuid.UUID]
    parts: dict[uuid.UUID, Part]
    sites: dict[uuid.UUID, DbSite]
    demand_source: str
    demand_counts: dict[str, int]
    notes: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[Any]:
        yield self.case
        yield self.stock

    def db_site(self, item_id: str, site_id: str) -> uuid.UUID | None:
        """The database site of an engine (item, site) cell."""
        if site_id == VIRTUAL_DEPOT:
            return self.item_depot.get(item_id)
        return self.site_db.get(site_id)


def _type_or_error(uow: UnitOfWork, equipment_type_id: Any, *, as_field: bool) -> EquipmentType:
    et = None
    try:
        et_id = equipment_type_id if isinstance(equipment_type_id, uuid.UUID) else uuid.UUID(str(equipment_type_id))
        et = uow.session.get(EquipmentType, et_id)
    except (ValueError, TypeError):
        et = None
    if et is None:
        msg = f"no equipment type {equipment_type_id}"
        if as_field:
            raise ValidationFailed("The input has errors: 1 error(s)", [FieldError("equipment_type_id", msg)])
        raise NotFound(f"equipment type {equipment_type_id} not found", [FieldError("equipment_type_id", msg)])
    return et


def _to_plan_currency(price: Decimal | float, currency: str, plan_currency: str, rates: dict[str, float]) -> float:
    p = float(price or 0)
    if currency == plan_currency:
        return p
    return p * rates.get(currency, 1.0) / rates.get(plan_currency, 1.0)


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def _history(uow: UnitOfWork, part_ids: list[uuid.UUID], site_ids: list[uuid.UUID]):
    """(mean per month, variance-to-mean) per (part, site) over the last HISTORY_MONTHS months of the
    demand history, for pairs with any record; plus the window's last month."""
    if not part_ids or not site_ids:
        return {}, None
    last = uow.session.scalar(select(func.max(DemandRecord.period)).where(DemandRecord.site_id.in_(site_ids)))
    if last is None:
        return {}, None
    end = _month_index(last)
    start = end - HISTORY_MONTHS + 1
    start_date = date(start // 12, start % 12 + 1, 1)
    ever: set[tuple[uuid.UUID, uuid.UUID]] = set()
    sums: dict[tuple[uuid.UUID, uuid.UUID], list[float]] = {}
    for chunk in _chunks(part_ids, 500):
        for p, s in uow.session.execute(
                select(DemandRecord.part_id, DemandRecord.site_id).where(
                    DemandRecord.part_id.in_(chunk), DemandRecord.site_id.in_(site_ids)).distinct()):
            ever.add((p, s))
        for p, s, q1, q2 in uow.session.execute(
                select(DemandRecord.part_id, DemandRecord.site_id, func.sum(DemandRecord.quantity),
                       func.sum(DemandRecord.quantity * DemandRecord.quantity))
                .where(DemandRecord.part_id.in_(chunk), DemandRecord.site_id.in_(site_ids),
                       DemandRecord.period >= start_date, DemandRecord.period <= last)
                .group_by(DemandRecord.part_id, DemandRecord.site_id)):
            sums[(p, s)] = [float(q1 or 0.0), float(q2 or 0.0)]
    out = {}
    n = float(HISTORY_MONTHS)
    for key in ever:
        s1, s2 = sums.get(key, (0.0, 0.0))
        mean = s1 / n
        var = max(0.0, (s2 - n * mean * mean) / (n - 1))
        out[key] = (mean, var / mean if mean > 0 else 1.0)
    return out, last


def _chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _forecast_rates(uow: UnitOfWork, part_ids, site_ids) -> dict:
    try:
        from setu.forecasting.service import latest_run_rates
    except ImportError:  # pragma: no cover - forecasting not in this build
        return {}
    if not uow.actor or not uow.actor.can("forecasting.run.read"):
        return {}
    return latest_run_rates(uow, part_ids, site_ids)


def _spares(pos: StockPosition | None, kind: str) -> int:
    if pos is None:
        return 0
    if kind == "repairable":
        return int(pos.serviceable + pos.unserviceable + pos.in_repair + pos.on_order)
    return int(pos.serviceable + pos.on_order)


def build_case(uow: UnitOfWork, *, equipment_type_id: Any, site_ids: Sequence[uuid.UUID] | None = None,
               model: str = "vari-metric", currency: str = "USD",
               rates: dict[str, float] | None = None, as_field: bool = False,
               sites_field: str = "site_id") -> BuiltCase:
    """The readiness case of one equipment type over the bases the actor may see (module docstring
    gives the mapping) and today's stock per item and site. ``sites_field`` names the caller's
    field that chose ``site_ids`` (an error about them names it)."""
    require(uow.actor, READ)
    rates = {**REFERENCE_RATES, **(rates or {})}
    et = _type_or_error(uow, equipment_type_id, as_field=as_field)
    s = uow.session
    scope = fleet_policies.visible_site_ids(uow.actor)

    # bases with units of this type, and their depots
    uq = (select(EquipmentUnit.site_id, func.count()).join(DbSite, DbSite.id == EquipmentUnit.site_id)
          .where(EquipmentUnit.equipment_type_id == et.id, DbSite.echelon == 2)
          .group_by(EquipmentUnit.site_id))
    if scope is not None:
        uq = uq.where(EquipmentUnit.site_id.in_(scope))
    if site_ids:
        uq = uq.where(EquipmentUnit.site_id.in_(list(site_ids)))
    units = {sid: int(n) for sid, n in s.execute(uq)}
    if not units:
        raise ValidationFailed(
            f"no base you may see operates {et.code}",
            [FieldError(sites_field if site_ids else "equipment_type_id", f"no base with units of {et.code}")])
    bases = sorted(s.scalars(select(DbSite).where(DbSite.id.in_(list(units)))), key=lambda x: x.code)
    depot_ids = sorted({b.parent_id for b in bases if b.parent_id is not None}, key=str)
    depots = {d.id: d for d in s.scalars(select(DbSite).where(DbSite.id.in_(depot_ids)))} if depot_ids else {}
    groups: dict[uuid.UUID | None, list[DbSite]] = {}
    for b in bases:
        groups.setdefault(b.parent_id if b.parent_id in depots else None, []).append(b)
    group_keys = sorted(groups, key=lambda g: (g is None, depots[g].code if g else ""))
    real_depots = [g for g in group_keys if g is not None]
    depot_col = depots[real_depots[0]].code if len(real_depots) == 1 else VIRTUAL_DEPOT
    multi = len(group_keys) > 1

    # bill of material
    lines = list(s.scalars(select(BomLine).where(BomLine.equipment_type_id == et.id)
                           .order_by(BomLine.level, BomLine.parent_part_id.is_not(None))))
    part_ids = sorted({ln.child_part_id for ln in lines}, key=str)
    parts = {p.id: p for chunk in _chunks(part_ids, 500)
             for p in s.scalars(select(Part).where(Part.id.in_(chunk)))}
    chosen: dict[uuid.UUID, BomLine] = {}
    for ln in sorted(lines, key=lambda x: (x.level, x.parent_part_id is not None,
                                           parts[x.child_part_id].part_number, str(x.id))):
        chosen.setdefault(ln.child_part_id, ln)
    notes = []
    dup = len(lines) - len(chosen)
    if dup:
        notes.append(f"{dup} BOM line(s) name a part already in the case; each part is modelled once")
    # failure shares per parent
    children: dict[uuid.UUID, list[BomLine]] = {}
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
    forecast = _forecast_rates(uow, lru_ids, base_ids)
    history, _last = _history(uow, lru_ids, base_ids)
    hours = float(et.operating_hours_per_year or 0.0)
    counts = {"forecast": 0, "history": 0, "reliability": 0, "none": 0}
    run_ids: set[uuid.UUID] = set()

    def rate_of(p: Part, b: DbSite, z: int) -> tuple[float, float]:
        key = (p.id, b.id)
        if key in forecast:
            r = forecast[key]
            counts["forecast"] += 1
            run_ids.add(r.run_id)
            return 12.0 * float(r.mean_per_month), max(1.0, float(r.variance_to_mean))
        if key in history:
            counts["history"] += 1
            mean, vmr = history[key]
            return 12.0 * mean, max(1.0, vmr)
        if p.mtbf_hours and p.mtbf_hours > 0 and hours > 0:
            counts["reliability"] += 1
            return units[b.id] * z * hours / float(p.mtbf_hours), 1.0
        counts["none"] += 1
        return 0.0, 1.0

    # stock positions
    stock_sites = base_ids + list(depots)
    positions: dict[tuple[uuid.UUID, uuid.UUID], StockPosition] = {}
    for chunk in _chunks(kept, 500):
        for pos in s.scalars(select(StockPosition).where(StockPosition.part_id.in_(chunk),
                                                         StockPosition.site_id.in_(stock_sites))):
            positions[(pos.part_id, pos.site_id)] = pos

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

    def item_id(p: Part, g) -> str:
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
            turn = ((1.0 - c) * tat + c * plt) / DAYS_PER_YEAR
            cost = _to_plan_currency(p.unit_price, p.currency, currency, rates)
            if cost <= 0:
                cost = 0.01
            demand: dict[str, Demand] = {}
            vmr_num = vmr_den = 0.0
            is_lru = ln.parent_part_id is None
            z = max(1, int(round(float(ln.quantity_per_assembly or 1))))
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
    if run_ids:
        src = "forecast " + ",".join(sorted(str(r)[:8] for r in run_ids))[:30]
    else:
        src = ""
    parts_used = [k for k in ("forecast", "history", "reliability", "none") if counts[k]]
    demand_source = "; ".join(f"{k} {counts[k]}" for k in parts_used) or "none"
    if src:
        demand_source = (src + " | " + demand_source)
    case = Case(sites=tuple(sites), items=tuple(items), model=model)
    site_objs = {b.id: b for b in bases} | depots
    return BuiltCase(case=case, stock=stock, equipment_type=et, currency=currency, item_part=item_part,
                     item_depot=item_depot, site_db=site_db, parts={p: parts[p] for p in kept},
                     sites=site_objs, demand_source=demand_source[:64], demand_counts=counts, notes=notes)


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


def evaluate_today(uow: UnitOfWork, *, equipment_type_id: Any, site_ids: Sequence[uuid.UUID] | None = None,
                   model: str = "vari-metric", top: int = 10) -> dict[str, Any]:
    """Predicted availability per base and for the fleet with today's stock, and the items that
    cost the most availability. The whole visible fleet is evaluated (its bases share depots);
    ``site_ids`` narrows the answer (sites, their unit-weighted availability, worst items) to
    those bases."""
    if model not in MODELS:
        raise ValidationFailed("bad model", [FieldError("model", f"must be one of {', '.join(MODELS)}")])
    built = build_case(uow, equipment_type_id=equipment_type_id, model=model)
    ev = evaluate(built.case, built.stock, model=model)
    e = ev.equipment_types.index(built.equipment_type.code)
    sites = _site_rows(built, ev)
    only = None
    fleet = float(ev.fleet_availability[e])
    if site_ids:
        wanted = set(site_ids)
        sites = [r for r in sites if r["site_id"] in wanted]
        if not sites:
            raise NotFound("no such base with units of this type",
                           [FieldError("site_id", f"no base you may see with units of {built.equipment_type.code}")])
        only = {r["site_code"] for r in sites}
        n = sum(r["units"] for r in sites)
        fleet = sum(r["units"] * r["availability"] for r in sites) / n if n else 0.0
    return {
        "equipment_type_id": built.equipment_type.id, "equipment_type_code": built.equipment_type.code,
        "model": model, "demand_source": built.demand_source,
        "fleet_availability": fleet, "total_base_ebo": float(ev.total_base_ebo),
        "sites": sites, "worst_items": worst_items(built, ev, top, only),
        "n_items": len(built.case.items), "notes": built.notes,
        "evaluation": ev, "built": built,
    }


# -- plans ------------------------------------------------------------------------------------

@dataclass
class Recommendation:
    """A point chosen on the curve, as buys and moves from today's stock (pure arrays)."""

    k: int
    plan: np.ndarray  # (I, L) the curve point's stock
    after: np.ndarray  # (I, L) stock after buying and moving
    buy: np.ndarray  # (I, L)
    moved_in: np.ndarray
    moved_out: np.ndarray
    moves: list[tuple[int, int, int, int]]  # (item, from col, to col, qty)
    buy_cost: float
    availability: float
    stop_reason: str
    target_met: bool | None
    chart: list[dict[str, float]]
    curve_points: int


def _rebalance(plan: np.ndarray, today: np.ndarray, depot_col: int):
    """Meet ``plan`` from ``today``'s stock: surplus moves (depot first, then bases in column order)
    to sites below plan (in column order); the rest is bought. Returns after, buy, in, out."""
    order = np.arange(plan.shape[1])
    if depot_col >= 0:
        order = np.concatenate([[depot_col], order[order != depot_col]])
    sur = np.maximum(0, today - plan)[:, order]
    dfc = np.maximum(0, plan - today)[:, order]
    moved = np.minimum(sur.sum(1), dfc.sum(1))[:, None]
    taken = np.clip(moved - (np.cumsum(sur, 1) - sur), 0, sur)
    filled = np.clip(moved - (np.cumsum(dfc, 1) - dfc), 0, dfc)
    inv = np.argsort(order)
    out, inn = taken[:, inv], filled[:, inv]
    buy = np.maximum(0, plan - today) - inn
    after = today - out + inn + buy
    return after, buy, inn, out


def _moves(out: np.ndarray, inn: np.ndarray) -> list[tuple[int, int, int, int]]:
    moves = []
    for i in np.flatnonzero(out.sum(1) > 0):
        src = [[int(c), int(out[i, c])] for c in np.flatnonzero(out[i])]
        dst = [[int(c), int(inn[i, c])] for c in np.flatnonzero(inn[i])]
        a = b = 0
        while a < len(src) and b < len(dst):
            q = min(src[a][1], dst[b][1])
            moves.append((int(i), src[a][0], dst[b][0], q))
            src[a][1] -= q
            dst[b][1] -= q
            a += src[a][1] == 0
            b += dst[b][1] == 0
    return moves


def recommend(case: Case, stock: Any, *, budget: float | None = None, target: float | None = None,
              model: str | None = None, map_fn=None, chart_points: int = CHART_POINTS,
              progress: Callable[[str], None] | None = None) -> tuple[Recommendation, Any]:
    """Choose the plan on the efficient curve given today's stock (module docstring). Returns the
    recommendation and the engine's curve."""
    ca = case.arrays()
    model = model or case.model
    today = ca.stock_array(stock)
    tot = today.sum(1)
    c = ca.unit_cost
    say = progress or (lambda _m: None)
    say("efficient curve")
    opt_budget = None if budget is None else float(budget) + float((c * tot).sum())
    curve = optimize(case, model=model, budget=opt_budget, target=target, map_fn=map_fn)
    n_pts = curve.n_points
    # buy cost of every point, incrementally (vertex index per item only grows along the curve)
    v = curve.item_first_vertex.copy()
    S = curve.vertex_S[v].astype(np.int64)
    cur = float((c * np.maximum(0, S - tot)).sum())
    buy_cost = np.empty(n_pts)
    buy_cost[0] = cur
    for t in range(n_pts - 1):
        i = int(curve.step_item[t])
        nv = max(int(v[i]), int(curve.step_vertex[t]))
        if nv != v[i]:
            s_new = int(curve.vertex_S[nv])
            cur += c[i] * (max(0, s_new - tot[i]) - max(0, int(S[i]) - tot[i]))
            v[i], S[i] = nv, s_new
        buy_cost[t + 1] = cur
    e_idx = 0
    cache: dict = {}
    evals: dict[int, tuple[float, float, np.ndarray]] = {}

    def at(k: int):
        if k not in evals:
            plan_k = curve.stock_at(k, cache)
            after = _rebalance(plan_k, today, ca.depot_index)[0]
            ev = evaluate(ca, after, model=model)
            fleet = ev.fleet_availability
            evals[k] = (float(np.nanmin(fleet)) if fleet.size else 1.0, float(ev.total_base_ebo), plan_k)
        return evals[k]

    say("choosing the plan")
    k = n_pts - 1
    stop = curve.stop_reason
    met = None
    if budget is not None:
        k = int(np.searchsorted(buy_cost, float(budget) + 1e-9, side="right")) - 1
        k = max(0, k)
        stop = "budget" if k < n_pts - 1 or curve.stop_reason == "budget" else curve.stop_reason
    if target is not None:
        hi = k
        if at(hi)[0] >= target - 1e-12:
            lo = 0
            while lo < hi:
                mid = (lo + hi) // 2
                if at(mid)[0] >= target - 1e-12:
                    hi = mid
                else:
                    lo = mid + 1
            k, stop, met = hi, "target", True
        else:
            met = False
    plan_k = at(k)[2]
    rec_a, rec_ebo = at(k)[0], at(k)[1]
    if budget is not None and stop == "budget" and met is not True:
        filled = _fill_budget(curve, k, today, float(budget), cache)
        if filled is not None:
            after_f = _rebalance(filled, today, ca.depot_index)[0]
            ev_f = evaluate(ca, after_f, model=model)
            a_f = float(np.nanmin(ev_f.fleet_availability)) if ev_f.fleet_availability.size else 1.0
            if a_f > rec_a:
                plan_k, rec_a, rec_ebo = filled, a_f, float(ev_f.total_base_ebo)
    after, buy, inn, out = _rebalance(plan_k, today, ca.depot_index)
    rec_cost = float((buy * c[:, None]).sum())
    # the chart: evaluated curve points, cheapest first, only those that raise availability, with
    # the recommended plan in its place (curve points it dominates left out)
    n_chart = min(n_pts, max(2, chart_points))
    idx = sorted(set(np.linspace(0, n_pts - 1, n_chart).round().astype(int).tolist()) | {0})
    pts = [{"point": int(j), "cost": float(buy_cost[j]), "availability": at(j)[0], "total_base_ebo": at(j)[1],
            "recommended": False} for j in idx]
    pts.append({"point": int(k), "cost": rec_cost, "availability": rec_a, "total_base_ebo": rec_ebo,
                "recommended": True})
    pts.sort(key=lambda p: (p["cost"], not p["recommended"]))
    chart = []
    for p in pts:
        if chart and p["availability"] <= chart[-1]["availability"] + 1e-12:
            if p["recommended"]:  # the plan replaces the points it does not beat
                while chart and chart[-1]["availability"] >= p["availability"] - 1e-12:
                    chart.pop()
            else:
                continue
        chart.append(p)
    rec = Recommendation(k=k, plan=plan_k, after=after, buy=buy, moved_in=inn, moved_out=out,
                         moves=_moves(out, inn), buy_cost=rec_cost,
                         availability=rec_a, stop_reason=stop, target_met=met, chart=chart, curve_points=n_pts)
    return rec, curve


def _fill_budget(curve, k: int, today: np.ndarray, budget: float, cache: dict) -> np.ndarray | None:
    """Spend what the budget leaves after point k: take the later curve steps in order whose buys
    still fit, skipping (for good) an item whose next step does not fit. Returns the stock plan, or
    None when nothing more fits."""
    ca = curve.arrays
    c = ca.unit_cost
    tot = today.sum(1)
    v = curve.item_vertices(k).copy()
    S = curve.vertex_S[v].astype(np.int64)
    spent = float((c * np.maximum(0, S - tot)).sum())
    frozen = np.zeros(v.size, dtype=bool)
    moved = False
    for t in range(k, curve.n_points - 1):
        i = int(curve.step_item[t])
        nv = int(curve.step_vertex[t])
        if frozen[i] or nv <= v[i]:
            continue
        s_new = int(curve.vertex_S[nv])
        delta = c[i] * (max(0, s_new - tot[i]) - max(0, int(S[i]) - tot[i]))
        if spent + delta <= budget + 1e-9:
            spent += delta
            v[i], S[i] = nv, s_new
            moved = True
        else:
            frozen[i] = True
    if not moved:
        return None
    return replace(curve, point_vertices=(v,)).stock_at(0, cache)


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
         progress: Callable[[str], None] | None = None, sites_field: str = "site_id") -> PlanResult:
    """The efficient curve and the recommended buys and moves for a budget and/or a target
    (``sites_field``: the caller's name of the field that chose ``site_ids``, for errors)."""
    require(uow.actor, CREATE)
    b, t = validate_plan_input(budget=budget, target=target, model=model)
    t0 = time.perf_counter()
    say = progress or (lambda _m: None)
    say("building the case")
    built = build_case(uow, equipment_type_id=equipment_type_id, site_ids=site_ids, model=model,
                       currency=currency, as_field=True, sites_field=sites_field)
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
    if rows:
        uow.session.execute(insert(ReadinessPlanLine), rows)
    return row


def _plans_stmt(actor):
    """Plans the actor may see: every plan for the system actor and programme offices; else the
    plans of its own party, and of those, for an industry or quality organisation (which sees only
    its own sites, never the armed services' stock) only the plans its own members saved: a plan
    carries the stock and buys of every base it was computed over."""
    stmt = select(ReadinessPlan)
    if actor.sees_all_parties:
        return stmt
    if actor.party_id is None or actor.sysadmin:
        return stmt.where(ReadinessPlan.id.is_(None))
    stmt = stmt.where(ReadinessPlan.party_id == actor.party_id)
    if actor.organisation_kind not in fleet_policies.MILITARY_KINDS:
        from setu.identity.models import User

        stmt = stmt.where(ReadinessPlan.created_by.in_(
            select(User.username).where(User.organisation_id == actor.organisation_id)))
    return stmt


def list_plans(uow: UnitOfWork, *, equipment_type_id: uuid.UUID | None = None, sort: str | None = None,
               cursor: str | None = None, limit: int = 50) -> Page:
    """Saved plans of the actor's party (every plan for the system actor and programme offices)."""
    require(uow.actor, READ)
    stmt = _plans_stmt(uow.actor)
    if equipment_type_id is not None:
        stmt = stmt.where(ReadinessPlan.equipment_type_id == equipment_type_id)
    return paginate(uow.session, stmt, model=ReadinessPlan,
                    sortable={"computed_at": ReadinessPlan.computed_at, "name": ReadinessPlan.name,
                              "cost": ReadinessPlan.cost},
                    sort=sort or "-computed_at", cursor=cursor, limit=limit)


def get_plan(uow: UnitOfWork, *, plan_id: Any) -> ReadinessPlan:
    """A saved plan; another party's plan answers 404 like a missing one."""
    require(uow.actor, READ)
    try:
        pid = plan_id if isinstance(plan_id, uuid.UUID) else uuid.UUID(str(plan_id))
    except ValueError:
        raise NotFound(f"readiness plan {plan_id} not found") from None
    row = uow.session.scalar(_plans_stmt(uow.actor).where(ReadinessPlan.id == pid))
    if row is None:
        raise NotFound(f"readiness plan {plan_id} not found")
    return row


PLAN_COLUMNS = ("part_number", "manufacturer_code", "part_name", "site", "stock_now", "stock_planned", "change",
                "buy", "move_in", "move_out", "unit_cost", "cost", "currency", "ebo_now", "ebo_planned")


def plan_lines(uow: UnitOfWork, *, plan_id: Any) -> list[dict[str, Any]]:
    """The plan's buys and moves per part and site (largest cost first)."""
    plan_row = get_plan(uow, plan_id=plan_id)
    stmt = (select(ReadinessPlanLine, Part, DbSite)
            .join(Part, Part.id == ReadinessPlanLine.part_id).join(DbSite, DbSite.id == ReadinessPlanLine.site_id)
            .where(ReadinessPlanLine.plan_id == plan_row.id))
    moves = json.loads(plan_row.curve_json).get("moves", []) if plan_row.curve_json else []
    move_in: dict[tuple[str, str], int] = {}
    move_out: dict[tuple[str, str], int] = {}
    for m in moves:
        move_in[(m["part_id"], m["to_site_id"])] = move_in.get((m["part_id"], m["to_site_id"]), 0) + m["quantity"]
        move_out[(m["part_id"], m["from_site_id"])] = move_out.get((m["part_id"], m["from_site_id"]), 0) + m["quantity"]
    out = []
    for ln, p, s in uow.session.execute(stmt):
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
