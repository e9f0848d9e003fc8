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
from setu.localisation.models import Characteristic, Comment, Lot, Qualification, Venture
from setu.localisation.policies import COMMENT, RECORD, RELEASE
from setu.localisation.rules import LOT, QUALIFICATION


def _visible(actor: Actor, q: Qualification, part_owner: uuid.UUID | None) -> bool:
    """A qualification is seen by its own party, by both parties' programme offices, and by an
    origin OEM when it concerns a part the OEM's party maintains (origin-party scoping)."""
    if actor.sees_all_parties:
        return True
    if actor.party_id is None or actor.sysadmin:
        return False
    if q.party_id == actor.party_id:
        return True
    return actor.organisation_kind == "oem" and part_owner is not None and part_owner == actor.party_id


def _owner(uow: UnitOfWork, q: Qualification) -> uuid.UUID | None:
    part = uow.session.get(Part, q.part_id)
    return part.owner_party_id if part is not None else None


def require_venture(uow: UnitOfWork, party_id: uuid.UUID | None = None) -> Venture:
    """The actor's organisation must be a registered JV or licensed manufacturer of its party
    (and of ``party_id`` when given): only a venture records what it makes."""
    from setu.kit.errors import PermissionDenied

    actor = uow.actor
    v = repo.venture_of(uow.session, actor.organisation_id) if actor.organisation_id else None
    if v is None or v.party_id != actor.party_id or (party_id is not None and v.party_id != party_id):
        raise PermissionDenied(f"{actor.name}'s organisation is not a registered joint venture or licensed "
                               "manufacturer of this party")
    return v


def get_lot(uow: UnitOfWork, *, lot_id: uuid.UUID) -> Lot:
    require(uow.actor, "localisation.qualification.read")
    lot = get_or_404(uow.session, Lot, lot_id, "lot")
    try:
        get_qualification(uow, qualification_id=lot.qualification_id)
    except NotFound:
        raise NotFound(f"lot {lot_id} not found") from None
    return lot


def get_qualification(uow: UnitOfWork, *, qualification_id: uuid.UUID) -> Qualification:
    require(uow.actor, "localisation.qualification.read")
    q = get_or_404(uow.session, Qualification, qualification_id, "qualification")
    if not _visible(uow.actor, q, _owner(uow, q)):
        raise NotFound("qualification not found")
    return q


def list_qualifications(uow: UnitOfWork) -> list[Qualification]:
    require(uow.actor, "localisation.qualification.read")
    owners = repo.part_owners(uow.session)
    return [q for q in repo.qualifications(uow.session) if _visible(uow.actor, q, owners.get(q.part_id))]


def create_qualification(uow: UnitOfWork, *, part_id: uuid.UUID, drawing_revision: str, source: str,
                         material: str, process: str) -> Qualification:
    """The JV records a part it makes, with the drawing revision it is made to."""
    actor = uow.actor
    require(actor, RECORD)
    require_venture(uow)
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


def _destination(uow: UnitOfWork, q: Qualification, site_id: uuid.UUID) -> None:
    """A lot's destination: a site of the qualification's party (the depot or base it is delivered
    to once released). The maker names it without reading its stock; another party's site
    answers exactly like a missing one."""
    from setu.fleet.models import Site

    site = uow.session.get(Site, site_id) if isinstance(site_id, uuid.UUID) else None
    if site is None or site.organisation is None or site.organisation.party_id != q.party_id:
        raise NotFound(f"site {site_id} not found")


def visible_site_code(uow: UnitOfWork, site_id: uuid.UUID) -> str | None:
    """A lot's destination site code, only for a caller who may see that site."""
    from setu.fleet.models import Site

    if not fleet_service.visible_site_ids_among(uow, site_ids=[site_id]):
        return None
    site = uow.session.get(Site, site_id)
    return site.code if site else None


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
    _destination(uow, q, site_id)
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
    if not uow.actor.system and uow.actor.party_id != q.party_id:
        from setu.kit.errors import PermissionDenied
        raise PermissionDenied(f"{uow.actor.name} is not of the party whose authority releases this lot")
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
            "steps": available_steps(uow, q),
            "lots": repo.lots(uow.session, q.id), "comments": repo.comments(uow.session, q.id)}


# -- transfer-of-technology packages --------------------------------------------------------------

from datetime import date  # noqa: E402
from decimal import Decimal  # noqa: E402

from setu.kit.money import CURRENCIES, parse_amount  # noqa: E402
from setu.localisation.models import (  # noqa: E402
    Licence, TotDeliverable, TotPackage, TotPackagePart, VentureCapability, VenturePartner)
from setu.localisation.policies import PACKAGE_CREATE, PACKAGE_READ, VENTURE_CREATE, VENTURE_READ  # noqa: E402
from setu.localisation.rules import DELIVERABLE, DELIVERABLE_KINDS, PHASES  # noqa: E402


def _sees_package(actor: Actor, p: TotPackage | TotDeliverable) -> bool:
    """A package is seen by both its parties (the origin delivers, the operator receives) and by
    the programme offices."""
    if actor.sees_all_parties:
        return True
    return actor.party_id is not None and not actor.sysadmin and actor.party_id in (p.party_id, p.origin_party_id)


def list_packages(uow: UnitOfWork) -> list[TotPackage]:
    require(uow.actor, PACKAGE_READ)
    return [p for p in repo.packages(uow.session) if _sees_package(uow.actor, p)]


def get_package(uow: UnitOfWork, *, package_id: uuid.UUID) -> TotPackage:
    require(uow.actor, PACKAGE_READ)
    p = get_or_404(uow.session, TotPackage, package_id, "package")
    if not _sees_package(uow.actor, p):
        raise NotFound(f"package {package_id} not found")
    return p


def get_deliverable(uow: UnitOfWork, *, deliverable_id: uuid.UUID) -> TotDeliverable:
    require(uow.actor, PACKAGE_READ)
    d = get_or_404(uow.session, TotDeliverable, deliverable_id, "deliverable")
    if not _sees_package(uow.actor, d):
        raise NotFound(f"deliverable {deliverable_id} not found")
    return d


def package_status(deliverables: list[TotDeliverable]) -> str:
    """A package is ``complete`` when every deliverable is accepted, ``in_delivery`` once any is
    delivered, else ``open``; ``disputed`` while any is rejected."""
    states = {d.status for d in deliverables}
    if not states:
        return "open"
    if states == {"accepted"}:
        return "complete"
    if "rejected" in states:
        return "disputed"
    return "in_delivery" if states & {"delivered", "accepted"} else "open"


def current_phase(deliverables: list[TotDeliverable]) -> str | None:
    """The earliest phase with a deliverable not yet accepted (kit assembly, then semi-knocked-down,
    then progressive localisation from raw material); None when all are accepted."""
    open_ = {d.phase for d in deliverables if d.status != "accepted"}
    return next((ph for ph in PHASES if ph in open_), None)


def create_package(uow: UnitOfWork, *, code: str, title: str, origin_party_id: uuid.UUID,
                   licensor_organisation_id: uuid.UUID | None, fee_amount: Any, fee_currency: str,
                   equipment_type_id: uuid.UUID | None = None, signed_on: date | None = None,
                   parts: list[dict] | None = None, deliverables: list[dict] | None = None) -> TotPackage:
    """The licensee (a registered venture of the operator party) registers the package it receives:
    the parts it covers (each with its phase), its deliverables, the fee and its currency."""
    actor = uow.actor
    require(actor, PACKAGE_CREATE)
    venture = require_venture(uow) if not actor.system else None
    errors: list[FieldError] = []
    if not (code or "").strip():
        errors.append(FieldError("code", "is required"))
    if not (title or "").strip():
        errors.append(FieldError("title", "is required"))
    cur = (fee_currency or "").upper()
    amount = None
    if cur not in CURRENCIES:
        errors.append(FieldError("fee_currency", f"one of {', '.join(sorted(CURRENCIES))}"))
    else:
        try:
            amount = parse_amount(fee_amount, cur)
        except ValueError as exc:
            errors.append(FieldError("fee_amount", str(exc)))
    party_id = venture.party_id if venture is not None else actor.party_id
    if origin_party_id == party_id:
        errors.append(FieldError("origin_party_id", "the origin party must be the other party"))
    for k, pt in enumerate(parts or []):
        if pt.get("phase") not in PHASES:
            errors.append(FieldError(f"parts[{k}].phase", f"one of {', '.join(PHASES)}"))
    for k, d in enumerate(deliverables or []):
        if d.get("kind") not in DELIVERABLE_KINDS:
            errors.append(FieldError(f"deliverables[{k}].kind", f"one of {', '.join(DELIVERABLE_KINDS)}"))
        if d.get("phase") not in PHASES:
            errors.append(FieldError(f"deliverables[{k}].phase", f"one of {', '.join(PHASES)}"))
        for f in ("title", "reference"):
            if not str(d.get(f) or "").strip():
                errors.append(FieldError(f"deliverables[{k}].{f}", "is required"))
    if errors:
        raise ValidationFailed("package", errors)
    from setu.identity.models import Party

    get_or_404(uow.session, Party, origin_party_id, "party")
    pkg = TotPackage(code=code.strip(), title=title.strip(), party_id=party_id, origin_party_id=origin_party_id,
                     licensor_organisation_id=licensor_organisation_id,
                     licensee_organisation_id=venture.organisation_id if venture else None,
                     equipment_type_id=equipment_type_id, fee_amount=amount, fee_currency=cur, signed_on=signed_on,
                     created_by=actor.name[:200])
    uow.session.add(pkg)
    flush(uow.session, "package", {"code": "code"})
    for pt in parts or []:
        get_or_404(uow.session, Part, pt["part_id"], "part")
        uow.session.add(TotPackagePart(package_id=pkg.id, part_id=pt["part_id"], phase=pt["phase"]))
    for d in deliverables or []:
        uow.session.add(TotDeliverable(package_id=pkg.id, party_id=party_id, origin_party_id=origin_party_id,
                                       kind=d["kind"], title=str(d["title"]).strip()[:200],
                                       reference=str(d["reference"]).strip()[:80],
                                       revision=(str(d.get("revision") or "").strip() or None),
                                       phase=d["phase"], due_on=d.get("due_on"), status=DELIVERABLE.initial))
    flush(uow.session, "package part", {"part_id": "parts"})
    return pkg


def deliver(uow: UnitOfWork, *, deliverable_id: uuid.UUID, revision: str | None = None,
            version: int | None = None) -> TotDeliverable:
    """The origin side delivers a deliverable (again, after a rejection), naming the revision."""
    d = get_deliverable(uow, deliverable_id=deliverable_id)
    kw = {"revision": revision} if revision else {}
    DELIVERABLE.apply(uow, d, "deliver", version=version, **kw)
    return d


def decide_deliverable(uow: UnitOfWork, *, deliverable_id: uuid.UUID, decision: str, reason: str | None = None,
                       version: int | None = None) -> TotDeliverable:
    """The operator side accepts a delivered deliverable, or rejects it saying why."""
    d = get_deliverable(uow, deliverable_id=deliverable_id)
    if decision not in ("accept", "reject"):
        raise ValidationFailed("decision", [FieldError("decision", "accept or reject")])
    DELIVERABLE.apply(uow, d, decision, version=version, reason=reason)
    return d


def package_detail(uow: UnitOfWork, *, package_id: uuid.UUID) -> dict[str, Any]:
    p = get_package(uow, package_id=package_id)
    ds = repo.deliverables(uow.session, p.id)
    return {"package": p, "deliverables": ds, "parts": repo.package_parts(uow.session, p.id),
            "status": package_status(ds), "phase": current_phase(ds), **repo.package_names(uow.session, p)}


# -- joint ventures and licensed manufacturers ----------------------------------------------------

def _sees_venture(actor: Actor, v: Venture, licensor_parties: set) -> bool:
    if actor.sees_all_parties:
        return True
    return actor.party_id is not None and not actor.sysadmin and (
        actor.party_id == v.party_id or actor.party_id in licensor_parties)


def list_ventures(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Each venture one may see (its own party's, or one licensed by one's party) with its
    partners, capabilities and licences."""
    require(uow.actor, VENTURE_READ)
    out = []
    for v in repo.ventures(uow.session):
        d = repo.venture_detail(uow.session, v)
        if _sees_venture(uow.actor, v, {lic["licensor_party_id"] for lic in d["licences"]}):
            out.append(d)
    return out


def create_venture(uow: UnitOfWork, *, organisation_id: uuid.UUID, kind: str, founded_on: date | None = None,
                   partners: list[dict] | None = None, capabilities: list[dict] | None = None,
                   licences: list[dict] | None = None) -> Venture:
    """The quality authority registers a JV or licensed manufacturer of its party. Partners'
    shares are percentages adding up to 100; capacities are parts per year."""
    from setu.identity.models import Organisation

    actor = uow.actor
    require(actor, VENTURE_CREATE)
    org = get_or_404(uow.session, Organisation, organisation_id, "organisation")
    errors: list[FieldError] = []
    if kind not in ("joint_venture", "licensed_manufacturer"):
        errors.append(FieldError("kind", "joint_venture or licensed_manufacturer"))
    if not actor.system and org.party_id != actor.party_id:
        errors.append(FieldError("organisation_id", "must be an organisation of your own party"))
    shares = []
    for k, p in enumerate(partners or []):
        try:
            sh = Decimal(str(p.get("share_percent")))
            if not sh.is_finite() or sh <= 0 or sh > 100:
                raise ValueError
            shares.append(sh)
        except (ValueError, ArithmeticError):
            errors.append(FieldError(f"partners[{k}].share_percent", "a percentage above 0, at most 100"))
        if not str(p.get("name") or "").strip():
            errors.append(FieldError(f"partners[{k}].name", "is required"))
    if partners and len(shares) == len(partners) and sum(shares) != 100:
        errors.append(FieldError("partners", f"shares add up to {sum(shares)} %, not 100 %"))
    for k, c in enumerate(capabilities or []):
        if not str(c.get("process") or "").strip():
            errors.append(FieldError(f"capabilities[{k}].process", "is required"))
        if not isinstance(c.get("capacity_per_year"), int) or c["capacity_per_year"] < 0:
            errors.append(FieldError(f"capabilities[{k}].capacity_per_year", "a whole number of parts per year, at least 0"))
    for k, lic in enumerate(licences or []):
        if lic.get("export_rights") not in ("none", "with_consent", "free"):
            errors.append(FieldError(f"licences[{k}].export_rights", "none, with_consent or free"))
        if lic.get("valid_from") and lic.get("valid_to") and lic["valid_to"] < lic["valid_from"]:
            errors.append(FieldError(f"licences[{k}].valid_to", "ends before it starts"))
        if lic.get("royalty_per_unit") is not None and lic.get("royalty_currency") not in CURRENCIES:
            errors.append(FieldError(f"licences[{k}].royalty_currency", "a royalty per unit needs its currency"))
    if errors:
        raise ValidationFailed("venture", errors)
    v = Venture(organisation_id=org.id, party_id=org.party_id, kind=kind, founded_on=founded_on,
                created_by=actor.name[:200])
    uow.session.add(v)
    flush(uow.session, "venture", {"organisation_id": "organisation_id"})
    for p, sh in zip(partners or [], shares):
        uow.session.add(VenturePartner(venture_id=v.id, organisation_id=p.get("organisation_id"),
                                       name=str(p["name"]).strip()[:200], share_percent=sh))
    for c in capabilities or []:
        uow.session.add(VentureCapability(venture_id=v.id, process=str(c["process"]).strip()[:80],
                                          capacity_per_year=c["capacity_per_year"]))
    for lic in licences or []:
        cur = lic.get("royalty_currency")
        uow.session.add(Licence(
            venture_id=v.id, licensor_organisation_id=lic.get("licensor_organisation_id"),
            number=str(lic.get("number") or "")[:60], scope=str(lic.get("scope") or ""),
            territory=str(lic.get("territory") or "")[:200], valid_from=lic["valid_from"], valid_to=lic["valid_to"],
            export_rights=lic["export_rights"], royalty_percent=Decimal(str(lic.get("royalty_percent") or "0")),
            royalty_per_unit=parse_amount(lic["royalty_per_unit"], cur) if lic.get("royalty_per_unit") is not None else None,
            royalty_currency=cur))
    flush(uow.session, "venture capability", {"process": "capabilities"})
    return v


def available_steps(uow: UnitOfWork, q: Qualification) -> list[str]:
    """The workflow steps the actor may take on ``q`` now: the permission, the state and the party
    rule (the workflow), and the maker's own steps only for the maker; ``comment`` for an OEM."""
    actor = uow.actor
    out = []
    for t in QUALIFICATION.available(actor, q):
        if t.permission == RECORD and not actor.system and actor.organisation_id != q.maker_organisation_id:
            continue
        out.append(t.name)
    if actor.can(COMMENT):
        out.append("comment")
    return out


def take_step(uow: UnitOfWork, *, qualification_id: uuid.UUID, action: str, form: dict[str, str]) -> Qualification:
    """One step from the web page's form (the same services as the API)."""
    q = get_qualification(uow, qualification_id=qualification_id)
    version = int(form["version"]) if str(form.get("version") or "").isdigit() else None
    if action in ("approve_drawing", "return_fai", "certify"):
        return decide(uow, qualification_id=q.id, transition=action, note=form.get("note") or None, version=version)
    if action == "reopen":
        return reopen(uow, qualification_id=q.id, change=form.get("change") or "", new_value=form.get("new_value") or None,
                      note=form.get("note") or "", version=version)
    if action == "comment":
        comment(uow, qualification_id=q.id, text=form.get("text") or "")
        return q
    if action == "submit_fai":
        rows = []
        for k in range(20):
            name = (form.get(f"name_{k}") or "").strip()
            if name:
                rows.append({"name": name, "requirement": form.get(f"requirement_{k}") or "",
                             "measured": form.get(f"measured_{k}") or "", "result": form.get(f"result_{k}") or ""})
        return submit_fai(uow, qualification_id=q.id, fai_kind=form.get("fai_kind") or "", rows=rows, version=version)
    raise ValidationFailed("step", [FieldError("action", "one of approve_drawing, submit_fai, return_fai, certify, "
                                                         "reopen, comment")])


def package_rows(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Each visible package with its status, current phase and deliverables by state."""
    out = []
    for p in list_packages(uow):
        ds = repo.deliverables(uow.session, p.id)
        out.append({"package": p, "status": package_status(ds), "phase": current_phase(ds),
                    "counts": {s: sum(1 for d in ds if d.status == s) for s in ("due", "delivered", "accepted", "rejected")},
                    **repo.package_names(uow.session, p)})
    return out


def content_rollups(uow: UnitOfWork, currency: str = "INR") -> dict[str, Any]:
    """Indigenous content (setu.engine.localisation.content: imports at every tier excluded) of
    each equipment type's bill of material, of each package's covered parts and of the whole
    portfolio, by value (in ``currency``, converted at the reference rates, kit.money.convert)
    and by count. A part counts as locally made once a qualification of it (visible to the
    caller) is certified."""
    from setu.engine.localisation.content import ContentLine, indigenous_content
    from setu.kit.money import convert

    local = {q.part_id for q in list_qualifications(uow) if q.status == "certified"}
    lines = repo.bom_lines_with_prices(uow.session)
    rates: dict[str, Decimal] = {}

    def value(price: Decimal, cur: str) -> Decimal:
        if cur not in rates:
            rates[cur] = convert(Decimal(1), cur, currency) if cur != currency else Decimal(1)
        return price * rates[cur]

    by_type: dict[str, list] = {}
    names: dict[str, str] = {}
    for type_code, type_name, part_id, part_number, qpa, price, cur in lines:
        names[type_code] = type_name
        by_type.setdefault(type_code, []).append(ContentLine(part_number, Decimal(str(qpa)), value(price, cur),
                                                             part_id in local))
    types = [{"code": c, "name": names[c], "content": indigenous_content(ls)} for c, ls in sorted(by_type.items())]
    portfolio = indigenous_content([ln for ls in by_type.values() for ln in ls])
    pkgs = []
    for p in list_packages(uow):
        pl = [ContentLine(r["part"].part_number, Decimal(1), value(r["part"].unit_price, r["part"].currency),
                          r["part"].id in local) for r in repo.package_parts(uow.session, p.id)]
        pkgs.append({"code": p.code, "title": p.title, "content": indigenous_content(pl)})
    return {"currency": currency, "types": types, "portfolio": portfolio, "packages": pkgs}
