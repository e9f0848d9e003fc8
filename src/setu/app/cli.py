"""Root CLI: composes every capability's Typer app (from :mod:`setu.app.registry`) into `setu`."""
from __future__ import annotations

import typer

from setu.adapters.console import command_permission, permission
from setu.app import registry

app = typer.Typer(
    help="Setu: catalog & fleet, forecasting, readiness and more, for two partner countries.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Create and migrate the database (SQLite by default, or SETU_DATABASE_URL).",
                     no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
@permission("admin.database.upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Alembic revision to migrate to")) -> None:
    """Create the database, or migrate it to the newest schema (Alembic)."""
    from setu.kit.db import upgrade_database
    from setu.kit.settings import get_settings

    url = get_settings().database_url
    upgrade_database(url, revision)
    typer.echo(f"database at {url.split('@')[-1]} is at revision {revision}")


@db_app.command("grant-app-role")
@permission("admin.database.grant")
def db_grant_app_role(role: str = typer.Argument(..., help="the application's PostgreSQL login role")) -> None:
    """PostgreSQL: grant the application's role read/write on business tables, append-only on the
    audit log (no UPDATE, DELETE or TRUNCATE), nothing on the schema. Run as the schema owner."""
    from setu.kit.db import get_engine, grant_app_role

    try:
        for stmt in grant_app_role(get_engine(), role):
            typer.echo(stmt)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command("serve")
@permission("admin.server.run")
def serve(
    host: str = typer.Option(None, help="address to listen on (default SETU_HOST or 127.0.0.1)"),
    port: int = typer.Option(None, help="port (default SETU_PORT or 8000)"),
    reload: bool = typer.Option(False, help="reload on code changes (development)"),
    workers: int = typer.Option(1, min=1, help="server processes (each with its own database pool); "
                                                "not with --reload"),
) -> None:
    """Serve the web app and the JSON API (docs at /api/v1/docs)."""
    import uvicorn

    from setu.kit.settings import get_settings

    s = get_settings()
    uvicorn.run("setu.app.main:create_app", factory=True, host=host or s.host, port=port or s.port, reload=reload,
                workers=None if reload else workers)


def command_paths() -> list[str]:
    """Every leaf command of `setu`, as "group command"."""
    import click

    root = typer.main.get_command(app)
    out: list[str] = []

    def walk(cmd, ctx, prefix: str) -> None:
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                walk(sub, click.Context(sub, parent=ctx), f"{prefix} {name}".strip())
        else:
            out.append(prefix)

    walk(root, click.Context(root), "")
    return out


def _mount() -> None:
    """Mount every capability's command group, the demo data set, and the import/export commands."""
    from setu.adapters.console import table_apps
    from setu.demo.load import demo_app

    for sub in registry.cli_apps():
        app.add_typer(sub, name=sub.info.name)
    app.add_typer(demo_app, name="demo")
    import_app, export_app = table_apps(registry.tables())
    app.add_typer(import_app, name="import")
    app.add_typer(export_app, name="export")


_mount()


def command_permissions() -> dict[str, str | None]:
    """Every leaf command of `setu` with the permission it declares (None: declares none)."""
    import click

    root = typer.main.get_command(app)
    out: dict[str, str | None] = {}

    def walk(cmd, ctx, prefix: str) -> None:
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                walk(sub, click.Context(sub, parent=ctx), f"{prefix} {name}".strip())
        else:
            out[prefix] = command_permission(cmd.callback)

    walk(root, click.Context(root), "")
    return out


def main() -> None:
    app()
