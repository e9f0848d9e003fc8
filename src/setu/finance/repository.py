"""Queries of the exchange rates."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from setu.finance.models import ExchangeRate

RATE_SORT = {"valid_from": ExchangeRate.valid_from, "from_currency": ExchangeRate.from_currency,
             "to_currency": ExchangeRate.to_currency}


def rates(from_currency: str | None = None, to_currency: str | None = None) -> Select:
    stmt = select(ExchangeRate)
    if from_currency:
        stmt = stmt.where(ExchangeRate.from_currency == from_currency)
    if to_currency:
        stmt = stmt.where(ExchangeRate.to_currency == to_currency)
    return stmt


def rate_in_force(session: Session, from_currency: str, to_currency: str, on: date) -> ExchangeRate | None:
    """The pair's newest rate dated on or before ``on``."""
    return session.scalars(
        select(ExchangeRate).where(ExchangeRate.from_currency == from_currency,
                                   ExchangeRate.to_currency == to_currency,
                                   ExchangeRate.valid_from <= on)
        .order_by(ExchangeRate.valid_from.desc()).limit(1)).first()


def rate_of(session: Session, from_currency: str, to_currency: str, valid_from: date) -> ExchangeRate | None:
    return session.scalars(select(ExchangeRate).where(
        ExchangeRate.from_currency == from_currency, ExchangeRate.to_currency == to_currency,
        ExchangeRate.valid_from == valid_from)).first()


def all_rates(session: Session) -> list[ExchangeRate]:
    return list(session.scalars(select(ExchangeRate)))
