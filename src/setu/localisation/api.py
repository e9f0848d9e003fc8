"""JSON API for localisation: the qualifications one may see, and the planner (a background job:
202 + job id; the plan is the job's result). Thin adapter over setu.localisation.service."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from setu.adapters import jobs as job_api
from setu.adapters.http import current_actor, needs, problem_responses, read_uow
from setu.adapters.jobs import ACCEPTED_RESPONSES, JobAccepted
from setu.kit import jobs
from setu.kit.uow import UnitOfWork
from setu.localisation import service
from setu.localisation.schemas import PlanIn, QualificationRead

router = APIRouter(tags=["localisation"], responses=problem_responses(403))


@router.get("/localisation/qualifications", response_model=list[QualificationRead],
            dependencies=[Depends(needs("localisation.qualification.read"))])
def list_qualifications(uow: UnitOfWork = Depends(read_uow)):
    return [QualificationRead.model_validate(q) for q in service.list_qualifications(uow)]


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
