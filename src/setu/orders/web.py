"""Spares-order pages: the orders list (filters by state, supplier, overdue; keyset paging), an order
with its lines, timeline and the buttons of the steps the signed-in user may take, supplier
performance (promised versus actual lead time), the order documents, and the plan page's offer to
turn an approved plan into requests. Thin adapter over setu.orders.service."""
from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from setu.adapters.http import needs, read_uow, write_uow
from setu.adapters.pages import NavEntry, contribute, form_data, optional_id, parse_id, redirect, render
from setu.kit.errors import SetuError
from setu.kit.uow import UnitOfWork
from setu.orders import rules, service

router = APIRouter(include_in_schema=False)
NAV = [NavEntry("Orders", "/orders", "orders", "orders.order.read", 47, "Programme")]

COLOURS = {"rfq": "info", "quoted": "info", "ordered": "primary", "acknowledged": "primary", "rejected": "danger",
           "dispatched": "warning", "partially_received": "warning", "received": "success", "invoiced": "success",
           "accepted": "success", "paid": "success", "closed": "secondary", "declined": "secondary",
           "cancelled": "secondary"}


@router.get("/orders", response_class=HTMLResponse, dependencies=[Depends(needs("orders.order.read"))])
def orders_list(request: Request, status: str | None = None, supplier: str | None = None, overdue: str | None = None,
                cursor: str | None = None, uow: UnitOfWork = Depends(read_uow)):
    sup = optional_id(supplier)
    page = service.list_orders(uow, status=status or None, supplier_org_id=sup, overdue=overdue == "yes",
                               cursor=cursor, limit=50)
    names = service.organisation_names(uow, [o.supplier_org_id for o in page.items])
    return render(request, "orders/list.html", {
        "page": page, "names": names, "states": rules.STATES, "status": status or "", "supplier": supplier or "",
        "overdue": overdue == "yes", "suppliers": service.suppliers(uow), "colours": COLOURS,
        "is_overdue": service.overdue, "counts": service.status_counts(uow)}, section="orders")


@router.get("/orders/performance", response_class=HTMLResponse, dependencies=[Depends(needs("orders.order.read"))])
def performance(request: Request, by_part: str | None = None, uow: UnitOfWork = Depends(read_uow)):
    rows = service.supplier_performance(uow, by_part=by_part == "yes")
    return render(request, "orders/performance.html", {"rows": rows, "by_part": by_part == "yes"}, section="orders")


def _order_page(request: Request, uow: UnitOfWork, order, *, error: str | None = None, status: int = 200):
    lines = service.lines(uow, order)
    buyer, supplier = service.party_details(uow, order)
    events = service.timeline(uow, order)
    for e in events:
        e.parsed = json.loads(e.detail) if e.detail else {}
    acts = service.actions(uow, order)
    titles = {t.name: t.title for t in rules.ORDER.transitions.values()}
    return render(request, "orders/order.html", {
        "o": order, "lines": lines, "parts": service.part_labels(uow, [ln.part_id for ln in lines]),
        "site": service.site_label(uow, order.site_id), "buyer": buyer, "supplier": supplier, "events": events,
        "actions": {a: titles[a] for a in acts}, "total": service.order_total(order, lines),
        "accepted_total": service.accepted_total(order, lines), "overdue": service.overdue(order),
        "amount": lambda q, p: rules.line_amount(q, p, order.currency), "colours": COLOURS, "error": error,
        "documents": service.documents_of(order), "pdf": True},
        section="orders", status_code=status)


@router.get("/orders/{order_id}", response_class=HTMLResponse, dependencies=[Depends(needs("orders.order.read"))])
def order_page(request: Request, order_id: str, uow: UnitOfWork = Depends(read_uow)):
    return _order_page(request, uow, service.get_order(uow, order_id=parse_id(order_id, "order")))


def _by_prefix(data: dict, prefix: str) -> dict[str, str] | None:
    out = {k[len(prefix):]: v for k, v in data.items() if k.startswith(prefix) and str(v).strip() != ""}
    return out or None


@router.get("/orders/{order_id}/documents/{name}", dependencies=[Depends(needs("orders.order.read"))])
def order_document(order_id: str, name: str, uow: UnitOfWork = Depends(read_uow)):
    """The order, its dispatch advice or its invoice as Excel (``order.xlsx``) or PDF (``order.pdf``)."""
    from setu.adapters.pages import env
    from setu.adapters.pdf import render_pdf

    kind, _, fmt = name.partition(".")
    if fmt not in ("xlsx", "pdf"):
        from setu.kit.errors import NotFound

        raise NotFound(f"no document {name}: use <kind>.xlsx or <kind>.pdf")
    doc = service.document(uow, order_id=parse_id(order_id, "order"), kind=kind)
    filename = f"{doc['number'] or doc['order']}-{kind}.{fmt}"
    if fmt == "xlsx":
        body, media = service.document_xlsx(doc), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, media = render_pdf(env.get_template("orders/document.html").render(d=doc)), "application/pdf"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.post("/orders/{order_id}/transitions", response_class=HTMLResponse,
             dependencies=[Depends(needs("orders.order.read"))])
def order_transition(request: Request, order_id: str, data: dict = Depends(form_data), uow: UnitOfWork = write_uow):
    oid = parse_id(order_id, "order")
    action = data.get("action") or ""
    version = data.get("version") or ""
    days = (data.get("promised_days") or "").strip()
    try:
        service.advance(uow, order_id=oid, action=action, version=int(version) if version.isdigit() else None,
                        note=data.get("note") or None, promised_days=int(days) if days.isdigit() else None,
                        prices=_by_prefix(data, "price.") if action == "quote" else None,
                        quantities=_by_prefix(data, "qty.") if action in ("amend", "dispatch") else None,
                        accepted=_by_prefix(data, "acc.") if action == "receive" else None,
                        rejected=_by_prefix(data, "rej.") if action == "receive" else None,
                        reason=data.get("reason") or None, invoice_number=data.get("invoice_number") or None,
                        payment_reference=data.get("payment_reference") or None)
    except SetuError as exc:
        if exc.status in (403, 404):
            raise
        uow.discard()
        return _order_page(request, uow, service.get_order(uow, order_id=oid), error=exc.detail, status=exc.status)
    return redirect(f"/orders/{oid}")


@router.post("/readiness/plans/{plan_id}/orders", response_class=HTMLResponse,
             dependencies=[Depends(needs("orders.rfq.create"))])
def plan_to_orders(request: Request, plan_id: str, uow: UnitOfWork = write_uow):
    pid = parse_id(plan_id, "plan")
    service.orders_from_plan(uow, plan_id=pid)
    return redirect(f"/orders?plan={pid}")


@contribute("readiness.plan")
def _plan_offer(*, uow: UnitOfWork, plan) -> dict:
    """The plan page's offer: a button to turn an approved plan into requests for quotation (only
    for who may press it), and the requests made from it."""
    if not uow.actor.can(rules.READ):
        return {}
    return {"orders_offer": service.plan_offer(uow, plan_id=plan.id)}
