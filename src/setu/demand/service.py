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
from setu.fleet.repository import scoped_get
from setu.fleet.models import Site
from setu.kit.access import require
from setu.kit.crud import check_version, flush, get_or_404
from setu.kit.listing import Page, paginate
from setu.kit.uow import UnitOfWork


def record_demand(uow: UnitOfWork, *, data: DemandRecordCreate, versioned: bool = False) -> DemandRecord:
    """Record (or replace) the demand of a part at a site for one month (``versioned``, the API:
    replacing needs the version read, see :func:`setu.kit.crud.check_version`)."""
    require(uow.actor, "demand.record.create")
    s = uow.session
    get_or_404(s, Part, data.part_id, "part")
    scoped_get(s, Site, data.site_id, "site", fleet_policies.visible_site_ids(uow.actor))
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
    return paginate(uow.session, stmt, model=DemandRecord, sortable=repo.DEMAND_SORT, sort=sort or "-period",
                    cursor=cursor, limit=limit)


def get_demand_record(uow: UnitOfWork, *, record_id: uuid.UUID) -> DemandRecord:
    """One demand record at a site the actor sees (another party's answers 404, like a missing one)."""
    require(uow.actor, "demand.record.read")
    return scoped_get(uow.session, DemandRecord, record_id, "demand record", fleet_policies.visible_site_ids(uow.actor))


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
        scoped_get(uow.session, Site, site_id, "site", scope)
    return [(p, float(q)) for p, q in repo.monthly_totals(uow.session, part_ids, site_id, scope)]
