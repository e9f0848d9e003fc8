"""CLI adapter for demand forecasting (`setu forecast ...`)."""
import typer

forecast_app = typer.Typer(help="Forecast intermittent spare-parts demand, on files or on the database.", no_args_is_help=True)
