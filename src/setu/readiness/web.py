"""Readiness pages: availability per equipment type and site with today's stock, the items that
cost the most availability, and plans (interactive cost-versus-availability curve, buys and moves,
Excel export, saved with their inputs). Thin adapter over setu.readiness.service."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from setu.adapters.http import needs, read_uow, write_uow
from setu.adapters.pages import NavEntry, FormErrors, contributions, form_data, optional_id, parse_id, plotly_chart, redirect, render
from setu.kit import jobs
from setu.kit.errors import SetuError
from setu.kit.uow import UnitOfWork
from setu.readiness import service
from setu.readiness.rules import PLAN

router = APIRouter(include_in_schema=False)
NAV = [
    NavEntry("Readiness", "/readiness", "readiness", "readiness.plan.read", 40, "Planning"),
]
FORM_FIELDS = ("budget", "target", "model", "currency", "name", "site_id", "demand_source")


def curve_figure(points: list[dict], *, currency: str, now: float | None = None,
                 target: float | None = None) -> dict:
    """Plotly figure: availability against the cost of buys, the recommended point marked."""
    xs = [p["cost"] for p in points]
    ys = [p["availability"] for p in points]
    rec = [p for p in points if p.get("recommended")]
    data = [{"type": "scatter", "mode": "lines+markers", "x": xs, "y": ys, "name": "efficient curve",
             "line": {"shape": "hv", "color": "#1d2b44"}, "marker": {"size": 5},
             "hovertemplate": f"%{{x:,.0f}} {currency}<br>availability %{{y:.3f}}<extra></extra>"}]
    if rec:
        data.append({"type": "scatter", "mode": "markers", "x": [rec[0]["cost"]], "y": [rec[0]["availability"]],
                     "name": "recommended", "marker": {"size": 13, "color": "#d9480f", "symbol": "star"},
                     "hovertemplate": f"recommended: %{{x:,.0f}} {currency}<br>availability %{{y:.3f}}<extra></extra>"})
    shapes = []
    if target is not None:
        shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": target, "y1": target,
                       "line": {"dash": "dot", "color": "#2b8a3e"}})
    return {"data": data, "layout": {
        "margin": {"l": 60, "r": 10, "t": 10, "b": 50}, "showlegend": True,
        "legend": {"orientation": "h", "y": -0.2},
        "xaxis": {"title": {"text": f"cost of buys ({currency})"}, "rangemode": "tozero"},
        "yaxis": {"title": {"text": "fleet availability"}, "range": [0, 1.02]}, "shapes": shapes}}


def _source_options(uow: UnitOfWork) -> list[tuple[str, str]]:
    """(value, words) of the demand sources the user may choose; the default first."""
    out = [("history", f"Demand history, last {service.HISTORY_MONTHS} months (default)")]
    if uow.actor.can("forecasting.run.read"):
        from setu.forecasting import service as fs

        for run in fs.list_runs(uow, limit=5).items:
            if run.status == "done" and run.finished_at:
                out.append((f"forecast:{run.id}", f"Forecast run {str(run.id)[:8]} of "
                            f"{run.finished_at:%Y-%m-%d %H:%M} UTC ({run.method})"))
    out.append(("reliability", "Reliability (MTBF and operating hours)"))
    return out


def _type_context(uow: UnitOfWork, equipment_type_id: str, site_id: str | None,
                  demand_source: str | None = None) -> dict:
    from setu.catalog import service as catalog

    et = catalog.get_equipment_type(uow, equipment_type_id=parse_id(equipment_type_id, "equipment type"))
    sid = optional_id(site_id)
    error = None
    today = None
    try:
        today = service.evaluate_today(uow, equipment_type_id=et.id, site_ids=[sid] if sid else None,
                                       demand_source=demand_source or None)
    except SetuError as exc:
        if exc.status in (403, 404):
            raise
        error = exc.errors[0].message if exc.errors else exc.detail
    plans = service.list_plans(uow, equipment_type_id=et.id, limit=20).items
    options = []
    if today is not None:
        built = today["built"]
        options = [(str(built.site_db[s.id]), s.id) for s in built.case.sites if s.echelon == "base"]
    return {"et": et, "today": today, "error": error, "plans": plans, "site_id": str(sid) if sid else "",
            "site_options": options, "source_options": _source_options(uow),
            "demand_source": (today or {}).get("demand_basis") or demand_source or service.DEFAULT_DEMAND_SOURCE}


@router.get("/readiness", response_class=HTMLResponse, dependencies=[Depends(needs("readiness.plan.read"))])
def readiness_index(request: Request, uow: UnitOfWork = Depends(read_uow)):
    from setu.catalog import service as catalog

    types = catalog.list_equipment_types(uow, limit=500).items
    plans = service.list_plans(uow, limit=20).items
    names = {t.id: t.code for t in types}
    waiting = service.plans_awaiting_decision(uow)
    return render(request, "readiness/index.html", {"types": types, "plans": plans, "type_codes": names,
                                                    "waiting": waiting}, section="readiness")


@router.get("/readiness/plans/{plan_id}", response_class=HTMLResponse,
            dependencies=[Depends(needs("readiness.plan.read"))])
def plan_page(request: Request, plan_id: str, uow: UnitOfWork = Depends(read_uow)):
    row = service.get_plan(uow, plan_id=parse_id(plan_id, "readiness plan"))
    return _plan_response(request, uow, row)


def _plan_response(request: Request, uow: UnitOfWork, row, *, decision_error: str | None = None,
                   status: int = 200) -> HTMLResponse:
    from setu.catalog import service as catalog

    summary = service.plan_summary(row)
    lines = service.plan_lines(uow, plan_id=row.id)
    et = catalog.get_equipment_type(uow, equipment_type_id=row.equipment_type_id)
    chart = plotly_chart(curve_figure(summary.get("points", []), currency=row.currency,
                                      target=row.target_availability),
                         chart_id="readiness-curve", height=380, label="Cost versus availability") \
        if summary.get("points") else None
    return render(request, "readiness/plan.html", {
        "plan": row, "et": et, "summary": summary, "lines": lines, "chart": chart,
        "moves": summary.get("moves", []), "sites": summary.get("sites", []), "decision_error": decision_error,
        "decisions": {t.name: t.title for t in PLAN.available(uow.actor, row)},
        **contributions("readiness.plan", uow=uow, plan=row),
    }, section="readiness", status_code=status)


@router.post("/readiness/plans/{plan_id}/decision", response_class=HTMLResponse,
             dependencies=[Depends(needs("readiness.plan.approve"))])
def plan_decide(request: Request, plan_id: str, data: dict = Depends(form_data), uow: UnitOfWork = write_uow):
    from setu.readiness.approval import decide_plan

    pid = parse_id(plan_id, "readiness plan")
    version = data.get("version") or ""
    try:
        decide_plan(uow, plan_id=pid, decision=data.get("decision") or "", note=data.get("note"),
                    version=int(version) if version.isdigit() else None)
    except SetuError as exc:
        if exc.status in (403, 404):
            raise
        uow.discard()  # nothing changed: the page again, with the reason
        errors = FormErrors.from_exception(exc, ("note", "decision"))
        reason = errors.fields.get("note") or errors.fields.get("decision") or exc.detail
        return _plan_response(request, uow, service.get_plan(uow, plan_id=pid), decision_error=reason,
                              status=exc.status)
    return redirect(f"/readiness/plans/{pid}")


@router.get("/readiness/plans/{plan_id}/export", dependencies=[Depends(needs("readiness.plan.read"))])
def plan_export(plan_id: str, format: str = "xlsx", uow: UnitOfWork = Depends(read_uow)):
    name, media, body = service.export_plan(uow, plan_id=parse_id(plan_id, "readiness plan"), fmt=format)
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/readiness/{equipment_type_id}", response_class=HTMLResponse,
            dependencies=[Depends(needs("readiness.plan.read"))])
def type_page(request: Request, equipment_type_id: str, site_id: str | None = None,
              demand_source: str | None = None, uow: UnitOfWork = Depends(read_uow)):
    ctx = _type_context(uow, equipment_type_id, site_id, demand_source)
    values = {"model": "vari-metric", "currency": "USD", "site_id": ctx["site_id"],
              "demand_source": ctx["demand_source"]}
    return render(request, "readiness/type.html", {**ctx, "values": values, "errors": FormErrors()},
                  section="readiness")


@router.post("/readiness/{equipment_type_id}/plans", response_class=HTMLResponse,
             dependencies=[Depends(needs("readiness.plan.create"))])
def create_plan(request: Request, equipment_type_id: str, data: dict = Depends(form_data),
                uow: UnitOfWork = Depends(read_uow)):
    """Check the form, then compute and save the plan as a background job: the browser goes to
    ``/jobs/{id}``, which shows its progress and then opens the plan."""
    values = {k: (data.get(k) or "").strip() for k in FORM_FIELDS}
    values["model"] = values["model"] or "vari-metric"
    values["currency"] = values["currency"] or "USD"
    tid = parse_id(equipment_type_id, "equipment type")
    sid = optional_id(values["site_id"])
    try:
        params = service.check_plan(uow, equipment_type_id=tid, budget=values["budget"] or None,
                                    target=values["target"] or None, model=values["model"],
                                    site_ids=[sid] if sid else None, currency=values["currency"],
                                    name=values["name"] or None, demand_source=values["demand_source"] or None)
    except SetuError as exc:
        if exc.status in (403, 404) and not exc.errors:
            raise
        errors = FormErrors.from_exception(exc, FORM_FIELDS)
        ctx = _type_context(uow, equipment_type_id, values["site_id"], values["demand_source"] or None)
        return render(request, "readiness/type.html", {**ctx, "values": values, "errors": errors},
                      status_code=422, section="readiness")
    job_id = jobs.submit(service.PLAN_JOB, actor=uow.actor, params=params, engine=request.app.state.engine)
    return redirect(f"/jobs/{job_id}")
