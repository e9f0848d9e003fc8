"""Web pages for localisation (thin adapter over setu.localisation.service).

* ``/localisation``: the programme dashboard: qualifications of locally made parts by state;
  ``/localisation?q={id}`` opens one qualification below it: its first-article characteristic
  table (this cycle), its lots and the OEM's comments, and the steps the viewer may take.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from setu.adapters.http import needs, read_uow
from setu.adapters.pages import NavEntry, optional_id, render
from setu.kit.uow import UnitOfWork
from setu.localisation import service
from setu.localisation.rules import QUALIFICATION, STATES

router = APIRouter(include_in_schema=False)
NAV = [NavEntry("Localisation", "/localisation", "localisation", "localisation.qualification.read", 45, "Programme")]

STATE_LABELS = {"drawing": "Drawing revision to approve", "fai": "First-article inspection",
                "submitted": "Inspection submitted", "certified": "Certified"}


@router.get("/localisation", response_class=HTMLResponse,
            dependencies=[Depends(needs("localisation.qualification.read"))])
def dashboard(request: Request, q: str | None = None, uow: UnitOfWork = Depends(read_uow)):
    """The dashboard; ``?q=<id>`` opens one qualification below it."""
    rows = service.qualification_rows(uow)
    counts = {s: sum(1 for r in rows if r["q"].status == s) for s in STATES}
    ctx = {"rows": rows, "counts": counts, "labels": STATE_LABELS, "detail": None}
    qid = optional_id(q)
    if qid is not None:
        d = service.qualification_detail(uow, qualification_id=qid)
        ctx["detail"] = {**d, "steps": [t.title for t in QUALIFICATION.available(uow.actor, d["q"])]}
    return render(request, "localisation/dashboard.html", ctx, section="localisation")
