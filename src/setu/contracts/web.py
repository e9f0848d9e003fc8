"""Web pages of contracts (thin adapter over setu.contracts.service).

* ``/contracts``: the portfolio in a chosen currency (``?currency=USD``; ``?grouping=indian`` for
  INR in lakh and crore): totals by kind, state and supplying party, the delivery timeline, the
  milestones overdue, the rates and dates used, and the contracts.
* ``/contracts/view?c={id}``: one contract: parties, value, milestones and deliveries, the steps
  the viewer may take and the form to record a milestone reached.
"""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from setu.adapters.http import needs, read_uow, write_uow
from setu.adapters.pages import NavEntry, form_data, optional_id, redirect, render
from setu.contracts import service
from setu.contracts.rules import KINDS, STATE_LABELS
from setu.contracts.schemas import MilestoneRecord
from setu.kit.errors import FieldError, ValidationFailed
from setu.kit.money import CURRENCIES
from setu.kit.uow import UnitOfWork

router = APIRouter(include_in_schema=False)
NAV = [NavEntry("Contracts", "/contracts", "contracts", "contracts.contract.read", 46, "Programme")]
SHOWN = ("USD", "INR", "RUB", "EUR")


def _currency(value: str | None) -> str:
    code = (value or "USD").strip().upper()
    if code not in CURRENCIES:
        raise ValidationFailed(f"{value!r} is not a supported currency",
                               [FieldError("currency", f"use one of {', '.join(sorted(CURRENCIES))}")])
    return code


def timeline_figure(p: service.Portfolio) -> dict:
    """Deliveries by planned date (hollow) and actual date (filled), one row per contract."""
    planned = [t for t in p.timeline]
    actual = [t for t in p.timeline if t["actual_on"]]
    return {"data": [
        {"type": "scatter", "mode": "markers", "name": "planned", "x": [str(t["planned_on"]) for t in planned],
         "y": [t["contract"] for t in planned], "text": [t["name"] for t in planned],
         "marker": {"symbol": "circle-open", "size": 9}},
        {"type": "scatter", "mode": "markers", "name": "delivered", "x": [str(t["actual_on"]) for t in actual],
         "y": [t["contract"] for t in actual], "text": [t["name"] for t in actual], "marker": {"size": 8}},
    ], "layout": {"margin": {"l": 150, "r": 10, "t": 10, "b": 40}, "xaxis": {"title": "date", "type": "date"},
                  "yaxis": {"automargin": True}, "legend": {"orientation": "h"},
                  "shapes": [{"type": "line", "x0": str(p.as_of), "x1": str(p.as_of), "yref": "paper",
                              "y0": 0, "y1": 1, "line": {"dash": "dot", "width": 1}}]}}


@router.get("/contracts", response_class=HTMLResponse, dependencies=[Depends(needs("contracts.contract.read"))])
def portfolio_page(request: Request, currency: str | None = None, uow: UnitOfWork = Depends(read_uow)):
    cur = _currency(currency)
    p = service.portfolio(uow, currency=cur)
    return render(request, "contracts/portfolio.html",
                  {"p": p, "figure": timeline_figure(p), "kinds": KINDS, "labels": STATE_LABELS,
                   "currencies": SHOWN}, section="contracts")


@router.get("/contracts/view", response_class=HTMLResponse, dependencies=[Depends(needs("contracts.contract.read"))])
def contract_page(request: Request, c: str | None = None, currency: str | None = None,
                  uow: UnitOfWork = Depends(read_uow)):
    cid = optional_id(c)
    if cid is None:  # no contract named: the portfolio, to choose one from
        return portfolio_page(request, currency=currency, uow=uow)
    d = service.contract_detail(uow, contract_id=cid, currency=_currency(currency) if currency else None)
    actor = uow.actor
    d.update(steps=service.available_steps(actor, d["c"]), may_record=service.may_record(actor, d["c"]),
             kinds=KINDS, labels=STATE_LABELS, currencies=SHOWN)
    return render(request, "contracts/contract.html", d, section="contracts")


def _date(data: dict, name: str, required: bool) -> date | None:
    v = (data.get(name) or "").strip()
    if not v:
        if required:
            raise ValidationFailed(f"{name}: is required", [FieldError(name, "is required (YYYY-MM-DD)")])
        return None
    try:
        return date.fromisoformat(v)
    except ValueError:
        raise ValidationFailed(f"{name}: {v!r} is not a date", [FieldError(name, "use YYYY-MM-DD")]) from None


def _id(data: dict, name: str) -> uuid.UUID:
    try:
        return uuid.UUID((data.get(name) or "").strip())
    except ValueError:
        raise ValidationFailed(f"{name}: is not an id", [FieldError(name, "is required")]) from None


@router.post("/contracts/step", response_class=HTMLResponse,
             dependencies=[Depends(needs("contracts.contract.approve"))])
def contract_step(request: Request, data: dict = Depends(form_data), uow: UnitOfWork = write_uow):
    cid = _id(data, "contract_id")
    version = (data.get("version") or "").strip()
    service.step(uow, contract_id=cid, transition=(data.get("transition") or "").strip(),
                 signed_on=_date(data, "signed_on", False), note=data.get("note"),
                 version=int(version) if version.isdigit() else None)
    return redirect(f"/contracts/view?c={cid}&saved=1")


@router.post("/contracts/milestone", response_class=HTMLResponse,
             dependencies=[Depends(needs("contracts.milestone.update"))])
def milestone_record(request: Request, data: dict = Depends(form_data), uow: UnitOfWork = write_uow):
    mid = _id(data, "milestone_id")
    try:
        value = Decimal((data.get("actual_value") or "").strip())
        if not value.is_finite() or value < 0:
            raise InvalidOperation
    except InvalidOperation:
        raise ValidationFailed("actual_value: is not an amount",
                               [FieldError("actual_value", "give a non-negative amount")]) from None
    on = _date(data, "actual_on", True)
    m = service.record_milestone(uow, milestone_id=mid, data=MilestoneRecord(actual_on=on, actual_value=value))
    return redirect(f"/contracts/view?c={m.contract_id}&saved=1")
