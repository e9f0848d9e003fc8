"""A readiness plan computes in a background job without holding the write lock: while the job is
computing (held at the end of its read-only phase by a gate), other users' writes are answered at
once and committed; the plan is saved afterwards in its own short write (docs/machinery.md)."""
from __future__ import annotations

import threading
import time

from setu.app.main import create_app
from setu.kit import jobs
from setu.readiness import service as readiness
from tests.support.auth import SignedInClient
from tests.support.jobs import wait_job
from tests.support.world import make_world


def test_other_writes_proceed_while_a_plan_job_computes(engine, tmp_path, monkeypatch):
    rw = make_world(engine)
    computing, release = threading.Event(), threading.Event()
    real_plan = readiness.plan

    def gated_plan(uow, **kw):
        result = real_plan(uow, **kw)  # the whole computation, inside the job's read unit of work
        computing.set()
        assert release.wait(30), "the test never released the job"
        return result

    monkeypatch.setattr(readiness, "plan", gated_plan)
    jobs.configure(engine, jobs_url=f"sqlite:///{tmp_path / 'jobs.db'}")
    try:
        with SignedInClient(create_app(engine, jobs_workers=1), engine) as c:
            _check(c, rw, computing, release)
    finally:
        release.set()
        jobs.forget_queues()


def _check(c, rw, computing, release):
    try:
        r = c.post("/api/v1/readiness/plans", json={"equipment_type_id": str(rw.w.type_id), "budget": "1500"})
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        assert computing.wait(30), "the plan job did not reach its computation"
        assert c.get(f"/api/v1/jobs/{job_id}").json()["state"] == "running"
        # a write by another request while the job is still inside its computation
        t0 = time.perf_counter()
        w = c.post("/api/v1/parts", json={"manufacturer_code": "rsk01", "part_number": "during-plan",
                                          "name": "Written while a plan computes"})
        took = time.perf_counter() - t0
        assert w.status_code == 201, w.text
        assert took < 3.0, f"the write waited {took:.1f} s for the plan job"
        assert c.get(f"/api/v1/parts/{w.json()['id']}").status_code == 200  # committed, readable
        release.set()
        job = wait_job(c, job_id)
        assert job["state"] == "succeeded", job
        plan = c.get(job["result"]["api_url"]).json()
        assert float(plan["cost"]) <= 1500
    finally:
        release.set()  # never leave the consumer waiting when an assertion failed
