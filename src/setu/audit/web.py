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
def audit_recent(request: Request, verify: bool = False, uow: UnitOfWork = Depends(read_uow)):
    status = audit_service.chain_status(uow) if verify else None
    return render(request, "audit/audit.html", {
        "title": "Audit log", "entries": audit_service.recent(uow), "status": status, "subject": None,
    }, section="audit")


@router.get("/audit/objects/{object_id}", response_class=HTMLResponse,
            dependencies=[Depends(needs("audit.entry.read"))])
def audit_object(request: Request, object_id: str, uow: UnitOfWork = Depends(read_uow)):
    return render(request, "audit/audit.html", {
        "title": "History", "entries": audit_service.object_history(uow, object_id=object_id), "status": None,
        "subject": f"object {object_id}",
    }, section="audit")


@router.get("/audit/actors/{actor_name}", response_class=HTMLResponse,
            dependencies=[Depends(needs("audit.entry.read"))])
def audit_actor(request: Request, actor_name: str, uow: UnitOfWork = Depends(read_uow)):
    return render(request, "audit/audit.html", {
        "title": "Actions", "entries": audit_service.actor_history(uow, actor_name=actor_name), "status": None,
        "subject": f"actor {actor_name}",
    }, section="audit")
