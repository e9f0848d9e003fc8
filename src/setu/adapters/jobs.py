"""Background jobs as the user sees them: ``GET /api/v1/jobs/{id}`` (state, progress, result, the
reason of a failure) and the page ``/jobs/{id}``, which shows a progress bar, refreshes itself
(htmx) while the job runs, and sends the browser to the job's result when it is done. Knows no
domain: a job's result carries the address of what it made (``{"url": ...}``).

Another party's job answers 404 exactly like a missing one (:func:`setu.kit.jobs.get_job`).
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from setu.adapters.http import current_actor, needs, problem_responses
from setu.adapters.pages import render
from setu.kit import jobs
from setu.kit.access import declare

READ = declare("kit.job.read", description="follow the background jobs of one's party").name

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
