"""Background jobs as the user sees them: ``GET /api/v1/jobs/{id}`` (state, progress, result, the
reason of a failure) and the page ``/jobs/{id}``, which shows a progress bar, refreshes itself
(htmx) while the job runs, and sends the browser to the job's result when it is done. Knows no
domain: a job's result carries the address of what it made (``{"url": ...}``).

Another party's job answers 404 exactly like a missing one (:func:`setu.kit.jobs.get_job`).

Routes that start a job answer **202** with :class:`JobAccepted` (``job_id``, ``url`` of
``GET /api/v1/jobs/{id}``, ``state``) and a ``Location`` header. A client that would rather wait
sends ``Prefer: wait=N`` (RFC 7240, ``N`` seconds, at most :data:`MAX_WAIT_S`): :func:`answer`
then waits up to N seconds for the job, and gives the route's usual answer when it has succeeded
(e.g. 201 with the object made), **422** problem+json with the job's error when it has failed,
and the 202 otherwise.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from setu.adapters.http import current_actor, needs, problem, problem_responses
from setu.adapters.pages import render
from setu.kit import jobs
from setu.kit.access import declare

READ = declare("kit.job.read", description="follow the background jobs of one's party").name

#: The longest ``Prefer: wait=N`` honoured (seconds); a larger N waits this long.
MAX_WAIT_S = 60


class JobAccepted(BaseModel):
    """A background job was started: follow ``url`` until its ``state`` is succeeded or failed."""

    job_id: uuid.UUID
    url: str = Field(description="GET it for the job's state, progress, result (with the url of what it made) "
                                 "or error")
    state: Literal["queued", "running", "succeeded", "failed"]


#: OpenAPI ``responses`` of a route that starts a job (the route's own 201 is added by the route).
ACCEPTED_RESPONSES: dict[int | str, dict] = {
    202: {"model": JobAccepted, "description": "Started as a background job (see the Location header). Send "
          f"`Prefer: wait=N` (N <= {MAX_WAIT_S}) to wait up to N seconds for the result instead."},
}


def preferred_wait(request: Request) -> float | None:
    """Seconds of ``Prefer: wait=N`` (RFC 7240; capped at :data:`MAX_WAIT_S`), or None."""
    for header in request.headers.getlist("prefer"):
        for pref in header.split(","):
            name, _, value = pref.split(";")[0].strip().partition("=")
            if name.strip().lower() != "wait":
                continue
            try:
                n = float(value.strip().strip('"'))
            except ValueError:
                continue
            if n >= 0 and n == n:
                return min(n, float(MAX_WAIT_S))
    return None


def wait_for(request: Request, job_id: uuid.UUID) -> jobs.JobRead | None:
    """The job after waiting as the request's ``Prefer: wait=N`` asks (finished or not), or None
    when the request does not ask to wait."""
    seconds = preferred_wait(request)
    if seconds is None:
        return None
    return jobs.wait(request.app.state.engine, current_actor(request), job_id, seconds)


def accepted(job: jobs.JobRead) -> JSONResponse:
    """202 with :class:`JobAccepted` and ``Location: /api/v1/jobs/<id>``."""
    url = f"/api/v1/jobs/{job.id}"
    return JSONResponse({"job_id": str(job.id), "url": url, "state": job.state}, status_code=202,
                        headers={"Location": url})


def failed(job: jobs.JobRead) -> JSONResponse:
    """422 problem+json with the failed job's error."""
    return problem(422, "The job failed", f"job {job.id} ({job.name}) failed: {job.error or 'no reason recorded'}")


def answer(request: Request, job_id: uuid.UUID, succeeded: Callable[[jobs.JobRead], Response]) -> Response:
    """The answer of a route that started ``job_id``: with ``Prefer: wait=N``, ``succeeded(job)``
    once it has succeeded in time or 422 when it failed; else (or still running) 202."""
    job = wait_for(request, job_id)
    if job is not None and job.state == "succeeded":
        return succeeded(job)
    if job is not None and job.state == "failed":
        return failed(job)
    return accepted(job or jobs.get_job(request.app.state.engine, current_actor(request), job_id))


api_router = APIRouter(tags=["jobs"], responses=problem_responses(403, 404))
web_router = APIRouter(include_in_schema=False)


@api_router.get("/jobs/{job_id}", dependencies=[Depends(needs(READ))])
def get_job(job_id: str, request: Request) -> dict:
    """A background job: ``state`` (queued, running, succeeded, failed), ``progress_done`` of
    ``progress_total``, ``result`` (with ``url`` of what it made) or ``error``."""
    return jobs.get_job(request.app.state.engine, current_actor(request), job_id).to_dict()


@web_router.get("/jobs/{job_id}", response_class=HTMLResponse, dependencies=[Depends(needs(READ))])
def job_page(request: Request, job_id: str, fragment: bool = False) -> Response:
    job = jobs.get_job(request.app.state.engine, current_actor(request), job_id)
    target = (job.result or {}).get("url") if job.state == "succeeded" else None
    if fragment and target:  # htmx follows HX-Redirect when the job is done
        return Response(status_code=204, headers={"HX-Redirect": target})
    return render(request, "_job_fragment.html" if fragment else "job.html", {"job": job, "target": target})
