"""Web pages of the audit log: recent entries, an object's history, an actor's actions."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from setu.adapters.http import needs, read_uow
from setu.adapters.pages import NavEntry, render
from setu.audit import service as audit_service
from setu.kit.uow import UnitOfWork

router = APIRouter(include_in_schema=False)
NAV = [
    NavEntry("Audit", "/audit", "audit", "audit.entry.read", 95, "Administration"),
]


@router.get("/audit", response_class=HTMLResponse, dependencies=[Depends(needs("audit.entry.read"))])
def audit_recent(request: Request, verify: bool = False, object_type: str = "", action: str = "", actor: str = "",
                 party: str = "", date_from: str = "", date_to: str = "", uow: UnitOfWork = Depends(read_uow)):
    from datetime import date

    status = audit_service.chain_status(uow) if verify else None
    parties = _parties(uow)
    errors = {}
    for name, value in (("date_from", date_from), ("date_to", date_to)):
        if value:
            try:
                date.fromisoformat(value)
            except ValueError:
                errors[name] = f"must be a date as YYYY-MM-DD, got {value!r}"
    if party and party not in parties:
        errors["party"] = "is not a party of this installation"
    f = {"object_type": object_type, "action": action, "actor": actor, "party": party,
         "date_from": date_from, "date_to": date_to}
    entries = [] if errors else audit_service.recent(
        uow, object_type=object_type, action=action, actor_name=actor, actor_party=party,
        date_from=date_from, date_to=date_to)
    return render(request, "audit/audit.html", {
        "title": "Audit log", "entries": entries, "status": status, "subject": None, "f": f, "errors": errors,
        "parties": parties, "types": audit_service.object_types(uow),
    }, section="audit", status_code=422 if errors else 200)


@router.get("/audit/objects/{object_id}", response_class=HTMLResponse,
            dependencies=[Depends(needs("audit.entry.read"))])
def audit_object(request: Request, object_id: str, uow: UnitOfWork = Depends(read_uow)):
    return render(request, "audit/audit.html", {
        "title": "History", "entries": audit_service.object_history(uow, object_id=object_id), "status": None,
        "subject": f"object {object_id}", "parties": _parties(uow),
    }, section="audit")


@router.get("/audit/actors/{actor_name}", response_class=HTMLResponse,
            dependencies=[Depends(needs("audit.entry.read"))])
def audit_actor(request: Request, actor_name: str, uow: UnitOfWork = Depends(read_uow)):
    return render(request, "audit/audit.html", {
        "title": "Actions", "entries": audit_service.actor_history(uow, actor_name=actor_name), "status": None,
        "subject": f"actor {actor_name}", "parties": _parties(uow),
    }, section="audit")


def _parties(uow: UnitOfWork) -> dict[str, str]:
    """party id -> code (the parties an actor may not list: none)."""
    from setu.identity import service as identity
    from setu.kit.errors import SetuError

    try:
        return {str(p.id): p.code for p in identity.list_parties(uow)}
    except SetuError:
        return {}
