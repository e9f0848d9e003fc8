"""`setu readiness plan EQUIPMENT_TYPE_CODE (--budget B | --target A) [--save]` over the database.

Runs as the installation's system actor (``system:cli``): builds the case of the equipment type
from the fleet, the bill of material, demand and stock (setu.readiness.service), computes the
efficient curve, prints today's and the planned availability with the buys and moves, and with
``--save`` stores the plan with the inputs it used. Bad input: a message naming the field, exit
code 2, nothing saved.
"""
from __future__ import annotations

from typing import Optional

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from setu.kit.access import system_actor
from setu.kit.errors import SetuError
from setu.kit.uow import UnitOfWork
from setu.readiness.cli import BAD_INPUT, readiness_app


def _fail(msg: str) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(BAD_INPUT)


@readiness_app.command("plan")
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
) -> None:
    """Plan the spares of one equipment type for a budget or an availability target."""
    from setu.fleet.models import EquipmentType
    from setu.readiness import service

    if workers and scheduler:
        _fail("give --workers or --scheduler, not both")
    err = Console(stderr=True)
    out = Console()
    try:
        with UnitOfWork(system_actor("cli"), write=save) as uow:
            et = uow.session.scalar(select(EquipmentType).where(EquipmentType.code == equipment_type))
            if et is None:
                _fail(f"field EQUIPMENT_TYPE_CODE: no equipment type {equipment_type!r}")
            with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                          console=err, transient=True) as progress:
                task = progress.add_task(f"{et.code}: starting", total=None)

                def say(msg: str) -> None:
                    progress.update(task, description=f"{et.code}: {msg}")

                result = service.plan(uow, equipment_type_id=et.id, budget=budget, target=target, model=model,
                                      currency=currency, workers=workers, scheduler=scheduler, progress=say)
                saved_id = None
                if save:
                    say("saving")
                    saved_id = service.save_plan(uow, result, name=name).id
                    uow.commit()
            _report(out, result, top, saved_id)
    except SetuError as exc:
        msgs = "; ".join(f"field {e.field}: {e.message}" for e in exc.errors) or exc.detail
        _fail(msgs)


def _report(out: Console, result, top: int, saved_id) -> None:
    built = result.built
    out.print(f"[bold]{built.equipment_type.code}[/bold] · {len(built.case.items)} items, "
              f"{sum(1 for s in built.case.sites if s.echelon == 'base')} bases · demand: {built.demand_source}")
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
