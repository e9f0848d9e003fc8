"""Web pages for localisation (thin adapter over setu.localisation.service).

* ``/localisation``: the programme dashboard: qualifications of locally made parts by state;
  ``/localisation?q={id}`` opens one qualification below it: its first-article characteristic
  table (this cycle), its lots and the OEM's comments, and a form for each step the viewer may
  take (``POST /localisation/qualifications/{id}/step``; nobody sees a step they may not take).
* ``/localisation/packages`` and ``/localisation/packages/{id}``: transfer-of-technology packages,
  their parts and deliverables by phase, with the deliver / accept / reject buttons of whoever may
  press them (``POST /localisation/deliverables/{id}/step``).
* ``/localisation/ventures``: joint ventures and licensed manufacturers.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from setu.adapters.http import needs, read_uow, write_uow
from setu.adapters.pages import NavEntry, form_data, optional_id, redirect, render
from setu.kit.errors import FieldError, SetuError, ValidationFailed
from setu.kit.uow import UnitOfWork
from setu.localisation import service
from setu.localisation.policies import PACKAGE_READ, VENTURE_READ
from setu.localisation.rules import DELIVERABLE, PHASES, STATES

router = APIRouter(include_in_schema=False)
NAV = [NavEntry("Localisation", "/localisation", "localisation", "localisation.qualification.read", 45, "Programme")]

STATE_LABELS = {"drawing": "Drawing revision to approve", "fai": "First-article inspection",
                "submitted": "Inspection submitted", "certified": "Certified"}
PHASE_LABELS = {"kit_assembly": "Kit assembly", "skd": "Semi-knocked-down (SKD)",
                "raw_material": "Progressive localisation from raw material"}
PACKAGE_LABELS = {"open": "Open", "in_delivery": "In delivery", "disputed": "Disputed", "complete": "Complete"}
KIND_LABELS = {"drawing": "Drawing", "specification": "Specification", "process_sheet": "Process sheet",
               "test_schedule": "Test schedule", "tooling": "Tooling", "jig": "Jig",
               "test_equipment": "Special test equipment", "raw_material": "Raw material",
               "mandated_source": "Mandated-source item"}
STEP_LABELS = {"approve_drawing": "Approve drawing revision", "submit_fai": "Submit first-article inspection",
               "return_fai": "Return inspection", "certify": "Certify", "reopen": "Reopen after a change",
               "comment": "Comment"}


def _dashboard(request: Request, uow: UnitOfWork, qid=None, *, error: str | None = None, status: int = 200):
    rows = service.qualification_rows(uow)
    counts = {s: sum(1 for r in rows if r["q"].status == s) for s in STATES}
    ctx = {"rows": rows, "counts": counts, "labels": STATE_LABELS, "detail": None, "step_labels": STEP_LABELS,
           "error": error, "content": service.content_rollups(uow), "packages": service.package_rows(uow)}
    if qid is not None:
        ctx["detail"] = service.qualification_detail(uow, qualification_id=qid)
    return render(request, "localisation/dashboard.html", ctx, status_code=status, section="localisation")


@router.get("/localisation", response_class=HTMLResponse,
            dependencies=[Depends(needs("localisation.qualification.read"))])
def dashboard(request: Request, q: str | None = None, uow: UnitOfWork = Depends(read_uow)):
    """The dashboard; ``?q=<id>`` opens one qualification below it."""
    return _dashboard(request, uow, optional_id(q))


@router.post("/localisation/qualifications/{qualification_id}/step", response_class=HTMLResponse,
             dependencies=[Depends(needs("localisation.qualification.read"))])
def qualification_step(request: Request, qualification_id: str, data: dict = Depends(form_data),
                       uow: UnitOfWork = write_uow):
    """One step of the qualification (the workflow decides who may: 403 otherwise)."""
    q = service.get_qualification(uow, qualification_id=qualification_id)
    try:
        service.take_step(uow, qualification_id=q.id, action=data.get("action") or "", form=data)
    except SetuError as exc:
        if exc.status in (403, 404):
            raise
        uow.discard()
        return _dashboard(request, uow, q.id, error=exc.detail, status=exc.status)
    return redirect(f"/localisation?q={q.id}&saved=1#detail")


@router.get("/localisation/packages", response_class=HTMLResponse, dependencies=[Depends(needs(PACKAGE_READ))])
def packages(request: Request, uow: UnitOfWork = Depends(read_uow)):
    return render(request, "localisation/packages.html", {"rows": service.package_rows(uow), "labels": PACKAGE_LABELS,
                                                         "phases": PHASE_LABELS}, section="localisation")


def _package(request: Request, uow: UnitOfWork, package_id, *, error: str | None = None, status: int = 200):
    d = service.package_detail(uow, package_id=package_id)
    steps = {x.id: [t for t in DELIVERABLE.available(uow.actor, x)] for x in d["deliverables"]}
    by_phase = {ph: [x for x in d["deliverables"] if x.phase == ph] for ph in PHASES}
    return render(request, "localisation/package.html", {
        "d": d, "steps": steps, "by_phase": by_phase, "phases": PHASE_LABELS, "kinds": KIND_LABELS,
        "labels": PACKAGE_LABELS, "error": error}, status_code=status, section="localisation")


@router.get("/localisation/packages/{package_id}", response_class=HTMLResponse,
            dependencies=[Depends(needs(PACKAGE_READ))])
def package(request: Request, package_id: str, uow: UnitOfWork = Depends(read_uow)):
    return _package(request, uow, package_id)


@router.post("/localisation/deliverables/{deliverable_id}/step", response_class=HTMLResponse,
             dependencies=[Depends(needs(PACKAGE_READ))])
def deliverable_step(request: Request, deliverable_id: str, data: dict = Depends(form_data),
                     uow: UnitOfWork = write_uow):
    """Deliver (origin side), accept or reject with a reason (operator side)."""
    d = service.get_deliverable(uow, deliverable_id=deliverable_id)
    action = data.get("action") or ""
    version = int(data["version"]) if str(data.get("version") or "").isdigit() else None
    try:
        if action == "deliver":
            service.deliver(uow, deliverable_id=d.id, revision=data.get("revision") or None, version=version)
        elif action in ("accept", "reject"):
            service.decide_deliverable(uow, deliverable_id=d.id, decision=action, reason=data.get("reason") or None,
                                       version=version)
        else:
            raise ValidationFailed("step", [FieldError("action", "one of deliver, accept, reject")])
    except SetuError as exc:
        if exc.status in (403, 404):
            raise
        uow.discard()
        return _package(request, uow, d.package_id, error=exc.detail, status=exc.status)
    return redirect(f"/localisation/packages/{d.package_id}?saved=1")


@router.get("/localisation/ventures", response_class=HTMLResponse, dependencies=[Depends(needs(VENTURE_READ))])
def ventures(request: Request, uow: UnitOfWork = Depends(read_uow)):
    return render(request, "localisation/ventures.html", {"rows": service.list_ventures(uow)}, section="localisation")
