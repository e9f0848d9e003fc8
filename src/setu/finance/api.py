"""JSON API of the maintained exchange rates (thin adapter: parse, call one service function, render)."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query

from setu.adapters.http import needs, problem_responses, read_uow, write_uow
from setu.finance import service
from setu.finance.schemas import RateCreate, RateRead
from setu.kit.listing import PageOut, page_out
from setu.kit.money import CURRENCIES
from setu.kit.uow import UnitOfWork

router = APIRouter(tags=["finance"], responses=problem_responses(403))
CurrencyCode = Literal[tuple(sorted(CURRENCIES))]  # type: ignore[valid-type]


@router.get("/exchange-rates", response_model=PageOut[RateRead], dependencies=[Depends(needs("finance.rate.read"))])
def list_rates(
    from_currency: CurrencyCode | None = None,
    to_currency: CurrencyCode | None = None,
    sort: Literal["valid_from", "-valid_from", "from_currency", "-from_currency", "to_currency", "-to_currency"]
    | None = Query(None, description="field, or -field for descending"),
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    uow: UnitOfWork = Depends(read_uow),
):
    page = service.list_rates(uow, from_currency=from_currency, to_currency=to_currency, sort=sort,
                              cursor=cursor, limit=limit)
    return page_out(page, RateRead)


@router.post("/exchange-rates", response_model=RateRead, status_code=201, responses=problem_responses(409),
             dependencies=[Depends(needs("finance.rate.create"))])
def add_rate(data: RateCreate, uow: UnitOfWork = write_uow):
    return RateRead.model_validate(service.add_rate(uow, data=data))
