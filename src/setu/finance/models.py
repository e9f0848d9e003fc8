"""Maintained exchange rates: dated rates per currency pair, entered or imported by a finance clerk."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from setu.kit.db import Base, Entity


class ExchangeRate(Entity, Base):
    """Units of ``to_currency`` per one unit of ``from_currency``, in force from ``valid_from``
    until the pair's next dated rate."""

    __tablename__ = "finance_exchange_rate"
    __table_args__ = (
        UniqueConstraint("from_currency", "to_currency", "valid_from"),
        CheckConstraint("rate > 0", name="rate_positive"),
        CheckConstraint("from_currency <> to_currency", name="distinct_currencies"),
        Index("ix_finance_exchange_rate_pair", "from_currency", "to_currency", "valid_from"),
    )

    from_currency: Mapped[str] = mapped_column(String(3))
    to_currency: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    valid_from: Mapped[date] = mapped_column(Date)
    #: where the figure comes from (a central bank's fixing, a contract's agreed rate, ...)
    source: Mapped[str] = mapped_column(String(200), default="")
    #: the user who entered or imported the rate
    entered_by: Mapped[str] = mapped_column(String(200), default="")
