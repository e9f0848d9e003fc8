"""The order's life through the service on SQLite and PostgreSQL: the stock position follows
(placing puts parts on order; a receipt moves the accepted ones to serviceable in the same
transaction; closing releases the rest), partial deliveries and rejections with reasons, the
timeline and audit, scoping (another supplier sees nothing), refusals that change nothing."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from setu.fleet import service as fleet
from setu.kit.audit import AuditEntry
from setu.kit.db import utcnow
from setu.kit.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from setu.kit.uow import UnitOfWork
from setu.orders import service
from tests.orders.world import act, line_ids, make_world, read, rfq, to_acknowledged


def _stock(w, part=0):
    with UnitOfWork(w.planner, engine=w.engine) as uow:
        f = fleet.stock_facts(uow, part_ids=[w.small.part_ids[part]], site_ids=[w.small.base_id])
        p = f[(w.small.part_ids[part], w.small.base_id)]
        return p.serviceable, p.on_order


def test_the_whole_life_with_a_partial_delivery_and_a_rejection(engine):
    w = make_world(engine)
    before = _stock(w)
    oid = rfq(w, (10, 4))
    ids = to_acknowledged(w, oid, prices=("120.00", "99.99"))
    assert _stock(w) == (before[0], before[1] + 10)
    act(w, w.oem, service.advance, order_id=oid, action="dispatch", quantities={ids[0]: 6, ids[1]: 4})
    with pytest.raises(ValidationFailed, match="reason"):
        act(w, w.base, service.advance, order_id=oid, action="receive", accepted={ids[0]: 5}, rejected={ids[0]: 1})
    o = act(w, w.base, service.advance, order_id=oid, action="receive", accepted={ids[0]: 5, ids[1]: 4},
            rejected={ids[0]: 1}, reason="corroded connector")
    assert o.status == "partially_received"
    assert _stock(w) == (before[0] + 5, before[1] + 5)
    # the rest (4 never sent + 1 rejected) goes out again; more is refused
    with pytest.raises(ValidationFailed, match="at most 5"):
        act(w, w.oem, service.advance, order_id=oid, action="dispatch", quantities={ids[0]: 6})
    act(w, w.oem, service.advance, order_id=oid, action="dispatch")
    o = act(w, w.base, service.advance, order_id=oid, action="receive")
    assert o.status == "received"
    assert _stock(w) == (before[0] + 10, before[1])
    o = act(w, w.oem, service.advance, order_id=oid, action="invoice", invoice_number="INV-77")
    assert o.invoice_amount == Decimal("1599.96") and o.status == "invoiced"
    act(w, w.planner, service.advance, order_id=oid, action="accept")
    act(w, w.planner, service.advance, order_id=oid, action="pay", payment_reference="TRF-1")
    o = act(w, w.planner, service.advance, order_id=oid, action="close")
    assert o.status == "closed"
    with UnitOfWork(w.planner, engine=engine) as uow:
        o = service.get_order(uow, order_id=oid)
        steps = [e.action for e in service.timeline(uow, o)]
        assert steps == ["request", "quote", "place", "acknowledge", "dispatch", "receive_part", "dispatch",
                         "receive", "invoice", "accept", "pay", "close"]
        audited = uow.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(oid))).all()
        assert {"orders.order.quote", "orders.order.place", "orders.order.receive_part", "orders.order.close"} <= set(audited)
        assert service.lines(uow, o)[0].rejection_reason == "corroded connector"


def test_a_short_delivery_closed_releases_what_stays_on_order(engine):
    w = make_world(engine)
    before = _stock(w)
    oid = rfq(w, (8,))
    ids = to_acknowledged(w, oid)
    act(w, w.oem, service.advance, order_id=oid, action="dispatch", quantities={ids[0]: 3})
    act(w, w.base, service.advance, order_id=oid, action="receive")
    for a, kw in (("invoice", {"invoice_number": "I-1"}), ("accept", {}), ("pay", {"payment_reference": "P"}),
                  ("close", {})):
        act(w, w.oem if a == "invoice" else w.planner, service.advance, order_id=oid, action=a, **kw)
    assert _stock(w) == (before[0] + 3, before[1])


def test_rejection_amendment_and_cancellation(engine):
    w = make_world(engine)
    before = _stock(w)
    oid = rfq(w, (5,))
    ids = line_ids(w, oid)
    act(w, w.oem, service.advance, order_id=oid, action="quote", promised_days=30, prices={ids[0]: "10.00"})
    act(w, w.planner, service.advance, order_id=oid, action="place")
    act(w, w.oem, service.advance, order_id=oid, action="reject", note="only 3 in stock")
    o = act(w, w.planner, service.advance, order_id=oid, action="amend", note="3 then", quantities={ids[0]: 3})
    assert o.status == "ordered" and o.amendment == 1
    assert _stock(w)[1] == before[1] + 3
    act(w, w.oem, service.advance, order_id=oid, action="reject", note="none after all")
    act(w, w.planner, service.advance, order_id=oid, action="cancel", note="buy elsewhere")
    assert _stock(w) == before


def test_only_the_entitled_side_moves_the_order_and_a_refusal_changes_nothing(engine):
    w = make_world(engine)
    oid = rfq(w)
    ids = line_ids(w, oid)
    with pytest.raises(NotFound):  # another OEM does not even see it
        act(w, w.other_oem, service.advance, order_id=oid, action="quote", promised_days=5, prices={ids[0]: "1.00"})
    with pytest.raises(PermissionDenied):
        act(w, w.planner, service.advance, order_id=oid, action="quote", promised_days=5, prices={ids[0]: "1.00"})
    with pytest.raises(ValidationFailed, match="every line"):
        act(w, w.oem, service.advance, order_id=oid, action="quote", promised_days=5, prices={})
    with pytest.raises(ValidationFailed, match="decimals"):
        act(w, w.oem, service.advance, order_id=oid, action="quote", promised_days=5, prices={ids[0]: "1.001"})
    with pytest.raises(Conflict, match="it is rfq"):
        act(w, w.planner, service.advance, order_id=oid, action="place")
    with pytest.raises(PermissionDenied):  # a base clerk may receive, not place
        act(w, w.oem, service.advance, order_id=oid, action="quote", promised_days=5, prices={ids[0]: "1.00"})
        act(w, w.base, service.advance, order_id=oid, action="place")
    assert read(w, w.planner, lambda uow, **k: service.get_order(uow, **k).status, order_id=oid) == "quoted"
    assert read(w, w.other_oem, service.list_orders).total == 0
    assert read(w, w.oem, service.list_orders).total == 1
    assert read(w, w.jv, service.list_orders).total == 0


def test_a_bad_request_for_quotation_names_each_field_and_stores_nothing(engine):
    w = make_world(engine)
    with pytest.raises(ValidationFailed) as exc:
        act(w, w.planner, service.request_quotation, supplier_org_id=w.small.depot_org_id, site_id=w.small.base_id,
            currency="XXX", rfq_valid_until=(utcnow() - timedelta(days=1)).date(),
            lines=[{"part_id": w.small.part_ids[0], "quantity": 0}])
    fields = {e.field for e in exc.value.errors}
    assert fields == {"supplier_org_id", "currency", "rfq_valid_until", "lines[0].quantity"}
    with pytest.raises(PermissionDenied):
        act(w, w.oem, service.request_quotation, supplier_org_id=w.small.oem_org_id, site_id=w.small.base_id,
            currency="USD", rfq_valid_until=utcnow().date(), lines=[{"part_id": w.small.part_ids[0], "quantity": 1}])
    assert read(w, w.planner, service.list_orders).total == 0


def test_overdue_and_lead_time_per_supplier(engine):
    w = make_world(engine)
    late = rfq(w, (2, 3))  # two lines: still one order in the supplier's figures
    to_acknowledged(w, late, prices=("120.00", "80.00"))
    on_time = rfq(w, (1,))
    to_acknowledged(w, on_time)
    act(w, w.oem, service.advance, order_id=on_time, action="dispatch")
    act(w, w.base, service.advance, order_id=on_time, action="receive")
    from setu.orders.models import Order
    with UnitOfWork(w.planner, write=True, engine=engine) as uow:  # the first order was placed 90 days ago
        o = uow.session.get(Order, late)
        o.ordered_at = utcnow() - timedelta(days=90)
        o.promised_date = o.ordered_at.date() + timedelta(days=60)
        uow.commit()
    ids = read(w, w.planner, lambda uow, **k: [o.id for o in service.list_orders(uow, **k).items], overdue=True)
    assert ids == [late]
    perf = read(w, w.planner, service.supplier_performance)
    assert len(perf) == 1
    r = perf[0]
    assert (r.orders, r.received, r.on_time, r.late, r.overdue_open) == (2, 1, 1, 0, 1)
    assert r.promised_mean == 60 and r.actual_mean == 0
    by_part = read(w, w.planner, service.supplier_performance, by_part=True)
    assert sorted((p.orders, p.overdue_open) for p in by_part) == [(1, 1), (2, 1)]  # the late order's 2 parts
