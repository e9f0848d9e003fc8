"""Ledger tile (reciprocal support): balances owed per currency (the ``due:`` accounts, as on
/ledger), the ageing of open receivables (days since delivery), claims awaiting my side's
confirmation, settlements due in the next 30 days (invoiced, amount less settled, per currency)
and ceiling consumption this year. Claims to confirm go to "Needs you now"."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from setu.kit.errors import NotFound
from setu.overview.tiles import Action, Figure, Tile

DUE_WITHIN_DAYS = 30


def _confirmable(uow, txs) -> list:
    from setu.ledger import service as ledger

    return [t for t in txs if any(s.name == "confirm" for s in ledger.available(uow.actor, t))]


def compute(uow, today: date) -> dict[str, Any]:
    from setu.ledger import service as ledger

    try:
        ledger.agreement(uow)
    except NotFound:
        return {"agreement": False, "balances": [], "ageing": {}, "claims_to_confirm": 0, "due_soon": [],
                "ceilings": [], "figures": []}
    txs = ledger.transactions(uow)
    codes: dict[Any, str] = {}

    def code(pid) -> str:
        if pid not in codes:
            codes[pid] = ledger._code(uow, pid)
        return codes[pid]

    balances = [{"debt": f"{b.account.split(':')[2]} owes {b.account.split(':')[1]}", "kind": b.kind,
                 "amount": str(b.balance.quantize(Decimal("0.01"))), "currency": b.commodity}
                for b in ledger.balances(uow) if b.account.startswith("due:")]
    ageing = {who: {cur: {k: str(v) for k, v in buckets.items()} for cur, buckets in per.items()}
              for who, per in ledger.ageing(uow, today=today).items()}
    claims = _confirmable(uow, txs)
    until = today + timedelta(days=DUE_WITHIN_DAYS)
    due: dict[str, Decimal] = defaultdict(Decimal)
    due_n = 0
    for t in txs:
        if t.status == "invoiced" and t.due_on and today <= t.due_on <= until and t.amount is not None:
            due[t.currency] += t.amount - t.settled_amount
            due_n += 1
    ceilings = [{"year": c.year, "provider": code(c.provider_party_id), "category": c.category,
                 "amount": str(c.amount), "consumed": str(c.consumed), "currency": c.currency,
                 "used": float(c.consumed / c.amount) if c.amount else 0.0}
                for c in ledger.ceilings(uow) if c.year == today.year]
    return {
        "agreement": True, "balances": balances, "ageing": ageing, "claims_to_confirm": len(claims),
        "due_soon": [{"currency": cur, "amount": str(v)} for cur, v in sorted(due.items())], "due_soon_count": due_n,
        "due_within_days": DUE_WITHIN_DAYS, "ceilings": ceilings, "year": today.year,
        "figures": [
            Figure("Claims awaiting my side's confirmation", len(claims), "claims", "/ledger#mine",
                   "claims-to-confirm").as_dict(),
            Figure(f"Settlements due in {DUE_WITHIN_DAYS} days", due_n, "invoices", "/ledger", "due-soon").as_dict(),
        ],
    }


def needs_you(uow, today: date) -> list[Action]:
    from setu.ledger import service as ledger

    try:
        ledger.agreement(uow)
    except NotFound:
        return []
    return [Action("claim_confirmation", f"Confirm claim {t.reference}", "/ledger#mine",
                   f"{t.category}: {t.amount} {t.currency}") for t in _confirmable(uow, ledger.transactions(uow))]


TILE = Tile("ledger", "Support ledger", 40, "ledger.support.read", compute, source="/ledger")
