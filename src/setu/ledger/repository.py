"""Every ledger query. Balance and ceiling rows are read ``FOR UPDATE`` when a write will move
them (PostgreSQL row locks; SQLite writes already hold the database's write lock, BEGIN IMMEDIATE)."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal

from sqlalchemy import func, or_, select, text, tuple_
from sqlalchemy.orm import Session

from setu.kit.access import Actor
from setu.ledger.models import (LedgerAgreement, LedgerBalance, LedgerCeiling, LedgerPosting, LedgerSignature,
                                LedgerTransaction, LedgerVisit)


def balance_for_update(s: Session, account: str, kind: str, commodity: str) -> LedgerBalance | None:
    return s.scalar(select(LedgerBalance).where(LedgerBalance.account == account, LedgerBalance.kind == kind,
                                                LedgerBalance.commodity == commodity).with_for_update())


def balances_for_update(s: Session, keys: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], LedgerBalance]:
    """The balance rows of ``keys``, locked in one statement in (account, kind, commodity) order."""
    q = (select(LedgerBalance)
         .where(tuple_(LedgerBalance.account, LedgerBalance.kind, LedgerBalance.commodity).in_(keys))
         .order_by(LedgerBalance.account, LedgerBalance.kind, LedgerBalance.commodity).with_for_update())
    return {(b.account, b.kind, b.commodity): b for b in s.scalars(q)}


def next_posting_seqs(s: Session, n: int) -> list[int]:
    """``n`` new posting numbers: PostgreSQL's sequence of ``ledger_posting.seq``; SQLite, whose
    writer holds the database's write lock (BEGIN IMMEDIATE), the next numbers after the highest."""
    if s.bind.dialect.name == "postgresql":
        return list(s.scalars(text("SELECT nextval(pg_get_serial_sequence('ledger_posting', 'seq')) "
                                   "FROM generate_series(1, :n)").bindparams(n=n)))
    top = s.scalar(select(func.coalesce(func.max(LedgerPosting.seq), 0))) or 0
    return list(range(top + 1, top + 1 + n))


def entry_legs(s: Session, entry_id: uuid.UUID) -> list[LedgerPosting]:
    return list(s.scalars(select(LedgerPosting).where(LedgerPosting.entry_id == entry_id).order_by(LedgerPosting.seq)))


def reversals_of(s: Session, seqs: list[int]) -> int:
    return s.scalar(select(func.count()).select_from(LedgerPosting).where(LedgerPosting.reverses_seq.in_(seqs))) or 0


def first_agreement(s: Session, agreement_id: uuid.UUID | None) -> LedgerAgreement | None:
    q = select(LedgerAgreement)
    if agreement_id:
        q = q.where(LedgerAgreement.id == agreement_id)
    return s.scalars(q.order_by(LedgerAgreement.starts_on, LedgerAgreement.created_at)).first()


def ceiling_for_update(s: Session, agreement_id, provider_party_id, category: str, year: int) -> LedgerCeiling | None:
    return s.scalar(select(LedgerCeiling).where(
        LedgerCeiling.agreement_id == agreement_id, LedgerCeiling.provider_party_id == provider_party_id,
        LedgerCeiling.category == category, LedgerCeiling.year == year).with_for_update())


def ceiling_by_id_for_update(s: Session, ceiling_id) -> LedgerCeiling:
    return s.scalar(select(LedgerCeiling).where(LedgerCeiling.id == ceiling_id).with_for_update())


def ceilings(s: Session, agreement_id=None) -> list[LedgerCeiling]:
    q = select(LedgerCeiling)
    if agreement_id is not None:
        q = q.where(LedgerCeiling.agreement_id == agreement_id)
    return list(s.scalars(q.order_by(LedgerCeiling.year, LedgerCeiling.category)))


def visits(s: Session, agreement_id) -> list[LedgerVisit]:
    return list(s.scalars(select(LedgerVisit).where(LedgerVisit.agreement_id == agreement_id).order_by(LedgerVisit.starts_on)))


def _scope(q, actor: Actor):
    """A party sees the transactions it provides or receives; leadership and the CLI see both."""
    if actor.sees_all_parties:
        return q
    return q.where(or_(LedgerTransaction.provider_party_id == actor.party_id,
                       LedgerTransaction.receiver_party_id == actor.party_id))


def transactions(s: Session, actor: Actor, status: str | None = None) -> list[LedgerTransaction]:
    q = _scope(select(LedgerTransaction), actor)
    if status:
        q = q.where(LedgerTransaction.status == status)
    return list(s.scalars(q.order_by(LedgerTransaction.requested_on.desc(), LedgerTransaction.reference)))


def transaction(s: Session, actor: Actor, tid: uuid.UUID, *, lock: bool) -> LedgerTransaction | None:
    q = _scope(select(LedgerTransaction).where(LedgerTransaction.id == tid), actor)
    return s.scalar(q.with_for_update() if lock else q)


def transaction_count(s: Session) -> int:
    return s.scalar(select(func.count()).select_from(LedgerTransaction)) or 0


def balances(s: Session) -> list[LedgerBalance]:
    return list(s.scalars(select(LedgerBalance).order_by(LedgerBalance.kind, LedgerBalance.account, LedgerBalance.commodity)))


def postings_in_order(s: Session) -> Iterator[LedgerPosting]:
    return iter(s.scalars(select(LedgerPosting).order_by(LedgerPosting.seq)))


def claimed_against(s: Session, ceiling_id) -> Decimal:
    return Decimal(s.scalar(select(func.coalesce(func.sum(LedgerTransaction.amount), 0))
                            .where(LedgerTransaction.ceiling_id == ceiling_id)))


def signatures(s: Session) -> list[LedgerSignature]:
    return list(s.scalars(select(LedgerSignature).order_by(LedgerSignature.created_at)))
