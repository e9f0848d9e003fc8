"""Localisation services: qualifications of locally made parts, their first-article
inspections, lots and comments. Every state change goes through the workflows of rules.py (which
check the organisation kind entitled to each step and audit it).

A lot's quantity is held here until the quality authority releases it; release puts it into the
fleet's serviceable stock at the lot's site through :func:`setu.fleet.service.adjust_stock`, so
the readiness evaluation (which reads fleet stock) sees locally made parts only once released,
without readiness knowing localisation.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from setu.catalog.models import Part
from setu.fleet import service as fleet_service
from setu.fleet.schemas import StockAdjust
from setu.kit.access import Actor, require, system_actor
from setu.kit.crud import flush, get_or_404
from setu.kit.errors import FieldError, NotFound, ValidationFailed
from setu.kit.uow import UnitOfWork
from setu.localisation import repository as repo
from setu.localisation.models import Characteristic, Comment, Lot, Qualification
from setu.localisation.policies import COMMENT, RECORD, RELEASE
from setu.localisation.rules import LOT, QUALIFICATION


def _visible(actor: Actor, q: Qualification) -> bool:
    return actor.system or actor.party_id is None or q.party_id == actor.party_id or actor.organisation_kind == "oem"


def get_qualification(uow: UnitOfWork, *, qualification_id: uuid.UUID) -> Qualification:
    require(uow.actor, "localisation.qualification.read")
    q = get_or_404(uow.session, Qualification, qualification_id, "qualification")
    if not _visible(uow.actor, q):
        raise NotFound("qualification not found")
    return q


def list_qualifications(uow: UnitOfWork) -> list[Qualification]:
    require(uow.actor, "localisation.qualification.read")
    return [q for q in repo.qualifications(uow.session) if _visible(uow.actor, q)]


def create_qualification(uow: UnitOfWork, *, part_id: uuid.UUID, drawing_revision: str, source: str,
                         material: str, process: str) -> Qualification:
    """The JV records a part it makes, with the drawing revision it is made to."""
    actor = uow.actor
    require(actor, RECORD)
    errors = [FieldError(k, "is required") for k, v in (("drawing_revision", drawing_revision), ("source", source),
                                                          ("material", material), ("process", process))
              if not (v or "").strip()]
    if errors:
        raise ValidationFailed("qualification", errors)
    get_or_404(uow.session, Part, part_id, "part")
    q = Qualification(party_id=actor.party_id, part_id=part_id, maker_organisation_id=actor.organisation_id,
                      drawing_revision=drawing_revision.strip(), source=source.strip(), material=material.strip(),
                      process=process.strip(), status=QUALIFICATION.initial, created_by=actor.name[:200], cycle=1)
    uow.session.add(q)
    flush(uow.session, "qualification")
    return q


def characteristics(uow: UnitOfWork, q: Qualification, cycle: int | None = None) -> list[Characteristic]:
    return repo.characteristics(uow.session, q.id, cycle or q.cycle)


def _own_maker(actor: Actor, q: Qualification) -> None:
    if not actor.system and actor.organisation_id != q.maker_organisation_id:
        from setu.kit.errors import PermissionDenied
        raise PermissionDenied(f"{actor.name} is not of the organisation that makes this part")


def submit_fai(uow: UnitOfWork, *, qualification_id: uuid.UUID, fai_kind: str, rows: list[dict[str, Any]],
               version: int | None = None) -> Qualification:
    """The JV records the first-article inspection: each characteristic measured against the
    drawing, pass or fail; full or partial."""
    q = get_qualification(uow, qualification_id=qualification_id)
    _own_maker(uow.actor, q)
    errors = []
    for k, r in enumerate(rows):
        if not str(r.get("name") or "").strip():
            errors.append(FieldError(f"characteristics[{k}].name", "is required"))
        if r.get("result") not in ("pass", "fail"):
            errors.append(FieldError(f"characteristics[{k}].result", "must be pass or fail"))
    if errors:
        raise ValidationFailed("first-article inspection", errors)
    QUALIFICATION.apply(uow, q, "submit_fai", version=version, fai_kind=fai_kind,
                        characteristics=[r["result"] for r in rows])
    for old in characteristics(uow, q):
        uow.session.delete(old)
    for r in rows:
        uow.session.add(Characteristic(qualification_id=q.id, cycle=q.cycle, name=str(r["name"]).strip()[:200],
                                       requirement=str(r.get("requirement") or "")[:200],
                                       measured=str(r.get("measured") or "")[:200], result=r["result"]))
    flush(uow.session, "characteristic")
    return q


def decide(uow: UnitOfWork, *, qualification_id: uuid.UUID, transition: str, note: str | None = None,
           version: int | None = None) -> Qualification:
    """The quality authority: approve_drawing, return_fai or certify."""
    q = get_qualification(uow, qualification_id=qualification_id)
    if transition not in ("approve_drawing", "return_fai", "certify"):
        raise ValidationFailed("decision", [FieldError("transition", "one of approve_drawing, return_fai, certify")])
    QUALIFICATION.apply(uow, q, transition, version=version, note=note,
                        characteristics=[c.result for c in characteristics(uow, q)])
    return q


def reopen(uow: UnitOfWork, *, qualification_id: uuid.UUID, change: str, new_value: str | None, note: str,
           version: int | None = None) -> Qualification:
    """The JV reports a change of source, material, process or drawing revision: qualification
    starts again (a new cycle) from the drawing."""
    q = get_qualification(uow, qualification_id=qualification_id)
    _own_maker(uow.actor, q)
    QUALIFICATION.apply(uow, q, "reopen", version=version, change=change, new_value=new_value, note=note)
    return q


def comment(uow: UnitOfWork, *, qualification_id: uuid.UUID, text: str) -> Comment:
    """The origin OEM comments (audited through the row's insert)."""
    require(uow.actor, COMMENT)
    q = get_qualification(uow, qualification_id=qualification_id)
    if not (text or "").strip():
        raise ValidationFailed("comment", [FieldError("text", "is required")])
    c = Comment(qualification_id=q.id, author=uow.actor.name[:200], organisation_id=uow.actor.organisation_id,
                text=text.strip())
    uow.session.add(c)
    flush(uow.session, "comment")
    return c


def create_lot(uow: UnitOfWork, *, qualification_id: uuid.UUID, site_id: uuid.UUID, lot_number: str,
               quantity: int) -> Lot:
    """The JV records a production lot; it is held (not serviceable) until released."""
    require(uow.actor, RECORD)
    q = get_qualification(uow, qualification_id=qualification_id)
    _own_maker(uow.actor, q)
    errors = []
    if not isinstance(quantity, int) or quantity < 1:
        errors.append(FieldError("quantity", "must be a whole number of at least 1"))
    if not (lot_number or "").strip():
        errors.append(FieldError("lot_number", "is required"))
    if errors:
        raise ValidationFailed("lot", errors)
    lot = Lot(qualification_id=q.id, site_id=site_id, lot_number=lot_number.strip(), quantity=quantity,
              status=LOT.initial, created_by=uow.actor.name[:200])
    uow.session.add(lot)
    flush(uow.session, "lot")
    return lot


@dataclass
class _Delivery:
    """The installation delivering a released lot into the fleet's stock: the fleet service runs as
    the system actor (the authority sees no depot's stock), in the same session (the audit entries
    name the authority's user, who released it)."""
    session: Any
    actor: Actor


def release_lot(uow: UnitOfWork, *, lot_id: uuid.UUID, version: int | None = None) -> Lot:
    """The quality authority releases a lot of a certified part: its quantity becomes serviceable
    stock at its site."""
    require(uow.actor, RELEASE)
    lot = get_or_404(uow.session, Lot, lot_id, "lot")
    q = get_qualification(uow, qualification_id=lot.qualification_id)
    LOT.apply(uow, lot, "release", version=version, qualification_status=q.status)
    fleet_service.adjust_stock(_Delivery(uow.session, system_actor("localisation lot release")),  # type: ignore[arg-type]
                               part_id=q.part_id, site_id=lot.site_id, data=StockAdjust(serviceable=lot.quantity))
    return lot


# -- the planner, as a background job ------------------------------------------------------------

from setu.kit import jobs  # noqa: E402

PLAN_JOB = "localisation.plan.create"


def check_plan(uow: UnitOfWork, *, scenario: dict | None, budget: str | None, years: int | None) -> dict:
    """Validate a planner request at once (422 naming the field; nothing started)."""
    from setu.localisation.schemas import ScenarioError, demo_scenario, parse_scenario

    require(uow.actor, "localisation.plan.create")
    data = scenario if scenario is not None else demo_scenario()
    try:
        parse_scenario(data, budget=budget, years=years)
    except ScenarioError as exc:
        raise ValidationFailed("scenario", [FieldError("scenario", str(exc))]) from None
    return {"scenario": data, "budget": budget, "years": years}


@jobs.register(PLAN_JOB)
def plan_job(ctx: jobs.JobContext, *, scenario: dict, budget: str | None = None, years: int | None = None) -> dict:
    """Run the planner (MILP and greedy) on the scenario; the plan is the job's result."""
    from setu.engine.localisation import plan as run_plan
    from setu.localisation.schemas import parse_scenario

    problem = parse_scenario(scenario, budget=budget, years=years)
    return run_plan(problem, progress=lambda f, msg: ctx.progress(int(round(100 * f)), 100, msg))


def qualification_rows(uow: UnitOfWork) -> list[dict[str, Any]]:
    """The dashboard's rows: each visible qualification with its part and maker."""
    qs = list_qualifications(uow)
    return [{"q": q, **repo.names(uow.session, q)} for q in qs]


def qualification_detail(uow: UnitOfWork, *, qualification_id: uuid.UUID) -> dict[str, Any]:
    q = get_qualification(uow, qualification_id=qualification_id)
    return {"q": q, **repo.names(uow.session, q), "characteristics": characteristics(uow, q),
            "lots": repo.lots(uow.session, q.id), "comments": repo.comments(uow.session, q.id)}
