"""Ledger pages: the agreement and ceilings consumed, requests and claims awaiting my side,
balances and the ageing chart, reconciliation, the yearly statement. Thin adapter over the service."""
from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from setu.adapters.http import needs, read_uow, write_uow
from setu.adapters.pages import NavEntry, form_data, plotly_chart, redirect, render
from setu.kit.errors import NotFound, SetuError
from setu.kit.uow import UnitOfWork
from setu.ledger import rules, service

router = APIRouter(include_in_schema=False)
NAV = [NavEntry("Support ledger", "/ledger", "ledger", "ledger.support.read", 70, "Service")]
FORM_FIELDS = ("action", "reason", "quantity", "unit", "unit_price", "delivered_on", "method", "amount", "version")


def ageing_figure(ageing: dict) -> dict:
    """Plotly stacked bars: open receivables per ageing bucket (days since delivery), one trace per debt."""
    buckets = [name for *_x, name in rules.AGEING]
    data = []
    for who, per_cur in ageing.items():
        for cur, b in per_cur.items():
            data.append({"type": "bar", "name": f"{who} ({cur})", "x": buckets, "y": [float(b[k]) for k in buckets],
                         "hovertemplate": f"%{{x}} days: %{{y:,.2f}} {cur}<extra>{who}</extra>"})
    return {"data": data, "layout": {"barmode": "group", "margin": {"l": 70, "r": 10, "t": 10, "b": 50},
                                     "legend": {"orientation": "h", "y": -0.25},
                                     "xaxis": {"title": {"text": "days since delivery"}},
                                     "yaxis": {"title": {"text": "open amount (each debt in its provider's currency)"}}}}


def _context(request: Request, uow: UnitOfWork, year: int, error: str | None = None) -> dict:
    actor = uow.actor
    today = date.today()
    try:
        agreement = service.agreement(uow)
    except NotFound:
        return {"agreement": None, "error": error}
    txs = service.transactions(uow)
    actions = {t.id: [(s.name, s.title) for s in service.available(actor, t)] for t in txs}
    mine = [t for t in txs if actions[t.id]]
    codes = {t.provider_party_id: service._code(uow, t.provider_party_id) for t in txs}
    codes.update({t.receiver_party_id: service._code(uow, t.receiver_party_id) for t in txs})
    ceilings = service.ceilings(uow)
    for c in ceilings:
        codes.setdefault(c.provider_party_id, service._code(uow, c.provider_party_id))
    ageing = service.ageing(uow, today=today)
    return {"agreement": agreement, "ceilings": ceilings, "visits": service.visits(uow), "txs": txs[:200],
            "mine": mine, "actions": actions, "codes": codes, "balances": service.balances(uow),
            "ageing": ageing, "overdue": {t.id for t in service.overdue(uow, today=today)},
            "chart": plotly_chart(ageing_figure(ageing), chart_id="ageing-chart", label="ageing of open receivables"),
            "reconciliation": service.reconciliation(uow, year=year), "year": year, "today": today, "error": error,
            "years": sorted({t.delivered_on.year for t in txs if t.delivered_on} | {year})}


@router.get("/ledger", response_class=HTMLResponse, dependencies=[Depends(needs("ledger.support.read"))])
def ledger_page(request: Request, year: int | None = None, uow: UnitOfWork = Depends(read_uow)):
    return render(request, "ledger/index.html", _context(request, uow, year or date.today().year), section="ledger")


@router.post("/ledger/support/{transaction_id}/step", response_class=HTMLResponse,
             dependencies=[Depends(needs("ledger.support.read"))])
def take_step(request: Request, transaction_id: str, data: dict = Depends(form_data), uow: UnitOfWork = write_uow):
    kw = {k: v for k, v in data.items() if k in FORM_FIELDS and k not in ("action", "version") and v not in (None, "")}
    if "delivered_on" in kw:
        try:
            kw["delivered_on"] = date.fromisoformat(kw["delivered_on"])
        except ValueError:
            kw.pop("delivered_on")
    version = data.get("version") or ""
    try:
        service.step(uow, transaction_id=transaction_id, action=data.get("action") or "",
                     version=int(version) if version.isdigit() else None, **kw)
    except SetuError as exc:
        if exc.status in (403, 404):
            raise
        uow.discard()
        return render(request, "ledger/index.html", _context(request, uow, date.today().year, error=exc.detail),
                      status_code=exc.status, section="ledger")
    return redirect("/ledger?saved=1#mine")


@router.get("/ledger/statement/{year}.xlsx", dependencies=[Depends(needs("ledger.statement.read"))])
def statement_xlsx(year: int, uow: UnitOfWork = Depends(read_uow)):
    from setu.ledger.service import statement_xlsx as xlsx

    body = xlsx({"statement": service.statement(uow, year=year), "signatures": []})
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="ledger-statement-{year}.xlsx"'})
