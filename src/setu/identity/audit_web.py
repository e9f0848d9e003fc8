"""Web pages of the audit log: recent entries, an object's history, an actor's actions."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from setu.app.deps import read_uow
from setu.app.permissions import needs
from setu.app.web import render
from setu.identity import audit_service
from setu.kit.uow import UnitOfWork

router = APIRouter(include_in_schema=False)


@router.get("/audit", response_class=HTMLResponse, dependencies=[Depends(needs("audit.entry.read"))])
def audit_recent(request: Request, verify: bool = False, uow: UnitOfWork = Depends(read_uow)):
    status = audit_service.chain_status(uow) if verify else None
    return render(request, "identity/audit.html", {
        "title": "Audit log", "entries": audit_service.recent(uow), "status": status, "subject": None,
    }, section="audit")


@router.get("/audit/objects/{object_id}", response_class=HTMLResponse,
            dependencies=[Depends(needs("audit.entry.read"))])
def audit_object(request: Request, object_id: str, uow: UnitOfWork = Depends(read_uow)):
    return render(request, "identity/audit.html", {
        "title": "History", "entries": audit_service.object_history(uow, object_id=object_id), "status": None,
        "subject": f"object {object_id}",
    }, section="audit")


@router.get("/audit/actors/{actor_name}", response_class=HTMLResponse,
            dependencies=[Depends(needs("audit.entry.read"))])
def audit_actor(request: Request, actor_name: str, uow: UnitOfWork = Depends(read_uow)):
    return render(request, "identity/audit.html", {
        "title": "Actions", "entries": audit_service.actor_history(uow, actor_name=actor_name), "status": None,
        "subject": f"actor {actor_name}",
    }, section="audit")
