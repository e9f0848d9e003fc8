"""Spares-orders tile: orders overdue by supplier (promised date passed, delivery still awaited, as
on /orders?overdue=yes and /orders/performance) and, under "Needs you now", the orders waiting for
this user's acknowledgement (a supplier's clerk)."""
from __future__ import annotations

from datetime import date
from typing import Any

from setu.overview.tiles import Action, Figure, Tile


def compute(uow, today: date) -> dict[str, Any]:
    from setu.orders import service as orders

    perf = orders.supplier_performance(uow, on=today)
    by_supplier = [{"supplier": r.supplier, "overdue": r.overdue_open, "orders": r.orders,
                    "on_time_rate": r.on_time_rate} for r in perf if r.overdue_open]
    by_supplier.sort(key=lambda r: -r["overdue"])
    overdue = sum(r.overdue_open for r in perf)
    return {
        "overdue": overdue, "overdue_by_supplier": by_supplier,
        "figures": [Figure("Orders overdue", overdue, "orders", "/orders?overdue=yes", "overdue").as_dict()]
        + [Figure(f"Overdue from {r['supplier']}", r["overdue"], "orders", "/orders/performance",
                  f"overdue-{i}").as_dict() for i, r in enumerate(by_supplier[:4])],
    }


def needs_you(uow, today: date) -> list[Action]:
    from setu.orders import service as orders

    page = orders.list_orders(uow, status="ordered", limit=50, with_total=False)
    return [Action("order_acknowledgement", f"Acknowledge order {o.number}", f"/orders/{o.id}",
                   f"placed, promised {o.promised_date}" if o.promised_date else "placed")
            for o in page.items if "acknowledge" in orders.actions(uow, o)]


TILE = Tile("orders", "Spares orders", 36, "orders.order.read", compute, source="/orders")
