"""Root CLI: composes every capability's Typer app into `setu`."""
from __future__ import annotations

import typer

from setu.demand.cli import forecast_app
from setu.identity import audit_checkpoint_cli  # noqa: F401  (setu audit checkpoint, trust-key, ...)
from setu.identity.cli import audit_app, user_app
from setu.readiness.cli import readiness_app

app = typer.Typer(
    help="Setu: catalog & fleet, forecasting, readiness and more, for two partner countries.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Create and migrate the database (SQLite by default, or SETU_DATABASE_URL).",
                     no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(forecast_app, name="forecast")
app.add_typer(readiness_app, name="readiness")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Alembic revision to migrate to")) -> None:
    """Create the database, or migrate it to the newest schema (Alembic)."""
    from setu.kit.db import upgrade_database
    from setu.kit.settings import get_settings

    url = get_settings().database_url
    upgrade_database(url, revision)
    typer.echo(f"database at {url.split('@')[-1]} is at revision {revision}")


@db_app.command("grant-app-role")
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
def serve(
    host: str = typer.Option(None, help="address to listen on (default SETU_HOST or 127.0.0.1)"),
    port: int = typer.Option(None, help="port (default SETU_PORT or 8000)"),
    reload: bool = typer.Option(False, help="reload on code changes (development)"),
) -> None:
    """Serve the web app and the JSON API (docs at /api/v1/docs)."""
    import uvicorn

    from setu.kit.settings import get_settings

    s = get_settings()
    uvicorn.run("setu.app.main:create_app", factory=True, host=host or s.host, port=port or s.port, reload=reload)


#: The permission each command needs. Commands run as the installation's system actor (the
#: operator of this installation, who holds every permission); the declarations name what each
#: command does in the one permission vocabulary, and an architecture test fails when a command
#: has none.
CLI_PERMISSIONS = {
    "serve": "admin.server.run",
    "db upgrade": "admin.database.upgrade",
    "demo load": "admin.demo.load",
    "forecast file": "demand.forecast.create",
    "forecast run": "demand.forecast.create",
    "readiness evaluate": "readiness.case.read",
    "readiness optimize": "readiness.case.read",
    "readiness plan": "readiness.plan.create",
    "db grant-app-role": "admin.database.grant",
    "user create": "identity.user.create",
    "user disable": "identity.user.update",
    "user reset-password": "identity.user.update",
    "user totp-code": "identity.user.read",
    "user token create": "identity.token.create",
    "user token revoke": "identity.token.update",
    "audit verify": "audit.entry.read",
    "audit export": "audit.entry.read",
    "audit checkpoint": "audit.entry.read",
    "audit public-key": "audit.entry.read",
    "audit trust-key": "audit.key.update",
    "audit import-checkpoint": "audit.key.update",
    "import parts": "catalog.part.import",
    "import bom": "catalog.bom.import",
    "import stock": "fleet.stock.import",
    "import demand": "demand.record.import",
    "export parts": "catalog.part.read",
    "export bom": "catalog.bom.read",
    "export interchanges": "catalog.interchange.read",
    "export stock": "fleet.stock.read",
    "export demand": "demand.record.read",
    "export sites": "fleet.site.read",
    "export equipment-types": "fleet.equipment_type.read",
    "export equipment-units": "fleet.equipment_unit.read",
    "export organisations": "identity.organisation.read",
}


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


def _mount_optional() -> None:
    """Mount command groups that live in their own modules."""
    import importlib

    for extension in ("setu.demand.forecast_cli", "setu.readiness.plan_cli"):
        try:  # modules that add commands to the forecast and readiness groups
            importlib.import_module(extension)
        except ModuleNotFoundError as exc:
            if exc.name != extension:
                raise
    for module, attr, name in (
        ("setu.app.demo", "demo_app", "demo"),
        ("setu.app.transfer_cli", "import_app", "import"),
        ("setu.app.transfer_cli", "export_app", "export"),
    ):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        app.add_typer(getattr(mod, attr), name=name)


_mount_optional()


def main() -> None:
    app()
