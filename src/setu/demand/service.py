"""Demand history use cases. Services never commit."""
from __future__ import annotations

import uuid
from datetime import date

from setu.catalog.models import Part
from setu.catalog.service import family_heads
from setu.demand import repository as repo
from setu.demand.models import DemandRecord
from setu.demand.schemas import DemandRecordCreate
from setu.fleet import policies as fleet_policies
from setu.fleet import service as fleet
from setu.kit.access import require
from setu.kit.crud import check_version, flush, get_or_404
from setu.kit.errors import NotFound
from setu.kit.listing import Page, paginate
from setu.kit.uow import UnitOfWork


def record_demand(uow: UnitOfWork, *, data: DemandRecordCreate, versioned: bool = False) -> DemandRecord:
    """Record (or replace) the demand of a part at a site for one month (``versioned``, the API:
    replacing needs the version read, see :func:`setu.kit.crud.check_version`)."""
    require(uow.actor, "demand.record.create")
    s = uow.session
    get_or_404(s, Part, data.part_id, "part")
    fleet.check_site_visible(uow, site_id=data.site_id)
    rec = repo.record_for_update(s, data.part_id, data.site_id, data.period)
    if rec is None:
        rec = DemandRecord(**data.model_dump(exclude={"version"}))
        s.add(rec)
    else:
        if versioned:
            check_version(rec, data.version, "demand record")
        rec.quantity = data.quantity
    flush(s, "demand record")
    return rec


def list_demand(uow: UnitOfWork, *, part_id: uuid.UUID | None = None, site_id: uuid.UUID | None = None,
                period_from: date | None = None, period_to: date | None = None, sort: str | None = None,
                cursor: str | None = None, limit: int = 50) -> Page[DemandRecord]:
    """Demand records at the sites the actor sees, filtered and paged (default: newest month first)."""
    require(uow.actor, "demand.record.read")
    stmt = repo.records(part_id, site_id, period_from, period_to, fleet_policies.visible_site_ids(uow.actor))
    # The total is counted once, on the first page of a filtered list; the unfiltered list (every
    # record of the fleet) and later pages are served without a count (``total`` null).
    filtered = any(x is not None for x in (part_id, site_id, period_from, period_to))
    return paginate(uow.session, stmt, model=DemandRecord, sortable=repo.DEMAND_SORT, sort=sort or "-period",
                    cursor=cursor, limit=limit, with_total=filtered and not cursor)


def get_demand_record(uow: UnitOfWork, *, record_id: uuid.UUID) -> DemandRecord:
    """One demand record at a site the actor sees (another party's answers 404, like a missing one)."""
    require(uow.actor, "demand.record.read")
    rec = repo.record_in_scope(uow.session, record_id, fleet_policies.visible_site_ids(uow.actor))
    if rec is None:
        raise NotFound(f"demand record {record_id} not found")
    return rec


def demand_history(uow: UnitOfWork, *, part_id: uuid.UUID, site_id: uuid.UUID | None = None,
                   by_family: bool = False) -> list[tuple[date, float]]:
    """Monthly demand of a part (all sites or one), optionally with its superseded parts' demand
    rolled up (interchangeability resolved, see catalog.rules.resolve_families)."""
    require(uow.actor, "demand.record.read")
    get_or_404(uow.session, Part, part_id, "part")
    part_ids = [part_id]
    if by_family:
        demand_heads, _ = family_heads(uow)
        head = demand_heads.get(part_id, part_id)
        part_ids = [head] + [p for p, h in demand_heads.items() if h == head]
    scope = fleet_policies.visible_site_ids(uow.actor)
    if site_id is not None:
        fleet.check_site_visible(uow, site_id=site_id)
    return [(p, float(q)) for p, q in repo.monthly_totals(uow.session, part_ids, site_id, scope)]


# -- reads for other capabilities: plain data ---------------------------------------------------------
# (``site_ids``: sites the caller has already scoped to the actor, e.g. bases from fleet.service.)

def last_demand_period(uow: UnitOfWork, *, site_ids) -> date | None:
    """The newest month with demand at any of ``site_ids``."""
    require(uow.actor, "demand.record.read")
    sites = list(dict.fromkeys(site_ids))
    return repo.last_period(uow.session, sites) if sites else None


def demand_window_sums(uow: UnitOfWork, *, part_ids, site_ids, start: date, end: date
                       ) -> tuple[set[tuple[uuid.UUID, uuid.UUID]], dict[tuple[uuid.UUID, uuid.UUID], tuple[float, float]]]:
    """``(pairs, sums)``: the (part, site) pairs of ``part_ids`` x ``site_ids`` with any demand
    record, and per pair with records in the months ``start..end`` the sum of the monthly
    quantities and of their squares."""
    require(uow.actor, "demand.record.read")
    parts, sites = list(dict.fromkeys(part_ids)), list(dict.fromkeys(site_ids))
    ever: set[tuple[uuid.UUID, uuid.UUID]] = set()
    sums: dict[tuple[uuid.UUID, uuid.UUID], tuple[float, float]] = {}
    if not parts or not sites:
        return ever, sums
    for i in range(0, len(parts), 500):
        chunk = parts[i:i + 500]
        ever.update(repo.pairs_with_records(uow.session, chunk, sites))
        for p, s, q1, q2 in repo.window_sums(uow.session, chunk, sites, start, end):
            sums[(p, s)] = (float(q1 or 0.0), float(q2 or 0.0))
    return ever, sums


def demand_rows(uow: UnitOfWork, *, site_ids=None, part_ids=None):
    """Every demand record at the sites the actor may see (optionally some sites, some parts) as
    raw ``(part_id, site_id, period, quantity)`` rows: ids and periods as the driver gives them
    (text on SQLite), for bulk readers such as forecast runs. An iterator."""
    require(uow.actor, "demand.record.read")
    scope = fleet_policies.visible_site_ids(uow.actor)
    chunks = None
    if part_ids is not None:
        ids = list(part_ids)
        chunks = [ids[i:i + 900] for i in range(0, len(ids), 900)]
    return repo.raw_rows(uow.session, scope, list(site_ids) if site_ids else None, chunks)


def demand_totals_by_month(uow: UnitOfWork, *, part_ids, site_ids) -> list[tuple[date, float]]:
    """``(period, quantity)``: the demand of ``part_ids`` summed over ``site_ids``, per month with records."""
    require(uow.actor, "demand.record.read")
    return repo.totals_by_period(uow.session, list(part_ids), list(dict.fromkeys(site_ids)))
