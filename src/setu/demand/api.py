"""JSON API for demand history (thin adapter)."""
from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Depends, Query

from setu.adapters.http import needs, problem_responses, read_uow, write_uow
from setu.demand import service
from setu.demand.schemas import DemandRecordCreate, DemandRecordRead
from setu.kit.listing import PageOut, page_out
from setu.kit.uow import UnitOfWork

router = APIRouter(tags=["demand"], responses=problem_responses(403))


@router.get("/parts/{part_id}/demand",
            responses=problem_responses(404), dependencies=[Depends(needs("demand.record.read"))])
def part_demand(part_id: uuid.UUID, site_id: uuid.UUID | None = None, by_family: bool = False,
                uow: UnitOfWork = Depends(read_uow)):
    """Monthly demand of the part (all sites, or one), optionally with superseded parts rolled up."""
    rows = service.demand_history(uow, part_id=part_id, site_id=site_id, by_family=by_family)
    return [{"period": p.isoformat(), "quantity": q} for p, q in rows]


@router.get("/demand", response_model=PageOut[DemandRecordRead], dependencies=[Depends(needs("demand.record.read"))])
def list_demand(
    part_id: uuid.UUID | None = None,
    site_id: uuid.UUID | None = None,
    period_from: date | None = Query(None, description="first month included (any day of it)"),
    period_to: date | None = Query(None, description="last month included (any day of it)"),
    sort: str | None = Query(None, description="period, quantity or updated_at, or -field for descending "
                                               "(default -period)"),
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    uow: UnitOfWork = Depends(read_uow),
):
    """Demand records (one part, one site, one month each) at the sites the user sees."""
    page = service.list_demand(uow, part_id=part_id, site_id=site_id, period_from=period_from, period_to=period_to,
                               sort=sort, cursor=cursor, limit=limit)
    return page_out(page, DemandRecordRead)


@router.get("/demand/{record_id}", response_model=DemandRecordRead, responses=problem_responses(404),
            dependencies=[Depends(needs("demand.record.read"))])
def get_demand_record(record_id: uuid.UUID, uow: UnitOfWork = Depends(read_uow)):
    return DemandRecordRead.model_validate(service.get_demand_record(uow, record_id=record_id))


@router.put("/demand", response_model=DemandRecordRead,
            responses=problem_responses(404, 409), dependencies=[Depends(needs("demand.record.create"))])
def record_demand(data: DemandRecordCreate, uow: UnitOfWork = write_uow):
    rec = service.record_demand(uow, data=data, versioned=True)
    return DemandRecordRead.model_validate(rec)
