"""Demo spares orders: a few hundred orders in every state of the order workflow, between the
operator's depots (the buyer) and the demo OEMs, export agency and JVs (the suppliers), made through
:mod:`setu.orders.service` (so stock positions, timeline and audit follow), then dated back over
the past year (deterministic for a seed: the same orders, steps and lead times; dates relative
to the day of the load). Some awaited orders are past their promised date (overdue)."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from setu.kit.access import Actor
from setu.kit.db import utcnow
from setu.kit.uow import UnitOfWork

N_ORDERS = 260
SUPPLIERS = ("RU-AERO", "RU-AD", "RU-LANDSEA", "RU-EXPORT", "IN-JV-ROTOR", "IN-JV-RIFLES", "IN-JV-OPTRON", "IN-HAW")
SUPPLIER_USER = {"RU-AERO": "rus.engineer", "RU-EXPORT": "rus.export", "IN-JV-ROTOR": "ind.jv"}
DEPOTS = ("DEP-N", "DEP-C", "DEP-W")
PATHS = {
    "rfq": [], "quoted": ["quote"], "declined": ["decline"], "cancelled": ["quote", "cancel"],
    "ordered": ["quote", "place"], "acknowledged": ["quote", "place", "acknowledge"],
    "rejected": ["quote", "place", "reject"],
    "dispatched": ["quote", "place", "acknowledge", "dispatch"],
    "partially_received": ["quote", "place", "acknowledge", "dispatch_part", "receive"],
    "received": ["quote", "place", "acknowledge", "dispatch", "receive"],
    "invoiced": ["quote", "place", "acknowledge", "dispatch", "receive", "invoice"],
    "accepted": ["quote", "place", "acknowledge", "dispatch", "receive", "invoice", "accept"],
    "paid": ["quote", "place", "acknowledge", "dispatch", "receive", "invoice", "accept", "pay"],
    "closed": ["quote", "place", "acknowledge", "dispatch", "receive", "invoice", "accept", "pay", "close"],
}
WEIGHTS = {"rfq": 14, "quoted": 12, "declined": 5, "cancelled": 5, "ordered": 14, "acknowledged": 22, "rejected": 6,
           "dispatched": 18, "partially_received": 12, "received": 12, "invoiced": 10, "accepted": 8, "paid": 10,
           "closed": 60}
NOTES = {"decline": "not in production any more", "reject": "export licence pending for this item",
         "cancel": "covered by a transfer between depots"}


@dataclass
class _As:
    """The loader's unit of work acting as one persona (same session and transaction)."""

    session: Any
    actor: Actor
    real: UnitOfWork

    def on_commit(self, callback) -> None:
        self.real.on_commit(callback)


def write_orders(uow: UnitOfWork, data, *, n: int = N_ORDERS, seed: int = 2026) -> dict[str, int]:
    from setu.orders import service
    from setu.orders.models import Order
    from setu.identity.models import Organisation

    orgs, sites = data.organisation_ids, data.site_ids
    if "IN-DEPOTS" not in orgs or not all(c in sites for c in DEPOTS):
        return {}
    rng = random.Random(seed)
    s = uow.session
    ind = data.party_ids["IND"]
    planner = Actor(name="ind.planner", party_id=ind, organisation_id=orgs["IN-DEPOTS"], organisation_kind="depot",
                    role="approver")
    suppliers = {}
    for code in SUPPLIERS:
        if code in orgs:
            o = s.get(Organisation, orgs[code])
            suppliers[code] = Actor(name=SUPPLIER_USER.get(code, f"{code.lower()}.sales"), party_id=o.party_id,
                                    organisation_id=o.id, organisation_kind=o.kind, role="approver")
    cols = data.tables["catalog_part"].columns
    usd = [i for i, c in enumerate(cols["currency"]) if c == "USD"][:3000]
    as_buyer = _As(s, planner, uow)
    states = list(WEIGHTS)
    weights = [WEIGHTS[k] for k in states]
    now = utcnow()
    made = 0
    for k in range(n):
        target = states[k] if k < len(states) else rng.choices(states, weights)[0]
        code = rng.choice(list(suppliers))
        sup = _As(s, suppliers[code], uow)
        picks = rng.sample(usd, rng.choice((1, 1, 2, 3)))
        lines = [{"part_id": cols["id"][i], "quantity": rng.choice((1, 2, 2, 4, 5, 10, 20))} for i in picks]
        age = rng.randint(3, 360) if target not in ("rfq", "quoted") else rng.randint(1, 20)
        promised = rng.choice((30, 45, 60, 90, 120, 180))
        if target in ("received", "invoiced", "accepted", "paid", "closed", "partially_received"):
            age = max(age, promised + rng.randint(15, 60))  # delivered: placed long enough ago
        o = service.request_quotation(as_buyer, supplier_org_id=orgs[code], site_id=sites[rng.choice(DEPOTS)],
                                      currency="USD", rfq_valid_until=(now + timedelta(days=rng.randint(5, 40))).date(),
                                      lines=lines)
        ids = [str(ln.id) for ln in service.lines(as_buyer, o)]
        for step in PATHS[target]:
            if step == "quote":
                prices = {i: str((Decimal(str(cols["unit_price"][p])) * (100 + rng.randint(0, 20)) / 100).quantize(
                    Decimal("0.01"))) for i, p in zip(ids, picks)}
                service.advance(sup, order_id=o.id, action="quote", promised_days=promised, prices=prices)
            elif step == "dispatch_part":
                qty = {ids[0]: max(1, lines[0]["quantity"] // 2)}
                service.advance(sup, order_id=o.id, action="dispatch", quantities=qty)
            elif step in ("dispatch", "acknowledge", "decline", "reject", "invoice"):
                service.advance(sup, order_id=o.id, action=step, note=NOTES.get(step),
                                invoice_number=f"INV-{code}-{k:05d}" if step == "invoice" else None)
            elif step == "receive" and target != "partially_received" and rng.random() < 0.1 and lines[0]["quantity"] > 1:
                # an inspection finds one unit bad: it goes back and comes again
                service.advance(as_buyer, order_id=o.id, action="receive",
                                accepted={ids[0]: lines[0]["quantity"] - 1, **{i: ln["quantity"] for i, ln in
                                                                             zip(ids[1:], lines[1:])}},
                                rejected={ids[0]: 1}, reason="damaged in transit")
                service.advance(sup, order_id=o.id, action="dispatch")
                service.advance(as_buyer, order_id=o.id, action="receive")
            else:
                service.advance(as_buyer, order_id=o.id, action=step, note=NOTES.get(step),
                                payment_reference=f"PAY-{k:05d}" if step == "pay" else None)
        _date_back(uow, service, s.get(Order, o.id), rng, now, age, promised, target)
        made += 1
    s.flush()
    return {"orders_order": made}


def _date_back(uow, service, o, rng, now, age: int, promised: int, target: str) -> None:
    """Spread the order's timeline over ``age`` days before now; a completed delivery took about
    the promised lead time (from 25 % early to 60 % late); an awaited one past its promise is overdue."""
    start = now - timedelta(days=age, hours=rng.randint(0, 23))
    events = service.timeline(uow, o)
    o.created_at = start
    ordered = None
    received_by = None
    if o.ordered_at is not None:
        ordered = start + timedelta(days=min(age, rng.randint(1, 10)) * 0.5)
        o.ordered_at = ordered
        o.promised_date = ordered.date() + timedelta(days=promised)
        if o.first_received_at is not None:
            took = max(1, int(promised * rng.uniform(0.75, 1.6)))
            received_by = min(now - timedelta(hours=1), ordered + timedelta(days=took))
            o.first_received_at = o.received_at = received_by
    # monotonic: the steps before the order between the request and placing it, those up to the
    # receipt between placing and receiving, the rest between the receipt and now
    place = next((i for i, e in enumerate(events) if e.action == "place"), None)
    last_rx = max((i for i, e in enumerate(events) if e.action.startswith("receive")), default=None)
    marks = [(0, start)]
    if place is not None and ordered is not None:
        marks.append((place, ordered))
    if last_rx is not None and received_by is not None:
        marks.append((last_rx, received_by))
    marks.append((len(events), now - timedelta(minutes=5)))
    for (i0, t0), (i1, t1) in zip(marks, marks[1:]):
        for i in range(i0, min(i1, len(events))):
            e = events[i]
            e.at = t0 + (t1 - t0) * ((i - i0) / max(i1 - i0, 1))
    for e in events:
        if e.action == "place" and o.promised_date is not None:
            e.detail = e.detail.replace(e.detail[e.detail.index('"promised_date": "') + 18:][:10],
                                        o.promised_date.isoformat()) if '"promised_date": "' in (e.detail or "") else e.detail
    attrs = {"quote": "quoted_at", "acknowledge": "acknowledged_at", "invoice": "invoiced_at", "accept": "accepted_at",
             "pay": "paid_at", "close": "closed_at", "cancel": "closed_at"}
    for e in events:
        if e.action in attrs:
            setattr(o, attrs[e.action], e.at)
