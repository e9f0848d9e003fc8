"""JSON API for parties and organisations (thin adapter)."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query

from setu.adapters.http import needs, problem_responses, read_uow, write_uow
from setu.identity import service
from setu.identity.schemas import (
    OrganisationCreate, OrganisationKind, OrganisationRead, OrganisationUpdate, PartyRead,
)
from setu.kit.listing import PageOut, page_out
from setu.kit.uow import UnitOfWork

router = APIRouter(tags=["identity"], responses=problem_responses(403))


@router.get("/parties", response_model=list[PartyRead], dependencies=[Depends(needs("identity.party.read"))])
def list_parties(uow: UnitOfWork = Depends(read_uow)):
    return [PartyRead.model_validate(p) for p in service.list_parties(uow)]


@router.get("/parties/{party_id}", response_model=PartyRead,
            responses=problem_responses(404), dependencies=[Depends(needs("identity.party.read"))])
def get_party(party_id: uuid.UUID, uow: UnitOfWork = Depends(read_uow)):
    return PartyRead.model_validate(service.get_party(uow, party_id=party_id))


@router.get("/organisations", response_model=PageOut[OrganisationRead],
            dependencies=[Depends(needs("identity.organisation.read"))])
def list_organisations(q: str | None = None, kind: OrganisationKind | None = None, party_id: uuid.UUID | None = None,
                       sort: str | None = None, cursor: str | None = None, limit: int = Query(50, ge=1, le=500),
                       uow: UnitOfWork = Depends(read_uow)):
    return page_out(service.list_organisations(uow, q=q, kind=kind, party_id=party_id, sort=sort, cursor=cursor,
                                               limit=limit), OrganisationRead)


@router.post("/organisations", response_model=OrganisationRead, status_code=201, responses=problem_responses(404, 409),
             dependencies=[Depends(needs("identity.organisation.create"))])
def create_organisation(data: OrganisationCreate, uow: UnitOfWork = write_uow):
    org = service.create_organisation(uow, data=data)
    return OrganisationRead.model_validate(org)


@router.get("/organisations/{organisation_id}", response_model=OrganisationRead, responses=problem_responses(404),
            dependencies=[Depends(needs("identity.organisation.read"))])
def get_organisation(organisation_id: uuid.UUID, uow: UnitOfWork = Depends(read_uow)):
    return OrganisationRead.model_validate(service.get_organisation(uow, organisation_id=organisation_id))


@router.patch("/organisations/{organisation_id}", response_model=OrganisationRead,
              responses=problem_responses(404, 409),
              dependencies=[Depends(needs("identity.organisation.update"))])
def update_organisation(organisation_id: uuid.UUID, data: OrganisationUpdate, uow: UnitOfWork = write_uow):
    org = service.update_organisation(uow, organisation_id=organisation_id, data=data)
    return OrganisationRead.model_validate(org)
