"""Tamper-evident audit log: one hook on every flush, hash-chained entries.

Every insert, update and delete of business data in a unit of work is written, in the same
transaction, as an :class:`AuditEntry`: actor, time, request or command id, action, object, before
and after values. Entries form a hash chain (Crosby & Wallach 2009; RFC 9162 §2.1 for the
canonical-encoding idea)::

    hash_i = SHA-256( hash_{i-1} ‖ "\\n" ‖ canonical_json(entry_i) )      hash_0 = 64 × "0"

where ``canonical_json`` is JSON with sorted keys, no spaces, UTF-8, and the values exactly as
stored (the before/after values are stored as that canonical text, so the bytes hashed are the bytes
kept). ``audit_head`` holds the sequence number and hash of the newest entry: writers lock it
(``FOR UPDATE`` on PostgreSQL; SQLite writers are serialised by ``BEGIN IMMEDIATE``) so the chain
never forks, and a verifier detects a truncated tail by comparing the chain's end with the head.

ORM bulk statements (``session.execute(insert(Model), rows)``) are recorded per row as well.
A loader of synthetic data may set ``session.info["audit_bulk_digest"] = True``: each bulk
statement is then one entry holding the row count and the SHA-256 of the canonical rows.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, String, Text, Uuid, event, insert, inspect, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from setu.kit.db import Base

GENESIS = "0" * 64
#: Not business data: the log itself, and security bookkeeping (sessions, security events), which
#: has its own table and would otherwise flood the chain with every page view.
NOT_AUDITED = {"audit_entry", "audit_head", "alembic_version", "identity_web_session", "identity_security_event",
               "audit_checkpoint", "identity_login_throttle"}
REDACTED = "***"


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32), index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    actor_party_id: Mapped[str | None] = mapped_column(String(36))
    request_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


FIELDS = ("seq", "at", "actor", "actor_party_id", "request_id", "action", "object_type", "object_id", "before",
          "after")


def _jsonable(v: Any) -> Any:
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, float) and v.is_integer():
        return v  # keep floats as floats; json renders 1.0
    return v


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_jsonable)


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    body = canonical({k: fields.get(k) for k in FIELDS})
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + body.encode("utf-8")).hexdigest()


def _redacted(attr: Any) -> bool:
    return any(c.info.get("audit_redact") for c in attr.columns)


def _row_values(obj: Any) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {c.key: (REDACTED if _redacted(c) and getattr(obj, c.key) is not None else _jsonable(getattr(obj, c.key)))
            for c in mapper.column_attrs}


def _before_values(obj: Any) -> dict[str, Any]:
    state = inspect(obj)
    out = {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if _redacted(attr):
            out[attr.key] = REDACTED
        elif hist.deleted:
            out[attr.key] = _jsonable(hist.deleted[0])
        elif hist.unchanged:
            out[attr.key] = _jsonable(hist.unchanged[0])
        else:
            out[attr.key] = _jsonable(getattr(obj, attr.key))
    return out


def _changed(obj: Any) -> bool:
    state = inspect(obj)
    return any(state.attrs[a.key].history.has_changes() for a in state.mapper.column_attrs
               if a.key not in ("updated_at", "version"))


class _Pending:
    """Audit rows collected during one flush, written before the flush ends."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []


def _actor_fields(session: Session) -> dict[str, Any]:
    actor = session.info.get("actor")
    if actor is None:
        raise PermissionError("a write cannot start without an actor (use setu.kit.uow.UnitOfWork)")
    return {
        "actor": actor.name,
        "actor_party_id": str(actor.party_id) if actor.party_id else None,
        "request_id": actor.request_id,
    }


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


_HEAD = "_audit_head_locked"


def lock_head(session: Session) -> tuple[int, str]:
    """Lock the chain's head for the rest of this transaction (``FOR UPDATE``; SQLite writers hold
    the write lock already) and return (last sequence, last hash). A writer that must lock other
    rows too takes the head first, so every writer locks in the same order (head, then its rows).
    Within the transaction the locked head is remembered: later appends skip the re-read; any
    transaction or savepoint ending forgets it."""
    held = session.info.get(_HEAD)
    if held is not None:
        return held
    conn = session.connection()
    head = conn.execute(select(AuditHead.last_seq, AuditHead.last_hash).where(AuditHead.id == 1)
                        .with_for_update()).first()
    if head is None:
        conn.execute(insert(AuditHead).values(id=1, last_seq=0, last_hash=GENESIS))
        head = (0, GENESIS)
    session.info[_HEAD] = (int(head[0]), head[1])
    return session.info[_HEAD]


@event.listens_for(Session, "after_transaction_end")
def _forget_head(session: Session, transaction: Any) -> None:
    if transaction.parent is None or transaction.nested:  # the transaction or a savepoint (not a flush's)
        session.info.pop(_HEAD, None)


def append(session: Session, rows: list[dict[str, Any]]) -> None:
    """Chain and insert audit rows (dicts with action, object_type, object_id, before, after)."""
    if not rows:
        return
    conn = session.connection()
    seq, prev = lock_head(session)
    base = _actor_fields(session)
    at = _now()
    out = []
    for r in rows:
        seq += 1
        fields = {**base, "seq": seq, "at": at, "action": r["action"], "object_type": r["object_type"],
                  "object_id": r.get("object_id"),
                  "before": None if r.get("before") is None else canonical(r["before"]),
                  "after": None if r.get("after") is None else canonical(r["after"])}
        h = entry_hash(prev, fields)
        out.append({**fields, "prev_hash": prev, "hash": h})
        prev = h
    session.info.pop(_HEAD, None)  # until both statements succeed
    conn.execute(insert(AuditEntry), out)
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(last_seq=seq, last_hash=prev))
    session.info[_HEAD] = (seq, prev)


def _audited(table_name: str) -> bool:
    return table_name not in NOT_AUDITED


@event.listens_for(Session, "before_flush")
def _guard(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, (AuditEntry, AuditHead)):
            raise PermissionError("audit entries cannot be updated or deleted")
    if session.new or session.dirty or session.deleted:
        if not session.info.get("write"):
            raise PermissionError("this unit of work is read-only")
        _actor_fields(session)
    # capture before-values now: after the flush the history is gone
    pend = session.info.setdefault("_audit_pending", _Pending())
    for obj in session.new:
        t = getattr(obj, "__tablename__", None)
        if t and _audited(t):
            pend.rows.append({"_obj": obj, "action": f"{t}.insert", "object_type": t})
    for obj in session.dirty:
        t = getattr(obj, "__tablename__", None)
        if t and _audited(t) and session.is_modified(obj) and _changed(obj):
            pend.rows.append({"_obj": obj, "action": f"{t}.update", "object_type": t,
                              "before": _before_values(obj)})
    for obj in session.deleted:
        t = getattr(obj, "__tablename__", None)
        if t and _audited(t):
            pend.rows.append({"_obj": obj, "action": f"{t}.delete", "object_type": t,
                              "before": _before_values(obj), "_deleted": True})


@event.listens_for(Session, "after_flush")
def _write(session: Session, _ctx: Any) -> None:
    pend: _Pending | None = session.info.pop("_audit_pending", None)
    if not pend or not pend.rows:
        return
    rows = []
    for r in pend.rows:
        obj = r.pop("_obj")
        deleted = r.pop("_deleted", False)
        r["object_id"] = str(getattr(obj, "id", None) or "")
        r["after"] = None if deleted else _row_values(obj)
        rows.append(r)
    rows.extend(session.info.pop(_WITH_FLUSH, []))
    append(session, rows)


_WITH_FLUSH = "_audit_with_next_flush"


def append_with_flush(session: Session, rows: list[dict[str, Any]]) -> None:
    """Flush the session and append ``rows`` right after the flush's own entries, in the same one
    chain append (one head update); when the flush writes nothing, the rows are appended alone."""
    session.info.setdefault(_WITH_FLUSH, []).extend(rows)
    try:
        session.flush()
    finally:
        left = session.info.pop(_WITH_FLUSH, None)
    if left:
        append(session, left)


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop("_audit_pending", None)


@event.listens_for(Session, "do_orm_execute")
def _bulk(state: Any) -> None:
    """ORM-enabled bulk INSERT / UPDATE / DELETE statements are audited too."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    target = getattr(state.statement, "table", None)
    if mapper is not None:
        table_obj = mapper.local_table
    elif target is not None and hasattr(target, "name"):
        table_obj = target  # a Core statement on a Table, executed through the session
    else:
        return
    table = table_obj.name
    if not _audited(table):
        return
    session = state.session
    if not session.info.get("write"):
        raise PermissionError("this unit of work is read-only")
    _actor_fields(session)
    kind = "insert" if state.is_insert else "update" if state.is_update else "delete"
    params = state.parameters
    rows_in: list[dict[str, Any]] = params if isinstance(params, list) else [params or {}]
    if kind == "insert":
        # the ORM fills defaults (ids) only for the rows it is given: give ids up front so each
        # entry names its object
        pk_cols = list(table_obj.primary_key.columns)
        if len(pk_cols) == 1 and pk_cols[0].key == "id" and isinstance(pk_cols[0].type, Uuid):
            for row in rows_in:
                if "id" not in row:
                    row["id"] = uuid.uuid4()
    if session.info.get("audit_bulk_digest") and kind == "insert":
        digest = hashlib.sha256("\n".join(canonical(r) for r in rows_in).encode()).hexdigest()
        append(session, [{"action": f"{table}.bulk_insert", "object_type": table, "object_id": None,
                          "after": {"rows": len(rows_in), "sha256": digest}}])
        return
    if kind == "insert":
        append(session, [{"action": f"{table}.insert", "object_type": table, "object_id": str(r.get("id", "")),
                          "after": {k: _jsonable(v) for k, v in r.items()}} for r in rows_in])
    else:
        compiled = state.statement.compile()
        statement_params = {k: _jsonable(v) for k, v in compiled.params.items()}
        append(session, [{"action": f"{table}.bulk_{kind}", "object_type": table, "object_id": None,
                          "after": {"sql": str(compiled),
                                    "params": {**statement_params, **{k: _jsonable(v) for k, v in r.items()}}}}
                         for r in rows_in])


# -- verification ------------------------------------------------------------------------------


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    problem: str | None = None
    seq: int | None = None
    head_hash: str | None = None


def verify_entries(entries: Iterable[dict[str, Any]], *, start_prev: str | None = None,
                   expect_last: tuple[int, str] | None = None, expect_first: int | None = None) -> VerifyResult:
    """Walk the chain in order; name the first entry that was changed, removed or reordered.

    ``start_prev`` anchors the first entry (GENESIS for a whole log; for an export, the hash the
    exporter recorded before its first entry); ``expect_last`` is the head (sequence, hash) that
    the log must end with, which reveals a truncated tail.
    """
    prev = start_prev
    expected_seq = expect_first
    n = 0
    last_hash = None
    for e in entries:
        seq = int(e["seq"])
        if expected_seq is None:
            expected_seq = seq
        if prev is None:
            prev = e["prev_hash"] if seq != 1 else GENESIS
        if seq != expected_seq:
            kind = "removed" if seq > expected_seq else "reordered or duplicated"
            return VerifyResult(False, n, f"entry {expected_seq} is missing or out of order: found entry {seq} "
                                          f"where {expected_seq} should be ({kind})", expected_seq)
        if e["prev_hash"] != prev:
            return VerifyResult(False, n, f"entry {seq} does not follow entry {seq - 1}: its previous-hash "
                                          "link is broken (an entry before it was changed, removed or reordered)",
                                seq)
        if entry_hash(prev, e) != e["hash"]:
            return VerifyResult(False, n, f"entry {seq} was changed: its content does not match its hash", seq)
        prev = e["hash"]
        last_hash = prev
        expected_seq = seq + 1
        n += 1
    if expect_last is not None:
        last_seq, head_hash = expect_last
        if n == 0 and last_seq > 0:
            return VerifyResult(False, 0, f"all entries are missing: the head records {last_seq}", 1)
        if expected_seq is not None and expected_seq - 1 > last_seq:
            return VerifyResult(False, n, f"entries {last_seq + 1}..{expected_seq - 1} follow the head, which records "
                                          f"entry {last_seq}: they were appended without going through Setu "
                                          "(forged, or written past the audit hook)", last_seq + 1)
        if expected_seq is not None and expected_seq - 1 != last_seq:
            return VerifyResult(False, n, f"the log ends at entry {expected_seq - 1} but the head records "
                                          f"entry {last_seq}: entries {expected_seq}..{last_seq} were removed "
                                          "(truncated tail)", expected_seq)
        if last_hash is not None and last_hash != head_hash:
            return VerifyResult(False, n, f"entry {last_seq} does not match the hash recorded in the head", last_seq)
    return VerifyResult(True, n, None, None, last_hash)


def iter_entries(session: Session, since: str | None = None, batch: int = 5000) -> Iterator[dict[str, Any]]:
    cols = [getattr(AuditEntry, f) for f in FIELDS] + [AuditEntry.prev_hash, AuditEntry.hash]
    stmt = select(*cols).order_by(AuditEntry.seq)
    if since:
        stmt = stmt.where(AuditEntry.at >= since)
    for row in session.execute(stmt.execution_options(yield_per=batch)):
        yield dict(row._mapping)


def verify_database(session: Session) -> VerifyResult:
    head = session.execute(select(AuditHead.last_seq, AuditHead.last_hash).where(AuditHead.id == 1)).first()
    expect = (int(head[0]), head[1]) if head else (0, GENESIS)
    return verify_entries(iter_entries(session), start_prev=GENESIS, expect_last=expect, expect_first=1)


from setu.kit import checkpoints as _checkpoints  # noqa: E402,F401  (signed heads: their tables join the metadata)
