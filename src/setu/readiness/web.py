"""Readiness pages: availability per equipment type and site with today's stock, the items that
cost the most availability, and plans (interactive cost-versus-availability curve, buys and moves,
Excel export, saved with their inputs). Thin adapter over setu.readiness.service."""
from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from setu.adapters.http import needs, read_uow, write_uow
from setu.adapters.pages import NavEntry, FormErrors, form_data, optional_id, parse_id, plotly_chart, redirect, render
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
                 target: float | None = None, budget: float | None = None, log_x: bool = True) -> dict:
    """Plotly figure: availability (per cent) against the cost of buys, the recommended point and
    the budget marked. The cost axis is logarithmic by default so the first, cheap steps and the
    budget point stay visible beside the long tail of the curve."""
    pts = [p for p in points if not log_x or p["cost"] > 0]
    xs = [p["cost"] for p in pts]
    ys = [p["availability"] * 100 for p in pts]
    rec = [p for p in points if p.get("recommended")]
    data = [{"type": "scatter", "mode": "lines+markers", "x": xs, "y": ys, "name": "efficient curve",
             "line": {"shape": "hv", "color": "#1d2b44"}, "marker": {"size": 5},
             "hovertemplate": f"%{{x:,.0f}} {currency}<br>availability %{{y:.1f}} %<extra></extra>"}]
    if rec:
        data.append({"type": "scatter", "mode": "markers", "x": [rec[0]["cost"]],
                     "y": [rec[0]["availability"] * 100],
                     "name": "recommended", "marker": {"size": 13, "color": "#d9480f", "symbol": "star"},
                     "hovertemplate": f"recommended: %{{x:,.0f}} {currency}<br>availability %{{y:.1f}} %<extra></extra>"})
    shapes = []
    if target is not None:
        shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": target * 100, "y1": target * 100,
                       "line": {"dash": "dot", "color": "#2b8a3e"}})
    if budget is not None and budget > 0:
        shapes.append({"type": "line", "yref": "paper", "y0": 0, "y1": 1, "x0": budget, "x1": budget,
                       "line": {"dash": "dash", "color": "#d9480f"}})
        data.append({"type": "scatter", "mode": "markers", "x": [budget], "y": [0], "name": f"budget ({currency})",
                     "marker": {"size": 9, "color": "#d9480f", "symbol": "line-ns-open"},
                     "hovertemplate": f"budget: %{{x:,.0f}} {currency}<extra></extra>"})
    xaxis = {"title": {"text": f"cost of buys ({currency}{', log scale' if log_x else ''})"}}
    xaxis.update({"type": "log"} if log_x else {"rangemode": "tozero"})
    return {"data": data, "layout": {
        "margin": {"l": 60, "r": 10, "t": 10, "b": 50}, "showlegend": True,
        "legend": {"orientation": "h", "y": -0.2},
        "xaxis": xaxis,
        "yaxis": {"title": {"text": "fleet availability (%)"}, "range": [0, 102], "ticksuffix": " %"},
        "shapes": shapes}}


#: Sorts of the plan's lines: key -> (label, sort key, descending first).
LINE_SORTS = {"cost": ("Cost", lambda r: r["cost"]), "part": ("Part number", lambda r: r["part_number"]),
              "name": ("Part name", lambda r: r["part_name"].lower()), "site": ("Site", lambda r: r["site"]),
              "buy": ("Buy", lambda r: r["buy"]), "move": ("Moves", lambda r: r["move_in"] + r["move_out"]),
              "now": ("Stock now", lambda r: r["stock_now"]), "planned": ("Stock planned", lambda r: r["stock_planned"])}
LINE_PAGE = 50
KINDS = {"": "Buys and moves", "buy": "Buys only", "move": "Moves only"}


def _normal(text: str) -> str:
    """Search form of a part number or NSN: lower case, no dots, dashes or spaces."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def filter_plan_lines(lines: list[dict], *, site: str = "", part: str = "", kind: str = "",
                      min_cost: str = "", sort: str = "-cost") -> tuple[list[dict], dict[str, str]]:
    """The plan's lines filtered (site code, part number or name typed with or without dots and
    dashes, buys or moves only, cost at least ``min_cost``) and sorted; with the filter errors."""
    from decimal import Decimal, InvalidOperation

    errors: dict[str, str] = {}
    out = lines
    if site:
        out = [r for r in out if r["site"] == site]
    if part.strip():
        q = _normal(part)
        out = [r for r in out if q in _normal(r["part_number"]) or part.strip().lower() in r["part_name"].lower()]
    if kind == "buy":
        out = [r for r in out if r["buy"] > 0]
    elif kind == "move":
        out = [r for r in out if r["move_in"] or r["move_out"]]
    if min_cost.strip():
        try:
            floor = Decimal(min_cost.strip().replace(",", ""))
            if not floor.is_finite():
                raise InvalidOperation
            out = [r for r in out if r["cost"] >= floor]
        except InvalidOperation:
            errors["min_cost"] = f"must be an amount such as 1000, got {min_cost!r}"
    key = sort.lstrip("-")
    if key not in LINE_SORTS:
        key, sort = "cost", "-cost"
    out = sorted(out, key=lambda r: (r["part_number"], r["site"]))
    out = sorted(out, key=LINE_SORTS[key][1], reverse=sort.startswith("-"))
    return out, errors


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


def percent_to_share(text: str):
    """A target typed as a percentage ("90", "90 %", "92.5") as the share the service takes (0.9);
    anything else goes through unchanged, so the service's error names it."""
    t = (text or "").strip().rstrip("%").strip()
    if not t:
        return None
    try:
        return float(t) / 100
    except ValueError:
        return text


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
def plan_page(request: Request, plan_id: str, site: str = "", part: str = "", kind: str = "", min_cost: str = "",
              sort: str = "-cost", page: int = 1, uow: UnitOfWork = Depends(read_uow)):
    row = service.get_plan(uow, plan_id=parse_id(plan_id, "readiness plan"))
    return _plan_response(request, uow, row, filters={"site": site, "part": part, "kind": kind,
                                                       "min_cost": min_cost, "sort": sort, "page": page})


def _plan_response(request: Request, uow: UnitOfWork, row, *, decision_error: str | None = None,
                   status: int = 200, filters: dict | None = None) -> HTMLResponse:
    from decimal import Decimal

    from setu.catalog import service as catalog

    f = {"site": "", "part": "", "kind": "", "min_cost": "", "sort": "-cost", "page": 1, **(filters or {})}
    summary = service.plan_summary(row)
    lines = service.plan_lines(uow, plan_id=row.id)
    et = catalog.get_equipment_type(uow, equipment_type_id=row.equipment_type_id)
    chart = plotly_chart(curve_figure(summary.get("points", []), currency=row.currency,
                                      target=row.target_availability,
                                      budget=float(row.budget) if row.budget is not None else None),
                         chart_id="readiness-curve", height=380, label="Cost versus availability") \
        if summary.get("points") else None
    shown, filter_errors = filter_plan_lines(lines, site=f["site"], part=f["part"], kind=f["kind"],
                                             min_cost=f["min_cost"], sort=f["sort"])
    pages = max(1, -(-len(shown) // LINE_PAGE))
    page = min(max(1, int(f["page"] or 1)), pages)
    totals = {"buy": sum(r["buy"] for r in shown), "move_in": sum(r["move_in"] for r in shown),
              "move_out": sum(r["move_out"] for r in shown),
              "cost": sum((r["cost"] for r in shown), Decimal("0.00"))}
    names = {ln["part_id"]: ln["part_name"] for ln in lines}
    moves = [{**m, "part_name": names.get(m["part_id"]) or names.get(_uuid(m["part_id"])) or ""}
             for m in summary.get("moves", [])]
    if f["site"]:
        moves = [m for m in moves if f["site"] in (m["from_site"], m["to_site"])]
    if f["part"].strip():
        q = _normal(f["part"])
        moves = [m for m in moves if q in _normal(m["part_number"]) or f["part"].strip().lower() in m["part_name"].lower()]
    moves_total = len(moves)
    moves = sorted(moves, key=lambda m: (-m["quantity"], m["part_number"]))[:LINE_PAGE]
    return render(request, "readiness/plan.html", {
        "plan": row, "et": et, "summary": summary, "lines": shown[(page - 1) * LINE_PAGE: page * LINE_PAGE],
        "all_lines": len(lines), "shown_lines": len(shown), "totals": totals, "page": page, "pages": pages,
        "f": f, "filter_errors": filter_errors, "qs": lambda **kw: urlencode({**f, "page": page, **kw}), "line_sorts": LINE_SORTS, "kinds": KINDS,
        "site_codes": sorted({ln["site"] for ln in lines}), "chart": chart,
        "moves": moves, "moves_total": moves_total, "sites": summary.get("sites", []), "decision_error": decision_error,
        "decisions": {t.name: t.title for t in PLAN.available(uow.actor, row)},
    }, section="readiness", status_code=status)


def _uuid(text: str):
    import uuid

    try:
        return uuid.UUID(text)
    except (ValueError, TypeError):
        return None


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
                                    target=percent_to_share(values["target"]), model=values["model"],
                                    site_ids=[sid] if sid else None, currency=values["currency"],
                                    name=values["name"] or None, demand_source=values["demand_source"] or None)
    except SetuError as exc:
        if exc.status in (403, 404) and not exc.errors:
            raise
        errors = FormErrors.from_exception(exc, FORM_FIELDS)
        if "target" in errors.fields:
            errors.fields["target"] = (f"Must be a percentage between 0 and 100 (exclusive), "
                                       f"got {values['target']!r}")
        ctx = _type_context(uow, equipment_type_id, values["site_id"], values["demand_source"] or None)
        return render(request, "readiness/type.html", {**ctx, "values": values, "errors": errors},
                      status_code=422, section="readiness")
    job_id = jobs.submit(service.PLAN_JOB, actor=uow.actor, params=params, engine=request.app.state.engine)
    return redirect(f"/jobs/{job_id}")
