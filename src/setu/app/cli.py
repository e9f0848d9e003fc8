"""Root CLI: composes every capability's Typer app into `setu`."""
from __future__ import annotations

import typer

from setu.demand.cli import forecast_app
from setu.readiness.cli import readiness_app

app = typer.Typer(
    help="Setu: catalog & fleet, forecasting, readiness and more, for two partner countries.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(forecast_app, name="forecast")
app.add_typer(readiness_app, name="readiness")


def main() -> None:
    app()
