"""Audit log queries, scoped to the party whose actors wrote the entries."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from setu.kit.audit import AuditEntry


def latest_entries(session: Session, *, party: str | None, object_id: str | None = None,
                   actor_name: str | None = None, limit: int) -> list[AuditEntry]:
    """The newest ``limit`` entries, of one object or one actor when given, written by actors of
    ``party`` (the party id as text; None: every party's)."""
    stmt = select(AuditEntry)
    if object_id is not None:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    if actor_name is not None:
        stmt = stmt.where(AuditEntry.actor == actor_name)
    if party is not None:
        stmt = stmt.where(AuditEntry.actor_party_id == party)
    return list(session.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(limit)))


def count_entries(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry))
