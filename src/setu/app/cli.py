"""Root CLI: composes every capability's Typer app into `setu`."""
from __future__ import annotations

import typer

from setu.demand.cli import forecast_app
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
