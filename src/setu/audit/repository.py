"""Audit log queries, scoped to the party whose actors wrote the entries."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from setu.kit.audit import AuditEntry


def latest_entries(session: Session, *, party: str | None, object_id: str | None = None,
                   actor_name: str | None = None, limit: int, object_type: str | None = None,
                   action: str | None = None, actor_party: str | None = None, at_from: str | None = None,
                   at_to: str | None = None, before_seq: int | None = None) -> list[AuditEntry]:
    """The newest ``limit`` entries, of one object or one actor when given, written by actors of
    ``party`` (the party id as text; None: every party's), optionally of one object type, one action
    (or action prefix ending in "."), one actor's party and a range of dates (ISO, inclusive)."""
    stmt = select(AuditEntry)
    if object_id is not None:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    if actor_name is not None:
        stmt = stmt.where(AuditEntry.actor == actor_name)
    if party is not None:
        stmt = stmt.where(AuditEntry.actor_party_id == party)
    if actor_party is not None:
        stmt = stmt.where(AuditEntry.actor_party_id == actor_party)
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if action:
        stmt = stmt.where(AuditEntry.action.like(f"%{action}%"))
    if at_from:
        stmt = stmt.where(AuditEntry.at >= at_from)
    if at_to:
        stmt = stmt.where(AuditEntry.at < at_to)
    if before_seq is not None:
        stmt = stmt.where(AuditEntry.seq < before_seq)
    return list(session.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(limit)))


def object_types(session: Session) -> list[str]:
    return sorted(session.scalars(select(AuditEntry.object_type).distinct()))


def count_entries(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry))


def last_checkpoint_at(session: Session, *, party: str):
    """When this installation last signed its head for ``party`` (an aware datetime), or None."""
    from datetime import datetime

    from setu.kit.checkpoints import AuditCheckpoint

    at = session.scalar(select(func.max(AuditCheckpoint.at)).where(AuditCheckpoint.source == "issued",
                                                                    AuditCheckpoint.party == party))
    return datetime.fromisoformat(at) if at else None
