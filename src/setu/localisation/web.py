"""Web pages for localisation (thin adapter over setu.localisation.service).

* ``/localisation``: the programme dashboard: qualifications of locally made parts by state;
* ``/localisation/qualifications/{id}``: one qualification, its first-article characteristic
  table (this cycle), its lots and the OEM's comments, and the steps the viewer may take.
"""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from setu.adapters.http import needs, read_uow
from setu.adapters.pages import NavEntry, render
from setu.kit.uow import UnitOfWork
from setu.localisation import service
from setu.localisation.rules import QUALIFICATION, STATES

router = APIRouter(include_in_schema=False)
NAV = [NavEntry("Localisation", "/localisation", "localisation", "localisation.qualification.read", 45)]

STATE_LABELS = {"drawing": "Drawing revision to approve", "fai": "First-article inspection",
                "submitted": "Inspection submitted", "certified": "Certified"}


@router.get("/localisation", response_class=HTMLResponse,
            dependencies=[Depends(needs("localisation.qualification.read"))])
def dashboard(request: Request, uow: UnitOfWork = Depends(read_uow)):
    rows = service.qualification_rows(uow)
    counts = {s: sum(1 for r in rows if r["q"].status == s) for s in STATES}
    return render(request, "localisation/dashboard.html", {"rows": rows, "counts": counts, "labels": STATE_LABELS},
                  section="localisation")


@router.get("/localisation/qualifications/{qualification_id}", response_class=HTMLResponse,
            dependencies=[Depends(needs("localisation.qualification.read"))])
def qualification_page(request: Request, qualification_id: uuid.UUID, uow: UnitOfWork = Depends(read_uow)):
    d = service.qualification_detail(uow, qualification_id=qualification_id)
    steps = [t.title for t in QUALIFICATION.available(uow.actor, d["q"])]
    return render(request, "localisation/qualification.html", {**d, "steps": steps, "labels": STATE_LABELS},
                  section="localisation")
