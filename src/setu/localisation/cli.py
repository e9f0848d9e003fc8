"""CLI adapter for localisation (`setu localisation ...`).

- ``setu localisation plan --budget B [--scenario FILE] [--years N] --output PLAN.json``
- ``setu localisation plan --demo-scenario --output PLAN.json`` (the demo's disruption scenario)

Bad input exits with code 2 and a message naming the entry and field; nothing is written.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from setu.adapters.console import permission

from setu.engine.localisation import plan as run_plan
from setu.localisation.schemas import ScenarioError, demo_scenario, parse_scenario

app = typer.Typer(name="localisation", help="Plan which parts to make locally, with which JV, in which year.",
                  no_args_is_help=True)

BAD_INPUT = 2


@app.command("plan")
@permission("localisation.plan.create")
def plan_cmd(
    output: Path = typer.Option(..., "--output", help="where to write PLAN.json"),
    budget: Optional[str] = typer.Option(None, "--budget", help="yearly budget for ToT fees and tooling, in the scenario's currency"),
    scenario: Optional[Path] = typer.Option(None, "--scenario", help="scenario JSON (docs/localisation.md)"),
    years: Optional[int] = typer.Option(None, "--years", min=1, help="planning horizon in years"),
    demo: bool = typer.Option(False, "--demo-scenario", help="use the demo's disruption scenario"),
    gap: float = typer.Option(0.01, "--gap", min=0.0, help="MILP relative gap"),
) -> None:
    """Choose parts, JVs and years that maximise fleet availability through the disruption (MILP), and
    the greedy ranking by gain per rupee beside it."""
    try:
        if demo == (scenario is not None):
            raise ScenarioError("give exactly one of --scenario FILE and --demo-scenario")
        if demo:
            data = demo_scenario()
        else:
            try:
                data = json.loads(Path(scenario).read_text(encoding="utf-8"))
            except OSError as exc:
                raise ScenarioError(f"scenario {scenario}: cannot read: {exc.strerror or exc}") from None
            except json.JSONDecodeError as exc:
                raise ScenarioError(f"scenario {scenario}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
        problem = parse_scenario(data, budget=budget, years=years)
    except ScenarioError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(BAD_INPUT)
    res = run_plan(problem, gap=gap)
    output.write_text(json.dumps(res, indent=2), encoding="utf-8")
    typer.echo(f"{len(res['choices'])} parts chosen, cost {res['total_cost']} {res['currency']}; mean availability "
               f"{res['availability_without']:.4f} without the plan, {res['availability_with']:.4f} with it "
               f"(greedy: {res['greedy']['availability_with']:.4f}, cost {res['greedy']['total_cost']}); wrote {output}")



@app.command("packages")
@permission("localisation.package.read")
def packages_cmd(
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
) -> None:
    """List the transfer-of-technology packages: status, current phase, fee and currency, deliverables by state."""
    from setu.kit.access import system_actor
    from setu.kit.uow import UnitOfWork
    from setu.localisation import service

    with UnitOfWork(system_actor("cli")) as uow:
        rows = [{"code": r["package"].code, "title": r["package"].title, "licensor": r["licensor"],
                 "licensee": r["licensee"], "fee_amount": str(r["package"].fee_amount),
                 "fee_currency": r["package"].fee_currency, "status": r["status"], "phase": r["phase"],
                 "deliverables": r["counts"]} for r in service.package_rows(uow)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        c = r["deliverables"]
        typer.echo(f"{r['code']:<16} {r['status']:<12} phase {r['phase'] or 'all accepted':<14} fee {r['fee_amount']} "
                   f"{r['fee_currency']}  due {c['due']} delivered {c['delivered']} accepted {c['accepted']} "
                   f"rejected {c['rejected']}  {r['title']}")
    if not rows:
        typer.echo("no packages")
