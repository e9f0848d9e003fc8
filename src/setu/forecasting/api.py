"""JSON API for forecast runs (thin adapter over ``setu.forecasting.service``).

* ``POST /forecast-runs``: start a run as a background job (job ``forecasting.run.create``, at most
  ``service.MAX_JOB_SERIES`` series; larger runs go through ``setu forecast run``): 202 with the
  job, or with ``Prefer: wait=N`` 201 with the finished run;
* ``GET /forecast-runs``, ``GET /forecast-runs/{id}``, ``GET /forecast-runs/{id}/accuracy``;
* ``GET /forecast-runs/{id}/results``: one result per part x site, filtered, cursor pagination;
* ``GET /parts/{part_id}/forecast``: the latest run's distribution per visible site and the fan
  chart data (per month ahead: mean, q50/q90/q99 of the month's and of the cumulative demand).
"""
from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Annotated, Any, Literal, Optional

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictFloat

from setu.adapters import jobs as job_api
from setu.adapters.http import current_actor, needs, problem_responses, read_uow
from setu.adapters.jobs import ACCEPTED_RESPONSES, JobAccepted
from setu.forecasting import service as service
from setu.forecasting.models import ForecastRun
from setu.kit import jobs
from setu.kit.listing import PageOut, page_out
from setu.kit.timestamps import UtcDatetime
from setu.kit.uow import UnitOfWork, transaction

router = APIRouter(tags=["forecasting"], responses=problem_responses(403))

def _whole_number(v: Any) -> Any:
    """JSON numbers only (``12`` or ``12.0``), not booleans or strings; fractions fail as ``int``."""
    if isinstance(v, (bool, str)):
        raise ValueError("Input should be a valid integer")
    return v


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
MethodName = Literal["auto", "ses", "ses_opt", "croston", "sba", "tsb", "croston_opt", "adida", "imapa"]


class ForecastRunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: MethodName = Field("auto", description="auto: per series the best-ranked methods, combined")
    horizon: WholeNumber = Field(12, ge=1, le=120, description="months ahead")
    alpha: Optional[StrictFloat] = Field(None, gt=0, le=1, allow_inf_nan=False,
                                         description="smoothing constant for ses, croston, sba, tsb only")
    holdout_months: WholeNumber = Field(6, ge=0, le=60, description="last months held out to measure accuracy (0: none)")
    part_ids: Optional[list[uuid.UUID]] = Field(None, description="only these parts")
    site_ids: Optional[list[uuid.UUID]] = Field(None, description="only these sites (that you may see)")
    seed: WholeNumber = Field(0, ge=0, le=2**53, description="seed of any random step (recorded); at most 2^53, "
                                                          "the largest integer every JSON reader keeps exact")
    prior_months: StrictFloat = Field(12.0, ge=0, le=1200, allow_inf_nan=False,
                                      description="weight, in months of data, of reliability-based rates (0: off)")


class ForecastRunRead(BaseModel):
    id: uuid.UUID
    party_id: Optional[uuid.UUID]
    started_by: str
    method: str
    horizon: int
    params: dict[str, Any]
    status: str
    started_at: UtcDatetime
    finished_at: Optional[UtcDatetime]
    n_series: int = Field(description="series of the run at the sites you may see")
    error: Optional[str]
    accuracy: Optional[dict[str, Any]] = Field(
        None, description="holdout accuracy over the results you may see (in lists: overall means only)")

    @classmethod
    def of(cls, run: ForecastRun, *, n_series: int, accuracy: dict[str, Any] | None) -> "ForecastRunRead":
        return cls(id=run.id, party_id=run.party_id, started_by=run.started_by, method=run.method,
                   horizon=run.horizon, params=json.loads(run.params or "{}"), status=run.status,
                   started_at=run.started_at, finished_at=run.finished_at, n_series=n_series, error=run.error,
                   accuracy=accuracy)


def _read(uow: UnitOfWork, run: ForecastRun) -> ForecastRunRead:
    """A run as the actor may see it: counts and accuracy over the visible results only."""
    acc = service.accuracy_summary(uow, run_id=run.id)
    acc.pop("series", None)
    return ForecastRunRead.of(run, n_series=acc["overall"]["series"], accuracy=acc)


class ForecastResultRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    run_id: uuid.UUID
    part_id: uuid.UUID
    site_id: uuid.UUID
    method: str
    demand_class: str
    mean: float = Field(description="mean demand per month")
    variance_to_mean: float = Field(description="variance-to-mean ratio of monthly demand")
    lead_time_months: float
    lead_time_mean: float
    lead_time_var: float
    q50: float
    q90: float
    q99: float
    rmsse: Optional[float]
    scaled_bias: Optional[float]
    mase: Optional[float]


class FanPoint(BaseModel):
    month: date
    mean: float
    q50: float
    q90: float
    q99: float
    cumulative_mean: float
    cumulative_q50: float
    cumulative_q90: float
    cumulative_q99: float


class SiteForecast(BaseModel):
    site_id: uuid.UUID
    site_code: Optional[str]
    result: ForecastResultRead


class HistoryPoint(BaseModel):
    month: date
    quantity: float


class PartForecast(BaseModel):
    part_id: uuid.UUID
    forecast_part_id: uuid.UUID = Field(description="the part whose series this is: the newest part of the "
                                        "part's interchangeability family (the part itself when it has no successor)")
    run: Optional[ForecastRunRead]
    mean_per_month: Optional[float] = None
    variance_per_month: Optional[float] = None
    sites: list[SiteForecast]
    fan: list[FanPoint]
    history: list[HistoryPoint]


@router.post("/forecast-runs", status_code=202, response_model=JobAccepted,
             responses={201: {"model": ForecastRunRead, "description": "The finished run (with `Prefer: wait=N`, "
                              "when it finished within N seconds)"}, **ACCEPTED_RESPONSES,
                        **problem_responses(404, 422)},
             dependencies=[Depends(needs("forecasting.run.create"))])
def start_run(data: ForecastRunCreate, request: Request):
    """Start a run of every visible part x site series (or the filtered ones) as a background job.

    The parameters, sites and parts are checked at once (422 naming each field, 404; nothing
    started); the answer is **202** with the job (``GET /api/v1/jobs/{id}`` gives its progress and,
    when it has succeeded, ``result.api_url`` of the run). With ``Prefer: wait=N`` (N <= 60) the
    answer waits up to N seconds: 201 with the run when it finished, 422 with the reason when it
    failed, else still 202. The job computes in a read-only unit of work and stores the run in a
    short write one (no write transaction is held while the engine computes); at most
    ``service.MAX_JOB_SERIES`` series per run (more: ``setu forecast run``)."""
    engine = request.app.state.engine
    actor = current_actor(request)
    with UnitOfWork(actor, engine=engine) as uow:
        params = service.check_forecast_run(uow, **data.model_dump(mode="json"))
    job_id = jobs.submit(service.RUN_JOB, actor=actor, params=params, engine=engine)

    def finished(job: jobs.JobRead) -> JSONResponse:
        with UnitOfWork(actor, engine=engine) as uow:
            out = _read(uow, service.get_run(uow, run_id=job.result["id"]))
        return JSONResponse(jsonable_encoder(out), status_code=201, headers={"Location": job.result["api_url"]})

    return job_api.answer(request, job_id, finished)


@router.get("/forecast-runs", response_model=PageOut[ForecastRunRead],
            dependencies=[Depends(needs("forecasting.run.read"))])
def list_runs(status: Optional[str] = None, sort: Optional[str] = None, cursor: Optional[str] = None,
              limit: int = Query(50, ge=1, le=500), uow: UnitOfWork = Depends(read_uow)):
    page = service.list_runs(uow, status=status, sort=sort, cursor=cursor, limit=limit)
    views = service.run_overviews(uow, [r.id for r in page.items])
    items = [ForecastRunRead.of(r, n_series=views[r.id]["n_series"], accuracy={"overall": views[r.id]})
             for r in page.items]
    return {"items": items, "next_cursor": page.next_cursor, "total": page.total}


@router.get("/forecast-runs/{run_id}", response_model=ForecastRunRead, responses=problem_responses(404),
            dependencies=[Depends(needs("forecasting.run.read"))])
def get_run(run_id: uuid.UUID, uow: UnitOfWork = Depends(read_uow)):
    return _read(uow, service.get_run(uow, run_id=run_id))


@router.get("/forecast-runs/{run_id}/accuracy", responses=problem_responses(404), dependencies=[Depends(needs("forecasting.run.read"))])
def run_accuracy(run_id: uuid.UUID, uow: UnitOfWork = Depends(read_uow)) -> dict[str, Any]:
    """Holdout RMSSE, scaled bias and MASE over the results you may see: overall, per demand class
    and per method."""
    out = service.accuracy_summary(uow, run_id=run_id)
    out.pop("series", None)
    return out


@router.get("/forecast-runs/{run_id}/results", response_model=PageOut[ForecastResultRead],
            responses=problem_responses(404), dependencies=[Depends(needs("forecasting.run.read"))])
def run_results(run_id: uuid.UUID, part_id: Optional[uuid.UUID] = None, site_id: Optional[uuid.UUID] = None,
                method: Optional[str] = None, demand_class: Optional[str] = None, sort: Optional[str] = None,
                cursor: Optional[str] = None, limit: int = Query(50, ge=1, le=500), uow: UnitOfWork = Depends(read_uow)):
    page = service.run_results(uow, run_id=run_id, part_id=part_id, site_id=site_id, method=method,
                               demand_class=demand_class, sort=sort, cursor=cursor, limit=limit)
    return page_out(page, ForecastResultRead)


@router.get("/parts/{part_id}/forecast", response_model=PartForecast, responses=problem_responses(404),
            dependencies=[Depends(needs("forecasting.run.read"))])
def part_forecast(part_id: uuid.UUID, run_id: Optional[uuid.UUID] = None, uow: UnitOfWork = Depends(read_uow)):
    """The latest run's forecast of the part at every site you may see, and the fan chart data."""
    f = service.part_forecast(uow, part_id=part_id, run_id=run_id)
    return {
        "part_id": f["part_id"], "forecast_part_id": f["forecast_part_id"],
        "run": _read(uow, f["run"]) if f["run"] else None,
        "mean_per_month": f.get("mean_per_month"), "variance_per_month": f.get("variance_per_month"),
        "sites": [{"site_id": s["site_id"], "site_code": s["site_code"],
                   "result": ForecastResultRead.model_validate(s["result"])} for s in f["sites"]],
        "fan": f["fan"], "history": [{"month": m, "quantity": q} for m, q in f["history"]],
    }
