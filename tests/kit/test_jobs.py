"""Background jobs with real huey consumer threads on SQLite and PostgreSQL: progress, results,
failures, restarts, scoping, and submission after commit only."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import String, Uuid, func, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from setu.kit import audit, jobs
from setu.kit.access import Actor, system_actor
from setu.kit.db import utcnow
from setu.kit.errors import NotFound, ValidationFailed
from setu.kit.models import KitJob
from setu.kit.uow import UnitOfWork

PA, PB = uuid.uuid4(), uuid.uuid4()
ANN = Actor("ann", user_id=uuid.uuid4(), party_id=PA, role="clerk")
AMY = Actor("amy", user_id=uuid.uuid4(), party_id=PA, role="viewer")
OTTO = Actor("otto", user_id=uuid.uuid4(), party_id=PB, role="clerk")


class _TestBase(DeclarativeBase):
    pass


class Result(_TestBase):
    __tablename__ = "test_kit_job_result"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    label: Mapped[str] = mapped_column(String(50))


GATES: dict[str, threading.Event] = {}


@jobs.register("test.jobs.count")
def count_job(ctx: jobs.JobContext, *, steps: int, label: str, gate: str | None = None):
    ctx.progress(1, steps, "first step")
    if gate:
        assert GATES[gate].wait(20), "the test never opened the gate"
    for i in range(2, steps + 1):
        ctx.progress(i, steps, f"step {i}")
    with ctx.unit_of_work() as uow:
        r = Result(label=label)
        uow.session.add(r)
        uow.commit()
    return {"id": str(r.id), "url": f"/results/{r.id}"}


@jobs.register("test.jobs.fail")
def failing_job(ctx: jobs.JobContext, *, why: str):
    ctx.progress(0, 1, "about to fail")
    raise ValueError(why)


@pytest.fixture
def jengine(engine, tmp_path):
    _TestBase.metadata.create_all(engine)
    jobs.configure(engine, jobs_url=f"sqlite:///{tmp_path / 'jobs.db'}")
    yield engine
    jobs.stop_consumer(5)
    jobs.forget_queues()
    for g in GATES.values():
        g.set()
    GATES.clear()


def wait_for(engine, actor, job_id, cond, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        j = jobs.get_job(engine, actor, job_id)
        if cond(j):
            return j
        time.sleep(0.05)
    raise AssertionError(f"timed out; last seen {j}")


def test_job_runs_in_a_consumer_thread_reports_progress_and_its_result(jengine):
    GATES["g1"] = threading.Event()
    jobs.start_consumer(jengine, workers=2)
    t0 = time.monotonic()
    job_id = jobs.submit("test.jobs.count", actor=ANN, params={"steps": 3, "label": "a", "gate": "g1"},
                         engine=jengine)
    assert time.monotonic() - t0 < 2  # answers at once
    j = wait_for(jengine, ANN, job_id, lambda j: j.state == "running" and j.progress_done == 1)
    assert (j.progress_total, j.progress_message, j.percent) == (3, "first step", 33.3)
    assert threading.current_thread().name == "MainThread"
    # the running job holds no write transaction: another writer commits meanwhile
    with UnitOfWork(ANN, write=True, engine=jengine) as uow:
        uow.session.add(Result(label="meanwhile"))
        uow.commit()
    GATES["g1"].set()
    j = wait_for(jengine, ANN, job_id, lambda j: j.finished)
    assert j.state == "succeeded" and j.error is None
    assert (j.progress_done, j.progress_total, j.progress_message) == (3, 3, "step 3")
    assert j.started_at and j.finished_at and j.finished_at >= j.started_at
    with UnitOfWork(ANN, engine=jengine) as uow:
        r = uow.session.get(Result, uuid.UUID(j.result["id"]))
        assert r.label == "a" and j.result["url"] == f"/results/{r.id}"
        entries = list(audit.iter_entries(uow.session))
    by_action = {(e["action"], e["actor"]) for e in entries}
    assert ("kit_job.insert", "ann") in by_action  # who started what is audited
    assert ("test_kit_job_result.insert", "ann") in by_action  # the result is written as the starter
    assert j.to_dict()["state"] == "succeeded" and isinstance(j.to_dict()["id"], str)


def test_failing_job_records_why(jengine):
    jobs.start_consumer(jengine, workers=1)
    job_id = jobs.submit("test.jobs.fail", actor=ANN, params={"why": "the demand history is empty"},
                         engine=jengine)
    j = wait_for(jengine, ANN, job_id, lambda j: j.finished)
    assert j.state == "failed" and j.error == "ValueError: the demand history is empty" and j.result is None


def test_submit_in_a_unit_of_work_enqueues_only_after_commit(jengine):
    jobs.start_consumer(jengine, workers=1)
    with UnitOfWork(ANN, write=True, engine=jengine) as uow:
        rolled_back = jobs.submit("test.jobs.count", actor=ANN, params={"steps": 1, "label": "never"}, uow=uow)
    with pytest.raises(NotFound):
        jobs.get_job(jengine, ANN, rolled_back)
    with UnitOfWork(ANN, write=True, engine=jengine) as uow:
        job_id = jobs.submit("test.jobs.count", actor=ANN, params={"steps": 1, "label": "kept"}, uow=uow)
        time.sleep(0.5)
        assert uow.session.get(KitJob, job_id).state == "queued"  # not run before the commit
        uow.commit()
    assert wait_for(jengine, ANN, job_id, lambda j: j.finished).state == "succeeded"
    with jengine.connect() as c:
        assert list(c.scalars(select(Result.label))) == ["kept"]


def test_restart_fails_interrupted_jobs_and_runs_queued_ones(jengine):
    # jobs submitted while no consumer runs stay queued (the message waits in the queue)
    killed = jobs.submit("test.jobs.count", actor=ANN, params={"steps": 2, "label": "killed"}, engine=jengine)
    waiting = jobs.submit("test.jobs.count", actor=ANN, params={"steps": 2, "label": "waiting"}, engine=jengine)
    # a server died while running the first: running, with a heartbeat of long ago
    with jengine.begin() as c:
        c.execute(update(KitJob).where(KitJob.id == killed).values(
            state="running", started_at=utcnow() - timedelta(minutes=5), heartbeat_at=utcnow() - timedelta(minutes=5),
            worker="deadhost:1:x", progress_done=1, progress_total=2))
    jobs.start_consumer(jengine, workers=2)
    k = jobs.get_job(jengine, ANN, killed)
    assert k.state == "failed" and k.error == jobs.INTERRUPTED == "interrupted by a server restart"
    w = wait_for(jengine, ANN, waiting, lambda j: j.finished)
    assert w.state == "succeeded"
    time.sleep(0.5)  # the killed job's own message was delivered too, and ignored
    assert jobs.get_job(jengine, ANN, killed).state == "failed"
    with jengine.connect() as c:
        assert list(c.scalars(select(Result.label))) == ["waiting"]


def test_queued_job_whose_message_was_lost_runs_after_restart(jengine, tmp_path):
    job_id = jobs.submit("test.jobs.count", actor=ANN, params={"steps": 1, "label": "lost"}, engine=jengine)
    jobs.forget_queues()  # the queue file is gone (a new server, another disk): only kit_job knows
    (tmp_path / "jobs.db").unlink()
    jobs.configure(jengine, jobs_url=f"sqlite:///{tmp_path / 'jobs2.db'}")
    jobs.start_consumer(jengine, workers=1)
    assert wait_for(jengine, ANN, job_id, lambda j: j.finished).state == "succeeded"


def test_stale_mode_spares_live_jobs_of_other_consumers(jengine):
    live = jobs.submit("test.jobs.count", actor=ANN, params={"steps": 1, "label": "x"}, engine=jengine)
    dead = jobs.submit("test.jobs.count", actor=ANN, params={"steps": 1, "label": "y"}, engine=jengine)
    now = utcnow()
    with jengine.begin() as c:
        c.execute(update(KitJob).where(KitJob.id == live).values(state="running", heartbeat_at=now, worker="other"))
        c.execute(update(KitJob).where(KitJob.id == dead).values(state="running", worker="gone",
                                                                  heartbeat_at=now - timedelta(seconds=120)))
    jobs.start_consumer(jengine, workers=1, recover="stale", stale_after_s=60)
    assert jobs.get_job(jengine, ANN, dead).state == "failed"
    assert jobs.get_job(jengine, ANN, live).state == "running"


def test_jobs_are_scoped_to_the_party(jengine):
    job_id = jobs.submit("test.jobs.count", actor=ANN, params={"steps": 1, "label": "s"}, engine=jengine)
    assert jobs.get_job(jengine, AMY, job_id).actor == "ann"  # a colleague of the same party
    assert jobs.get_job(jengine, system_actor("t"), job_id).id == job_id
    with pytest.raises(NotFound) as other:
        jobs.get_job(jengine, OTTO, job_id)
    with pytest.raises(NotFound) as missing:
        jobs.get_job(jengine, OTTO, uuid.uuid4())
    assert other.value.status == missing.value.status == 404
    with pytest.raises(NotFound):
        jobs.get_job(jengine, ANN, "not-a-uuid")
    assert [j.id for j in jobs.list_jobs(jengine, AMY)] == [job_id]
    assert jobs.list_jobs(jengine, OTTO) == []


def test_submit_refuses_unknown_jobs_and_non_json_params(jengine):
    with pytest.raises(ValueError, match="no job named 'test.jobs.nope'"):
        jobs.submit("test.jobs.nope", actor=ANN, engine=jengine)
    with pytest.raises(ValidationFailed, match="JSON values"):
        jobs.submit("test.jobs.count", actor=ANN, params={"steps": object()}, engine=jengine)
    with pytest.raises(ValueError, match="dotted"):
        jobs.register("Forecast")
    with jengine.connect() as c:
        assert c.scalar(select(func.count()).select_from(KitJob)) == 0


def test_default_queue_file_is_next_to_a_sqlite_database(sqlite_url, monkeypatch):
    from sqlalchemy import create_engine

    from setu.kit.settings import get_settings

    monkeypatch.delenv("SETU_JOBS_URL", raising=False)
    get_settings.cache_clear()
    eng = create_engine(sqlite_url)
    try:
        path = sqlite_url.removeprefix("sqlite:///")
        assert jobs.default_jobs_url(eng) == f"sqlite:///{__import__('pathlib').Path(path).resolve().parent}/jobs.db"
        monkeypatch.setenv("SETU_JOBS_URL", "redis://127.0.0.1:6379/0")
        get_settings.cache_clear()
        assert jobs.default_jobs_url(eng) == "redis://127.0.0.1:6379/0"
    finally:
        get_settings.cache_clear()
        eng.dispose()
