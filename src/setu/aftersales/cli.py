"""CLI adapter for after-sales (``setu aftersales ...``), run as the installation's system actor:

- ``setu aftersales tickets [--status S] [--format table|json]``: every ticket with its SLA clocks now;
- ``setu aftersales sla-report [--format table|json]``: per supplier organisation, SLA compliance
  (share of commitments not breached), breaches, mean hours to acknowledge and to restore, and the
  no-fault-found rate (:func:`setu.aftersales.rules.supplier_metrics`).
"""
from __future__ import annotations

import json
from enum import Enum
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from setu.adapters.console import fail, permission, system_uow
from setu.aftersales import service
from setu.kit.errors import SetuError

app = typer.Typer(name="aftersales", help="After-sales tickets and their SLA clocks.", no_args_is_help=True)


class Fmt(str, Enum):
    table = "table"
    json = "json"


def _clock(c) -> dict:
    return {"stage": c.stage, "elapsed_hours": c.elapsed_hours, "target_hours": c.target_hours,
            "percent": c.percent, "breached": c.breached, "levels": list(c.levels),
            "due_at": c.due_at.isoformat() if c.due_at else None}


@app.command("tickets")
@permission("aftersales.ticket.read")
def tickets_cmd(status: Optional[str] = typer.Option(None, help="Only tickets in this state"),
                format: Fmt = typer.Option(Fmt.table, "--format", help="table or json")) -> None:
    """Every ticket with its state, priority, supplier and SLA clocks now (hours)."""
    try:
        with system_uow() as uow:
            lines = [ln for ln in service.ticket_lines(uow) if status is None or ln.status == status]
    except SetuError as e:
        fail(e)
    if format is Fmt.json:
        typer.echo(json.dumps([{"id": ln.id, "title": ln.title, "type": ln.type, "priority": ln.priority,
                                "status": ln.status, "supplier": ln.supplier, "unit": ln.unit,
                                "sla": {k: _clock(c) for k, c in ln.clocks.items()}} for ln in lines], indent=2))
        return
    table = Table("ticket", "unit", "supplier", "type", "priority", "state", "acknowledge %", "restore %",
                  title="Tickets (SLA percent of target, working hours)")
    for ln in lines:
        pc = lambda k: "-" if ln.clocks[k].percent is None else (  # noqa: E731
            f"{ln.clocks[k].percent:.0f}{' BREACHED' if ln.clocks[k].breached else ''}")
        table.add_row(ln.id[:8], ln.unit, ln.supplier, ln.type, ln.priority, ln.status, pc("acknowledge"),
                      pc("restore"))
    Console().print(table)


@app.command("sla-report")
@permission("aftersales.ticket.read")
def sla_report_cmd(format: Fmt = typer.Option(Fmt.table, "--format", help="table or json")) -> None:
    """Per supplier organisation: compliance (0..1), breaches, mean hours to acknowledge and to restore."""
    try:
        with system_uow() as uow:
            report = service.sla_report(uow)
    except SetuError as e:
        fail(e)
    if format is Fmt.json:
        typer.echo(json.dumps(report, indent=2))
        return
    table = Table("supplier", "tickets", "compliance", "breaches", "mean acknowledge (h)", "mean restore (h)",
                  "no fault found", title="SLA performance per supplier")
    fmt = lambda v: "-" if v is None else str(v)  # noqa: E731
    for sup, m in report.items():
        table.add_row(sup, str(m["tickets"]), fmt(m["compliance"]), str(m["breaches"]),
                      fmt(m["mean_acknowledge_hours"]), fmt(m["mean_restore_hours"]), fmt(m["no_fault_found_rate"]))
    Console().print(table)


@app.command("escalate")
@permission("aftersales.ticket.update")
def escalate_cmd(format: Fmt = typer.Option(Fmt.table, "--format", help="table or json")) -> None:
    """Raise the SLA escalations due now (50 / 75 / 100 % of each target, once each) and notify the
    suppliers and raisers: what the job consumer's periodic task does every minute (for cron when
    the server runs no consumer)."""
    try:
        from setu.kit.access import system_actor
        from setu.kit.uow import transaction

        with transaction(system_actor("aftersales.sla.escalate")) as uow:
            raised = service.escalate(uow)
    except SetuError as e:
        fail(e)
    if format is Fmt.json:
        typer.echo(json.dumps([e.__dict__ for e in raised], indent=2))
        return
    table = Table("ticket", "commitment", "level %", "clock %", title=f"{len(raised)} escalation(s) raised")
    for e in raised:
        table.add_row(e.ticket_id[:8], e.commitment, str(e.level), f"{e.percent:.0f}")
    Console().print(table)
