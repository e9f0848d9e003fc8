"""CLI adapter of the maintained exchange rates (`setu rates list|add`)."""
from __future__ import annotations

from datetime import date

import typer
from pydantic import ValidationError

from setu.adapters.console import permission, system_uow
from setu.finance import service
from setu.finance.schemas import RateCreate
from setu.kit.access import system_actor
from setu.kit.uow import transaction

app = typer.Typer(name="rates", help="Maintained dated exchange rates.", no_args_is_help=True)


@app.command("list")
@permission("finance.rate.read")
def rates_list(from_currency: str = typer.Option(None, "--from"), to_currency: str = typer.Option(None, "--to"),
               limit: int = typer.Option(100, min=1, max=500)) -> None:
    """List dated rates, newest first: units of TO per one FROM."""
    with system_uow(False) as uow:
        page = service.list_rates(uow, from_currency=from_currency, to_currency=to_currency, limit=limit)
        for r in page.items:
            typer.echo(f"{r.valid_from}  1 {r.from_currency} = {r.rate.normalize():f} {r.to_currency}  "
                       f"({r.source or '-'}; entered by {r.entered_by})")


@app.command("add")
@permission("finance.rate.create")
def rates_add(from_currency: str = typer.Argument(..., metavar="FROM"), to_currency: str = typer.Argument(..., metavar="TO"),
              rate: str = typer.Argument(..., help="units of TO per one FROM"),
              valid_from: str = typer.Option(..., "--valid-from", help="YYYY-MM-DD"),
              source: str = typer.Option("", "--source")) -> None:
    """Enter one dated rate."""
    try:
        data = RateCreate(from_currency=from_currency, to_currency=to_currency, rate=rate,
                          valid_from=date.fromisoformat(valid_from) if len(valid_from) == 10 else valid_from,
                          source=source)
    except (ValidationError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    with transaction(system_actor("cli")) as uow:
        r = service.add_rate(uow, data=data)
        typer.echo(f"added: {r.valid_from} 1 {r.from_currency} = {r.rate} {r.to_currency}")
