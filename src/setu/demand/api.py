"""JSON API for demand history (thin adapter)."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from setu.app.deps import read_uow, write_uow
from setu.app.permissions import needs
from setu.app.problems import problem_responses
from setu.demand import service
from setu.demand.schemas import DemandRecordCreate, DemandRecordRead
from setu.kit.uow import UnitOfWork

router = APIRouter(tags=["demand"], responses=problem_responses(403))


@router.get("/parts/{part_id}/demand",
            responses=problem_responses(404), dependencies=[Depends(needs("demand.record.read"))])
def part_demand(part_id: uuid.UUID, site_id: uuid.UUID | None = None, by_family: bool = False,
                uow: UnitOfWork = Depends(read_uow)):
    """Monthly demand of the part (all sites, or one), optionally with superseded parts rolled up."""
    rows = service.demand_history(uow, part_id=part_id, site_id=site_id, by_family=by_family)
    return [{"period": p.isoformat(), "quantity": q} for p, q in rows]


@router.put("/demand", response_model=DemandRecordRead,
            responses=problem_responses(404, 409), dependencies=[Depends(needs("demand.record.create"))])
def record_demand(data: DemandRecordCreate, uow: UnitOfWork = Depends(write_uow)):
    rec = service.record_demand(uow, data=data)
    uow.commit()
    return DemandRecordRead.model_validate(rec)
