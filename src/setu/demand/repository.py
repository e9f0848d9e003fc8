"""Demand history queries."""
from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from setu.demand.models import DemandRecord


DEMAND_SORT = {"period": DemandRecord.period, "quantity": DemandRecord.quantity, "updated_at": DemandRecord.updated_at}


def records(part_id: uuid.UUID | None = None, site_id: uuid.UUID | None = None, period_from: date | None = None,
            period_to: date | None = None, scope=None):
    """Demand records at the sites in ``scope`` (None = all), optionally of one part, one site and
    a range of months (inclusive)."""
    stmt = select(DemandRecord)
    if scope is not None:
        stmt = stmt.where(DemandRecord.site_id.in_(scope))
    if part_id:
        stmt = stmt.where(DemandRecord.part_id == part_id)
    if site_id:
        stmt = stmt.where(DemandRecord.site_id == site_id)
    if period_from:
        stmt = stmt.where(DemandRecord.period >= period_from.replace(day=1))
    if period_to:
        stmt = stmt.where(DemandRecord.period <= period_to.replace(day=1))
    return stmt


def monthly_totals(session: Session, part_ids: list[uuid.UUID], site_id: uuid.UUID | None = None, scope=None):
    """Monthly totals over the sites in ``scope`` (a subquery of visible site ids; None = all)."""
    stmt = (select(DemandRecord.period, func.sum(DemandRecord.quantity))
            .where(DemandRecord.part_id.in_(part_ids)).group_by(DemandRecord.period).order_by(DemandRecord.period))
    if scope is not None:
        stmt = stmt.where(DemandRecord.site_id.in_(scope))
    if site_id:
        stmt = stmt.where(DemandRecord.site_id == site_id)
    return list(session.execute(stmt))


def record_for_update(session: Session, part_id: uuid.UUID, site_id: uuid.UUID, period) -> DemandRecord | None:
    return session.scalar(select(DemandRecord).where(
        DemandRecord.part_id == part_id, DemandRecord.site_id == site_id, DemandRecord.period == period
    ).with_for_update())


# -- reads for other capabilities (through demand.service) ----------------------------------------

def last_period(session: Session, site_ids: list[uuid.UUID]):
    return session.scalar(select(func.max(DemandRecord.period)).where(DemandRecord.site_id.in_(site_ids)))


def pairs_with_records(session: Session, part_ids, site_ids) -> list[tuple]:
    return [tuple(r) for r in session.execute(
        select(DemandRecord.part_id, DemandRecord.site_id).where(
            DemandRecord.part_id.in_(part_ids), DemandRecord.site_id.in_(site_ids)).distinct())]


def window_sums(session: Session, part_ids, site_ids, start: date, end: date) -> list[tuple]:
    """``(part_id, site_id, sum q, sum q^2)`` over the months ``start..end``."""
    return [tuple(r) for r in session.execute(
        select(DemandRecord.part_id, DemandRecord.site_id, func.sum(DemandRecord.quantity),
               func.sum(DemandRecord.quantity * DemandRecord.quantity))
        .where(DemandRecord.part_id.in_(part_ids), DemandRecord.site_id.in_(site_ids),
               DemandRecord.period >= start, DemandRecord.period <= end)
        .group_by(DemandRecord.part_id, DemandRecord.site_id))]


def raw_rows(session: Session, scope, site_ids, part_id_chunks):
    """``(part_id, site_id, period, quantity)`` as the driver returns them (ids and periods as
    text: no UUID or date object per row), at the sites of ``scope`` / ``site_ids``, of the parts
    in ``part_id_chunks`` (None: every part)."""
    from sqlalchemy import String, or_, type_coerce

    stmt = select(type_coerce(DemandRecord.part_id, String), type_coerce(DemandRecord.site_id, String),
                  type_coerce(DemandRecord.period, String), DemandRecord.quantity)
    if scope is not None:
        stmt = stmt.where(DemandRecord.site_id.in_(scope))
    if site_ids:
        stmt = stmt.where(DemandRecord.site_id.in_(site_ids))
    if part_id_chunks is not None:
        stmt = stmt.where(or_(*[DemandRecord.part_id.in_(c) for c in part_id_chunks]))
    return session.execute(stmt)


def totals_by_period(session: Session, part_ids, site_ids) -> list[tuple]:
    return [tuple(r) for r in session.execute(
        select(DemandRecord.period, func.sum(DemandRecord.quantity))
        .where(DemandRecord.part_id.in_(part_ids), DemandRecord.site_id.in_(site_ids))
        .group_by(DemandRecord.period))]


def record_in_scope(session: Session, record_id: uuid.UUID, scope) -> DemandRecord | None:
    """The demand record ``record_id`` when its site is in ``scope`` (None = every site)."""
    stmt = select(DemandRecord).where(DemandRecord.id == record_id)
    if scope is not None:
        stmt = stmt.where(DemandRecord.site_id.in_(scope))
    return session.scalar(stmt)


# -- imports and exports (demand.tables) ------------------------------------------------------------

def record_keys(session: Session, site_ids, period_from: date, period_to: date) -> dict[tuple, tuple]:
    """(part id, site id, period) -> (id, version, quantity) of the records at ``site_ids`` in the
    months ``period_from..period_to`` (one query, no ORM objects)."""
    return {(pid, sid, per): (rid, ver, q) for rid, ver, pid, sid, per, q in session.execute(
        select(DemandRecord.id, DemandRecord.version, DemandRecord.part_id, DemandRecord.site_id,
               DemandRecord.period, DemandRecord.quantity)
        .where(DemandRecord.site_id.in_(site_ids), DemandRecord.period.between(period_from, period_to)))}


def demand_export(scope, *, site_code: str | None = None, period_from: date | None = None,
                  period_to: date | None = None):
    """Demand records at the sites of ``scope`` (None = all) as export rows: part identity, site
    code, period, quantity; by site, part and month. ``site_code`` given (not None) filters, even
    empty; the periods bound the months (inclusive)."""
    from setu.catalog.models import Part
    from setu.fleet.models import Site

    stmt = (select(Part.manufacturer_code, Part.part_number, Site.code, DemandRecord.period, DemandRecord.quantity)
            .join(Part, Part.id == DemandRecord.part_id).join(Site, Site.id == DemandRecord.site_id)
            .order_by(Site.code, Part.manufacturer_code, Part.part_number, DemandRecord.period))
    if scope is not None:
        stmt = stmt.where(DemandRecord.site_id.in_(scope))
    if site_code is not None:
        stmt = stmt.where(Site.code == site_code)
    if period_from is not None:
        stmt = stmt.where(DemandRecord.period >= period_from)
    if period_to is not None:
        stmt = stmt.where(DemandRecord.period <= period_to)
    return stmt
