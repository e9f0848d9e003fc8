"""After-sales queries, scoped to what the actor may see: the raising side's party (its armed
services) sees the tickets it raised; any other organisation (an OEM, a JV, an export agency, a
quality authority) only the tickets it raised or that are addressed to it; programme offices and
the system actor every ticket; a system administrator none."""
from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from setu.aftersales.models import (Ticket, TicketAttachment, TicketComment, TicketEscalation, TicketEvent,
                                    TicketOrderLink)
from setu.fleet.policies import MILITARY_KINDS
from setu.kit.access import Actor

TICKET_SORT = {"created_at": Ticket.created_at, "priority": Ticket.priority, "status": Ticket.status}


def tickets(actor: Actor, *, status: str | None = None, supplier_org_id: uuid.UUID | None = None) -> Select:
    stmt = select(Ticket)
    if actor.sees_all_parties:
        pass
    elif actor.party_id is None or actor.sysadmin or actor.organisation_id is None:
        stmt = stmt.where(Ticket.id.is_(None))
    elif actor.organisation_kind in MILITARY_KINDS:
        stmt = stmt.where(or_(Ticket.party_id == actor.party_id, Ticket.supplier_org_id == actor.organisation_id))
    else:
        stmt = stmt.where(or_(Ticket.supplier_org_id == actor.organisation_id,
                              Ticket.raised_by_org_id == actor.organisation_id))
    if status:
        stmt = stmt.where(Ticket.status == status)
    if supplier_org_id:
        stmt = stmt.where(Ticket.supplier_org_id == supplier_org_id)
    return stmt


def ticket(session: Session, actor: Actor, ticket_id: uuid.UUID, *, for_update: bool = False) -> Ticket | None:
    stmt = tickets(actor).where(Ticket.id == ticket_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def all_tickets(session: Session, actor: Actor) -> list[Ticket]:
    return list(session.scalars(tickets(actor).order_by(Ticket.created_at)))


def events(session: Session, ticket_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[TicketEvent]]:
    out: dict[uuid.UUID, list[TicketEvent]] = {t: [] for t in ticket_ids}
    if ticket_ids:
        for e in session.scalars(select(TicketEvent).where(TicketEvent.ticket_id.in_(ticket_ids))
                                 .order_by(TicketEvent.at, TicketEvent.id)):
            out[e.ticket_id].append(e)
    return out


def add_event(session: Session, event: TicketEvent) -> None:
    session.add(event)
    session.flush()


def escalations(session: Session, ticket_ids: list[uuid.UUID]) -> set[tuple[uuid.UUID, str, int]]:
    if not ticket_ids:
        return set()
    return {(r.ticket_id, r.commitment, r.level) for r in session.execute(
        select(TicketEscalation.ticket_id, TicketEscalation.commitment, TicketEscalation.level)
        .where(TicketEscalation.ticket_id.in_(ticket_ids)))}


def escalation_rows(session: Session, ticket_id: uuid.UUID) -> list[TicketEscalation]:
    return list(session.scalars(select(TicketEscalation).where(TicketEscalation.ticket_id == ticket_id)
                                .order_by(TicketEscalation.raised_at, TicketEscalation.level)))


def comments(session: Session, ticket_id: uuid.UUID) -> list[TicketComment]:
    return list(session.scalars(select(TicketComment).where(TicketComment.ticket_id == ticket_id)
                                .order_by(TicketComment.at)))


def attachments(session: Session, ticket_id: uuid.UUID) -> list[TicketAttachment]:
    return list(session.scalars(select(TicketAttachment).where(TicketAttachment.ticket_id == ticket_id)
                                .order_by(TicketAttachment.at)))


def order_links(session: Session, ticket_id: uuid.UUID) -> list[TicketOrderLink]:
    return list(session.scalars(select(TicketOrderLink).where(TicketOrderLink.ticket_id == ticket_id)
                                .order_by(TicketOrderLink.at)))
