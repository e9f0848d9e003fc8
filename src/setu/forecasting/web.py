"""Web pages for forecast runs (thin adapter over ``setu.forecasting.service``).

* ``/forecast-runs``: the runs; ``/forecast-runs/new``: the form to start one (a background job:
  the browser goes to ``/jobs/{id}``, which shows its progress and then opens the run);
* ``/forecast-runs/{id}``: a run's parameters, accuracy summary and results (filters, pages);
* ``/forecast-runs/{id}/accuracy``: RMSSE / scaled bias / MASE by demand class and by method,
  with Plotly box plots and a histogram;
* ``/parts/{id}/forecast-chart``: the fan chart fragment of the part page (htmx).
"""
from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from setu.adapters.http import needs, read_uow
from setu.adapters.pages import NavEntry, FormErrors, FormField, form_data, optional_id, parse_id, plotly_chart, redirect, render, render_form
from setu.forecasting import service as service
from setu.kit import jobs
from setu.kit.errors import SetuError
from setu.kit.uow import UnitOfWork, transaction

router = APIRouter(include_in_schema=False)
NAV = [
    NavEntry("Forecasts", "/forecast-runs", "forecasts", "forecasting.run.read", 30, "Planning"),
]

PAGE_SIZE = 50
CLASSES = ("smooth", "erratic", "intermittent", "lumpy", "no demand")
RESULT_SORTS = [("-mean", "Mean, highest first"), ("-q99", "q99, highest first"), ("-rmsse", "RMSSE, worst first"),
                ("rmsse", "RMSSE, best first"), ("method", "Method"), ("demand_class", "Demand class")]
METHOD_LABELS = {"auto": "Automatic (best per series)", "ses": "SES", "ses_opt": "SES, optimised", "croston": "Croston",
                 "sba": "Syntetos-Boylan (SBA)", "tsb": "TSB", "croston_opt": "Croston, optimised",
                 "adida": "ADIDA", "imapa": "IMAPA"}
COLOURS = {"band99": "rgba(29,43,68,0.12)", "band90": "rgba(29,43,68,0.28)", "mean": "#d9480f", "history": "#1d2b44"}


def _run_view(run) -> dict[str, Any]:
    return {"run": run, "params": json.loads(run.params or "{}"), "accuracy": json.loads(run.accuracy or "{}")}


@router.get("/forecast-runs", response_class=HTMLResponse, dependencies=[Depends(needs("forecasting.run.read"))])
def runs_page(request: Request, cursor: str | None = None, uow: UnitOfWork = Depends(read_uow)):
    page = service.list_runs(uow, cursor=cursor or None, limit=PAGE_SIZE)
    views = service.run_overviews(uow, [r.id for r in page.items])
    items = [{**_run_view(r), "visible": views[r.id]} for r in page.items]
    return render(request, "forecasting/forecast_runs.html", {"page": page, "items": items,
                                                         "method_labels": METHOD_LABELS}, section="forecasts")


def _fields(uow: UnitOfWork) -> list[FormField]:
    from setu.fleet import service as fleet

    sites = fleet.list_sites(uow, limit=500, sort="code").items
    return [
        FormField("method", "Method", kind="select", required=True, options=list(METHOD_LABELS.items()),
                  help="Automatic: per series, the method with the best inventory outcome over rolling origins."),
        FormField("horizon", "Horizon (months)", kind="number", required=True, help="Months ahead, 1 to 120."),
        FormField("holdout_months", "Holdout (months)", kind="number", required=True,
                  help="The last months are held out to measure accuracy (0: none)."),
        FormField("alpha", "Smoothing constant", kind="number",
                  help="SES, Croston, SBA and TSB only (default 0.1); leave empty otherwise."),
        FormField("site_id", "Site", kind="select", options=[(str(s.id), f"{s.code} · {s.name}") for s in sites],
                  help="Leave empty for every site you may see."),
        FormField("seed", "Seed", kind="number", help="Recorded with the run; the same seed gives the same results."),
    ]


def _number(raw: str, cast):
    raw = (raw or "").strip()
    if raw == "":
        return None
    try:
        return cast(raw)
    except ValueError:
        return raw  # the service names the field and the value


@router.get("/forecast-runs/new", response_class=HTMLResponse,
            dependencies=[Depends(needs("forecasting.run.create"))])
def run_new(request: Request, uow: UnitOfWork = Depends(read_uow)):
    return render_form(request, title="New forecast run", action="/forecast-runs/new", fields=_fields(uow),
                       values={"method": "auto", "horizon": "12", "holdout_months": "6", "seed": "0"},
                       cancel_url="/forecast-runs", section="forecasts", submit="Start run",
                       intro="Forecasts every part at every site you may see, from its monthly demand history "
                             "(or from reliability data where it has none), and stores the distributions.")


@router.post("/forecast-runs/new", response_class=HTMLResponse,
             dependencies=[Depends(needs("forecasting.run.create"))])
def run_create(request: Request, data: dict = Depends(form_data), uow: UnitOfWork = Depends(read_uow)):
    fields = _fields(uow)
    site = optional_id(data.get("site_id"))
    kwargs = {"method": (data.get("method") or "").strip(), "horizon": _number(data.get("horizon", ""), int),
              "holdout_months": _number(data.get("holdout_months", ""), int),
              "alpha": _number(data.get("alpha", ""), float), "seed": _number(data.get("seed", ""), int) or 0,
              "site_ids": [site] if site else None}
    errors = FormErrors()
    missing = [k for k in ("horizon", "holdout_months") if kwargs[k] is None]
    for k in missing:  # placeholders: reported as required below, the other fields still checked
        kwargs[k] = 1
    try:
        if missing:
            service.validate_spec(**kwargs)
        else:
            # checked here, computed by a background job: the job page shows its progress, then the run
            params = service.check_forecast_run(uow, **kwargs)
            job_id = jobs.submit(service.RUN_JOB, actor=uow.actor, params=params, engine=request.app.state.engine)
            return redirect(f"/jobs/{job_id}")
    except SetuError as exc:
        if exc.status in (403, 404) and not exc.errors:
            raise
        errors = FormErrors.from_exception(exc, [f.name for f in fields] + ["site_ids", "part_ids"])
        if "site_ids" in errors.fields:
            errors.fields["site_id"] = errors.fields.pop("site_ids")
        if "part_ids" in errors.fields:
            errors.general.append(errors.fields.pop("part_ids"))
    for k in missing:
        errors.fields[k] = "This field is required."
    return render_form(request, title="New forecast run", action="/forecast-runs/new", fields=fields, values=data,
                       errors=errors, cancel_url="/forecast-runs", section="forecasts", submit="Start run")


@router.get("/forecast-runs/{run_id}", response_class=HTMLResponse,
            dependencies=[Depends(needs("forecasting.run.read"))])
def run_page(request: Request, run_id: str, method: str | None = None, demand_class: str | None = None,
             site_id: str | None = None, sort: str | None = None, cursor: str | None = None,
             uow: UnitOfWork = Depends(read_uow)):
    rid = parse_id(run_id, "forecast run")
    view = _run_view(service.get_run(uow, run_id=rid))
    sort = sort if sort in {s for s, _ in RESULT_SORTS} else "-mean"
    page = service.run_results(uow, run_id=rid, method=method or None, demand_class=demand_class or None,
                               site_id=optional_id(site_id), sort=sort, cursor=cursor or None, limit=PAGE_SIZE)
    parts, sites = service.result_labels(uow, page.items)
    acc = service.accuracy_summary(uow, run_id=rid)
    acc.pop("series", None)
    methods = sorted(acc.get("by_method", {}))
    return render(request, "forecasting/forecast_run.html", {
        **view, "page": page, "parts": parts, "sites": sites, "visible": acc, "methods": methods,
        "classes": CLASSES, "sorts": RESULT_SORTS, "sort": sort, "method": method or "",
        "demand_class": demand_class or "", "method_labels": METHOD_LABELS,
    }, section="forecasts")


def _box(name: str, values: list[float], colour: str | None = None) -> dict:
    trace = {"type": "box", "name": name, "y": values, "boxpoints": False, "boxmean": True}
    if colour:
        trace["marker"] = {"color": colour}
    return trace


@router.get("/forecast-runs/{run_id}/accuracy", response_class=HTMLResponse,
            dependencies=[Depends(needs("forecasting.run.read"))])
def accuracy_page(request: Request, run_id: str, uow: UnitOfWork = Depends(read_uow)):
    rid = parse_id(run_id, "forecast run")
    view = _run_view(service.get_run(uow, run_id=rid))
    acc = service.accuracy_summary(uow, run_id=rid)
    series = acc.pop("series")
    charts = {}
    if series:
        by_class: dict[str, list[float]] = {}
        by_method: dict[str, list[float]] = {}
        for m, c, rmsse, _, _ in series:
            if rmsse is not None:
                by_class.setdefault(c, []).append(rmsse)
                by_method.setdefault(service.method_group(m), []).append(rmsse)
        layout = {"margin": {"l": 50, "r": 10, "t": 10, "b": 40}, "showlegend": False,
                  "yaxis": {"title": {"text": "RMSSE"}, "rangemode": "tozero"}}
        charts["class"] = plotly_chart({"data": [_box(k, v) for k, v in sorted(by_class.items())], "layout": layout},
                                       chart_id="rmsse-by-class", height=320, label="RMSSE by demand class")
        if len(by_method) > 1:
            charts["method"] = plotly_chart(
                {"data": [_box(k, v) for k, v in sorted(by_method.items())], "layout": layout},
                chart_id="rmsse-by-method", height=320, label="RMSSE by method")
        bias = [b for _, _, _, b, _ in series if b is not None]
        mase = [x for *_, x in series if x is not None]
        charts["bias"] = plotly_chart({"data": [
            {"type": "histogram", "x": bias, "name": "scaled bias", "marker": {"color": COLOURS["history"]},
             "nbinsx": 40}], "layout": {
            "margin": {"l": 50, "r": 10, "t": 10, "b": 40}, "bargap": 0.05,
            "xaxis": {"title": {"text": "scaled bias (mean error / mean demand; > 0: under-forecast)"}},
            "yaxis": {"title": {"text": "series"}}}}, chart_id="bias-histogram", height=300,
            label="Distribution of scaled bias")
        charts["mase"] = plotly_chart({"data": [
            {"type": "histogram", "x": mase, "name": "MASE", "marker": {"color": COLOURS["mean"]}, "nbinsx": 40}],
            "layout": {"margin": {"l": 50, "r": 10, "t": 10, "b": 40}, "bargap": 0.05,
                       "xaxis": {"title": {"text": "MASE"}}, "yaxis": {"title": {"text": "series"}}}},
            chart_id="mase-histogram", height=300, label="Distribution of MASE")
    return render(request, "forecasting/forecast_accuracy.html", {**view, "visible": acc, "charts": charts,
                                                             "method_labels": METHOD_LABELS}, section="forecasts")


def fan_figure(f: dict) -> dict:
    """History bars and the forecast: mean line, q50-q90 and q90-q99 bands per month ahead."""
    hist = f["history"]
    fan = f["fan"]
    months = [p["month"] for p in fan]
    data = [
        {"type": "bar", "x": [m.isoformat() for m, _ in hist], "y": [q for _, q in hist], "name": "demand",
         "marker": {"color": COLOURS["history"]}, "hovertemplate": "%{x|%b %Y}: %{y}<extra>demand</extra>"},
        {"type": "scatter", "mode": "lines", "x": months, "y": [p["q99"] for p in fan], "name": "q99",
         "line": {"color": "rgba(29,43,68,0.35)", "width": 1, "shape": "hvh"},
         "hovertemplate": "%{x|%b %Y}: q99 %{y}<extra></extra>"},
        {"type": "scatter", "mode": "lines", "x": months, "y": [p["q90"] for p in fan], "name": "q90–q99",
         "fill": "tonexty", "fillcolor": COLOURS["band99"], "line": {"color": "rgba(29,43,68,0.5)", "width": 1,
                                                                     "shape": "hvh"},
         "hovertemplate": "%{x|%b %Y}: q90 %{y}<extra></extra>"},
        {"type": "scatter", "mode": "lines", "x": months, "y": [p["q50"] for p in fan], "name": "q50–q90",
         "fill": "tonexty", "fillcolor": COLOURS["band90"], "line": {"color": "rgba(29,43,68,0.7)", "width": 1,
                                                                     "shape": "hvh"},
         "hovertemplate": "%{x|%b %Y}: q50 %{y}<extra></extra>"},
        {"type": "scatter", "mode": "lines", "x": months, "y": [p["mean"] for p in fan], "name": "mean",
         "line": {"color": COLOURS["mean"], "width": 2, "dash": "dash"},
         "hovertemplate": "%{x|%b %Y}: mean %{y:.2f}<extra></extra>"},
    ]
    return {"data": data, "layout": {
        "margin": {"l": 50, "r": 10, "t": 10, "b": 40}, "bargap": 0.15,
        "xaxis": {"type": "date", "tickformat": "%b %Y"},
        "yaxis": {"title": {"text": "quantity per month"}, "rangemode": "tozero"},
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"}}}


@router.get("/parts/{part_id}/forecast-chart", response_class=HTMLResponse,
            dependencies=[Depends(needs("forecasting.run.read"))])
def forecast_chart(request: Request, part_id: str, uow: UnitOfWork = Depends(read_uow)):
    pid = parse_id(part_id, "part")
    f = service.part_forecast(uow, part_id=pid)
    chart = None
    if f["fan"]:
        chart = plotly_chart(fan_figure(f), chart_id=f"forecast-{pid}", height=320,
                             label="Demand history and forecast fan chart")
    run = f["run"]
    return render(request, "forecasting/forecast_part.html", {
        "f": f, "chart": chart, "run": run, "params": json.loads(run.params) if run else {},
        "method_labels": METHOD_LABELS})
