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
