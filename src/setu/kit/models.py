"""Tables of the shared machinery: background jobs (:mod:`setu.kit.jobs`) and idempotency keys
(:mod:`setu.kit.idempotency`). Imported by :mod:`setu.kit.db`, so every metadata user (Alembic,
the schema test) sees them; migration ``0009`` creates them."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, LargeBinary, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from setu.kit.db import Base, utcnow

JOB_STATES = ("queued", "running", "succeeded", "failed")


class KitJob(Base):
    """One background computation: who started it, its state, progress, and where its result is.

    Inserted through a unit of work (audited: who started what, with which parameters); its state,
    progress and heartbeat are bookkeeping written by the job runner in short transactions of
    their own (not audited: the job's own result is written, and audited, by the job function)."""

    __tablename__ = "kit_job"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True, default="queued")
    actor: Mapped[str] = mapped_column(String(200))
    #: the actor the job runs as (name, user, party, organisation, role) when it was submitted
    actor_data: Mapped[dict[str, Any]] = mapped_column(JSON)
    party_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    progress_done: Mapped[int | None] = mapped_column(Integer)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    progress_message: Mapped[str | None] = mapped_column(String(500))
    #: a reference to what the job made, e.g. {"id": "...", "url": "/forecasting/runs/..."}
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    #: host:pid:consumer of the process running it
    worker: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class KitIdempotencyKey(Base):
    """An ``Idempotency-Key`` of one caller (``scope`` = party and user), the request it was first
    used for (method, path, SHA-256 of the body) and, once done, the stored response."""

    __tablename__ = "kit_idempotency_key"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    scope: Mapped[str] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(255))
    actor: Mapped[str] = mapped_column(String(200))
    party_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(2000))
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # in_flight | done
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[list[Any] | None] = mapped_column(JSON)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    locked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
