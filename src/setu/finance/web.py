"""Web page of the maintained exchange rates: the dated rates, and an add form for those allowed."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from setu.adapters.http import needs, read_uow, write_uow
from setu.adapters.pages import FormField, NavEntry, clean_form, form_data, redirect, render, render_form, run_form
from setu.finance import service
from setu.finance.schemas import RateCreate
from setu.kit.access import permission
from setu.kit.money import CURRENCIES
from setu.kit.uow import UnitOfWork

router = APIRouter(include_in_schema=False)
NAV = [NavEntry("Exchange rates", "/exchange-rates", "rates", "finance.rate.read", 91, "Administration")]
_CUR = [(c, c) for c in sorted(CURRENCIES)]


def _fields() -> list[FormField]:
    return [
        FormField("from_currency", "From currency", "select", True, _CUR),
        FormField("to_currency", "To currency", "select", True, _CUR),
        FormField("rate", "Rate (units of the 'to' currency per one 'from')", "number", True, step="0.00000001"),
        FormField("valid_from", "Valid from (YYYY-MM-DD)", required=True, placeholder="2026-11-02"),
        FormField("source", "Source", help="e.g. a central bank's reference rate"),
    ]


@router.get("/exchange-rates", response_class=HTMLResponse, dependencies=[Depends(needs("finance.rate.read"))])
def rates_page(request: Request, cursor: str | None = None, uow: UnitOfWork = Depends(read_uow)):
    page = service.list_rates(uow, cursor=cursor, limit=100)
    actor = getattr(request.state, "actor", None)
    can_add = actor is not None and permission("finance.rate.create").allows(actor)
    return render(request, "finance/rates.html", {"page": page, "can_add": can_add}, section="rates")


@router.get("/exchange-rates/new", response_class=HTMLResponse, dependencies=[Depends(needs("finance.rate.create"))])
def rate_new(request: Request):
    return render_form(request, title="New exchange rate", action="/exchange-rates/new", fields=_fields(),
                       values={"from_currency": "USD", "to_currency": "INR"}, cancel_url="/exchange-rates",
                       section="rates")


@router.post("/exchange-rates/new", response_class=HTMLResponse, dependencies=[Depends(needs("finance.rate.create"))])
def rate_create(request: Request, data: dict = Depends(form_data), uow: UnitOfWork = write_uow):
    fields = _fields()
    _, errors = run_form(RateCreate, clean_form(data, fields, partial=False),
                         lambda d: service.add_rate(uow, data=d), [f.name for f in fields])
    if errors:
        return render_form(request, title="New exchange rate", action="/exchange-rates/new", fields=fields,
                           values=data, errors=errors, cancel_url="/exchange-rates", section="rates")
    return redirect("/exchange-rates?saved=1")
