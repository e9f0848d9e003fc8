"""Background jobs for long computations (forecast runs, readiness plans, the localisation planner).

A request that starts one answers at once with the job's id; the page or client polls
:func:`get_job` for state and progress, and follows ``result`` (e.g. ``{"id": ..., "url": ...}``)
when it has succeeded.

**Library: huey** (DESIGN.md §5). Its SQLite storage is embedded (one file, no server: the
default installation stays a single process), the same code runs on Redis in production
(``SETU_JOBS_URL=redis://host:6379/0``, package ``redis``), it has real consumer threads and no other
dependency. Huey only carries *messages* ("run job <id>"); the truth about a job lives in Setu's own
table ``kit_job`` (state, progress, result, error, heartbeat), so the answer to "what happened to my
job" never depends on the queue's storage.

Writing a job (in a capability's ``jobs.py``, imported at start-up)::

    @jobs.register("forecasting.run.create")
    def create_run(ctx: jobs.JobContext, *, horizon_months: int, part_ids: list[str]) -> dict:
        data = load_inputs(ctx.engine, ctx.actor, part_ids)      # short read-only units of work
        for i, chunk in enumerate(chunks):                       # the computation: no transaction open
            ...
            ctx.progress(i + 1, len(chunks), "fitting models")
        run_id = ctx.write(lambda uow: service.save_run(uow, ...).id)  # one short write, committed in kit
        return {"id": str(run_id), "url": f"/forecast-runs/{run_id}"}

Starting one: ``job_id = jobs.submit("forecasting.run.create", actor=actor, params={...},
engine=engine)`` (its own unit of work), or ``jobs.submit(..., uow=uow)`` inside the caller's write
unit of work. Either way the job row is written in that transaction (audited as ``kit_job.insert``:
who started what, with which parameters) and the message is enqueued **after** it commits
(:meth:`setu.kit.uow.UnitOfWork.on_commit`): a rolled-back request starts nothing.

Running: the job function gets a :class:`JobContext` (``ctx.actor``: who started it, with the
permissions they had then; ``ctx.progress(done, total, message)``; ``ctx.reading()``: a read-only unit
of work; ``ctx.write(fn)``: ``fn(uow)`` in a write unit of work committed here) and its
keyword parameters (JSON values: ids, not objects). It runs **outside any transaction**: the
runner holds no connection while it computes, so other writers are never blocked by a long job.
Its return value (a JSON object, or ``None``) is stored as the job's ``result``; an exception marks
the job ``failed`` with the exception's message in ``error``. A job is not retried automatically.

States: ``queued`` -> ``running`` -> ``succeeded`` | ``failed``. A job is claimed with a conditional
update (``queued`` -> ``running``), so a message delivered twice runs the job once.

**Restarts.** A running job sends a heartbeat every ``SETU_JOBS_HEARTBEAT_S`` (5 s). When a
consumer starts, jobs left ``running`` by a process that died are marked ``failed`` with the error
**"interrupted by a server restart"**: in the embedded mode (SQLite queue, one consumer per
database: the server's own) every ``running`` job, since no other process can be running it;
with Redis (several consumers) those whose heartbeat is older than ``SETU_JOBS_STALE_AFTER_S``
(60 s), which every running consumer also checks periodically. Jobs still ``queued`` are enqueued
again and run (a duplicate message is harmless, see above). Interrupted jobs are not resumed:
start them again.

The server starts a consumer in-process with :func:`start_consumer` (``SETU_JOBS_WORKERS``
threads, default 2) and stops it with :func:`stop_consumer`; a standalone consumer is
``python -m setu.kit.jobs --module setu.forecasting.jobs ...`` (:func:`run_consumer`): set
``SETU_JOBS_WORKERS=0`` on the servers then.
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Engine

from setu.kit.access import Actor
from setu.kit.db import utcnow
from setu.kit.errors import FieldError, NotFound, PermissionDenied, SetuError, ValidationFailed
from setu.kit.models import JOB_STATES, KitJob
from setu.kit.uow import UnitOfWork

log = logging.getLogger("setu.kit.jobs")

INTERRUPTED = "interrupted by a server restart"
TASK_NAME = "setu.kit.jobs.run"

JobFunction = Callable[..., Any]
T = TypeVar("T")
_registry: dict[str, JobFunction] = {}


def _check_name(name: str) -> str:
    parts = name.split(".") if isinstance(name, str) else []
    if len(parts) < 3 or not all(p and p.replace("_", "").isalnum() and p.islower() for p in parts):
        raise ValueError(f"job name {name!r} must be dotted lower-case, e.g. 'forecasting.run.create'")
    return name


def register(name: str) -> Callable[[JobFunction], JobFunction]:
    """Decorator: ``func(ctx, **params)`` is the job called ``name``."""
    _check_name(name)

    def deco(func: JobFunction) -> JobFunction:
        old = _registry.get(name)
        if old is not None and getattr(old, "__qualname__", None) != getattr(func, "__qualname__", None):
            raise ValueError(f"a job named {name} is already registered ({old.__module__}.{old.__qualname__})")
        _registry[name] = func
        return func

    return deco


def registered() -> list[str]:
    return sorted(_registry)


# -- what a job is -----------------------------------------------------------------------------


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=timezone.utc)  # SQLite returns naive UTC


@dataclass(frozen=True)
class JobRead:
    """A job as its owner sees it."""

    id: uuid.UUID
    name: str
    state: str
    actor: str
    party_id: uuid.UUID | None
    params: dict[str, Any]
    progress_done: int | None
    progress_total: int | None
    progress_message: str | None
    result: dict[str, Any] | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.state in ("succeeded", "failed")

    @property
    def percent(self) -> float | None:
        if not self.progress_total:
            return None
        return round(100.0 * (self.progress_done or 0) / self.progress_total, 1)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (ids and times as strings), for the API."""
        out = dataclasses.asdict(self)
        for k, v in out.items():
            if isinstance(v, (uuid.UUID, datetime)):
                out[k] = str(v) if isinstance(v, uuid.UUID) else v.isoformat()
        out["percent"] = self.percent
        return out


def _read(row: Any) -> JobRead:
    return JobRead(id=row.id, name=row.name, state=row.state, actor=row.actor, party_id=row.party_id,
                   params=row.params or {}, progress_done=row.progress_done, progress_total=row.progress_total,
                   progress_message=row.progress_message, result=row.result, error=row.error,
                   created_at=_aware(row.created_at), started_at=_aware(row.started_at),
                   finished_at=_aware(row.finished_at), heartbeat_at=_aware(row.heartbeat_at))


def _actor_data(actor: Actor) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in dataclasses.asdict(actor).items()}


def _actor_from(data: dict[str, Any]) -> Actor:
    d = dict(data)
    for k in ("user_id", "party_id", "organisation_id"):
        if d.get(k):
            d[k] = uuid.UUID(d[k])
    return Actor(**{f.name: d[f.name] for f in dataclasses.fields(Actor) if f.name in d})


def _writer(engine: Engine) -> Engine:
    return engine.execution_options(setu_write=True)  # BEGIN IMMEDIATE on SQLite (see kit.db)


def _visible(actor: Actor, party_id: Any, started_by: str) -> bool:
    if actor.system or actor.sees_all_parties:
        return True
    if party_id is not None:
        return actor.party_id is not None and str(actor.party_id) == str(party_id)
    return started_by == actor.name


def get_job(engine: Engine, actor: Actor | None, job_id: Any) -> JobRead:
    """The job ``job_id`` if ``actor`` may see it: the actor's party's jobs (the system actor and
    programme offices see all). Another party's job answers :class:`NotFound`, as a missing one."""
    if actor is None:
        raise PermissionDenied("jobs: sign in first")
    missing = NotFound(f"job {job_id} not found")
    try:
        jid = job_id if isinstance(job_id, uuid.UUID) else uuid.UUID(str(job_id))
    except ValueError:
        raise missing from None
    with engine.connect() as c:
        row = c.execute(select(KitJob.__table__).where(KitJob.id == jid)).first()
    if row is None or not _visible(actor, row.party_id, row.actor):
        raise missing
    return _read(row)


def list_jobs(engine: Engine, actor: Actor, *, name: str | None = None, state: str | None = None,
              limit: int = 50) -> list[JobRead]:
    """The newest jobs ``actor`` may see (see :func:`get_job`), optionally of one name or state."""
    t = KitJob.__table__
    stmt = select(t).order_by(t.c.created_at.desc()).limit(max(1, min(limit, 500)))
    if not (actor.system or actor.sees_all_parties):
        stmt = stmt.where(t.c.party_id == actor.party_id) if actor.party_id is not None else \
            stmt.where(t.c.party_id.is_(None), t.c.actor == actor.name)
    if name:
        stmt = stmt.where(t.c.name == name)
    if state:
        stmt = stmt.where(t.c.state == state)
    with engine.connect() as c:
        return [_read(r) for r in c.execute(stmt)]


def wait(engine: Engine, actor: Actor | None, job_id: Any, timeout_s: float, *, poll_s: float = 0.05) -> JobRead:
    """The job once it has finished, or as it is after ``timeout_s`` seconds (polls
    :func:`get_job`, so the same visibility rules apply)."""
    deadline = time.monotonic() + max(0.0, timeout_s)
    job = get_job(engine, actor, job_id)
    while not job.finished and time.monotonic() < deadline:
        time.sleep(min(poll_s, max(0.0, deadline - time.monotonic())))
        poll_s = min(poll_s * 1.5, 0.5)
        job = get_job(engine, actor, job_id)
    return job


# -- the queue (huey) --------------------------------------------------------------------------


def default_jobs_url(engine: Engine) -> str:
    """``SETU_JOBS_URL``, else ``jobs.db`` next to a SQLite database file, else ``var/jobs.db``."""
    from setu.kit.settings import get_settings

    configured = get_settings().jobs_url
    if configured:
        return configured
    db = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if db and db != ":memory:":
        return f"sqlite:///{Path(db).resolve().parent / 'jobs.db'}"
    return "sqlite:///var/jobs.db"


def _queue_name(engine: Engine) -> str:
    """One queue per database, so several databases may share a queue storage (one Redis)."""
    url = engine.url.render_as_string(hide_password=True)
    return "setu-" + hashlib.sha256(url.encode()).hexdigest()[:12]


class JobQueue:
    """A huey instance carrying "run job <id>" messages for the jobs of one database."""

    def __init__(self, engine: Engine, jobs_url: str):
        self.engine = engine
        self.jobs_url = jobs_url
        name = _queue_name(engine)
        if jobs_url.startswith("sqlite:///"):
            from huey import SqliteHuey

            path = Path(jobs_url.removeprefix("sqlite:///"))
            path.parent.mkdir(parents=True, exist_ok=True)
            self.huey = SqliteHuey(name, filename=str(path), results=False, utc=True, timeout=30)
            self.embedded = True
        elif jobs_url.startswith(("redis://", "rediss://", "unix://")):
            try:
                from huey import RedisHuey
                import redis  # noqa: F401
            except ImportError as exc:
                raise RuntimeError(f"SETU_JOBS_URL={jobs_url.split('@')[-1]} needs the redis package "
                                   "(pip install 'setu[redis]')") from exc
            self.huey = RedisHuey(name, url=jobs_url, results=False, utc=True)
            self.embedded = False
        else:
            raise ValueError(f"SETU_JOBS_URL must be sqlite:///path or redis://host:port/db, not {jobs_url!r}")
        self.consumer: JobConsumer | None = None

        @self.huey.task(name=TASK_NAME, retries=0)
        def run_job(job_id: str) -> None:
            _execute(self, job_id)

        self._task = run_job

    def enqueue(self, job_id: uuid.UUID) -> None:
        self._task(str(job_id))

    def close(self) -> None:
        storage = self.huey.storage
        if hasattr(storage, "close"):
            storage.close()


_queues: dict[str, JobQueue] = {}
_queues_lock = threading.Lock()


def _engine_key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def configure(engine: Engine, *, jobs_url: str | None = None) -> JobQueue:
    """The job queue of ``engine``'s database (made on first use from ``jobs_url`` or the
    settings, see :func:`default_jobs_url`; later calls return the same queue)."""
    key = _engine_key(engine)
    with _queues_lock:
        q = _queues.get(key)
        if q is None or (jobs_url is not None and q.jobs_url != jobs_url):
            if q is not None:
                q.close()
            q = _queues[key] = JobQueue(engine, jobs_url or default_jobs_url(engine))
        elif q.engine is not engine and q.consumer is None:
            q.engine = engine
        return q


def forget_queues() -> None:
    """Close and forget every queue (tests; after :func:`stop_consumer`)."""
    with _queues_lock:
        for q in _queues.values():
            q.close()
        _queues.clear()


# -- submitting --------------------------------------------------------------------------------


def submit(name: str, *, actor: Actor, params: dict[str, Any] | None = None, engine: Engine | None = None,
           uow: UnitOfWork | None = None) -> uuid.UUID:
    """Record job ``name`` for ``actor`` and enqueue it once the transaction commits; returns its id
    at once. With ``uow`` the job is part of the caller's write unit of work (enqueued after the
    caller's commit, dropped with its rollback); otherwise a unit of work of its own is committed."""
    if name not in _registry:
        raise ValueError(f"no job named {name!r} is registered in this process (known: {', '.join(registered())})")
    params = dict(params or {})
    try:
        params = json.loads(json.dumps(params))
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"{name}: job parameters must be JSON values (ids, numbers, text): {exc}",
                               [FieldError("params", str(exc))]) from None
    if uow is not None:
        if uow.actor is not actor and uow.actor != actor:
            raise ValueError("submit(uow=...) runs as the unit of work's actor: pass actor=uow.actor")
        return _submit_in(uow, name, actor, params)
    with UnitOfWork(actor, write=True, engine=engine) as own:
        job_id = _submit_in(own, name, actor, params)
        own.commit()
    return job_id


def _submit_in(uow: UnitOfWork, name: str, actor: Actor, params: dict[str, Any]) -> uuid.UUID:
    if actor is None:
        raise PermissionDenied("a job cannot start without an actor")
    job = KitJob(id=uuid.uuid4(), name=name, state="queued", actor=actor.name[:200], actor_data=_actor_data(actor),
                 party_id=actor.party_id, params=params, created_at=utcnow())
    uow.session.add(job)
    uow.session.flush()
    queue = configure(uow.engine)
    uow.on_commit(lambda: queue.enqueue(job.id))
    return job.id


# -- running -----------------------------------------------------------------------------------


class JobContext:
    """What a running job gets: who started it, its parameters, progress reporting, and a way to
    write its results in a short unit of work of its own."""

    #: progress is written at most this often (seconds), except the first and the last report
    min_interval_s = 0.2

    def __init__(self, queue: JobQueue, job_id: uuid.UUID, name: str, actor: Actor, params: dict[str, Any],
                 worker: str):
        self.engine = queue.engine
        self.job_id = job_id
        self.name = name
        self.actor = actor
        self.params = params
        self._worker = worker
        self._last = 0.0

    def progress(self, done: int, total: int | None = None, message: str | None = None) -> None:
        """Report ``done`` of ``total`` steps (and what is being done). Also a heartbeat."""
        now = time.monotonic()
        final = total is not None and done >= total
        if not final and self._last and now - self._last < self.min_interval_s:
            return
        self._last = now
        with _writer(self.engine).begin() as c:
            c.execute(update(KitJob).where(KitJob.id == self.job_id, KitJob.state == "running")
                      .values(progress_done=int(done), progress_total=None if total is None else int(total),
                              progress_message=None if message is None else str(message)[:500],
                              heartbeat_at=utcnow()))

    def unit_of_work(self) -> UnitOfWork:
        """A write unit of work as the job's actor (commit it: ``with ctx.unit_of_work() as uow:
        ...; uow.commit()``)."""
        return UnitOfWork(self.actor, write=True, engine=self.engine)

    def reading(self) -> UnitOfWork:
        """A read-only unit of work as the job's actor, for the computation (holds no write lock)."""
        return UnitOfWork(self.actor, write=False, engine=self.engine)

    def write(self, fn: Callable[[UnitOfWork], T]) -> T:
        """Store the job's results in one short write unit of work: ``fn(uow)``, then commit here
        (a capability never commits); returns ``fn``'s value. An exception rolls back."""
        with self.unit_of_work() as uow:
            value = fn(uow)
            uow.commit()
        return value


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SetuError):
        text = exc.detail + ("".join(f"; {e}" for e in exc.errors) if exc.errors else "")
        return f"{type(exc).__name__}: {text}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _result(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        value = {"value": value}
    return json.loads(json.dumps(value, default=str))


def _worker_id(queue: JobQueue) -> str:
    c = queue.consumer
    return f"{socket.gethostname()}:{os.getpid()}:{c.id if c else 'no-consumer'}"[:200]


def _finish(engine: Engine, job_id: uuid.UUID, worker: str, **values: Any) -> None:
    with _writer(engine).begin() as c:
        n = c.execute(update(KitJob).where(KitJob.id == job_id, KitJob.state == "running", KitJob.worker == worker)
                      .values(finished_at=utcnow(), heartbeat_at=utcnow(), **values)).rowcount
    if n != 1:
        log.warning("job %s finished (%s) but was no longer running here: it had been marked failed", job_id,
                    values.get("state"))


def _execute(queue: JobQueue, job_id: str) -> None:
    """Run one job (a huey worker thread calls this). Never raises: the outcome is in kit_job."""
    engine = queue.engine
    try:
        jid = uuid.UUID(job_id)
    except ValueError:
        log.error("ignoring a job message with a bad id %r", job_id)
        return
    worker = _worker_id(queue)
    now = utcnow()
    with _writer(engine).begin() as c:
        claimed = c.execute(update(KitJob).where(KitJob.id == jid, KitJob.state == "queued")
                            .values(state="running", started_at=now, heartbeat_at=now, worker=worker)).rowcount
        row = c.execute(select(KitJob.name, KitJob.params, KitJob.actor_data).where(KitJob.id == jid)).first() \
            if claimed == 1 else None
    if row is None:
        return  # already run, running elsewhere, or deleted: a duplicate message
    func = _registry.get(row.name)
    if func is None:
        _finish(engine, jid, worker, state="failed",
                error=f"no job named {row.name} is registered in the process that ran it ({worker})")
        return
    consumer = queue.consumer
    if consumer is not None:
        consumer.running.add(jid)
    try:
        ctx = JobContext(queue, jid, row.name, _actor_from(row.actor_data), dict(row.params or {}), worker)
        value = func(ctx, **ctx.params)  # no connection is held here: the computation blocks no writer
        result = _result(value)
    except Exception as exc:
        log.exception("job %s (%s) failed", row.name, jid)
        _finish(engine, jid, worker, state="failed", error=_describe(exc)[:10000])
    else:
        _finish(engine, jid, worker, state="succeeded", result=result)
    finally:
        if consumer is not None:
            consumer.running.discard(jid)


# -- periodic tasks ----------------------------------------------------------------------------
#
# A periodic task is a function ``fn(engine, now)`` that runs every ``every_s`` seconds (the SLA
# escalation sweep). It must be idempotent: :func:`tick` may run it on several consumers or again
# after a restart, so it records what it has done in the database (e.g. one escalation row per
# ticket, commitment and level) and does nothing twice. The consumer's scheduler thread calls
# :func:`tick` every ``SETU_JOBS_TICK_S`` seconds (0: never; run ``tick`` from cron or a test).


@dataclass(frozen=True)
class Periodic:
    name: str
    every_s: float
    func: Callable[[Engine, datetime], Any]


_periodic: dict[str, Periodic] = {}
_last_run: dict[str, datetime] = {}


def periodic(name: str, *, every_s: float = 60.0) -> Callable[[Callable[[Engine, datetime], Any]], Callable]:
    """Decorator: ``fn(engine, now)`` runs every ``every_s`` seconds from :func:`tick`."""
    _check_name(name)
    if every_s <= 0:
        raise ValueError(f"periodic task {name}: every_s must be positive, not {every_s}")

    def deco(func: Callable[[Engine, datetime], Any]) -> Callable[[Engine, datetime], Any]:
        _periodic[name] = Periodic(name, float(every_s), func)
        return func

    return deco


def periodic_tasks() -> list[str]:
    return sorted(_periodic)


def tick(engine: Engine, *, now: datetime | None = None, force: bool = False) -> dict[str, Any]:
    """Run every periodic task that is due at ``now`` (all of them with ``force``); returns
    ``{name: result}`` for those run. A task that raises is logged and the others still run."""
    now = now or utcnow()
    out: dict[str, Any] = {}
    for name, task in sorted(_periodic.items()):
        last = _last_run.get(name)
        if not force and last is not None and (now - last).total_seconds() < task.every_s:
            continue
        _last_run[name] = now
        try:
            out[name] = task.func(engine, now)
        except Exception as exc:
            log.exception("periodic task %s failed", name)
            out[name] = {"error": _describe(exc)}
    return out


# -- consumers ---------------------------------------------------------------------------------


def recover(engine: Engine, *, mode: str, stale_after_s: float, now: datetime | None = None) -> int:
    """Mark jobs left running by a dead process failed ("interrupted by a server restart"):
    ``mode="all"``: every running job; ``"stale"``: those whose heartbeat is older than
    ``stale_after_s``. Returns how many."""
    now = now or utcnow()
    stmt = update(KitJob).where(KitJob.state == "running")
    if mode == "stale":
        stmt = stmt.where(or_(KitJob.heartbeat_at.is_(None),
                              KitJob.heartbeat_at < now - timedelta(seconds=stale_after_s)))
    elif mode != "all":
        raise ValueError(f"recover mode must be 'all' or 'stale', not {mode!r}")
    with _writer(engine).begin() as c:
        n = c.execute(stmt.values(state="failed", error=INTERRUPTED, finished_at=now)).rowcount or 0
    if n:
        log.warning("%d job(s) left running by a stopped process marked failed (%s)", n, INTERRUPTED)
    return n


def _requeue(queue: JobQueue) -> int:
    with queue.engine.connect() as c:
        ids = list(c.scalars(select(KitJob.id).where(KitJob.state == "queued").order_by(KitJob.created_at)))
    for jid in ids:
        queue.enqueue(jid)
    return len(ids)


class JobConsumer:
    """Huey worker threads for one database's queue, plus a heartbeat thread for the jobs they run
    (which also fails silent jobs of other consumers, see the module docstring)."""

    def __init__(self, engine: Engine, *, workers: int = 2, jobs_url: str | None = None, recover: str = "auto",
                 heartbeat_s: float | None = None, stale_after_s: float | None = None, poll_s: float = 0.5,
                 tick_s: float | None = None):
        from setu.kit.settings import get_settings

        s = get_settings()
        if workers < 1:
            raise ValueError("a consumer needs at least one worker thread")
        self.id = uuid.uuid4().hex[:8]
        self.engine = engine
        self.workers = workers
        self.queue = configure(engine, jobs_url=jobs_url)
        self.recover_mode = ("all" if self.queue.embedded else "stale") if recover == "auto" else recover
        self.heartbeat_s = heartbeat_s or s.jobs_heartbeat_s
        self.stale_after_s = stale_after_s or s.jobs_stale_after_s
        self.poll_s = poll_s
        self.tick_s = s.jobs_tick_s if tick_s is None else tick_s
        self._ticker: threading.Thread | None = None
        self.running: set[uuid.UUID] = set()
        self._stop = threading.Event()
        self._huey_consumer: Any = None
        self._beat: threading.Thread | None = None

    def start(self) -> "JobConsumer":
        from huey.consumer import Consumer

        class _InProcessConsumer(Consumer):
            def _set_signal_handlers(self) -> None:  # the host process (uvicorn) owns the signals
                pass

        if self.queue.consumer is not None:
            raise RuntimeError("a consumer is already running for this database in this process")
        self.queue.engine = self.engine
        self.queue.consumer = self
        try:
            recover(self.engine, mode=self.recover_mode, stale_after_s=self.stale_after_s)
        except Exception as exc:  # the database is busy (a long import holds the write lock): the
            # server still starts; jobs left running stay so until the next start (logged)
            log.warning("jobs: could not recover interrupted jobs at start-up (%s); retried at the next start", exc)
        self._huey_consumer = _InProcessConsumer(
            self.queue.huey, workers=self.workers, worker_type="thread", periodic=False, initial_delay=0.05,
            backoff=1.5, max_delay=self.poll_s, check_worker_health=False, shutdown_timeout=30)
        self._huey_consumer.start()
        try:
            requeued = _requeue(self.queue)
        except Exception as exc:
            log.warning("jobs: could not enqueue queued jobs again at start-up (%s)", exc)
            requeued = 0
        self._beat = threading.Thread(target=self._heartbeat, name=f"setu-jobs-heartbeat-{self.id}", daemon=True)
        self._beat.start()
        if self.tick_s > 0:
            self._ticker = threading.Thread(target=self._tick_loop, name=f"setu-jobs-ticker-{self.id}", daemon=True)
            self._ticker.start()
        log.info("job consumer %s started: %d worker thread(s), queue %s, %d queued job(s) enqueued again",
                 self.id, self.workers, self.queue.jobs_url.split("@")[-1], requeued)
        return self

    def _tick_loop(self) -> None:
        while not self._stop.wait(self.tick_s):
            try:
                tick(self.engine)
            except Exception:
                log.exception("periodic tick failed (will retry)")

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            try:
                ids = list(self.running)
                if ids:
                    with _writer(self.engine).begin() as c:
                        c.execute(update(KitJob).where(KitJob.id.in_(ids), KitJob.state == "running")
                                  .values(heartbeat_at=utcnow()))
                recover(self.engine, mode="stale", stale_after_s=self.stale_after_s)
            except Exception:
                log.exception("job heartbeat failed (will retry)")

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop taking jobs and wait up to ``timeout_s`` for running ones to finish (a job still
        running after that is failed at the next start)."""
        self._stop.set()
        if self._huey_consumer is not None:
            self._huey_consumer.shutdown_timeout = timeout_s
            self._huey_consumer.stop(graceful=True)
        if self._beat is not None:
            self._beat.join(5)
        if self._ticker is not None:
            self._ticker.join(5)
        if self.queue.consumer is self:
            self.queue.consumer = None
        log.info("job consumer %s stopped", self.id)

    def __enter__(self) -> "JobConsumer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


_consumer: JobConsumer | None = None


def start_consumer(engine: Engine, *, workers: int | None = None, **kw: Any) -> JobConsumer | None:
    """Start this process's job consumer (the server calls it at start-up); ``workers`` defaults to
    ``SETU_JOBS_WORKERS``; 0 starts none (jobs are run by a standalone consumer)."""
    global _consumer
    from setu.kit.settings import get_settings

    n = get_settings().jobs_workers if workers is None else workers
    if n <= 0:
        return None
    if _consumer is not None:
        raise RuntimeError("the job consumer is already running: stop_consumer() first")
    _consumer = JobConsumer(engine, workers=n, **kw).start()
    return _consumer


def stop_consumer(timeout_s: float = 30.0) -> None:
    """Stop the consumer :func:`start_consumer` started (the server calls it at shutdown)."""
    global _consumer
    c, _consumer = _consumer, None
    if c is not None:
        c.stop(timeout_s)


def run_consumer(database_url: str | None = None, *, modules: Iterable[str] = (), workers: int | None = None,
                 jobs_url: str | None = None, recover: str = "auto") -> None:
    """Run a consumer in the foreground until SIGINT/SIGTERM (``python -m setu.kit.jobs``): imports
    ``modules`` (those that register jobs), then runs their jobs for ``database_url``."""
    from setu.kit.db import get_engine
    from setu.kit.settings import get_settings

    for m in modules:
        importlib.import_module(m)
    engine = get_engine(database_url)
    consumer = JobConsumer(engine, workers=workers or max(1, get_settings().jobs_workers), jobs_url=jobs_url,
                           recover=recover)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    consumer.start()
    log.info("jobs: %s", ", ".join(registered()) or "none registered (pass --module)")
    try:
        done.wait()
    finally:
        consumer.stop()


def main(argv: list[str] | None = None) -> None:
    import argparse

    p = argparse.ArgumentParser(prog="python -m setu.kit.jobs", description="Run Setu's background job consumer.")
    p.add_argument("--database-url", help="default: SETU_DATABASE_URL")
    p.add_argument("--jobs-url", help="default: SETU_JOBS_URL, else jobs.db next to a SQLite database")
    p.add_argument("--module", action="append", default=[], help="a module that registers jobs (repeatable)")
    p.add_argument("--workers", type=int, help="worker threads (default SETU_JOBS_WORKERS)")
    p.add_argument("--recover", choices=("auto", "all", "stale"), default="auto")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_consumer(a.database_url, modules=a.module, workers=a.workers, jobs_url=a.jobs_url, recover=a.recover)


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["JOB_STATES", "INTERRUPTED", "JobContext", "JobConsumer", "JobRead", "configure", "get_job", "list_jobs",
           "main", "periodic", "periodic_tasks", "recover", "register", "registered", "tick", "run_consumer", "start_consumer", "stop_consumer", "submit", "wait"]
