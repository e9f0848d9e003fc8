"""CLI adapter for spares orders (``setu orders ...``), run as the installation's system actor:

- ``setu orders list [--status S] [--supplier CODE] [--overdue] [--limit N] [--format table|json]``;
- ``setu orders advance ORDER ACTION [--note ..] [--promised-days N] [--price LINE=AMOUNT ..]
  [--qty LINE=N ..] [--accept LINE=N ..] [--reject LINE=N ..] [--reason ..] [--invoice-number ..]
  [--payment-reference ..]``: one workflow step on an order (by number or id), lines by number.
"""
from __future__ import annotations

import json
from enum import Enum
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from setu.adapters.console import fail, permission, system_uow
from setu.kit.errors import SetuError
from setu.kit.uow import transaction
from setu.kit.access import system_actor
from setu.orders import service

app = typer.Typer(name="orders", help="Spares orders: from request for quotation to payment.", no_args_is_help=True)


class Fmt(str, Enum):
    table = "table"
    json = "json"


def _row(o, supplier: str) -> dict:
    return {"id": str(o.id), "number": o.number, "status": o.status, "supplier": supplier, "currency": o.currency,
            "title": o.title, "promised_date": o.promised_date.isoformat() if o.promised_date else None,
            "overdue": service.overdue(o), "invoice_amount": str(o.invoice_amount) if o.invoice_amount else None}


@app.command("list")
@permission("orders.order.read")
def list_cmd(status: Optional[str] = typer.Option(None, help="Only orders in this state"),
             supplier: Optional[str] = typer.Option(None, help="Only orders addressed to this organisation (code)"),
             overdue: bool = typer.Option(False, "--overdue", help="Only orders past their promised date"),
             limit: int = typer.Option(50, min=1, max=500),
             format: Fmt = typer.Option(Fmt.table, "--format", help="table or json")) -> None:
    """Orders, newest first, with state, supplier, promised date and whether overdue."""
    try:
        with system_uow() as uow:
            sup_id = None
            if supplier:
                match = [s for s in service.suppliers(uow) if s[1] == supplier.upper()]
                if not match:
                    fail(f"no supplier organisation {supplier}")
                sup_id = match[0][0]
            page = service.list_orders(uow, status=status, supplier_org_id=sup_id, overdue=overdue, limit=limit)
            names = service.organisation_names(uow, [o.supplier_org_id for o in page.items])
            rows = [_row(o, names[o.supplier_org_id]) for o in page.items]
    except SetuError as e:
        fail(e)
    if format is Fmt.json:
        typer.echo(json.dumps({"items": rows, "total": page.total}, indent=2))
        return
    table = Table("number", "state", "supplier", "title", "promised", "overdue", "invoiced",
                  title=f"Orders ({page.total} in all)")
    for r in rows:
        table.add_row(r["number"], r["status"], r["supplier"], r["title"][:40], r["promised_date"] or "-",
                      "OVERDUE" if r["overdue"] else "", f"{r['invoice_amount']} {r['currency']}" if r["invoice_amount"]
                      else "")
    Console().print(table)


def _by_line(pairs: list[str], lines, what: str) -> dict[str, str] | None:
    if not pairs:
        return None
    by_no = {str(ln.line_no): str(ln.id) for ln in lines}
    out = {}
    for p in pairs:
        no, sep, value = p.partition("=")
        if not sep or no.strip() not in by_no:
            fail(f"--{what} {p!r}: give LINE=VALUE with a line number of the order ({', '.join(by_no)})")
        out[by_no[no.strip()]] = value.strip()
    return out


@app.command("advance")
@permission("orders.order.approve")
def advance_cmd(order: str = typer.Argument(..., help="Order number (SO-...) or id"),
                action: str = typer.Argument(..., help="quote, decline, place, acknowledge, reject, amend, cancel, "
                                             "dispatch, receive, invoice, accept, pay or close"),
                note: Optional[str] = typer.Option(None), promised_days: Optional[int] = typer.Option(None),
                price: list[str] = typer.Option([], help="quote: LINE=UNIT_PRICE (repeat)"),
                qty: list[str] = typer.Option([], help="amend or dispatch: LINE=QUANTITY (repeat)"),
                accept: list[str] = typer.Option([], help="receive: LINE=UNITS accepted (repeat)"),
                reject: list[str] = typer.Option([], help="receive: LINE=UNITS rejected (repeat)"),
                reason: Optional[str] = typer.Option(None, help="receive: why units are rejected"),
                invoice_number: Optional[str] = typer.Option(None),
                payment_reference: Optional[str] = typer.Option(None)) -> None:
    """Make one workflow step on an order as the installation (audited like any other)."""
    try:
        with transaction(system_actor("cli")) as uow:
            o = service.get_order(uow, order_id=order)
            lines = service.lines(uow, o)
            ints = lambda m: None if m is None else {k: int(v) for k, v in m.items()}  # noqa: E731
            try:
                q, a, r = (ints(_by_line(qty, lines, "qty")), ints(_by_line(accept, lines, "accept")),
                           ints(_by_line(reject, lines, "reject")))
            except ValueError:
                fail("quantities are whole numbers")
            o = service.advance(uow, order_id=o.id, action=action, note=note, promised_days=promised_days,
                                prices=_by_line(price, lines, "price"), quantities=q, accepted=a, rejected=r,
                                reason=reason, invoice_number=invoice_number, payment_reference=payment_reference)
            number, status = o.number, o.status
    except SetuError as e:
        fail(e)
    typer.echo(f"{number}: {action} -> {status}")
