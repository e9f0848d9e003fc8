"""``setu forecast run``: a forecast run over the database, with a progress bar.

``setu forecast run [--method auto] [--horizon 12] [--holdout 6] [--alpha A] [--part ID ...]
[--site ID ...] [--seed 0] [--workers N | --scheduler ADDRESS]``

Runs as the installation's system actor (``system:cli``) on the database of the settings
(``SETU_DATABASE_URL``). The history is read in a read-only unit of work, the series are
forecast in blocks (the bar advances per block; on Dask the blocks run in parallel), and the run
with its results is written in one write unit of work at the end, so the database is never
locked while the engine computes; a run whose computation fails is recorded with status
``failed`` and its error (exit code 1), and no results. Prints a summary: series, methods chosen,
demand classes, holdout accuracy. Bad options exit with code 2 and write nothing.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from collections import Counter
from typing import Optional

import typer

from setu.demand.cli import forecast_app

BAD_INPUT = 2


@forecast_app.command("run")
def forecast_run(
    method: str = typer.Option("auto", "--method", "-m", help="auto, ses, ses_opt, croston, sba, tsb, croston_opt, adida or imapa"),
    horizon: int = typer.Option(12, "--horizon", help="months ahead"),
    holdout: int = typer.Option(6, "--holdout", help="last months held out to measure accuracy (0: none)"),
    alpha: Optional[float] = typer.Option(None, help="smoothing constant for ses/croston/sba/tsb"),
    part: Optional[list[str]] = typer.Option(None, "--part", help="only this part id (repeatable)"),
    site: Optional[list[str]] = typer.Option(None, "--site", help="only this site id (repeatable)"),
    seed: int = typer.Option(0, help="seed of any random step (recorded with the run)"),
    prior_months: float = typer.Option(12.0, "--prior-months", help="weight of reliability-based rates, in months of data"),
    workers: Optional[int] = typer.Option(None, help="compute on a local Dask cluster of N workers"),
    scheduler: Optional[str] = typer.Option(None, help="address of an existing Dask scheduler"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
) -> None:
    """Forecast every part x site series of the database and store the run."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from setu.demand import forecast_service as fs
    from setu.kit.access import system_actor
    from setu.kit.errors import SetuError
    from setu.kit.uow import UnitOfWork

    actor = system_actor("cli")
    t0 = time.perf_counter()
    try:
        spec = fs.validate_spec(method=method, horizon=horizon, alpha=alpha, holdout_months=holdout,
                                part_ids=part or None, site_ids=site or None, seed=seed, prior_months=prior_months,
                                workers=workers, scheduler=scheduler)
    except SetuError as exc:
        for e in exc.errors or []:
            typer.echo(f"error: option --{_option(e.field)}: {e.message}", err=True)
        if not exc.errors:
            typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(BAD_INPUT)
    err = Console(stderr=True)
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, transient=True, disable=quiet)
    started = datetime.now(timezone.utc)
    try:
        with progress:
            read = progress.add_task("reading demand history", total=None)
            with UnitOfWork(actor) as uow:
                inp = fs.load_forecast_input(uow, spec)
            progress.update(read, total=1, completed=1)
            task = progress.add_task(f"forecasting {inp.n_series:,} series ({spec.method})", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            try:
                out = fs.compute_forecasts(inp, spec, workers=workers, scheduler=scheduler, progress=advance)
            except Exception as exc:  # the engine or the cluster failed: record it, then report
                with UnitOfWork(actor, write=True) as uow:
                    failed = fs.record_failed_run(uow, spec, error=f"{type(exc).__name__}: {exc}", started_at=started)
                    uow.commit()
                progress.stop()
                typer.echo(f"error: forecast run {failed.id} failed: {type(exc).__name__}: {exc}", err=True)
                raise typer.Exit(1) from exc
            write = progress.add_task("writing results", total=max(out.n_series, 1))
            with UnitOfWork(actor, write=True) as uow:
                run = fs.store_forecast_run(uow, spec, inp, out, started_at=started,
                                            progress=lambda d, t: progress.update(write, completed=d, total=max(t, 1)))
                uow.commit()
    except SetuError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        for e in exc.errors or []:
            typer.echo(f"error: {e}", err=True)
        raise typer.Exit(BAD_INPUT)
    elapsed = time.perf_counter() - t0

    import json

    acc = json.loads(run.accuracy or "{}")
    console = Console()
    console.print(f"forecast run [bold]{run.id}[/bold]: {run.n_series:,} series "
                  f"({len(inp.part_ids):,} with demand history, {len(inp.rel_part_ids):,} reliability-based), "
                  f"method {spec.method}, horizon {spec.horizon} months, {elapsed:.1f} s")
    methods = Counter(fs.method_group(str(m)) for m in out.method)
    blended = sum(str(m).endswith("|rel") for m in out.method)
    classes = Counter(str(c) for c in out.demand_class)
    lead = " (best-ranked of the combination chosen per series)" if spec.method == "auto" else ""
    console.print(f"methods{lead}: " + ", ".join(f"{k} {v:,}" for k, v in methods.most_common())
                  + (f"; blended with reliability rates: {blended:,}" if blended else ""))
    console.print("demand classes: " + ", ".join(f"{k} {v:,}" for k, v in classes.most_common()))
    if spec.holdout_months and acc.get("scored"):
        table = Table(title=f"accuracy on the last {spec.holdout_months} months ({acc['scored']:,} series scored; "
                            "means, p50 = median, bias = scaled mean error)")
        for col in ("", "n", "RMSSE", "RMSSE p50", "bias", "MASE", "MASE p50"):
            table.add_column(col, justify="left" if not col else "right")

        def row(name: str, s: dict) -> None:
            f = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
            table.add_row(name, f"{s['rmsse_n']:,}", f(s["rmsse_mean"]), f(s["rmsse_median"]),
                          f(s["scaled_bias_mean"]), f(s["mase_mean"]), f(s["mase_median"]))

        row("all", acc["overall"])
        for k, s in acc.get("by_class", {}).items():
            if s["rmsse_n"]:
                row(k, s)
        if spec.method == "auto":
            for k, s in acc.get("by_method", {}).items():
                if s["rmsse_n"]:
                    row(k, s)
        console.print(table)
    elif spec.holdout_months:
        console.print(f"accuracy: no series long enough to hold out {spec.holdout_months} months")


def _option(field: str) -> str:
    return {"holdout_months": "holdout", "part_ids": "part", "site_ids": "site",
            "prior_months": "prior-months"}.get(field, field)
