"""Ledger tables: the agreement, its ceilings and presence limits, support transactions, immutable
double-entry postings, stored balances (replayable from the postings) and party signatures."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, Uuid, event
from sqlalchemy.orm import Mapped, mapped_column

from setu.kit.db import Base, Entity, utcnow


class LedgerAgreement(Entity, Base):
    """The framework agreement between the two parties (dates in force, what it covers)."""

    __tablename__ = "ledger_agreement"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    party_a_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"))
    party_b_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    activities: Mapped[list[str]] = mapped_column(JSON)
    categories: Mapped[list[str]] = mapped_column(JSON)
    prohibited: Mapped[list[str]] = mapped_column(JSON)
    #: presence limits per visit, e.g. {"ships": 5, "aircraft": 10, "personnel": 3000}
    presence_limits: Mapped[dict[str, int]] = mapped_column(JSON)


class LedgerCeiling(Entity, Base):
    """A yearly ceiling on the value one party provides in one category, in its own currency;
    ``consumed`` is what claims not withdrawn have taken of it (locked row, fixed order)."""

    __tablename__ = "ledger_ceiling"
    __table_args__ = (UniqueConstraint("agreement_id", "provider_party_id", "category", "year"),)

    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_agreement.id"), index=True)
    provider_party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"))
    category: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    consumed: Mapped[Decimal] = mapped_column(Numeric(18, 2), default=Decimal("0"))


class LedgerVisit(Entity, Base):
    """A visit by one party's forces, recorded against the agreement's presence limits."""

    __tablename__ = "ledger_visit"

    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_agreement.id"), index=True)
    visiting_party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"))
    activity: Mapped[str] = mapped_column(String(40))
    place: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    ships: Mapped[int] = mapped_column(Integer, default=0)
    aircraft: Mapped[int] = mapped_column(Integer, default=0)
    personnel: Mapped[int] = mapped_column(Integer, default=0)
    recorded_by: Mapped[str] = mapped_column(String(200))


class LedgerTransaction(Entity, Base):
    """One support transaction: request -> acceptance -> pending claim -> confirmed | disputed ->
    invoiced -> settled -> closed (setu.ledger.rules.SUPPORT)."""

    __tablename__ = "ledger_transaction"

    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_agreement.id"), index=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    provider_party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"), index=True)
    receiver_party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"), index=True)
    activity: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="requested")
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_on: Mapped[date] = mapped_column(Date)
    accepted_by: Mapped[str | None] = mapped_column(String(200))
    #: the pending claim, at the provider's own-force rates, in the provider's currency
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(18, 3))
    unit: Mapped[str | None] = mapped_column(String(16))
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    delivered_on: Mapped[date | None] = mapped_column(Date)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    #: the ceiling the claim consumes (released when the claim is withdrawn)
    ceiling_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_ceiling.id"))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dispute_reason: Mapped[str | None] = mapped_column(Text)
    invoiced_on: Mapped[date | None] = mapped_column(Date)
    #: cash | kind | exchange
    settlement_method: Mapped[str | None] = mapped_column(String(16))
    due_on: Mapped[date | None] = mapped_column(Date)
    settled_amount: Mapped[Decimal] = mapped_column(Numeric(18, 2), default=Decimal("0"))
    settled_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    offset_on: Mapped[date | None] = mapped_column(Date)


class LedgerPosting(Base):
    """One leg of a double-entry journal entry. Immutable (corrections are reversing entries).

    ``kind`` is ``money`` (``commodity`` an ISO currency) or ``quantity`` (``commodity`` a unit);
    within one entry the legs of each (kind, commodity) sum to zero."""

    __tablename__ = "ledger_posting"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    transaction_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_transaction.id"), index=True)
    batch_key: Mapped[str | None] = mapped_column(String(200), index=True)
    account: Mapped[str] = mapped_column(String(120), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    commodity: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    reverses_seq: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    memo: Mapped[str] = mapped_column(String(200))
    posted_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LedgerBalance(Base):
    """The stored balance of one account in one commodity: always equal to the replay of postings
    (``setu ledger verify``). Locked in (account, commodity) order by every write."""

    __tablename__ = "ledger_balance"
    __table_args__ = (UniqueConstraint("account", "kind", "commodity"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(8))
    commodity: Mapped[str] = mapped_column(String(16))
    balance: Mapped[Decimal] = mapped_column(Numeric(20, 4), default=Decimal("0"))
    last_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)


class LedgerSignature(Base):
    """A party's Ed25519 signature over the canonical record of one step (confirm, dispute,
    settlement sign-off) or of a yearly statement."""

    __tablename__ = "ledger_signature"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    transaction_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_transaction.id"), index=True)
    step: Mapped[str] = mapped_column(String(20))
    party_code: Mapped[str] = mapped_column(String(3))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LedgerBatch(Base):
    """A batch import of postings, by its key: imported exactly once (all or nothing)."""

    __tablename__ = "ledger_batch"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    postings: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


@event.listens_for(LedgerPosting, "before_update")
@event.listens_for(LedgerPosting, "before_delete")
def _immutable(_mapper, _conn, target) -> None:
    raise RuntimeError(f"posting {target.seq} is immutable: correct it with a reversing posting")
