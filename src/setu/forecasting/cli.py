"""CLI adapter for demand forecasting (`setu forecast ...`).

``setu forecast file INPUT.csv --model {ses,ses_opt,croston,sba,tsb,croston_opt,adida,imapa,auto}
--horizon H [--alpha A] [--lead-time L|FILE] [--quantiles 0.5,0.9,0.99] [--variance]
[--workers N | --scheduler ADDRESS] --output OUT.csv``

Input: long format ``unique_id,ds,y`` (plain or gzip, detected from the content), ``ds`` ISO dates
or integer periods. Output: ``unique_id,ds,mean`` for every series and future period (the future
``ds`` continue the series' grid), plus ``var`` and ``q<level>`` columns when asked, the
lead-time demand (``lead_time,ltd_mean,ltd_var,ltd_q<level>``) with ``--lead-time``, and the
chosen ``model`` per series with ``--model auto`` (selection by rolling-origin evaluation over the
whole file, pooled by demand class; computed as one block).

Every malformed row is found and reported as ``row N, column C: message`` (N = line in the file,
header = row 1; the first 20 are printed, then their count); the exit code is then 2 and nothing
is written (output goes through a temporary file). ``--negative zero`` counts negative values
(returns) as zero demand instead of refusing the file. Files are read and written with Arrow's
columnar CSV reader and writer.
"""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Optional

import numpy as np
import typer

from setu.adapters.console import permission
from datetime import datetime, timezone
from collections import Counter

app = forecast_app = typer.Typer(name="forecast", help="Forecast intermittent spare-parts demand, on files or on the database.", no_args_is_help=True)

BAD_INPUT = 2
BLOCK_SERIES = 20_000
MODEL_CHOICES = ("ses", "ses_opt", "croston", "sba", "tsb", "croston_opt", "adida", "imapa", "auto")


#: At most this many error lines are printed; the rest are counted.
MAX_ERRORS_SHOWN = 20


def _die(lines: list[str] | str) -> None:
    lines = [lines] if isinstance(lines, str) else list(lines)
    for line in lines[:MAX_ERRORS_SHOWN]:
        typer.echo(f"error: {line}", err=True)
    if len(lines) > MAX_ERRORS_SHOWN:
        typer.echo(f"error: ... and {len(lines) - MAX_ERRORS_SHOWN:,} more ({len(lines):,} errors in all; "
                   f"the first {MAX_ERRORS_SHOWN} are shown)", err=True)
    negative = sum("is negative" in line for line in lines)
    if negative:
        typer.echo(f"error: {negative:,} row(s) have a negative y (returns?); --negative zero counts them as "
                   "zero demand", err=True)
    raise typer.Exit(BAD_INPUT)


def _parse_quantiles(text: Optional[str]) -> tuple[tuple[float, ...], list[str]]:
    if not text:
        return (), []
    levels, names, errors = [], [], []
    for tok in text.split(","):
        tok = tok.strip()
        try:
            q = float(tok)
            if not 0.0 < q < 1.0:
                raise ValueError
        except ValueError:
            errors.append(f"option --quantiles: {tok!r} is not a level in (0, 1)")
            continue
        levels.append(q)
        names.append(f"q{q:g}")
    if errors:
        _die(errors)
    if len(set(levels)) != len(levels):
        _die("option --quantiles: levels must be distinct")
    return tuple(levels), names


def _progress(enabled: bool):
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                    TimeElapsedColumn(), console=Console(stderr=True), transient=True, disable=not enabled)


@forecast_app.command("file")
@permission("forecasting.run.create")
def forecast_file(
    input: Path = typer.Argument(..., help="long-format CSV unique_id,ds,y (gzip accepted)"),
    model: str = typer.Option("sba", "--model", "-m", help="one of " + ", ".join(MODEL_CHOICES)),
    horizon: int = typer.Option(..., "--horizon", "-h", help="number of future periods"),
    output: Path = typer.Option(..., "--output", "-o", help="output CSV (.gz for gzip)"),
    alpha: Optional[float] = typer.Option(None, help="smoothing constant for ses/croston/sba/tsb (default 0.1)"),
    lead_time: Optional[str] = typer.Option(
        None, "--lead-time", help="lead time in periods, or a CSV with unique_id and a lead_time* column; adds the "
        "lead-time demand: its variance includes the error of the lead-time forecast (Prak, Teunter & Syntetos 2017)"),
    quantiles: Optional[str] = typer.Option(None, help="per-period quantile levels, e.g. 0.5,0.9,0.99"),
    variance: bool = typer.Option(False, "--variance", help="add the per-period variance column var"),
    freq: Optional[str] = typer.Option(None, help="grid step if it cannot be inferred: int, D, W, MS, ME, Q, Y"),
    workers: Optional[int] = typer.Option(None, help="spread the series over a local Dask cluster of N workers"),
    scheduler: Optional[str] = typer.Option(None, help="address of an existing Dask scheduler"),
    seed: int = typer.Option(0, help="seed for any random step (same input and seed give the same output)"),
    negative: str = typer.Option("error", "--negative", help="negative y (returns): error (default: refuse the "
                                 "file, listing the rows) or zero (count them as zero demand)"),
) -> None:
    """Forecast every series of a demand file and write one row per series and future period."""
    from setu.kit.series_file import FileFormatError, LoadReport, load_panel, read_lead_times, write_forecast_file
    from setu.engine.forecasting.pipeline import BatchForecast, ComponentMissing, forecast_block
    from setu.kit.compute import run_blocks, split_ranges

    problems = []
    if model not in MODEL_CHOICES:
        problems.append(f"option --model: {model!r} is not one of {', '.join(MODEL_CHOICES)}")
    if horizon < 1:
        problems.append(f"option --horizon: must be >= 1, got {horizon}")
    if alpha is not None and not (0.0 < alpha <= 1.0):
        problems.append(f"option --alpha: must be in (0, 1], got {alpha}")
    if alpha is not None and model not in ("ses", "croston", "sba", "tsb"):
        problems.append(f"option --alpha: model {model} chooses its own smoothing constant")
    if workers is not None and workers < 1:
        problems.append(f"option --workers: must be >= 1, got {workers}")
    if workers and scheduler:
        problems.append("options --workers and --scheduler: give one of them")
    if negative not in ("error", "zero"):
        problems.append(f"option --negative: {negative!r} is not one of error, zero")
    lead_scalar: float | None = None
    lead_path: Path | None = None
    if lead_time is not None:
        try:
            lead_scalar = float(lead_time)
            if not math.isfinite(lead_scalar) or lead_scalar < 0:
                problems.append(f"option --lead-time: must be >= 0, got {lead_time}")
        except ValueError:
            lead_path = Path(lead_time)
            if not lead_path.exists():
                problems.append(f"option --lead-time: {lead_time!r} is neither a number nor an existing file")
    if problems:
        _die(problems)
    levels, qnames = _parse_quantiles(quantiles)

    size = input.stat().st_size if input.exists() else 0
    big = size > 5_000_000
    t0 = time.perf_counter()
    with _progress(big) as progress:
        task = progress.add_task(f"reading {input.name}", total=max(size, 1))
        report = LoadReport()
        try:
            panel = load_panel(input, freq=freq, negative=negative, report=report,
                               progress=lambda done, total: progress.update(task, completed=done, total=max(total, 1)))
        except FileFormatError as exc:
            _die(exc.errors)
        except ValueError as exc:  # e.g. a --freq that does not fit the periods
            _die(f"option --freq: {exc}")
        lead = None
        if lead_path is not None:
            try:
                lead = read_lead_times(lead_path, panel.ids)
            except FileFormatError as exc:
                _die(exc.errors)
        elif lead_scalar is not None:
            lead = np.full(panel.n_series, lead_scalar)

        n = panel.n_series
        n_blocks = max(1, math.ceil(n / BLOCK_SERIES))
        if workers:
            n_blocks = max(n_blocks, int(workers))
        elif scheduler:
            n_blocks = max(n_blocks, 2)
        if model == "auto":
            n_blocks = 1  # selection pools series by demand class across the whole file
        ranges = split_ranges(n, n_blocks)
        blocks = [(panel.Y[a:b], panel.start[a:b], None if lead is None else lead[a:b]) for a, b in ranges]
        kwargs = dict(model=model, alpha=alpha, quantiles=levels, variance=variance)
        ftask = progress.add_task(f"forecasting {n:,} series ({model})", total=len(blocks))
        try:
            if workers or scheduler:
                results = run_blocks(forecast_block, blocks, workers=workers, scheduler=scheduler, **kwargs)
                progress.update(ftask, completed=len(blocks))
            else:
                results = []
                for blk in blocks:
                    results.append(forecast_block(blk, **kwargs))
                    progress.advance(ftask)
        except ComponentMissing as exc:
            _die(str(exc))
        except ValueError as exc:
            _die(str(exc))

        def cat(name: str) -> np.ndarray | None:
            parts = [getattr(r, name) for r in results]
            return None if parts[0] is None else np.concatenate(parts)

        res = BatchForecast(cat("method"), cat("mean"), cat("var"), cat("quantiles"), levels,
                            cat("lead_time"), cat("ltd_mean"), cat("ltd_var"), cat("ltd_quantiles"))
        columns: dict[str, np.ndarray] = {"mean": res.mean}
        if model == "auto":
            columns["model"] = res.method
        if variance:
            columns["var"] = res.var
        for k, name in enumerate(qnames):
            columns[name] = res.quantiles[:, k]
        if lead is not None:
            columns["lead_time"] = res.lead_time
            columns["ltd_mean"] = res.ltd_mean
            columns["ltd_var"] = res.ltd_var
            for k, name in enumerate(qnames):
                columns[f"ltd_{name}"] = res.ltd_quantiles[:, k]
        wtask = progress.add_task(f"writing {output.name}", total=None)
        rows = write_forecast_file(output, panel, horizon, columns)
        progress.update(wtask, completed=1, total=1)
    if report.negatives_zeroed:
        typer.echo(f"{report.negatives_zeroed:,} negative value(s) counted as zero demand (--negative zero)", err=True)
    typer.echo(f"{n:,} series, {rows:,} rows written to {output} ({model}, {time.perf_counter() - t0:.1f} s)",
               err=True)


# ----------------------------------------------------------------------------------------------
# ``setu forecast run``: a forecast run over the database, with a progress bar.

BAD_INPUT = 2


@forecast_app.command("run")
@permission("forecasting.run.create")
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

    from setu.forecasting import service as fs
    from setu.kit.access import system_actor
    from setu.kit.errors import SetuError
    from setu.kit.uow import UnitOfWork, transaction

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
                with transaction(actor) as uow:
                    failed = fs.record_failed_run(uow, spec, error=f"{type(exc).__name__}: {exc}", started_at=started)
                progress.stop()
                typer.echo(f"error: forecast run {failed.id} failed: {type(exc).__name__}: {exc}", err=True)
                raise typer.Exit(1) from exc
            write = progress.add_task("writing results", total=max(out.n_series, 1))
            with transaction(actor) as uow:
                run = fs.store_forecast_run(uow, spec, inp, out, started_at=started,
                                            progress=lambda d, t: progress.update(write, completed=d, total=max(t, 1)))
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
