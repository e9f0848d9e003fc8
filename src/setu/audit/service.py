"""Reading the audit log: the history of an object, the actions of an actor, chain verification.

Who sees which entries: the installation's system actor and system administrators see every
entry; a party administrator sees the entries written by actors of their own party. Entries carry
before/after values, so they are never shown beyond that, and a system administrator sees the
values of business records redacted (:data:`HIDDEN`): who changed which field of what, and when.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from setu.audit import repository as repo
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


#: What a system administrator sees instead of a business value (they administer users and the
#: audit trail, and see no business data: which fields changed, by whom and when, not to what).
HIDDEN = "(hidden from system administrators)"
#: Entries whose values a system administrator does see: the users and organisations they administer.
SYSADMIN_VISIBLE = ("identity_",)


def _view(e: AuditEntry, *, redact: bool = False) -> EntryView:
    before = json.loads(e.before) if e.before else {}
    after = json.loads(e.after) if e.after else {}
    keys = sorted(set(before) | set(after))
    skip = {"updated_at", "version", "created_at"}
    changes = [(k, before.get(k), after.get(k)) for k in keys
               if k not in skip and before.get(k) != after.get(k)]
    if redact and not e.object_type.startswith(SYSADMIN_VISIBLE):
        changes = [(k, None if b is None else HIDDEN, None if a is None else HIDDEN) for k, b, a in changes]
    return EntryView(e.seq, e.at, e.actor, e.action, e.object_type, e.object_id, changes, e.hash)


def _redact(uow: UnitOfWork) -> bool:
    return bool(uow.actor.sysadmin and not uow.actor.system)


def _party(uow: UnitOfWork) -> str | None:
    """The party whose actors' entries the actor sees (None: every party's)."""
    actor = uow.actor
    if actor.system or actor.sysadmin:
        return None
    return str(actor.party_id) if actor.party_id else "-"


def object_history(uow: UnitOfWork, *, object_id: str, limit: int = 200) -> list[EntryView]:
    """Every recorded change of one object, newest first."""
    require(uow.actor, "audit.entry.read")
    rows = repo.latest_entries(uow.session, party=_party(uow), object_id=str(object_id), limit=limit)
    return [_view(e, redact=_redact(uow)) for e in rows]


def actor_history(uow: UnitOfWork, *, actor_name: str, limit: int = 200) -> list[EntryView]:
    """What one actor changed, newest first."""
    require(uow.actor, "audit.entry.read")
    rows = repo.latest_entries(uow.session, party=_party(uow), actor_name=actor_name, limit=limit)
    return [_view(e, redact=_redact(uow)) for e in rows]


def recent(uow: UnitOfWork, *, limit: int = 100) -> list[EntryView]:
    require(uow.actor, "audit.entry.read")
    return [_view(e, redact=_redact(uow)) for e in repo.latest_entries(uow.session, party=_party(uow), limit=limit)]


def chain_status(uow: UnitOfWork) -> dict[str, Any]:
    require(uow.actor, "audit.entry.read")
    result = audit.verify_database(uow.session)
    total = repo.count_entries(uow.session)
    return {"ok": result.ok, "entries": total, "problem": result.problem, "seq": result.seq}
