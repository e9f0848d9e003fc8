"""Spares orders: the order (one buyer, one supplier, one currency), its lines, and its timeline."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from setu.kit.db import Base, Entity


class Order(Entity, Base):
    """A spares order from request for quotation to closure; ``status`` follows
    :data:`setu.orders.rules.ORDER`. The buyer is an organisation of the operator's armed services
    (a planner's HQ or depot, a base); the supplier an OEM, an export agency or a JV."""

    __tablename__ = "orders_order"
    #: the list's default order (newest first) is a keyset walk on this index
    __table_args__ = (Index("ix_orders_order_created_at_id", "created_at", "id"),)

    number: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(24), default="rfq", index=True)
    buyer_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_organisation.id"), index=True)
    buyer_party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"), index=True)
    supplier_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_organisation.id"), index=True)
    supplier_party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"), index=True)
    #: Where the parts are delivered (the stock position the receipt fills).
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fleet_site.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    title: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    #: The request for quotation is open until this day (inclusive).
    rfq_valid_until: Mapped[date] = mapped_column(Date)
    quote_valid_until: Mapped[date | None] = mapped_column(Date)
    #: Lead time the supplier promises in the quotation (days from the order).
    promised_days: Mapped[int | None] = mapped_column(Integer)
    quoted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ordered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ordered_by: Mapped[str | None] = mapped_column(String(200))
    promised_date: Mapped[date | None] = mapped_column(Date, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    amendment: Mapped[int] = mapped_column(Integer, default=0)
    dispatches: Mapped[int] = mapped_column(Integer, default=0)
    invoice_number: Mapped[str | None] = mapped_column(String(64))
    invoice_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    invoiced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    payment_reference: Mapped[str | None] = mapped_column(String(64))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_note: Mapped[str | None] = mapped_column(Text)
    #: The readiness plan the request came from, and a contract it is called off (plain ids).
    plan_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    contract_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)


class OrderLine(Base):
    """One part on an order: quantity asked, unit price quoted, and what came of it (dispatched,
    accepted into stock, rejected at inspection)."""

    __tablename__ = "orders_line"
    __table_args__ = (CheckConstraint("quantity > 0 and dispatched >= 0 and accepted >= 0 and rejected >= 0",
                                      name="quantities"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders_order.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_part.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    dispatched: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    rejection_reason: Mapped[str | None] = mapped_column(String(500))


class OrderEvent(Base):
    """One entry of an order's timeline: a transition (``action``) with the state it led to, who,
    when, the note, and the quantities of a dispatch or a receipt (``detail``, JSON)."""

    __tablename__ = "orders_event"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders_order.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
