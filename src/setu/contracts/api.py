"""JSON API of contracts: the contracts one's party is a party to, and the portfolio in a chosen
currency (thin adapter over setu.contracts.service)."""
from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Query

from setu.adapters.http import needs, problem_responses, read_uow
from setu.contracts import service
from setu.contracts.schemas import ContractList, ContractRead, PortfolioRead, portfolio_out
from setu.kit.money import CURRENCIES
from setu.kit.uow import UnitOfWork

router = APIRouter(tags=["contracts"], responses=problem_responses(403))
CurrencyCode = Literal[tuple(sorted(CURRENCIES))]  # type: ignore[valid-type]
KindCode = Literal["supply", "licensed_production", "transfer_of_technology", "maintenance"]
StateCode = Literal["draft", "signed", "in_force", "completed", "terminated"]


@router.get("/contracts", response_model=ContractList, dependencies=[Depends(needs("contracts.contract.read"))])
def list_contracts(kind: KindCode | None = None, status: StateCode | None = None,
                   uow: UnitOfWork = Depends(read_uow)):
    """The contracts the caller's party is a party to (programme offices: all)."""
    items = service.list_contracts(uow, kind=kind, status=status)
    return ContractList(items=[ContractRead.model_validate(c) for c in items], total=len(items))


@router.get("/contracts/portfolio", response_model=PortfolioRead, responses=problem_responses(422),
            dependencies=[Depends(needs("contracts.contract.read"))])
def portfolio(currency: CurrencyCode = Query("USD", description="the currency of the totals (ISO 4217)"),
              as_of: date | None = Query(None, description="the day milestones count as overdue on (default today)"),
              uow: UnitOfWork = Depends(read_uow)):
    """Totals by kind, status and supplying party in ``currency``: each contract converted at the
    rate of its date (the rates and dates used are in ``rates``), delivered versus contracted and
    the milestones overdue."""
    return portfolio_out(service.portfolio(uow, currency=currency, as_of=as_of))
