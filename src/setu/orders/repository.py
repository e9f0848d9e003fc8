"""Order queries, scoped to what the actor may see: an organisation of the armed services sees the
orders its party placed; a supplier organisation (an OEM, an export agency, a JV) the orders
addressed to it; programme offices and the system actor every order; anyone else none. Another
party's order answers 404, exactly like a missing one, because the query never returns it."""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from setu.kit.access import Actor
from setu.orders.models import Order, OrderEvent, OrderLine
from setu.orders.policies import BUYER_KINDS
from setu.orders.rules import AWAITING

ORDER_SORT = {"created_at": Order.created_at, "number": Order.number, "status": Order.status,
              "promised_date": Order.promised_date}


def _scoped(stmt: Select, actor: Actor) -> Select:
    if actor.sees_all_parties:
        return stmt
    if actor.party_id is None or actor.sysadmin or actor.organisation_id is None:
        return stmt.where(Order.id.is_(None))
    if actor.organisation_kind in BUYER_KINDS:
        return stmt.where(Order.buyer_party_id == actor.party_id)
    return stmt.where(Order.supplier_org_id == actor.organisation_id)


def orders(actor: Actor, *, status: str | None = None, supplier_org_id: uuid.UUID | None = None,
           overdue_on: date | None = None, plan_id: uuid.UUID | None = None) -> Select:
    stmt = _scoped(select(Order), actor)
    if status:
        stmt = stmt.where(Order.status == status)
    if supplier_org_id:
        stmt = stmt.where(Order.supplier_org_id == supplier_org_id)
    if overdue_on is not None:
        stmt = stmt.where(and_(Order.status.in_(AWAITING), Order.promised_date < overdue_on))
    if plan_id:
        stmt = stmt.where(Order.plan_id == plan_id)
    return stmt


def order(session: Session, actor: Actor, order_id: uuid.UUID, *, for_update: bool = False) -> Order | None:
    stmt = orders(actor).where(Order.id == order_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def order_by_number(session: Session, actor: Actor, number: str) -> Order | None:
    return session.scalar(orders(actor).where(Order.number == number))


def lines(session: Session, order_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[OrderLine]]:
    ids = list(order_ids)
    out: dict[uuid.UUID, list[OrderLine]] = {i: [] for i in ids}
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for ln in session.scalars(select(OrderLine).where(OrderLine.order_id.in_(chunk))
                                  .order_by(OrderLine.order_id, OrderLine.line_no)):
            out[ln.order_id].append(ln)
    return out


def events(session: Session, order_id: uuid.UUID) -> list[OrderEvent]:
    return list(session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id)
                                .order_by(OrderEvent.at, OrderEvent.id)))


def next_number(session: Session, year: int) -> str:
    prefix = f"SO-{year}-"
    last = session.scalar(select(func.max(Order.number)).where(Order.number.like(f"{prefix}%")))
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{n:06d}"


def counts_by_status(session: Session, actor: Actor) -> dict[str, int]:
    stmt = _scoped(select(Order.status, func.count()).group_by(Order.status), actor)
    return {s: int(n) for s, n in session.execute(stmt)}


def supplier_ids(session: Session, actor: Actor) -> list[uuid.UUID]:
    return list(session.scalars(_scoped(select(Order.supplier_org_id).distinct(), actor)))


def performance_rows(session: Session, actor: Actor) -> list[tuple]:
    """``(order_id, supplier_org_id, part_id, status, promised_days, ordered_at, received_at,
    promised_date)`` per line of every placed order the actor sees."""
    stmt = _scoped(select(Order.id, Order.supplier_org_id, OrderLine.part_id, Order.status, Order.promised_days,
                          Order.ordered_at, Order.received_at, Order.promised_date)
                   .join(OrderLine, OrderLine.order_id == Order.id)
                   .where(Order.ordered_at.is_not(None)), actor)
    return list(session.execute(stmt))


def add(session: Session, *objs) -> None:
    session.add_all(objs)
    session.flush()
