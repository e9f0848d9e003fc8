"""Use cases for parties and organisations. Services never commit."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from setu.identity import repository as repo
from setu.identity.models import Organisation, Party
from setu.identity.schemas import OrganisationCreate, OrganisationUpdate
from setu.kit.access import require
from setu.kit.crud import apply_update, flush, get_or_404
from setu.kit.listing import Page, paginate, search_clause
from setu.kit.uow import UnitOfWork


def list_parties(uow: UnitOfWork) -> list[Party]:
    require(uow.actor, "identity.party.read")
    return list(uow.session.scalars(select(Party).order_by(Party.code)))


def get_party(uow: UnitOfWork, *, party_id: uuid.UUID) -> Party:
    require(uow.actor, "identity.party.read")
    return get_or_404(uow.session, Party, party_id, "party")


def list_organisations(
    uow: UnitOfWork, *, q: str | None = None, kind: str | None = None, party_id: uuid.UUID | None = None,
    sort: str | None = None, cursor: str | None = None, limit: int = 50,
) -> Page[Organisation]:
    require(uow.actor, "identity.organisation.read")
    stmt = repo.organisations()
    if (c := search_clause(q, Organisation.code, Organisation.name)) is not None:
        stmt = stmt.where(c)
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    if party_id:
        stmt = stmt.where(Organisation.party_id == party_id)
    return paginate(uow.session, stmt, model=Organisation, sortable=repo.ORG_SORT, sort=sort, cursor=cursor, limit=limit)


def get_organisation(uow: UnitOfWork, *, organisation_id: uuid.UUID) -> Organisation:
    require(uow.actor, "identity.organisation.read")
    return get_or_404(uow.session, Organisation, organisation_id, "organisation")


def create_organisation(uow: UnitOfWork, *, data: OrganisationCreate) -> Organisation:
    require(uow.actor, "identity.organisation.create")
    get_or_404(uow.session, Party, data.party_id, "party")
    org = Organisation(**data.model_dump())
    org.code = org.code.upper()
    uow.session.add(org)
    flush(uow.session, "organisation", {"code": "code"})
    return org


def update_organisation(uow: UnitOfWork, *, organisation_id: uuid.UUID, data: OrganisationUpdate) -> Organisation:
    require(uow.actor, "identity.organisation.update")
    org = get_or_404(uow.session, Organisation, organisation_id, "organisation")
    apply_update(org, data, "organisation")
    flush(uow.session, "organisation")
    return org
