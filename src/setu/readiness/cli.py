"""CLI adapter for readiness (`setu readiness ...`): parse, call the engine, render JSON.

- ``setu readiness evaluate CASE.json --stock STOCK.json [--model metric|vari-metric]``
- ``setu readiness optimize CASE.json (--budget B | --target A) [--exact]
  [--workers N | --scheduler ADDRESS] --output CURVE.json``

Bad input exits with code 2 and a message naming item, site and field; nothing is written.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

import numpy as np
import typer

from setu.adapters.console import permission

from setu.engine.readiness import evaluate, exact_frontier, optimize
from setu.engine.readiness.evaluation import evaluate_arrays
from setu.engine.readiness.case import Case
from setu.engine.readiness.case_io import CaseError, parse_case, parse_stock
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from setu.kit.access import system_actor
from setu.kit.errors import SetuError
from setu.kit.uow import UnitOfWork, transaction

app = readiness_app = typer.Typer(name="readiness", 
    help="Predict fleet availability from stock and find the cheapest stock for a target.",
    no_args_is_help=True,
)

BAD_INPUT = 2


def _load_json(path: Path, what: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CaseError(f"{what} {path}: cannot read: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaseError(f"{what} {path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None


def load_case(path: Path | str) -> Case:
    """Read and validate a case file (`setu.engine.readiness.case_io.parse_case`)."""
    return parse_case(_load_json(Path(path), "case"))


def load_stock(case: Case, path: Path | str) -> dict[str, dict[str, int]]:
    """Read and validate a stock file against a case."""
    return parse_stock(case, _load_json(Path(path), "stock"))


def _die(msg: str) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(BAD_INPUT)


def _check_model(model: Optional[str]) -> Optional[str]:
    if model is not None and model not in ("metric", "vari-metric"):
        _die(f"field --model: must be metric or vari-metric, got {model!r}")
    return model


def _parse_target(values: list[str] | None) -> float | dict[str, float] | None:
    if not values:
        return None
    per_type: dict[str, float] = {}
    for v in values:
        key, sep, num = v.partition("=")
        try:
            a = float(num if sep else key)
        except ValueError:
            _die(f"field --target: expected A or TYPE=A with A in (0, 1], got {v!r}")
        if not (0.0 < a <= 1.0):
            _die(f"field --target: availability must be in (0, 1], got {v!r}")
        if sep:
            per_type[key] = a
        else:
            if len(values) > 1:
                _die("field --target: give one number, or TYPE=A per equipment type")
            return a
    return per_type


def _write_json_atomic(path: Path, payload: Any) -> None:
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=".setu-", suffix=".json", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=1)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _stock_dict(item_ids, site_ids, stock: np.ndarray) -> dict[str, dict[str, int]]:
    return {i: {s: int(stock[a, b]) for b, s in enumerate(site_ids)} for a, i in enumerate(item_ids)}


@readiness_app.command("evaluate")
@permission("readiness.case.read")
def evaluate_cmd(
    case_path: Path = typer.Argument(..., metavar="CASE.json", help="Case file (docs/readiness-case-format.md)."),
    stock: Path = typer.Option(..., "--stock", metavar="STOCK.json", help="Stock plan: item -> site -> level."),
    model: Optional[str] = typer.Option(None, "--model", help="metric or vari-metric (default: the case's model)."),
) -> None:
    """Print EBO and VBO per item and site, total base EBO and availability as JSON."""
    model = _check_model(model)
    try:
        case = load_case(case_path)
        plan = load_stock(case, stock)
    except CaseError as exc:
        _die(str(exc))
    result = evaluate(case, plan, model=model)
    typer.echo(json.dumps(result.to_dict(), indent=1))


@readiness_app.command("optimize")
@permission("readiness.case.read")
def optimize_cmd(
    case_path: Path = typer.Argument(..., metavar="CASE.json", help="Case file (docs/readiness-case-format.md)."),
    output: Path = typer.Option(..., "--output", metavar="CURVE.json", help="Where to write the curve."),
    budget: Optional[float] = typer.Option(None, "--budget", help="Stop at the last point costing at most B."),
    target: Optional[list[str]] = typer.Option(
        None, "--target", help="Stop when availability reaches A (all types) or TYPE=A (repeatable)."),
    exact: bool = typer.Option(False, "--exact", help="Exact fill-the-budget frontier (DP); small cases."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Local Dask cluster of N workers."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS", help="Existing Dask scheduler."),
    model: Optional[str] = typer.Option(None, "--model", help="metric or vari-metric (default: the case's model)."),
    objective: Optional[str] = typer.Option(
        None, "--objective", help="ebo or availability (default: availability when the case has units)."),
    max_points: int = typer.Option(
        0, "--max-points", min=0, help="Write at most N evenly spaced points (first and last kept); 0 = all."),
) -> None:
    """Write the cost-versus-availability curve: per point cost, total base EBO, availability, stock."""
    model = _check_model(model)
    if budget is None and not target:
        _die("give --budget B, --target A, or both")
    if budget is not None and not (budget >= 0 and np.isfinite(budget)):
        _die(f"field --budget: must be a number >= 0, got {budget!r}")
    if workers and scheduler:
        _die("give --workers or --scheduler, not both")
    if objective is not None and objective not in ("ebo", "availability"):
        _die(f"field --objective: must be ebo or availability, got {objective!r}")
    targets = _parse_target(target)
    try:
        case = load_case(case_path)
    except CaseError as exc:
        _die(str(exc))
    ca = case.arrays()
    if isinstance(targets, dict):
        for e in targets:
            if e not in ca.equipment_types:
                _die(f"field --target: unknown equipment type {e!r}")
    map_fn = None
    if workers or scheduler:
        from setu.kit.compute import run_blocks

        def map_fn(fn, blocks):
            return run_blocks(fn, blocks, workers=workers, scheduler=scheduler)

    try:
        if exact:
            curve = exact_frontier(case, budget=budget, target=targets, model=model, objective=objective,
                                   map_fn=map_fn)
        else:
            curve = optimize(case, budget=budget, target=targets, model=model, objective=objective,
                             map_fn=map_fn)
    except ValueError as exc:
        _die(str(exc))
    points = []
    indices = range(curve.n_points)
    if max_points and curve.n_points > max_points:
        indices = sorted(set(np.linspace(0, curve.n_points - 1, max(max_points, 2)).round().astype(int).tolist()))
    cache: dict = {}
    for k in indices:
        stock = curve.stock_at(k, cache)
        ev = evaluate_arrays(ca, stock, curve.model)
        d = ev.to_dict()
        points.append({
            "cost": float(curve.cost[k]),
            "total_base_ebo": float(ev.total_base_ebo),
            "availability": d["fleet_availability"],
            "availability_by_site": d["availability"],
            "stock": _stock_dict(ca.item_ids, ca.site_ids, stock),
        })
    payload = {
        "model": curve.model,
        "objective": curve.objective,
        "mode": "exact" if exact else "marginal-analysis",
        "budget": budget,
        "target": targets,
        "stop_reason": curve.stop_reason,
        "curve_points": curve.n_points,
        "target_met": curve.target_met if targets is None or not points else _target_met(points[-1], targets),
        "points": points,
    }
    _write_json_atomic(output, payload)
    last = points[-1]
    typer.echo(
        f"{len(points)} points written to {output}; last: cost {last['cost']:g}, "
        f"total base EBO {last['total_base_ebo']:.5f}, availability "
        + ", ".join(f"{e} {a:.4f}" for e, a in last["availability"].items()),
        err=True,
    )


def _target_met(point: dict[str, Any], targets: float | dict[str, float]) -> bool:
    avail = point["availability"]
    if isinstance(targets, dict):
        return all(avail.get(e, 0.0) >= a - 1e-12 for e, a in targets.items())
    return all(a >= targets - 1e-12 for a in avail.values())


if __name__ == "__main__":  # pragma: no cover
    readiness_app(sys.argv[1:])


# ----------------------------------------------------------------------------------------------
# `setu readiness plan EQUIPMENT_TYPE_CODE (--budget B | --target A) [--save]` over the database.

def _fail(msg: str) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(BAD_INPUT)


@readiness_app.command("plan")
@permission("readiness.plan.create")
def plan_cmd(
    equipment_type: str = typer.Argument(..., metavar="EQUIPMENT_TYPE_CODE", help="Code of the equipment type."),
    budget: Optional[float] = typer.Option(None, "--budget", help="Most to spend on buys (in --currency)."),
    target: Optional[float] = typer.Option(None, "--target", help="Fleet availability to reach, in (0, 1)."),
    model: str = typer.Option("vari-metric", "--model", help="metric or vari-metric."),
    currency: str = typer.Option("USD", "--currency", help="Currency of the budget and the costs."),
    save: bool = typer.Option(False, "--save", help="Store the plan (with its inputs) in the database."),
    name: Optional[str] = typer.Option(None, "--name", help="Name of the saved plan."),
    top: int = typer.Option(20, "--top", min=0, help="Lines of buys and moves to print."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Local Dask cluster of N workers."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS", help="Existing Dask scheduler."),
    demand_source: str = typer.Option("history", "--demand-source", help="history (default: the last 24 months "
                                      "recorded), forecast (the newest run), forecast:<run id>, or reliability."),
) -> None:
    """Plan the spares of one equipment type for a budget or an availability target."""
    from setu.readiness import service

    if workers and scheduler:
        _fail("give --workers or --scheduler, not both")
    err = Console(stderr=True)
    out = Console()
    try:
        actor = system_actor("cli")
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=err, transient=True) as progress:
            # computed in a read-only unit of work, saved in a short write one (no write lock meanwhile)
            with UnitOfWork(actor) as uow:
                et = service.equipment_type_by_code(uow, code=equipment_type)
                if et is None:
                    _fail(f"field EQUIPMENT_TYPE_CODE: no equipment type {equipment_type!r}")
                task = progress.add_task(f"{et.code}: starting", total=None)

                def say(msg: str) -> None:
                    progress.update(task, description=f"{et.code}: {msg}")

                result = service.plan(uow, equipment_type_id=et.id, budget=budget, target=target, model=model,
                                      currency=currency, workers=workers, scheduler=scheduler, progress=say,
                                      demand_source=demand_source)
            saved_id = None
            if save:
                say("saving")
                with transaction(actor) as uow:
                    saved_id = service.save_plan(uow, result, name=name).id
        _report(out, result, top, saved_id)
    except SetuError as exc:
        msgs = "; ".join(f"field {e.field}: {e.message}" for e in exc.errors) or exc.detail
        _fail(msgs)


def _report(out: Console, result, top: int, saved_id) -> None:
    built = result.built
    out.print(f"[bold]{built.equipment_type.code}[/bold] · {len(built.case.items)} items, "
              f"{sum(1 for s in built.case.sites if s.echelon == 'base')} bases · demand: "
              f"{built.basis.describe() if built.basis else built.demand_source} ({built.demand_source.split(' | ')[-1]})")
    out.print(f"availability today {result.availability_now:.4f} -> planned {result.availability_planned:.4f} "
              f"for {result.cost:,.2f} {result.currency} ({result.stop_reason}"
              + (f", target met: {result.target_met}" if result.target_met is not None else "") + ")"
              + f" · {result.curve_points} curve points · {result.seconds:.1f} s")
    table = Table("part", "name", "site", "now", "planned", "buy", "move in", "move out", "cost")
    for ln in result.lines[:top]:
        table.add_row(ln["part_number"], ln["part_name"][:40], ln["site_code"], str(ln["stock_now"]),
                      str(ln["stock_planned"]), str(ln["buy"]), str(ln["move_in"]), str(ln["move_out"]),
                      f"{ln['cost']:,.2f}")
    if result.lines and top:
        out.print(table)
    if len(result.lines) > top:
        out.print(f"… {len(result.lines) - top} more lines")
    if saved_id is not None:
        out.print(f"saved plan {saved_id}")
