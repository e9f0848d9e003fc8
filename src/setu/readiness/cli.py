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

from setu.engine.readiness import evaluate, exact_frontier, optimize
from setu.engine.readiness.evaluation import evaluate_arrays
from setu.readiness.case_io import CaseError, load_case, load_stock

readiness_app = typer.Typer(
    help="Predict fleet availability from stock and find the cheapest stock for a target.",
    no_args_is_help=True,
)

BAD_INPUT = 2


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
