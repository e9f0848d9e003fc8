"""The programme overview (home page): fleet status, catalog and stock at a glance (thin adapter).

Every figure comes from the capability that owns it, through its service functions, scoped to
what the signed-in user may see."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from setu.adapters.http import needs, read_uow
from setu.adapters.pages import NavEntry, plotly_chart, render
from setu.kit.uow import UnitOfWork

router = APIRouter(include_in_schema=False)
NAV = [
    NavEntry("Home", "/", "home", "overview.dashboard.read", 0),
]


@router.get("/", response_class=HTMLResponse, dependencies=[Depends(needs("overview.dashboard.read"))])
def home(request: Request, uow: UnitOfWork = Depends(read_uow)):
    from setu.catalog import service as catalog
    from setu.fleet import service as fleet

    labels, colours = fleet.UNIT_STATUS_LABELS, fleet.UNIT_STATUS_COLOURS
    parts_total = catalog.list_parts(uow, limit=1, with_total=True).total or 0
    sites_total = fleet.list_sites(uow, limit=1).total or 0
    by_status = fleet.unit_counts_by_status(uow)
    units_total = sum(by_status.values())
    readiness = (by_status.get("operational", 0) / units_total) if units_total else None
    stock = fleet.stock_totals(uow)
    from setu.catalog import service as catalog

    types = catalog.list_equipment_types(uow, limit=500).items
    per_type = [(t, fleet.unit_counts_by_status(uow, equipment_type_id=t.id)) for t in types]
    per_type = [(t, c) for t, c in per_type if c]
    figure = {
        "data": [
            {"type": "bar", "orientation": "h", "name": labels[s][0],
             "y": [t.code for t, _ in per_type], "x": [c.get(s, 0) for _, c in per_type],
             "customdata": [t.name for t, _ in per_type],
             "hovertemplate": "%{customdata}<br>" + labels[s][0] + ": %{x}<extra></extra>",
             "marker": {"color": colours[s]}}
            for s in labels
        ],
        "layout": {"barmode": "stack", "bargap": 0.35, "margin": {"l": 20, "r": 20, "t": 30, "b": 30},
                   "xaxis": {"rangemode": "tozero", "automargin": True,
                             **({"dtick": 1} if max((sum(c.values()) for _, c in per_type), default=0) <= 10 else {})},
                   "yaxis": {"automargin": True, "autorange": "reversed"},
                   "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "traceorder": "normal"}},
    }
    return render(request, "overview/home.html", {
        "parts_total": parts_total, "sites_total": sites_total, "by_status": by_status, "units_total": units_total,
        "readiness": readiness, "stock": stock, "per_type": per_type,
        "chart": plotly_chart(figure, chart_id="units-by-type", height=max(240, 90 + 40 * len(per_type)),
                              label="Units by status per equipment type") if per_type else None,
    }, section="home")
