"""Reading the audit log: the history of an object, the actions of an actor, chain verification.

Who sees which entries: the installation's system actor and system administrators see every
entry; a party administrator sees the entries written by actors of their own party. Entries carry
before/after values, so they are never shown beyond that, and a system administrator sees the
values of business records redacted (:data:`HIDDEN`): who changed which field of what, and when.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from setu.audit import repository as repo
from setu.kit import audit, jobs
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
    request_id: str = ""
    actor_party_id: str | None = None
    #: How many entries of one change this row stands for (a saved plan's lines: one row).
    count: int = 1
    #: What the object is called (its name, code, part number or serial), when the entry says.
    label: str | None = None

    @property
    def type_label(self) -> str:
        return type_label(self.object_type)

    @property
    def action_label(self) -> str:
        return action_label(self.action, self.object_type)


#: Table-name prefixes of the capabilities (dropped from the labels people read).
_PREFIXES = ("catalog_", "fleet_", "demand_", "forecasting_", "readiness_", "identity_", "finance_", "ledger_",
             "localisation_", "aftersales_", "audit_", "contracts_", "notifications_", "overview_")
_KEEP = {"readiness_plan": "Readiness plan", "readiness_plan_line": "Plan line", "fleet_site": "Site",
         "fleet_equipment_type": "Equipment type", "fleet_equipment_unit": "Equipment unit"}
_VERBS = {"insert": "created", "update": "changed", "delete": "deleted", "bulk_insert": "imported",
          "bulk_update": "updated in bulk", "bulk_delete": "deleted in bulk"}
_NAME_FIELDS = ("name", "code", "part_number", "serial", "username", "title", "reference")


def type_label(object_type: str) -> str:
    """``fleet_stock_position`` -> ``Stock position``."""
    if object_type in _KEEP:
        return _KEEP[object_type]
    t = object_type
    for p in _PREFIXES:
        if t.startswith(p) and len(t) > len(p):
            t = t[len(p):]
            break
    return t.replace("_", " ").capitalize()


def action_label(action: str, object_type: str) -> str:
    """``catalog_part.update`` -> ``changed``; a workflow action ``ledger.support.accept`` -> ``accept``."""
    head, _, verb = action.rpartition(".")
    if head == object_type and verb in _VERBS:
        return _VERBS[verb]
    return verb.replace("_", " ") if verb else action


def _label(before: dict, after: dict) -> str | None:
    for k in _NAME_FIELDS:
        v = after.get(k) or before.get(k)
        if isinstance(v, str) and v:
            return v[:80]
    return None


def _group(views: list[EntryView]) -> list[EntryView]:
    """One row per change: entries of one request, object type and action that follow each other
    (a saved plan's hundreds of lines, an import's rows) become one row with their count."""
    out: list[EntryView] = []
    for v in views:
        last = out[-1] if out else None
        if (last is not None and v.request_id and last.request_id == v.request_id
                and last.object_type == v.object_type and last.action == v.action):
            last.count += 1
            last.object_id = None
            last.label = None
            last.changes = []
            continue
        out.append(replace(v, changes=list(v.changes)))  # a copy: the entries read stay as they are
    return out


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
    label = _label(before, after)
    if redact and not e.object_type.startswith(SYSADMIN_VISIBLE):
        changes = [(k, None if b is None else HIDDEN, None if a is None else HIDDEN) for k, b, a in changes]
        label = None  # the object's name is a business value too
    return EntryView(e.seq, e.at, e.actor, e.action, e.object_type, e.object_id, changes, e.hash,
                     request_id=e.request_id, actor_party_id=e.actor_party_id, label=label)


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


def recent(uow: UnitOfWork, *, limit: int = 100, object_type: str | None = None, action: str | None = None,
           actor_name: str | None = None, actor_party: str | None = None, date_from: str | None = None,
           date_to: str | None = None) -> list[EntryView]:
    """The newest entries the actor sees, filtered (object type, action, actor, the actor's party id,
    dates inclusive as ``YYYY-MM-DD``), one row per change (see :func:`_group`)."""
    from datetime import date, timedelta

    require(uow.actor, "audit.entry.read")
    at_to = None
    if date_to:
        at_to = (date.fromisoformat(date_to) + timedelta(days=1)).isoformat()
    views: list[EntryView] = []
    before = None
    for _ in range(20):  # batches of entries until ``limit`` rows (a saved plan's lines are one row)
        rows = repo.latest_entries(uow.session, party=_party(uow), limit=5000, object_type=object_type or None,
                                   action=action or None, actor_name=actor_name or None,
                                   actor_party=actor_party or None, at_from=date_from or None, at_to=at_to,
                                   before_seq=before)
        views += [_view(e, redact=_redact(uow)) for e in rows]
        grouped = _group(views)
        if len(rows) < 5000 or len(grouped) > limit:
            break
        before = rows[-1].seq
    return _group(views)[:limit]


def object_types(uow: UnitOfWork) -> list[tuple[str, str]]:
    """(object type, label) of every type the log holds, by label."""
    require(uow.actor, "audit.entry.read")
    return sorted(((t, type_label(t)) for t in repo.object_types(uow.session)), key=lambda x: x[1])


def chain_status(uow: UnitOfWork) -> dict[str, Any]:
    require(uow.actor, "audit.entry.read")
    result = audit.verify_database(uow.session)
    total = repo.count_entries(uow.session)
    return {"ok": result.ok, "entries": total, "problem": result.problem, "seq": result.seq}


# -- the scheduled checkpoint (docs/security.md) ------------------------------------------------

@jobs.periodic("audit.checkpoint.sign", every_s=60)
def sign_checkpoint_when_due(engine: Any, now: Any) -> dict[str, Any]:
    """The periodic task: sign the chain's head (``kit.checkpoints.issue_scheduled``) when
    ``SETU_AUDIT_CHECKPOINT_HOURS`` have passed since this installation's last checkpoint; off
    (0, the default) or without ``SETU_PARTY`` it does nothing and says why."""
    from setu.kit import checkpoints
    from setu.kit.settings import get_settings
    from setu.kit.timestamps import as_utc

    s = get_settings()
    if s.audit_checkpoint_hours <= 0:
        return {"skipped": "SETU_AUDIT_CHECKPOINT_HOURS is 0"}
    if not s.party:
        return {"skipped": "SETU_PARTY is not set: no party to sign for"}
    with UnitOfWork(audit_system_actor(), engine=engine) as uow:
        last = repo.last_checkpoint_at(uow.session, party=s.party.upper())
    if last is not None and (as_utc(now) - as_utc(last)).total_seconds() < s.audit_checkpoint_hours * 3600:
        return {"skipped": "not due"}
    doc = checkpoints.issue_scheduled(engine, key_path=s.audit_key_path, party=s.party)
    return {"signed": doc["seq"]}


def audit_system_actor():
    from setu.kit.access import system_actor

    return system_actor("audit.checkpoint")
