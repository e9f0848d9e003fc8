"""A forecast run started over the API is a background job: the answer comes at once with the
job's id, the job then stores the run; a job left running by a server that died is reported as
failed when the next server starts (tests/kit/test_jobs.py covers the queue itself)."""
from __future__ import annotations

import time
import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from setu.kit import jobs
from setu.kit.db import utcnow
from setu.kit.models import KitJob
from tests.support.auth import ensure_user, token_for
from tests.support.jobs import wait_job
from tests.support.world import build_world


def _headers(engine) -> dict:
    ensure_user(engine, "ind.planner")
    return {"Authorization": f"Bearer {token_for(engine, 'ind.planner')}"}


def test_a_run_answers_at_once_with_a_job_and_the_job_stores_the_run(engine, tmp_path):
    from setu.app.main import create_app

    build_world(engine)
    h = _headers(engine)
    jobs.configure(engine, jobs_url=f"sqlite:///{tmp_path / 'jobs.db'}")
    try:
        with TestClient(create_app(engine, jobs_workers=1)) as c:
            t0 = time.perf_counter()
            r = c.post("/api/v1/forecast-runs", json={"method": "sba", "horizon": 3, "holdout_months": 0},
                       headers=h)
            answered_s = time.perf_counter() - t0
            assert r.status_code == 202, r.text
            body = r.json()
            assert body["state"] in ("queued", "running") and r.headers["location"] == body["url"]
            assert answered_s < 5.0  # the answer does not wait for the computation (typically ~0.05 s)
            job = wait_job(c, body["job_id"], headers=h)
            assert job["state"] == "succeeded", job
            run = c.get(job["result"]["api_url"], headers=h)
            assert run.status_code == 200 and run.json()["status"] == "done"
            # bad parameters are refused at once, naming the field; nothing is queued
            bad = c.post("/api/v1/forecast-runs", json={"method": "sba", "horizon": 0}, headers=h)
            assert bad.status_code == 422 and "horizon" in bad.text
    finally:
        jobs.forget_queues()


def test_a_job_left_running_by_a_dead_server_is_failed_at_the_next_start(engine, tmp_path):
    from setu.app.main import create_app

    build_world(engine)
    h = _headers(engine)
    jobs.configure(engine, jobs_url=f"sqlite:///{tmp_path / 'jobs.db'}")
    try:
        with TestClient(create_app(engine, jobs_workers=0)) as c:  # no consumer: the job stays queued
            job_id = c.post("/api/v1/forecast-runs", json={"method": "sba", "horizon": 3, "holdout_months": 0},
                            headers=h).json()["job_id"]
        with engine.begin() as conn:  # the server died while a worker ran it
            conn.execute(update(KitJob).where(KitJob.id == uuid.UUID(job_id)).values(
                state="running", started_at=utcnow() - timedelta(minutes=10),
                heartbeat_at=utcnow() - timedelta(minutes=10)))
        with TestClient(create_app(engine, jobs_workers=1)) as c:  # the next start
            job = c.get(f"/api/v1/jobs/{job_id}", headers=h).json()
            assert job["state"] == "failed" and "interrupted by a server restart" in job["error"], job
    finally:
        jobs.forget_queues()
