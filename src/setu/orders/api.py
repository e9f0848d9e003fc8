"""JSON API for spares orders (thin adapter): list with filters, ask for a quotation, read an order
with its lines and timeline, move it through the workflow, turn an approved readiness plan into
requests, supplier lead-time performance. Writes accept an ``Idempotency-Key``."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query

from setu.adapters.http import needs, problem_responses, read_uow, write_uow
from setu.kit.listing import PageOut
from setu.kit.uow import UnitOfWork
from setu.orders import service
from setu.orders.schemas import LeadTimeRead, OrderDetail, OrderRead, OrderTransition, RfqCreate, Status

router = APIRouter(tags=["orders"], responses=problem_responses(403))


def order_read(order) -> OrderRead:
    return OrderRead.model_validate(order).model_copy(update={"overdue": service.overdue(order)})


def order_detail(uow: UnitOfWork, order) -> OrderDetail:
    lines = service.lines(uow, order)
    return OrderDetail(**order_read(order).model_dump(), lines=lines, total=service.order_total(order, lines),
                       timeline=service.timeline(uow, order), actions=service.actions(uow, order))


@router.get("/orders", response_model=PageOut[OrderRead], responses=problem_responses(422),
            dependencies=[Depends(needs("orders.order.read"))])
def list_orders(status: Status | None = None, supplier_org_id: uuid.UUID | None = None, overdue: bool = False,
                sort: str | None = None, cursor: str | None = None, limit: int = Query(50, ge=1, le=500),
                uow: UnitOfWork = Depends(read_uow)):
    """Orders your side placed or that are addressed to your organisation (keyset paging)."""
    page = service.list_orders(uow, status=status, supplier_org_id=supplier_org_id, overdue=overdue, sort=sort,
                               cursor=cursor, limit=limit)
    return {"items": [order_read(o) for o in page.items], "next_cursor": page.next_cursor, "total": page.total}


@router.post("/orders", status_code=201, response_model=OrderDetail, responses=problem_responses(422),
             dependencies=[Depends(needs("orders.rfq.create"))])
def request_quotation(data: RfqCreate, uow: UnitOfWork = write_uow):
    """Ask a supplier for a quotation (the order starts as a request for quotation)."""
    d = data.model_dump()
    o = service.request_quotation(uow, **{**d, "lines": d["lines"]})
    return order_detail(uow, o)


@router.get("/orders/performance", response_model=list[LeadTimeRead],
            dependencies=[Depends(needs("orders.order.read"))])
def performance(by_part: bool = False, uow: UnitOfWork = Depends(read_uow)):
    """Promised versus actual lead time (days) per supplier, or per supplier and part."""
    return [LeadTimeRead(**r.__dict__, on_time_rate=r.on_time_rate)
            for r in service.supplier_performance(uow, by_part=by_part)]


@router.get("/orders/{order_id}", response_model=OrderDetail, responses=problem_responses(404),
            dependencies=[Depends(needs("orders.order.read"))])
def get_order(order_id: str, uow: UnitOfWork = Depends(read_uow)):
    """The order (by id or number) with its lines, total, timeline and the actions you may take."""
    return order_detail(uow, service.get_order(uow, order_id=order_id))


@router.post("/orders/{order_id}/transitions", response_model=OrderDetail,
             responses=problem_responses(404, 409, 422), dependencies=[Depends(needs("orders.order.read"))])
def transition(order_id: str, data: OrderTransition, uow: UnitOfWork = write_uow):
    """Move the order through its workflow (each step's own permission and side are checked: the
    supplier quotes, declines, acknowledges, rejects, dispatches and invoices; the buyer places,
    amends, cancels, receives, accepts, pays and closes). Wrong state or stale ``version``: 409;
    wrong organisation or permission: 403; a missing argument: 422."""
    o = service.advance(uow, order_id=order_id, **data.model_dump(exclude_none=True))
    return order_detail(uow, o)


@router.post("/readiness/plans/{plan_id}/orders", status_code=201, response_model=list[OrderRead],
             responses=problem_responses(404, 409, 422), dependencies=[Depends(needs("orders.rfq.create"))])
def orders_from_plan(plan_id: str, uow: UnitOfWork = write_uow):
    """Turn an approved readiness plan's buys into requests for quotation, one per supplier and site."""
    return [order_read(o) for o in service.orders_from_plan(uow, plan_id=plan_id)]
