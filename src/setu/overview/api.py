"""JSON API of the programme overview: ``GET /api/v1/overview``, the home page's figures (thin
adapter over :func:`setu.overview.service.overview`)."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.encoders import jsonable_encoder

from setu.adapters.http import needs, problem_responses, read_uow
from setu.kit.uow import UnitOfWork
from setu.overview import service
from setu.overview.schemas import OverviewRead

router = APIRouter(tags=["overview"], responses=problem_responses(403))


@router.get("/overview", response_model=OverviewRead, dependencies=[Depends(needs("overview.dashboard.read"))])
def overview(uow: UnitOfWork = Depends(read_uow)):
    """Every tile the user may see (its figures, each with the page it comes from) and the
    actions waiting for the user."""
    return jsonable_encoder(service.overview(uow))
