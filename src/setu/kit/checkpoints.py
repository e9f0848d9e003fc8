"""Signed checkpoints of the audit chain, held by both parties.

The hash chain (:mod:`setu.kit.audit`) shows any change that was not followed by recomputing the
later hashes; whoever can write the database file can recompute them. A *checkpoint* closes that
gap: the installation signs its chain head with its party's Ed25519 key (:mod:`setu.kit.signing`)
and hands the signed head to the other party, who keeps it. Once a head is held by the other party,
the chain can no longer be rewritten up to it without the holder noticing.

A checkpoint document (JSON)::

    {"setu_audit_checkpoint": 1, "party": "IND", "seq": 13778, "hash": "<head hash>",
     "at": "<UTC time>", "hashes_from": 13001, "hashes": ["<hash of entry 13001>", ...],
     "key_id": "...", "signature": "<Ed25519 over the canonical JSON of the rest>"}

``hashes`` lists the hash of every entry since the previous checkpoint this installation issued
(``hashes_from`` .. ``seq``), so the holder can name the *first* entry that differs after a rewrite,
not only that the head differs.

- ``setu audit checkpoint`` issues one (:func:`issue`) and writes it to a file; ``setu audit export``
  puts one in the export's header; a job can call :func:`issue_scheduled` on a schedule.
- ``setu audit trust-key PARTY FILE`` registers the other party's public key (:func:`trust_key`).
- ``setu audit import-checkpoint FILE`` verifies a received checkpoint (a checkpoint file or an
  export) against that key and stores it (:func:`receive`).
- ``setu audit verify`` checks, after the chain itself, that the local chain still extends every
  signed head held (issued here or received), naming the first entry that differs
  (:func:`verify_held`).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from setu.kit import signing
from setu.kit.audit import AuditEntry, AuditHead, GENESIS, VerifyResult, iter_entries
from setu.kit.db import Base

MAGIC = "setu_audit_checkpoint"


class AuditCheckpoint(Base):
    """A signed chain head: one this installation issued, or one the other party handed over."""

    __tablename__ = "audit_checkpoint"
    __table_args__ = (UniqueConstraint("party", "seq", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    party: Mapped[str] = mapped_column(String(3))
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(40))
    key_id: Mapped[str] = mapped_column(String(16))
    #: "issued" (signed here) or "received" (imported from the other party).
    source: Mapped[str] = mapped_column(String(8))
    #: The whole signed document (JSON), as signed.
    document: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[str] = mapped_column(String(40))


class AuditTrustedKey(Base):
    """A party's public key, registered to verify the checkpoints that party signs."""

    __tablename__ = "audit_trusted_key"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    party: Mapped[str] = mapped_column(String(3), index=True)
    public_key: Mapped[str] = mapped_column(Text)
    added_at: Mapped[str] = mapped_column(String(40))


class CheckpointError(Exception):
    pass


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _party(party: str | None) -> str:
    p = (party or "").strip().upper()
    if not (2 <= len(p) <= 3 and p.isalpha()):
        raise CheckpointError("name this installation's party (a 3-letter code): --party or SETU_PARTY")
    return p


def issue(session: Session, *, key: Any, party: str | None) -> dict[str, Any]:
    """Sign this installation's chain head now, store it as issued, and return the document."""
    party = _party(party)
    head = session.execute(select(AuditHead.last_seq, AuditHead.last_hash).where(AuditHead.id == 1)).first()
    seq, head_hash = (int(head[0]), head[1]) if head else (0, GENESIS)
    last = session.scalar(select(func.max(AuditCheckpoint.seq)).where(AuditCheckpoint.source == "issued",
                                                                       AuditCheckpoint.party == party))
    start = last + 1 if last is not None and last <= seq else 1  # since the previous one issued
    hashes = list(session.scalars(select(AuditEntry.hash).where(AuditEntry.seq >= start, AuditEntry.seq <= seq)
                                  .order_by(AuditEntry.seq)))
    if len(hashes) != seq - start + 1:
        raise CheckpointError(f"entries {start}..{seq} are not all present: run `setu audit verify` first")
    doc = signing.sign({MAGIC: 1, "party": party, "seq": seq, "hash": head_hash, "at": _now(),
                        "hashes_from": start, "hashes": hashes}, key)
    _store(session, doc, "issued")
    return doc


def issue_scheduled(engine: Any, *, key_path: str, party: str | None) -> dict[str, Any]:
    """Sign the head in its own unit of work (what the scheduled job calls; see docs/security.md)."""
    from setu.kit.access import system_actor
    from setu.kit.uow import UnitOfWork

    key = signing.load_or_create_key(key_path)
    with UnitOfWork(system_actor("audit.checkpoint"), write=True, engine=engine) as uow:
        doc = issue(uow.session, key=key, party=party)
        uow.commit()
    return doc


def _store(session: Session, doc: dict[str, Any], source: str) -> bool:
    exists = session.scalar(select(AuditCheckpoint.id).where(AuditCheckpoint.party == doc["party"],
                                                             AuditCheckpoint.seq == doc["seq"],
                                                             AuditCheckpoint.source == source))
    if exists:
        return False
    session.add(AuditCheckpoint(party=doc["party"], seq=int(doc["seq"]), hash=doc["hash"], at=str(doc["at"]),
                                key_id=doc["key_id"], source=source, document=json.dumps(doc, sort_keys=True),
                                recorded_at=_now()))
    session.flush()
    return True


def trust_key(session: Session, *, party: str, public_pem: str) -> str:
    """Register ``party``'s public key; returns its key id."""
    party = _party(party)
    public = signing.load_public(public_pem)
    kid = signing.key_id(public)
    found = session.get(AuditTrustedKey, kid)
    if found is not None and found.party != party:
        raise CheckpointError(f"key {kid} is already registered for party {found.party}")
    if found is None:
        session.add(AuditTrustedKey(key_id=kid, party=party, public_key=signing.public_pem(public), added_at=_now()))
        session.flush()
    return kid


def read_document(text: str) -> dict[str, Any]:
    """The checkpoint in a checkpoint file, or the signed head in an export's header line."""
    first = text.split("\n", 1)[0] if text.lstrip().startswith("{") else text
    for candidate in (text, first):
        try:
            doc = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(doc, dict) and doc.get(MAGIC) == 1:
            return doc
        if isinstance(doc, dict) and isinstance(doc.get("signed_head"), dict):
            return doc["signed_head"]
    raise CheckpointError("the file holds no signed audit checkpoint (a checkpoint file or an export)")


def check_document(doc: dict[str, Any], public: Any) -> None:
    """Refuse a checkpoint whose signature or shape is wrong."""
    if not signing.verify(doc, public):
        raise CheckpointError(f"the signature of the checkpoint of {doc.get('party')} at entry {doc.get('seq')} "
                              "does not verify with that party's registered key: refused")
    hashes, start, seq = doc.get("hashes"), doc.get("hashes_from"), doc.get("seq")
    if not isinstance(hashes, list) or not isinstance(start, int) or not isinstance(seq, int):
        raise CheckpointError("the checkpoint lacks its entry hashes")
    if len(hashes) != seq - start + 1 or (hashes and hashes[-1] != doc.get("hash")):
        raise CheckpointError("the checkpoint's entry hashes do not end at its head")


def receive(session: Session, doc: dict[str, Any]) -> bool:
    """Verify a checkpoint the other party signed and keep it; False when it was already held."""
    party = _party(doc.get("party"))
    trusted = session.get(AuditTrustedKey, str(doc.get("key_id", "")))
    if trusted is None or trusted.party != party:
        raise CheckpointError(f"no registered key {doc.get('key_id')} for party {party}: "
                              f"register it with `setu audit trust-key {party} FILE` first")
    check_document(doc, signing.load_public(trusted.public_key))
    return _store(session, doc, "received")


def verify_held(session: Session, *, own_public: Any | None = None) -> VerifyResult | None:
    """Whether the local chain still extends every signed head held; None when none is held.

    Checkpoints received are checked against the registered keys, those issued here against
    ``own_public`` (a checkpoint row whose signature fails is itself reported: the table was
    edited). The first entry whose hash differs from a signed one is named."""
    keys = {k.key_id: k for k in session.scalars(select(AuditTrustedKey))}
    expected: dict[int, tuple[str, str]] = {}
    held = list(session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)))
    if not held:
        return None
    for cp in held:
        doc = json.loads(cp.document)
        if cp.source == "received":
            key = keys.get(cp.key_id)
            public = signing.load_public(key.public_key) if key is not None and key.party == cp.party else None
        else:
            public = own_public
        who = f"the head signed by {cp.party} at {cp.at} (entry {cp.seq}, {cp.source})"
        if public is not None:
            try:
                check_document(doc, public)
            except CheckpointError as exc:
                return VerifyResult(False, 0, f"{who} is not intact: {exc}", cp.seq)
            if (doc["seq"], doc["hash"]) != (cp.seq, cp.hash):
                return VerifyResult(False, 0, f"{who}: the stored row disagrees with its signed document", cp.seq)
        for i, h in enumerate(doc.get("hashes") or [], start=int(doc.get("hashes_from") or 1)):
            expected.setdefault(i, (h, who))
        expected[cp.seq] = (cp.hash, who)
    top = max(expected)
    n = 0
    last = 0
    for e in iter_entries(session):
        seq = int(e["seq"])
        last = seq
        n += 1
        want = expected.get(seq)
        if want is not None and want[0] != e["hash"]:
            return VerifyResult(False, n, f"entry {seq} differs from {want[1]}: the chain was rewritten from entry "
                                          f"{seq} on (signed hash {want[0][:16]}..., local {e['hash'][:16]}...)", seq)
        if seq >= top:
            break
    if last < top:
        return VerifyResult(False, n, f"the chain ends at entry {last} but {expected[top][1]} covers entry {top}: "
                                      f"entries {last + 1}..{top} were removed", last + 1)
    return VerifyResult(True, n, None, None)
