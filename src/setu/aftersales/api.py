"""JSON API for after-sales tickets (thin adapter): list, raise, read with the SLA clocks, and
move through the ticket workflow."""
from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Query

from setu.adapters.http import needs, problem_responses, read_uow, write_uow
from setu.aftersales import service
from setu.aftersales.schemas import ClockRead, EventRead, TicketCreate, TicketDetail, TicketRead, TicketTransition
from setu.kit.listing import PageOut
from setu.kit.uow import UnitOfWork

router = APIRouter(tags=["aftersales"], responses=problem_responses(403))

Status = Literal["new", "acknowledged", "quoted", "approved", "in_work", "on_hold", "resolved",
                 "closed_complete", "closed_incomplete", "cancelled"]


def ticket_read(uow: UnitOfWork, ticket) -> TicketRead:
    return TicketRead.model_validate(ticket).model_copy(
        update={"equipment_unit_id": service.unit_id_seen(uow, ticket)})


def ticket_detail(uow: UnitOfWork, ticket) -> TicketDetail:
    clocks = service.sla(uow, ticket)
    return TicketDetail(**ticket_read(uow, ticket).model_dump(),
                        sla={k: ClockRead(**{**c.__dict__, "levels": list(c.levels)}) for k, c in clocks.items()},
                        history=[EventRead.model_validate(e) for e in service.history(uow, ticket)],
                        actions=service.actions(uow, ticket))


@router.get("/tickets", response_model=PageOut[TicketRead], dependencies=[Depends(needs("aftersales.ticket.read"))])
def list_tickets(status: Status | None = None, supplier_org_id: uuid.UUID | None = None, sort: str | None = None,
                 cursor: str | None = None, limit: int = Query(50, ge=1, le=500), uow: UnitOfWork = Depends(read_uow)):
    """Tickets raised by your side or addressed to your organisation."""
    page = service.list_tickets(uow, status=status, supplier_org_id=supplier_org_id, sort=sort, cursor=cursor,
                                limit=limit)
    return {"items": [ticket_read(uow, t) for t in page.items], "next_cursor": page.next_cursor, "total": page.total}


@router.post("/tickets", status_code=201, response_model=TicketDetail, responses=problem_responses(422),
             dependencies=[Depends(needs("aftersales.ticket.create"))])
def raise_ticket(data: TicketCreate, uow: UnitOfWork = write_uow):
    """Raise a ticket against an equipment unit you may see, addressed to an OEM, JV or export
    agency; its SLA clocks start now."""
    t = service.raise_ticket(uow, **data.model_dump())
    return ticket_detail(uow, t)


@router.get("/tickets/{ticket_id}", response_model=TicketDetail, responses=problem_responses(404),
            dependencies=[Depends(needs("aftersales.ticket.read"))])
def get_ticket(ticket_id: str, uow: UnitOfWork = Depends(read_uow)):
    """The ticket with its SLA clocks now (hours), its history and the actions you may take."""
    return ticket_detail(uow, service.get_ticket(uow, ticket_id=ticket_id))


@router.post("/tickets/{ticket_id}/transitions", response_model=TicketDetail,
             responses=problem_responses(404, 409, 422), dependencies=[Depends(needs("aftersales.ticket.update"))])
def transition(ticket_id: str, data: TicketTransition, uow: UnitOfWork = write_uow):
    """Move the ticket through its workflow. The addressed supplier acknowledges, quotes, starts
    work, holds (``reason``) and resumes, resolves (``note``); the raiser approves a quote (needs
    the approve permission), reopens, closes or cancels. Wrong state or stale ``version``: 409;
    wrong organisation: 403; missing note or reason: 422."""
    t = service.transition(uow, ticket_id=ticket_id, action=data.action, note=data.note, reason=data.reason,
                           version=data.version)
    return ticket_detail(uow, t)
