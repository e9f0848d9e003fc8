"""CLI adapter of contracts (`setu contracts ...`).

- ``setu contracts list [--kind K] [--status S]``
- ``setu contracts portfolio --currency USD [--format json|text]``
"""
from __future__ import annotations

import json
from typing import Optional

import typer

from setu.adapters.console import fail, permission, system_uow
from setu.contracts import service
from setu.contracts.rules import KINDS, STATE_LABELS
from setu.contracts.schemas import portfolio_out
from setu.kit.errors import SetuError

app = typer.Typer(name="contracts", help="Contracts between the partners and the portfolio.", no_args_is_help=True)


@app.command("list")
@permission("contracts.contract.read")
def list_cmd(kind: Optional[str] = typer.Option(None, "--kind", help=", ".join(KINDS)),
             status: Optional[str] = typer.Option(None, "--status", help=", ".join(STATE_LABELS))) -> None:
    """Every contract: number, kind, state, value and currency, signature date."""
    try:
        with system_uow(False) as uow:
            for c in service.list_contracts(uow, kind=kind, status=status):
                typer.echo(f"{c.number}\t{c.kind}\t{c.status}\t{c.value} {c.currency}\t{c.signed_on or '-'}\t{c.title}")
    except SetuError as exc:
        fail(exc)


@app.command("portfolio")
@permission("contracts.contract.read")
def portfolio_cmd(currency: str = typer.Option("USD", "--currency", help="ISO 4217 code of the totals"),
                  fmt: str = typer.Option("text", "--format", help="text or json")) -> None:
    """The portfolio's totals in one currency, each contract converted at the rate of its date."""
    if fmt not in ("text", "json"):
        fail("--format: use text or json")
    try:
        with system_uow(False) as uow:
            p = service.portfolio(uow, currency=currency)
    except SetuError as exc:
        fail(exc)
    if fmt == "json":
        typer.echo(json.dumps(portfolio_out(p).model_dump(mode="json"), indent=2))
        return
    typer.echo(f"portfolio: {p.total} {p.currency} in {p.contracts} contracts; delivered {p.delivered} "
               f"{p.currency} ({p.delivered_share * 100:.1f} %); {len(p.overdue)} milestones overdue")
    for b in p.by_kind:
        typer.echo(f"  {b.label}: {b.total} {p.currency} ({b.count})")
