"""The programme overview (home page): fleet readiness, localisation, after-sales, the support
ledger and "Needs you now", one tile per capability (:mod:`setu.overview.tiles`), each figure
linking to the page it comes from and scoped to what the signed-in user may see (thin adapter
over :func:`setu.overview.service.overview`)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from setu.adapters.http import needs, read_uow
from setu.adapters.pages import NavEntry, plotly_chart, render
from setu.kit.uow import UnitOfWork
from setu.overview import service

router = APIRouter(include_in_schema=False)
NAV = [
    NavEntry("Home", "/", "home", "overview.dashboard.read", 0),
]


def units_figure(per_type: list[tuple], labels: dict, colours: dict) -> dict:
    return {
        "data": [
            {"type": "bar", "orientation": "h", "name": labels[s][0],
             "y": [t.code for t, _ in per_type], "x": [c.get(s, 0) for _, c in per_type],
             "customdata": [t.name for t, _ in per_type],
             "hovertemplate": "%{customdata}<br>" + labels[s][0] + ": %{x} units<extra></extra>",
             "marker": {"color": colours[s]}}
            for s in labels
        ],
        "layout": {"barmode": "stack", "bargap": 0.35, "margin": {"l": 20, "r": 20, "t": 30, "b": 40},
                   "xaxis": {"rangemode": "tozero", "automargin": True, "title": {"text": "units"},
                             **({"dtick": 1} if max((sum(c.values()) for _, c in per_type), default=0) <= 10 else {})},
                   "yaxis": {"automargin": True, "autorange": "reversed"},
                   "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "traceorder": "normal"}},
    }


def readiness_figure(rows: list[dict]) -> dict:
    """Grouped bars per equipment type: predicted availability with today's stock beside the
    actual (operational share of units), in per cent."""
    codes = [r["code"] for r in rows]
    pct = lambda v: None if v is None else round(100 * v, 1)  # noqa: E731
    return {"data": [
        {"type": "bar", "name": "predicted with today's stock", "x": codes,
         "y": [pct(r["predicted_availability"]) for r in rows], "marker": {"color": "#1d2b44"},
         "hovertemplate": "%{x}: %{y:.1f} % predicted<extra></extra>"},
        {"type": "bar", "name": "actual (units operational now)", "x": codes,
         "y": [pct(r["actual_availability"]) for r in rows], "marker": {"color": "#2b8a3e"},
         "hovertemplate": "%{x}: %{y:.1f} % operational<extra></extra>"}],
        "layout": {"barmode": "group", "margin": {"l": 50, "r": 10, "t": 10, "b": 40},
                   "yaxis": {"title": {"text": "availability (%)"}, "range": [0, 100]},
                   "legend": {"orientation": "h", "y": -0.2}}}


def content_figure(rows: list[dict]) -> dict:
    codes = [r["code"] for r in rows]
    return {"data": [
        {"type": "bar", "name": "by value (USD)", "x": codes, "y": [round(100 * r["by_value"], 1) for r in rows],
         "marker": {"color": "#d9480f"}, "hovertemplate": "%{x}: %{y:.1f} % of value<extra></extra>"},
        {"type": "bar", "name": "by count (items)", "x": codes, "y": [round(100 * r["by_count"], 1) for r in rows],
         "marker": {"color": "#f59f00"}, "hovertemplate": "%{x}: %{y:.1f} % of items<extra></extra>"}],
        "layout": {"barmode": "group", "margin": {"l": 50, "r": 10, "t": 10, "b": 40},
                   "yaxis": {"title": {"text": "indigenous content (%)"}, "rangemode": "tozero"},
                   "legend": {"orientation": "h", "y": -0.2}}}


def page_context(uow: UnitOfWork) -> dict:
    from setu.catalog import service as catalog
    from setu.fleet import service as fleet

    data = service.overview(uow)
    tiles = data["tiles"]
    charts = {}
    per_type = []
    if "fleet" in tiles:
        types = catalog.list_equipment_types(uow, limit=500).items
        per_type = [(t, fleet.unit_counts_by_status(uow, equipment_type_id=t.id)) for t in types]
        per_type = [(t, c) for t, c in per_type if c]
        if per_type:
            charts["units"] = plotly_chart(units_figure(per_type, fleet.UNIT_STATUS_LABELS, fleet.UNIT_STATUS_COLOURS),
                                           chart_id="units-by-type", height=max(240, 90 + 40 * len(per_type)),
                                           label="Units by status per equipment type")
    if tiles.get("readiness", {}).get("types"):
        charts["readiness"] = plotly_chart(readiness_figure(tiles["readiness"]["types"]), chart_id="readiness-chart",
                                           height=300, label="Predicted and actual availability per equipment type")
    if tiles.get("localisation", {}).get("content"):
        charts["content"] = plotly_chart(content_figure(tiles["localisation"]["content"]), chart_id="content-chart",
                                         height=280, label="Indigenous content per equipment type")
    known = {"fleet", "readiness", "localisation", "aftersales", "ledger"}
    return {"o": data, "tiles": tiles, "charts": charts, "per_type": per_type,
            "other_tiles": [(k, v) for k, v in tiles.items() if k not in known]}


@router.get("/", response_class=HTMLResponse, dependencies=[Depends(needs("overview.dashboard.read"))])
def home(request: Request, uow: UnitOfWork = Depends(read_uow)):
    return render(request, "overview/home.html", page_context(uow), section="home")
