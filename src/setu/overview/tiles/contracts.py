"""Contracts tile: the portfolio the user's party is a party to, in the party's own currency and in
USD (each contract converted at the rate of its date, as on /contracts), delivered against
contracted, and milestones overdue."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from setu.overview.tiles import Figure, Tile


def _party_currency(uow) -> str:
    from setu.identity import service as identity

    if uow.actor.party_id is None:
        return "USD"
    return identity.get_party(uow, party_id=uow.actor.party_id).currency


def compute(uow, today: date) -> dict[str, Any]:
    from setu.contracts import service as contracts

    cur = _party_currency(uow)
    mine = contracts.portfolio(uow, currency=cur, as_of=today)
    usd = mine if cur == "USD" else contracts.portfolio(uow, currency="USD", as_of=today)
    share = (mine.delivered_share * 100).quantize(Decimal("0.1"))
    return {
        "currency": mine.currency, "total": str(mine.total), "total_usd": str(usd.total),
        "delivered": str(mine.delivered), "delivered_percent": str(share), "contracts": mine.contracts,
        "milestones_overdue": len(mine.overdue),
        "figures": [
            Figure("Portfolio", f"{mine.total:,.0f}", mine.currency, f"/contracts?currency={mine.currency}",
                   "total").as_dict(),
            Figure("Portfolio in USD", f"{usd.total:,.0f}", "USD", "/contracts?currency=USD", "total-usd").as_dict(),
            Figure("Delivered of contracted", str(share), "% by value", f"/contracts?currency={mine.currency}",
                   "delivered").as_dict(),
            Figure("Milestones overdue", len(mine.overdue), "milestones", "/contracts#overdue",
                   "milestones-overdue").as_dict(),
        ],
    }


TILE = Tile("contracts", "Contracts", 35, "contracts.contract.read", compute, source="/contracts")
