"""After-sales pages: my queue (the tickets raised by my side or addressed to my organisation, with
their SLA clocks now) and a ticket with its clocks, its history and the buttons of the actions the
signed-in user may take. Thin adapter over setu.aftersales.service."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from setu.adapters.http import needs, read_uow, write_uow
from setu.adapters.pages import NavEntry, form_data, parse_id, redirect, render
from setu.aftersales import rules, service
from setu.kit.errors import SetuError
from setu.kit.uow import UnitOfWork

router = APIRouter(include_in_schema=False)
NAV = [NavEntry("Tickets", "/tickets", "aftersales", "aftersales.ticket.read", 60, "Service")]


@router.get("/tickets", response_class=HTMLResponse, dependencies=[Depends(needs("aftersales.ticket.read"))])
def queue(request: Request, uow: UnitOfWork = Depends(read_uow)):
    lines = service.ticket_lines(uow)
    return render(request, "aftersales/queue.html", {"lines": lines}, section="aftersales")


def _ticket_page(request: Request, uow: UnitOfWork, ticket, *, error: str | None = None, status: int = 200):
    transitions = {t.name: t.title for t in rules.TICKET.available(uow.actor, ticket)}
    return render(request, "aftersales/ticket.html", {
        "t": ticket, "clocks": service.sla(uow, ticket), "history": service.history(uow, ticket),
        "actions": transitions, "unit_id": service.unit_id_seen(uow, ticket), "error": error,
        "hold_reasons": rules.HOLD_REASONS}, section="aftersales", status_code=status)


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse,
            dependencies=[Depends(needs("aftersales.ticket.read"))])
def ticket_page(request: Request, ticket_id: str, uow: UnitOfWork = Depends(read_uow)):
    return _ticket_page(request, uow, service.get_ticket(uow, ticket_id=parse_id(ticket_id, "ticket")))


@router.post("/tickets/{ticket_id}/transitions", response_class=HTMLResponse,
             dependencies=[Depends(needs("aftersales.ticket.update"))])
def ticket_transition(request: Request, ticket_id: str, data: dict = Depends(form_data), uow: UnitOfWork = write_uow):
    tid = parse_id(ticket_id, "ticket")
    version = data.get("version") or ""
    try:
        service.transition(uow, ticket_id=tid, action=data.get("action") or "", note=data.get("note") or None,
                           reason=data.get("reason") or None, version=int(version) if version.isdigit() else None)
    except SetuError as exc:
        if exc.status in (403, 404):
            raise
        uow.discard()
        reason = exc.detail
        return _ticket_page(request, uow, service.get_ticket(uow, ticket_id=tid), error=reason, status=exc.status)
    return redirect(f"/tickets/{tid}")
