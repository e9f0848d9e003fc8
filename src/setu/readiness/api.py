"""JSON API for readiness: today's availability, and plans computed (as background jobs), saved and
exported (thin adapter)."""
from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from setu.adapters import jobs as job_api
from setu.adapters.http import current_actor, needs, problem_responses, read_uow, write_uow
from setu.adapters.jobs import ACCEPTED_RESPONSES, JobAccepted
from setu.kit import jobs, tabular
from setu.kit.listing import PageOut, page_out
from setu.kit.uow import UnitOfWork
from setu.readiness import service
from setu.readiness.schemas import PlanCreate, PlanDecision, PlanDetail, PlanLineRead, PlanRead, ReadinessToday

router = APIRouter(tags=["readiness"], responses=problem_responses(403))
#: A plan export: the plan's lines as CSV or Excel (``format``).
EXPORT_RESPONSES = {200: {"description": "The plan's lines as a file", "content": {
    tabular.MEDIA_TYPES["csv"].split(";")[0]: {"schema": {"type": "string"}},
    tabular.MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}}}}}


def plan_detail(uow: UnitOfWork, plan_id) -> PlanDetail:
    row = service.get_plan(uow, plan_id=plan_id)
    summary = service.plan_summary(row)
    return PlanDetail(**PlanRead.model_validate(row).model_dump(),
                      lines=[PlanLineRead(**ln) for ln in service.plan_lines(uow, plan_id=row.id)],
                      curve=summary.get("points", []), moves=summary.get("moves", []),
                      sites=summary.get("sites", []), stop_reason=summary.get("stop_reason"),
                      target_met=summary.get("target_met"))


@router.get("/readiness/plans", response_model=PageOut[PlanRead], dependencies=[Depends(needs("readiness.plan.read"))])
def list_plans(equipment_type_id: uuid.UUID | None = None, sort: str | None = None, cursor: str | None = None,
               limit: int = Query(50, ge=1, le=500), uow: UnitOfWork = Depends(read_uow)):
    return page_out(service.list_plans(uow, equipment_type_id=equipment_type_id, sort=sort, cursor=cursor,
                                       limit=limit), PlanRead)


@router.post("/readiness/plans", status_code=202, response_model=JobAccepted,
             responses={201: {"model": PlanDetail, "description": "The saved plan (with `Prefer: wait=N`, when it "
                              "was computed within N seconds)"}, **ACCEPTED_RESPONSES, **problem_responses(404, 422)},
             dependencies=[Depends(needs("readiness.plan.create"))])
def create_plan(data: PlanCreate, request: Request):
    """Compute and save a plan as a background job.

    Budget, target, model, the equipment type and the sites are checked at once (422 naming each
    field; nothing started); the answer is **202** with the job (``GET /api/v1/jobs/{id}``; its
    ``result.api_url`` is the plan). With ``Prefer: wait=N`` (N <= 60) the answer waits up to N
    seconds: 201 with the plan when it is saved, 422 with the reason when the job failed, else
    202. The plan is computed in a read-only unit of work and saved in a short write one."""
    engine = request.app.state.engine
    actor = current_actor(request)
    with UnitOfWork(actor, engine=engine) as uow:
        params = service.check_plan(uow, equipment_type_id=data.equipment_type_id, budget=data.budget,
                                    target=data.target, model=data.model, site_ids=data.site_ids,
                                    currency=data.currency, name=data.name, sites_field="site_ids",
                                    demand_source=data.demand_source)
    job_id = jobs.submit(service.PLAN_JOB, actor=actor, params=params, engine=engine)

    def saved(job: jobs.JobRead) -> JSONResponse:
        with UnitOfWork(actor, engine=engine) as uow:
            out = plan_detail(uow, job.result["id"])
        return JSONResponse(jsonable_encoder(out), status_code=201, headers={"Location": job.result["api_url"]})

    return job_api.answer(request, job_id, saved)


@router.get("/readiness/plans/{plan_id}", response_model=PlanDetail, responses=problem_responses(404),
            dependencies=[Depends(needs("readiness.plan.read"))])
def get_plan(plan_id: str, uow: UnitOfWork = Depends(read_uow)):
    return plan_detail(uow, plan_id)


@router.post("/readiness/plans/{plan_id}/decision", response_model=PlanRead, responses=problem_responses(404, 409),
             dependencies=[Depends(needs("readiness.plan.approve"))])
def decide_plan(plan_id: str, data: PlanDecision, uow: UnitOfWork = write_uow):
    """Approve or reject a proposed plan. Nobody decides their own plan (403); a plan already
    decided, or changed since ``version`` was read, is refused (409)."""
    from setu.readiness.approval import decide_plan as decide

    row = decide(uow, plan_id=plan_id, decision=data.decision, note=data.note, version=data.version)
    return PlanRead.model_validate(row)


@router.get("/readiness/plans/{plan_id}/export", response_class=Response,
            responses={**EXPORT_RESPONSES, **problem_responses(404)},
            dependencies=[Depends(needs("readiness.plan.read"))])
def export_plan(plan_id: str, format: Literal["csv", "xlsx"] = "xlsx", uow: UnitOfWork = Depends(read_uow)):
    name, media, body = service.export_plan(uow, plan_id=plan_id, fmt=format)
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/readiness/{equipment_type_id}", response_model=ReadinessToday, responses=problem_responses(404),
            dependencies=[Depends(needs("readiness.plan.read"))])
def readiness_today(equipment_type_id: str, site_id: uuid.UUID | None = None,
                    model: Literal["metric", "vari-metric"] = "vari-metric", top: int = Query(10, ge=1, le=100),
                    demand_source: str | None = Query(
                        None, max_length=60, pattern=r"^(history|reliability|forecast(:[0-9a-fA-F-]{36})?)$",
                        description="history (default), forecast (newest run), forecast:<run id>, reliability"),
                    uow: UnitOfWork = Depends(read_uow)):
    out = service.evaluate_today(uow, equipment_type_id=equipment_type_id, site_ids=[site_id] if site_id else None,
                                 model=model, top=top, demand_source=demand_source)
    return ReadinessToday(**{k: v for k, v in out.items() if k not in ("evaluation", "built", "rate_outliers")})
