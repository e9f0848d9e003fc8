"""Ledger JSON API: request support, take each step of the flow, read balances, verify."""
from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends

from setu.adapters.http import needs, problem_responses, read_uow, write_uow
from setu.kit.uow import UnitOfWork
from setu.ledger import service
from setu.ledger.schemas import BalanceRead, SupportRead, SupportRequest, SupportStep, VerifyRead

router = APIRouter(tags=["ledger"], responses=problem_responses(403))


@router.get("/ledger/support", response_model=list[SupportRead], dependencies=[Depends(needs("ledger.support.read"))])
def list_support(status: str | None = None, uow: UnitOfWork = Depends(read_uow)):
    return [SupportRead.model_validate(t) for t in service.transactions(uow, status=status)]


@router.post("/ledger/support", response_model=SupportRead, status_code=201, responses=problem_responses(409, 422),
             dependencies=[Depends(needs("ledger.support.create"))])
def request_support(data: SupportRequest, uow: UnitOfWork = write_uow):
    """A request by the receiving side's officer (send an ``Idempotency-Key``)."""
    return SupportRead.model_validate(service.request_support(uow, **data.model_dump()))


@router.get("/ledger/support/{transaction_id}", response_model=SupportRead, responses=problem_responses(404),
            dependencies=[Depends(needs("ledger.support.read"))])
def get_support(transaction_id: str, uow: UnitOfWork = Depends(read_uow)):
    return SupportRead.model_validate(service.get_transaction(uow, transaction_id))


@router.post("/ledger/support/{transaction_id}/steps", response_model=SupportRead,
             responses=problem_responses(404, 409, 422, 503), dependencies=[Depends(needs("ledger.support.read"))])
def take_step(transaction_id: str, data: SupportStep, uow: UnitOfWork = write_uow):
    """One step by the side entitled to it (accept, claim, invoice, settle: the provider; confirm,
    dispute: the receiver only, once). Signed steps carry the acting party's Ed25519 signature."""
    kw = {k: v for k, v in data.model_dump().items() if v is not None and k not in ("action", "version")}
    return SupportRead.model_validate(service.step(uow, transaction_id=transaction_id, action=data.action,
                                                   version=data.version, **kw))


@router.get("/ledger/balances", response_model=list[BalanceRead], dependencies=[Depends(needs("ledger.support.read"))])
def balances(uow: UnitOfWork = Depends(read_uow)):
    return [BalanceRead.model_validate(b) for b in service.balances(uow)]


@router.get("/ledger/verify", response_model=VerifyRead, dependencies=[Depends(needs("ledger.support.read"))])
def verify(uow: UnitOfWork = Depends(read_uow)):
    problems = service.verify(uow)
    return VerifyRead(ok=not problems, problems=problems)


@router.get("/ledger/reconciliation", dependencies=[Depends(needs("ledger.statement.read"))])
def reconciliation(year: int | None = None, uow: UnitOfWork = Depends(read_uow)):
    rows = service.reconciliation(uow, year=year or date.today().year)
    return [{**r, **{k: str(r[k]) for k in ("delivered", "invoiced", "settled")}} for r in rows]
