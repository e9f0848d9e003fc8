"""CLI adapter for the programme overview: ``setu overview [--user NAME] [--format json]``.

The same figures as the home page and ``GET /api/v1/overview``, computed as the named user sees
them (``--user``), or for the whole programme (the installation's system actor) without it."""
from __future__ import annotations

import json
from enum import Enum
from typing import Optional

import typer

from setu.adapters.console import fail, permission, system_uow
from setu.kit.errors import NotFound, SetuError
from setu.kit.uow import UnitOfWork
from setu.overview import service

app = typer.Typer(name="overview", help="The programme overview: the home page's figures.",
                  invoke_without_command=True)


class Fmt(str, Enum):
    table = "table"
    json = "json"


@app.callback(invoke_without_command=True)
@permission("overview.dashboard.read")
def overview_cmd(user: Optional[str] = typer.Option(None, "--user", help="Compute as this user sees it"),
                 format: Fmt = typer.Option(Fmt.table, "--format", help="table or json")) -> None:
    """Every tile's figures and the actions waiting ("Needs you now")."""
    from setu.identity import auth

    try:
        with system_uow() as uow:
            if user is None:
                data = service.overview(uow)
            else:
                account = auth.get_user_by_name(uow, user)
                if account is None:
                    raise NotFound(f"no user named {user!r}")
                actor = auth.actor_for(account)
                with UnitOfWork(actor, engine=uow.session.get_bind()) as as_user:
                    data = service.overview(as_user)
    except SetuError as e:
        fail(e)
    if format is Fmt.json:
        typer.echo(json.dumps(data, indent=2, default=str))
        return
    typer.echo(f"Programme overview on {data['today']} (audit head {data['audit_head']})")
    for key, tile in data["tiles"].items():
        typer.echo(f"\n{tile['title']} ({tile['source']})")
        for f in tile.get("figures", []):
            typer.echo(f"  {f['label']}: {f['value']} {f['unit']}")
    typer.echo(f"\nNeeds you now: {len(data['needs_you'])}")
    for a in data["needs_you"]:
        typer.echo(f"  {a['title']}  {a['href']}")
