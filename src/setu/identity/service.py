"""Use cases for parties and organisations. Services never commit."""
from __future__ import annotations

import uuid

from setu.identity import repository as repo
from setu.identity.models import Organisation, Party
from setu.identity.schemas import OrganisationCreate, OrganisationUpdate
from setu.kit.access import READ_ONLY_KINDS, Actor, require
from setu.kit.crud import apply_update, flush, get_or_404
from setu.kit.errors import FieldError, PermissionDenied, ValidationFailed
from setu.kit.listing import Page, paginate, search_clause
from setu.kit.uow import UnitOfWork


def list_parties(uow: UnitOfWork) -> list[Party]:
    require(uow.actor, "identity.party.read")
    return repo.parties(uow.session)


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


# Both parties read the directory; each party maintains its own organisations. An organisation's
# kind decides what its members see (fleet.policies: armed services see their party's sites,
# industry its own; programme offices both parties), so it is set with care:
# - a programme office (reads both parties) is created or made only by the installation's operator
#   (the CLI's system actor), never by either party alone;
# - changing the kind of an existing organisation is for party administrators.

def _own_party(actor: Actor, party_id) -> bool:
    return actor.system or (party_id is not None and party_id == actor.party_id)


def _check_kind(actor: Actor, kind: str | None, *, changed: bool) -> None:
    if kind is None or actor.system:
        return
    if kind in READ_ONLY_KINDS:
        raise ValidationFailed("organisation", [FieldError(
            "kind", "a programme office reads both parties' data: only the installation's operator makes one")])
    if changed and actor.role != "admin":
        raise ValidationFailed("organisation", [FieldError(
            "kind", "changes what the organisation's members may see: party administrators only")])


def create_organisation(uow: UnitOfWork, *, data: OrganisationCreate) -> Organisation:
    require(uow.actor, "identity.organisation.create")
    get_or_404(uow.session, Party, data.party_id, "party")
    if not _own_party(uow.actor, data.party_id):
        raise ValidationFailed("organisation", [FieldError(
            "party_id", "organisations are maintained by their own party: use your own party")])
    _check_kind(uow.actor, data.kind, changed=False)
    org = Organisation(**data.model_dump())
    org.code = org.code.upper()
    uow.session.add(org)
    flush(uow.session, "organisation", {"code": "code"})
    return org


def update_organisation(uow: UnitOfWork, *, organisation_id: uuid.UUID, data: OrganisationUpdate) -> Organisation:
    require(uow.actor, "identity.organisation.update")
    org = get_or_404(uow.session, Organisation, organisation_id, "organisation")
    if not _own_party(uow.actor, org.party_id):
        raise PermissionDenied("this organisation is maintained by the other party",
                               permission="identity.organisation.update")
    if "kind" in data.model_fields_set and data.kind is not None:
        _check_kind(uow.actor, data.kind, changed=data.kind != org.kind)
        if org.kind in READ_ONLY_KINDS and data.kind != org.kind and not uow.actor.system:
            raise ValidationFailed("organisation", [FieldError(
                "kind", "a programme office is changed only by the installation's operator")])
    apply_update(org, data, "organisation")
    flush(uow.session, "organisation")
    return org
