"""After-sales tickets and their event history (the SLA clock is computed from the history)."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from setu.kit.db import Base, Entity


class Ticket(Entity, Base):
    """A ticket raised by an organisation of the operator against one equipment unit, addressed to
    a supplier organisation (an OEM or a JV). ``status`` follows :data:`setu.aftersales.rules.TICKET`."""

    __tablename__ = "aftersales_ticket"

    equipment_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fleet_equipment_unit.id"), index=True)
    #: The unit's serial when the ticket was raised: what the supplier is told (the unit record
    #: itself stays visible only to those who see its site).
    unit_serial: Mapped[str] = mapped_column(String(64))
    supplier_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_organisation.id"), index=True)
    supplier_party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"), index=True)
    raised_by_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_organisation.id"), index=True)
    party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24), default="new", index=True)
    hold_reason: Mapped[str | None] = mapped_column(String(48))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_answer: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TicketEvent(Base):
    """One entry of a ticket's history: ``created`` (type, priority), ``priority`` (priority) or
    ``state`` (state, reason): what :func:`setu.aftersales.rules.sla_clock` reads."""

    __tablename__ = "aftersales_ticket_event"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("aftersales_ticket.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str | None] = mapped_column(String(24))
    priority: Mapped[str | None] = mapped_column(String(16))
    ticket_type: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(48))
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)


class TicketEscalation(Base):
    """One escalation raised for a ticket's commitment at a threshold (50 / 75 / 100 % of its
    target): the row makes the sweep raise each one once (a breach stays a breach)."""

    __tablename__ = "aftersales_ticket_escalation"
    __table_args__ = (UniqueConstraint("ticket_id", "commitment", "level", name="uq_aftersales_escalation_once"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("aftersales_ticket.id", ondelete="CASCADE"), index=True)
    commitment: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer)
    #: when the sweep raised it, and the instant the clock reached the threshold
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    percent: Mapped[float] = mapped_column(Float)


class TicketComment(Base):
    """A comment on a ticket by either side (the raiser or the supplier), with its attachments."""

    __tablename__ = "aftersales_ticket_comment"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("aftersales_ticket.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    author: Mapped[str] = mapped_column(String(200))
    author_org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("identity_organisation.id"))
    body: Mapped[str] = mapped_column(Text)


class TicketAttachment(Base):
    """A stored file attached to a ticket (under ``SETU_DATA_DIR``, named by its SHA-256)."""

    __tablename__ = "aftersales_ticket_attachment"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("aftersales_ticket.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("aftersales_ticket_comment.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))


class TicketOrderLink(Base):
    """A spares order the ticket waits on, by its reference (the orders capability's number)."""

    __tablename__ = "aftersales_ticket_order"
    __table_args__ = (UniqueConstraint("ticket_id", "order_ref", name="uq_aftersales_ticket_order"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("aftersales_ticket.id", ondelete="CASCADE"), index=True)
    order_ref: Mapped[str] = mapped_column(String(64))
    part_number: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    added_by: Mapped[str] = mapped_column(String(200))
