"""After-sales pages: my queue (the tickets raised by my side or addressed to my organisation, with
their SLA clocks now) and a ticket with its clocks, its history and the buttons of the actions the
signed-in user may take. Thin adapter over setu.aftersales.service."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from setu.adapters.http import needs, read_uow, write_uow
from setu.adapters.pages import NavEntry, form_data, optional_id, parse_id, redirect, render
from setu.aftersales import rules, service
from setu.kit.errors import SetuError
from setu.kit.uow import UnitOfWork

router = APIRouter(include_in_schema=False)
NAV = [NavEntry("Tickets", "/tickets", "aftersales", "aftersales.ticket.read", 60, "Service")]


@router.get("/tickets", response_class=HTMLResponse, dependencies=[Depends(needs("aftersales.ticket.read"))])
def queue(request: Request, uow: UnitOfWork = Depends(read_uow)):
    lines = service.ticket_lines(uow)
    return render(request, "aftersales/queue.html", {"lines": lines}, section="aftersales")


def _raise_page(request: Request, uow: UnitOfWork, *, values: dict | None = None, error: str | None = None,
                status: int = 200):
    return render(request, "aftersales/raise.html", {
        **service.raise_choices(uow), "types": rules.TYPES, "priorities": rules.PRIORITIES, "v": values or {},
        "error": error}, section="aftersales", status_code=status)


@router.get("/tickets/suppliers", response_class=HTMLResponse,
            dependencies=[Depends(needs("aftersales.ticket.read"))])
def supplier_performance(request: Request, uow: UnitOfWork = Depends(read_uow)):
    """SLA compliance, mean time to acknowledge and to restore, no-fault-found rate per supplier,
    over the tickets the reader sees (what ``setu aftersales sla-report`` prints)."""
    return render(request, "aftersales/suppliers.html", {"report": service.sla_report(uow)}, section="aftersales")


@router.get("/tickets/new", response_class=HTMLResponse, dependencies=[Depends(needs("aftersales.ticket.create"))])
def raise_form(request: Request, uow: UnitOfWork = Depends(read_uow)):
    return _raise_page(request, uow, values=dict(request.query_params))


@router.post("/tickets/new", response_class=HTMLResponse, dependencies=[Depends(needs("aftersales.ticket.create"))])
def raise_submit(request: Request, data: dict = Depends(form_data), uow: UnitOfWork = write_uow):
    ess = (data.get("essentiality") or "").strip()
    try:
        unit_id = optional_id(data.get("equipment_unit_id"))
        supplier_id = optional_id(data.get("supplier_org_id"))
        if unit_id is None or supplier_id is None:
            from setu.kit.errors import FieldError, ValidationFailed

            missing = [f for f, v in (("equipment_unit_id", unit_id), ("supplier_org_id", supplier_id)) if v is None]
            raise ValidationFailed("; ".join(f"{f}: choose one" for f in missing), [FieldError(f, "choose one")
                                                                                     for f in missing])
        t = service.raise_ticket(uow, equipment_unit_id=unit_id, supplier_org_id=supplier_id,
                                 type=data.get("type") or "", title=data.get("title") or "",
                                 description=data.get("description") or None, priority=data.get("priority") or None,
                                 essentiality=int(ess) if ess.isdigit() else None)
    except SetuError as exc:
        if exc.status in (401, 403):
            raise
        uow.discard()
        return _raise_page(request, uow, values=data, error=exc.detail, status=422)
    return redirect(f"/tickets/{t.id}")


def _ticket_page(request: Request, uow: UnitOfWork, ticket, *, error: str | None = None, status: int = 200):
    transitions = {t.name: t.title for t in rules.TICKET.available(uow.actor, ticket)}
    a = uow.actor
    party_to = a.can(rules.UPDATE) and (a.system or a.organisation_id in (ticket.raised_by_org_id,
                                                                          ticket.supplier_org_id))
    return render(request, "aftersales/ticket.html", {
        "t": ticket, "clocks": service.sla(uow, ticket), "history": service.history(uow, ticket),
        "actions": transitions, "unit_id": service.unit_id_seen(uow, ticket), "error": error,
        "hold_reasons": rules.HOLD_REASONS, "comments": service.comments(uow, ticket),
        "orders": service.order_links(uow, ticket), "escalations": service.escalations(uow, ticket),
        "may_write": party_to, "file_types": list(service.ATTACHMENT_TYPES)}, section="aftersales",
        status_code=status)


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


@router.post("/tickets/{ticket_id}/comments", response_class=HTMLResponse,
             dependencies=[Depends(needs("aftersales.ticket.update"))])
async def ticket_comment(request: Request, ticket_id: str, data: dict = Depends(form_data), uow: UnitOfWork = write_uow):
    """A comment, with an optional file (multipart field ``file``)."""
    tid = parse_id(ticket_id, "ticket")
    form = await request.form()
    file = form.get("file")
    upload = None
    if file is not None and not isinstance(file, str) and getattr(file, "filename", ""):
        upload = service.Upload(file.filename, file.content_type or "", await file.read())
    try:
        service.add_comment(uow, ticket_id=tid, body=data.get("body") or "", upload=upload)
    except SetuError as exc:
        if exc.status in (401, 403, 404):
            raise
        uow.discard()
        return _ticket_page(request, uow, service.get_ticket(uow, ticket_id=tid), error=exc.detail, status=exc.status)
    return redirect(f"/tickets/{tid}#ticket-comments")


@router.post("/tickets/{ticket_id}/orders", response_class=HTMLResponse,
             dependencies=[Depends(needs("aftersales.ticket.update"))])
def ticket_order(request: Request, ticket_id: str, data: dict = Depends(form_data), uow: UnitOfWork = write_uow):
    tid = parse_id(ticket_id, "ticket")
    try:
        service.link_order(uow, ticket_id=tid, order_ref=data.get("order_ref") or "",
                           part_number=data.get("part_number") or None)
    except SetuError as exc:
        if exc.status in (401, 403, 404):
            raise
        uow.discard()
        return _ticket_page(request, uow, service.get_ticket(uow, ticket_id=tid), error=exc.detail, status=exc.status)
    return redirect(f"/tickets/{tid}")


@router.get("/tickets/{ticket_id}/attachment", dependencies=[Depends(needs("aftersales.ticket.read"))])
def ticket_attachment(ticket_id: str, id: str = "", uow: UnitOfWork = Depends(read_uow)):
    """The stored file (``?id=`` the attachment), as an attachment download."""
    a, data = service.attachment(uow, ticket_id=parse_id(ticket_id, "ticket"), attachment_id=id)
    safe = "".join(ch for ch in a.filename if ch.isalnum() or ch in "._-") or "file"
    return Response(data, media_type=a.content_type, headers={
        "Content-Disposition": f'attachment; filename="{safe}"', "X-Content-Type-Options": "nosniff"})
