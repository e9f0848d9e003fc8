"""Reading the audit log: the history of an object, the actions of an actor, chain verification.

Who sees which entries: the installation's system actor and system administrators see every
entry; a party administrator sees the entries written by actors of their own party. Entries carry
before/after values, so they are never shown beyond that.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from setu.kit import audit
from setu.kit.access import require
from setu.kit.audit import AuditEntry
from setu.kit.uow import UnitOfWork


@dataclass
class EntryView:
    seq: int
    at: str
    actor: str
    action: str
    object_type: str
    object_id: str | None
    changes: list[tuple[str, Any, Any]]
    hash: str


def _view(e: AuditEntry) -> EntryView:
    before = json.loads(e.before) if e.before else {}
    after = json.loads(e.after) if e.after else {}
    keys = sorted(set(before) | set(after))
    skip = {"updated_at", "version", "created_at"}
    changes = [(k, before.get(k), after.get(k)) for k in keys
               if k not in skip and before.get(k) != after.get(k)]
    return EntryView(e.seq, e.at, e.actor, e.action, e.object_type, e.object_id, changes, e.hash)


def _scoped(uow: UnitOfWork, stmt):
    actor = uow.actor
    if actor.system or actor.sysadmin:
        return stmt
    return stmt.where(AuditEntry.actor_party_id == (str(actor.party_id) if actor.party_id else "-"))


def object_history(uow: UnitOfWork, *, object_id: str, limit: int = 200) -> list[EntryView]:
    """Every recorded change of one object, newest first."""
    require(uow.actor, "audit.entry.read")
    stmt = _scoped(uow, select(AuditEntry).where(AuditEntry.object_id == str(object_id)))
    return [_view(e) for e in uow.session.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(limit))]


def actor_history(uow: UnitOfWork, *, actor_name: str, limit: int = 200) -> list[EntryView]:
    """What one actor changed, newest first."""
    require(uow.actor, "audit.entry.read")
    stmt = _scoped(uow, select(AuditEntry).where(AuditEntry.actor == actor_name))
    return [_view(e) for e in uow.session.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(limit))]


def recent(uow: UnitOfWork, *, limit: int = 100) -> list[EntryView]:
    require(uow.actor, "audit.entry.read")
    stmt = _scoped(uow, select(AuditEntry))
    return [_view(e) for e in uow.session.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(limit))]


def chain_status(uow: UnitOfWork) -> dict[str, Any]:
    require(uow.actor, "audit.entry.read")
    result = audit.verify_database(uow.session)
    total = uow.session.scalar(select(func.count()).select_from(AuditEntry))
    return {"ok": result.ok, "entries": total, "problem": result.problem, "seq": result.seq}
