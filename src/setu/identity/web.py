"""Web pages for parties and organisations (read-only until the identity issue adds users)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from setu.adapters.http import needs, read_uow
from setu.adapters.pages import NavEntry, optional_id, render
from setu.identity import service
from setu.identity.models import ORGANISATION_KINDS
from setu.kit.errors import ValidationFailed
from setu.kit.uow import UnitOfWork

router = APIRouter(include_in_schema=False)
NAV = [
    NavEntry("Organisations", "/organisations", "organisations", "identity.organisation.read", 90, "Administration"),
]
# sign-in, sign-out and the account pages
from setu.identity.account_web import router as _account_router  # noqa: E402

router.routes.extend(_account_router.routes)


@router.get("/organisations", response_class=HTMLResponse,
            dependencies=[Depends(needs("identity.organisation.read"))])
def organisations_list(request: Request, q: str | None = None, kind: str | None = None, party_id: str | None = None,
                       cursor: str | None = None, uow: UnitOfWork = Depends(read_uow)):
    kw = dict(q=q, kind=kind if kind in ORGANISATION_KINDS else None, party_id=optional_id(party_id), sort="code",
              limit=50)
    try:
        page = service.list_organisations(uow, cursor=cursor, **kw)
    except ValidationFailed:
        page = service.list_organisations(uow, **kw)
    parties = service.list_parties(uow)
    party_code = next((p.code for p in parties if str(p.id) == party_id), "")
    return render(request, "identity/organisations.html", {
        "page": page, "parties": parties, "q": q or "", "kind": kind or "", "party_id": party_id or "",
        "kinds": ORGANISATION_KINDS, "party_code": party_code,
    }, section="organisations")
