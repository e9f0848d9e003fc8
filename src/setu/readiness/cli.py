"""CLI adapter for readiness (`setu readiness ...`)."""
import typer

readiness_app = typer.Typer(help="Predict fleet availability from stock and find the cheapest stock for a target.", no_args_is_help=True)
