"""Demo ledger: two years (2025-2026) of reciprocal support between the parties' forces through
the real service (every step audited and signed): most settled, some disputed, some overdue,
one credit open over 18 months offset. Deterministic (seeded)."""
from __future__ import annotations

import random
from datetime import date, timedelta

from setu.kit.errors import SetuError
from setu.kit.uow import UnitOfWork
from setu.ledger import service

#: (provider, category, unit, own-force rate per unit in the provider's currency)
SUPPORT = [
    ("RUS", "fuel and lubricants", "kL", 62000), ("RUS", "port services", "day", 180000),
    ("RUS", "food", "t", 95000), ("RUS", "repair and maintenance", "h", 4200),
    ("IND", "fuel and lubricants", "kL", 71000), ("IND", "billeting", "day", 45000),
    ("IND", "food", "t", 88000), ("IND", "medical", "case", 12500), ("IND", "transport", "km", 160),
]


def write_ledger(uow: UnitOfWork, data=None, *, seed: int = 15) -> dict[str, int]:
    rng = random.Random(seed)
    a = service.create_agreement(uow, code="RELOS-2024", title="Reciprocal exchange of logistics support",
                                 party_a="IND", party_b="RUS", starts_on=date(2024, 1, 1), ends_on=date(2033, 12, 31))
    for prov, cat, *_ in SUPPORT:
        if cat not in a.categories:
            continue
        for year in (2024, 2025, 2026):
            service.set_ceiling(uow, agreement_id=a.id, provider=prov, category=cat, year=year,
                                amount=250_000_000 if prov == "RUS" else 220_000_000)
    service.record_visit(uow, agreement_id=a.id, visiting="IND", activity="port visit", place="Vladivostok",
                         starts_on=date(2025, 3, 2), ends_on=date(2025, 3, 9), ships=3, aircraft=2, personnel=1200)
    service.record_visit(uow, agreement_id=a.id, visiting="RUS", activity="exercise", place="Visakhapatnam",
                         starts_on=date(2025, 11, 10), ends_on=date(2025, 11, 20), ships=4, aircraft=6, personnel=2100)
    service.record_visit(uow, agreement_id=a.id, visiting="IND", activity="training", place="Severomorsk",
                         starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 12), ships=2, personnel=600)
    n = 0
    # the one offset: delivered early in 2024, invoiced, never settled; offset after 18 months
    tid = _flow(uow, a, "IND", "food", "t", 88000, 12, date(2024, 2, 10), stop="invoiced")
    service.step(uow, transaction_id=tid, action="offset", on=date(2025, 9, 1))
    n += 1
    day = date(2025, 1, 6)
    end = date(2026, 11, 20)
    while day < end:
        prov, cat, unit, rate = rng.choice([s for s in SUPPORT if s[1] in a.categories])
        qty = rng.choice([2, 3, 5, 8, 12, 20, 40])
        age = (end - day).days
        r = rng.random()
        stop = ("claimed" if age < 20 else "confirmed" if age < 60 else "disputed" if r < 0.08 else
                "invoiced" if r < 0.22 or age < 150 else "closed")
        try:
            _flow(uow, a, prov, cat, unit, rate, qty, day, stop=stop, method=rng.choice(["cash", "cash", "kind", "exchange"]))
            n += 1
        except SetuError:
            pass  # a request outside the ceiling is refused, as it would be
        day += timedelta(days=rng.randint(6, 14))
    return {"ledger_transaction": n}


def _flow(uow, a, prov, cat, unit, rate, qty, day, *, stop, method="cash"):
    recv = "IND" if prov == "RUS" else "RUS"
    t = service.request_support(uow, agreement_id=a.id, provider=prov, receiver=recv, activity="port visit" if prov == "RUS" else "exercise",
                                category=cat, description=f"{cat} for the visiting force", requested_on=day)
    service.step(uow, transaction_id=t.id, action="accept", on=day)
    service.step(uow, transaction_id=t.id, action="claim", quantity=qty, unit=unit, unit_price=rate,
                 delivered_on=day + timedelta(days=2), on=day + timedelta(days=2))
    if stop == "claimed":
        return t.id
    if stop == "disputed":
        service.step(uow, transaction_id=t.id, action="dispute", reason="quantity received differs from the claim",
                     on=day + timedelta(days=5))
        return t.id
    service.step(uow, transaction_id=t.id, action="confirm", on=day + timedelta(days=5))
    if stop == "confirmed":
        return t.id
    inv = day + timedelta(days=40)
    service.step(uow, transaction_id=t.id, action="invoice", method=method, on=inv)
    if stop == "invoiced":
        return t.id
    service.step(uow, transaction_id=t.id, action="settle", on=inv + timedelta(days=35))
    return t.id
