"""JSON API for localisation: qualifications and their steps, lots, and the planner (a background
job: 202 + job id; the plan is the job's result). Thin adapter over setu.localisation.service."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from setu.adapters import jobs as job_api
from setu.adapters.http import current_actor, needs, problem_responses, read_uow, write_uow
from setu.adapters.jobs import ACCEPTED_RESPONSES, JobAccepted
from setu.kit import jobs
from setu.kit.uow import UnitOfWork
from setu.localisation import service
from setu.localisation.policies import APPROVE, RECORD, RELEASE
from setu.localisation.schemas import DecisionIn, FaiIn, PlanIn, QualificationRead

router = APIRouter(tags=["localisation"], responses=problem_responses(403))


@router.get("/localisation/qualifications", response_model=list[QualificationRead],
            dependencies=[Depends(needs("localisation.qualification.read"))])
def list_qualifications(uow: UnitOfWork = Depends(read_uow)):
    return [QualificationRead.model_validate(q) for q in service.list_qualifications(uow)]


@router.get("/localisation/qualifications/{qualification_id}", response_model=QualificationRead,
            responses=problem_responses(404), dependencies=[Depends(needs("localisation.qualification.read"))])
def get_qualification(qualification_id: uuid.UUID, uow: UnitOfWork = Depends(read_uow)):
    return QualificationRead.model_validate(service.get_qualification(uow, qualification_id=qualification_id))


@router.post("/localisation/qualifications/{qualification_id}/fai", response_model=QualificationRead,
             responses=problem_responses(404, 409, 422), dependencies=[Depends(needs(RECORD))])
def submit_fai(qualification_id: uuid.UUID, data: FaiIn, uow: UnitOfWork = write_uow):
    """The JV submits the first-article inspection (characteristics pass or fail; full or partial)."""
    q = service.submit_fai(uow, qualification_id=qualification_id, fai_kind=data.fai_kind,
                           rows=[c.model_dump() for c in data.characteristics], version=data.version)
    return QualificationRead.model_validate(q)


@router.post("/localisation/qualifications/{qualification_id}/decision", response_model=QualificationRead,
             responses=problem_responses(404, 409, 422), dependencies=[Depends(needs(APPROVE))])
def decide(qualification_id: uuid.UUID, data: DecisionIn, uow: UnitOfWork = write_uow):
    """The quality authority approves the drawing revision, returns or certifies the inspection."""
    q = service.decide(uow, qualification_id=qualification_id, transition=data.transition, note=data.note,
                       version=data.version)
    return QualificationRead.model_validate(q)


@router.post("/localisation/lots/{lot_id}/release", responses=problem_responses(404, 409, 422),
             dependencies=[Depends(needs(RELEASE))])
def release_lot(lot_id: uuid.UUID, uow: UnitOfWork = write_uow) -> dict:
    """The quality authority releases a lot of a certified part into serviceable stock."""
    lot = service.release_lot(uow, lot_id=lot_id)
    return {"id": str(lot.id), "status": lot.status, "quantity": lot.quantity}


@router.post("/localisation/plans", status_code=202, response_model=JobAccepted,
             responses={200: {"description": "The plan (with `Prefer: wait=N`, when computed within N seconds)"},
                        **ACCEPTED_RESPONSES, **problem_responses(422)},
             dependencies=[Depends(needs("localisation.plan.create"))])
def create_plan(data: PlanIn, request: Request):
    """Run the localisation planner as a background job: **202** with the job
    (``GET /api/v1/jobs/{id}``, whose ``result`` is the plan: budget, total_cost,
    availability_without, availability_with, choices, and the greedy plan beside it)."""
    engine = request.app.state.engine
    actor = current_actor(request)
    with UnitOfWork(actor, engine=engine) as uow:
        params = service.check_plan(uow, scenario=data.scenario, budget=data.budget, years=data.years)
    job_id = jobs.submit(service.PLAN_JOB, actor=actor, params=params, engine=engine)
    return job_api.answer(request, job_id, lambda job: JSONResponse(job.result, status_code=200))
