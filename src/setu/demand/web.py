"""Web fragments for demand history: the monthly demand chart of a part (Plotly; loaded by htmx)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from setu.adapters.http import needs, read_uow
from setu.adapters.pages import optional_id, parse_id, plotly_chart, render
from setu.demand import service
from setu.kit.uow import UnitOfWork

router = APIRouter(include_in_schema=False)


def demand_figure(history: list, title: str) -> dict:
    periods = [p.isoformat() for p, _ in history]
    return {
        "data": [{"type": "bar", "x": periods, "y": [q for _, q in history], "name": title,
                  "marker": {"color": "#1d2b44"},
                  "hovertemplate": "%{x|%b %Y}: %{y}<extra></extra>"}],
        "layout": {"margin": {"l": 50, "r": 10, "t": 10, "b": 40}, "bargap": 0.15,
                   "xaxis": {"type": "date", "tickformat": "%b %Y"},
                   "yaxis": {"title": {"text": "quantity"}, "rangemode": "tozero",
                             **({"dtick": 1} if max((q for _, q in history), default=0) <= 8 else {})}},
    }


@router.get("/parts/{part_id}/demand-chart", response_class=HTMLResponse,
            dependencies=[Depends(needs("demand.record.read"))])
def demand_chart(request: Request, part_id: str, family: bool = False, site_id: str | None = None,
                 uow: UnitOfWork = Depends(read_uow)):
    pid = parse_id(part_id, "part")
    history = service.demand_history(uow, part_id=pid, site_id=optional_id(site_id), by_family=family)
    total = sum(q for _, q in history)
    chart = None
    if history:
        chart = plotly_chart(demand_figure(history, "demand"), chart_id=f"demand-{pid}", height=300,
                             label="Monthly demand")
    return render(request, "demand/_demand_chart.html", {
        "history": history, "total": total, "family": family, "chart": chart, "one_site": bool(optional_id(site_id)),
    })
