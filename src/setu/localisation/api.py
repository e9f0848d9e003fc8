"""JSON API for localisation: qualifications of locally made parts and each step of their workflow
(each only by the organisation entitled to it), transfer-of-technology packages and their
deliverables, joint ventures and licensed manufacturers, and the planner (a background job: 202
+ job id; the plan is the job's result). Thin adapter over setu.localisation.service."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from setu.adapters import jobs as job_api
from setu.adapters.http import current_actor, needs, problem_responses, read_uow, write_uow
from setu.adapters.jobs import ACCEPTED_RESPONSES, JobAccepted
from setu.kit import jobs
from setu.kit.uow import UnitOfWork
from setu.localisation import service
from setu.localisation.policies import ACCEPT, APPROVE, COMMENT, DELIVER, PACKAGE_CREATE, PACKAGE_READ, RECORD, RELEASE, VENTURE_READ
from setu.localisation.schemas import (
    CommentIn, DecisionIn, DeliverableDecisionIn, DeliverableRead, DeliverIn, FaiIn, LotIn, LotRead, PackageIn,
    PackageRead, PlanIn, QualificationDetail, QualificationIn, QualificationRead, ReleaseIn, ReopenIn, VentureRead)

router = APIRouter(tags=["localisation"], responses=problem_responses(403))
READ = "localisation.qualification.read"


def _lot(uow: UnitOfWork, lot) -> LotRead:
    return LotRead.model_validate({**{k: getattr(lot, k) for k in LotRead.model_fields if k != "site"},
                                   "site": service.visible_site_code(uow, lot.site_id)})


def _detail(uow: UnitOfWork, q) -> QualificationDetail:
    d = service.qualification_detail(uow, qualification_id=q.id)
    d["lots"] = [_lot(uow, x) for x in d["lots"]]
    return QualificationDetail.model_validate({
        **QualificationRead.model_validate(q).model_dump(), "part_number": d["part_number"], "maker": d["maker"],
        "characteristics": d["characteristics"], "lots": d["lots"], "comments": d["comments"],
        "steps": [x for x in d["steps"] if x != "comment"]}, from_attributes=True)


@router.get("/localisation/qualifications", response_model=list[QualificationRead],
            dependencies=[Depends(needs(READ))])
def list_qualifications(uow: UnitOfWork = Depends(read_uow)):
    """The qualifications the caller sees: its party's, and (an origin OEM) those of parts its party maintains."""
    return [QualificationRead.model_validate(q) for q in service.list_qualifications(uow)]


@router.post("/localisation/qualifications", status_code=201, response_model=QualificationDetail,
             responses=problem_responses(404, 409, 422), dependencies=[Depends(needs(RECORD))])
def create_qualification(data: QualificationIn, uow: UnitOfWork = write_uow):
    """The JV or licensed manufacturer (registered as a venture) records a part it makes."""
    q = service.create_qualification(uow, part_id=data.part_id, drawing_revision=data.drawing_revision,
                                     source=data.source, material=data.material, process=data.process)
    return _detail(uow, q)


@router.get("/localisation/qualifications/{qualification_id}", response_model=QualificationDetail,
            responses=problem_responses(404), dependencies=[Depends(needs(READ))])
def get_qualification(qualification_id: str, uow: UnitOfWork = Depends(read_uow)):
    """One qualification: this cycle's first-article characteristics, its lots, the OEM's comments,
    and the steps the caller may take now."""
    return _detail(uow, service.get_qualification(uow, qualification_id=qualification_id))


@router.post("/localisation/qualifications/{qualification_id}/fai", response_model=QualificationDetail,
             responses=problem_responses(404, 409, 422), dependencies=[Depends(needs(RECORD))])
def submit_fai(qualification_id: str, data: FaiIn, uow: UnitOfWork = write_uow):
    """The maker records the first-article inspection: each characteristic, pass or fail; full or partial."""
    q = service.submit_fai(uow, qualification_id=qualification_id, fai_kind=data.fai_kind,
                           rows=[c.model_dump() for c in data.characteristics], version=data.version)
    return _detail(uow, q)


@router.post("/localisation/qualifications/{qualification_id}/decision", response_model=QualificationDetail,
             responses=problem_responses(404, 409, 422), dependencies=[Depends(needs(APPROVE))])
def decide(qualification_id: str, data: DecisionIn, uow: UnitOfWork = write_uow):
    """The quality authority of the qualification's party: approve_drawing, return_fai (with a note) or certify."""
    q = service.decide(uow, qualification_id=qualification_id, transition=data.transition, note=data.note,
                       version=data.version)
    return _detail(uow, q)


@router.post("/localisation/qualifications/{qualification_id}/reopen", response_model=QualificationDetail,
             responses=problem_responses(404, 409, 422), dependencies=[Depends(needs(RECORD))])
def reopen(qualification_id: str, data: ReopenIn, uow: UnitOfWork = write_uow):
    """The maker reports a change of source, material, process or drawing revision: a new cycle."""
    q = service.reopen(uow, qualification_id=qualification_id, change=data.change, new_value=data.new_value,
                       note=data.note, version=data.version)
    return _detail(uow, q)


@router.post("/localisation/qualifications/{qualification_id}/comments", status_code=201,
             response_model=QualificationDetail, responses=problem_responses(404, 422),
             dependencies=[Depends(needs(COMMENT))])
def add_comment(qualification_id: str, data: CommentIn, uow: UnitOfWork = write_uow):
    """The origin OEM comments (it may comment, not decide)."""
    service.comment(uow, qualification_id=qualification_id, text=data.text)
    return _detail(uow, service.get_qualification(uow, qualification_id=qualification_id))


@router.post("/localisation/qualifications/{qualification_id}/lots", status_code=201, response_model=LotRead,
             responses=problem_responses(404, 422), dependencies=[Depends(needs(RECORD))])
def create_lot(qualification_id: str, data: LotIn, uow: UnitOfWork = write_uow):
    """The maker records a production lot at a site it sees: held (not serviceable) until released."""
    return _lot(uow, service.create_lot(uow, qualification_id=qualification_id, site_id=data.site_id,
                                        lot_number=data.lot_number, quantity=data.quantity))


@router.post("/localisation/lots/{lot_id}/release", response_model=LotRead,
             responses=problem_responses(404, 409, 422), dependencies=[Depends(needs(RELEASE))])
def release_lot(lot_id: str, data: ReleaseIn, uow: UnitOfWork = write_uow):
    """The quality authority releases a lot of a certified part into serviceable stock at its site."""
    return _lot(uow, service.release_lot(uow, lot_id=lot_id, version=data.version))


# -- packages -----------------------------------------------------------------------------------

def package_read(uow: UnitOfWork, package_id) -> PackageRead:
    d = service.package_detail(uow, package_id=package_id)
    p = d["package"]
    return PackageRead(
        id=p.id, code=p.code, title=p.title, operator_party=d["operator_party"], origin_party=d["origin_party"],
        licensor=d["licensor"], licensee=d["licensee"], fee_amount=str(p.fee_amount), fee_currency=p.fee_currency,
        status=d["status"], phase=d["phase"],
        parts=[{"part_id": r["part"].id, "part_number": r["part"].part_number, "name": r["part"].name,
                "phase": r["link"].phase} for r in d["parts"]],
        deliverables=[DeliverableRead.model_validate(x) for x in d["deliverables"]])


@router.get("/localisation/packages", response_model=list[PackageRead], dependencies=[Depends(needs(PACKAGE_READ))])
def list_packages(uow: UnitOfWork = Depends(read_uow)):
    """The transfer-of-technology packages of the caller's party (as origin or as operator)."""
    return [package_read(uow, p.id) for p in service.list_packages(uow)]


@router.post("/localisation/packages", status_code=201, response_model=PackageRead,
             responses=problem_responses(404, 409, 422), dependencies=[Depends(needs(PACKAGE_CREATE))])
def create_package(data: PackageIn, uow: UnitOfWork = write_uow):
    """The licensee (a registered venture) registers a package it receives, its parts and deliverables."""
    p = service.create_package(uow, code=data.code, title=data.title, origin_party_id=data.origin_party_id,
                               licensor_organisation_id=data.licensor_organisation_id, fee_amount=data.fee_amount,
                               fee_currency=data.fee_currency, equipment_type_id=data.equipment_type_id,
                               signed_on=data.signed_on, parts=[x.model_dump() for x in data.parts],
                               deliverables=[x.model_dump() for x in data.deliverables])
    return package_read(uow, p.id)


@router.get("/localisation/packages/{package_id}", response_model=PackageRead, responses=problem_responses(404),
            dependencies=[Depends(needs(PACKAGE_READ))])
def get_package(package_id: str, uow: UnitOfWork = Depends(read_uow)):
    return package_read(uow, package_id)


@router.post("/localisation/deliverables/{deliverable_id}/deliver", response_model=DeliverableRead,
             responses=problem_responses(404, 409, 422), dependencies=[Depends(needs(DELIVER))])
def deliver(deliverable_id: str, data: DeliverIn, uow: UnitOfWork = write_uow):
    """The origin side delivers a deliverable (again after a rejection), naming its revision."""
    return DeliverableRead.model_validate(service.deliver(uow, deliverable_id=deliverable_id, revision=data.revision,
                                                          version=data.version))


@router.post("/localisation/deliverables/{deliverable_id}/decision", response_model=DeliverableRead,
             responses=problem_responses(404, 409, 422), dependencies=[Depends(needs(ACCEPT))])
def decide_deliverable(deliverable_id: str, data: DeliverableDecisionIn, uow: UnitOfWork = write_uow):
    """The operator side accepts a delivered deliverable, or rejects it with a reason."""
    return DeliverableRead.model_validate(service.decide_deliverable(
        uow, deliverable_id=deliverable_id, decision=data.decision, reason=data.reason, version=data.version))


@router.get("/localisation/ventures", response_model=list[VentureRead], dependencies=[Depends(needs(VENTURE_READ))])
def list_ventures(uow: UnitOfWork = Depends(read_uow)):
    """Joint ventures and licensed manufacturers: partners and shares, capabilities and capacity
    (parts per year), licences (scope, territory, validity, export rights, royalties)."""
    out = []
    for d in service.list_ventures(uow):
        out.append(VentureRead(
            id=d["venture"].id, organisation=d["name"], kind=d["venture"].kind,
            partners=[{"name": p.name, "share_percent": str(p.share_percent)} for p in d["partners"]],
            capabilities=[{"process": c.process, "capacity_per_year": c.capacity_per_year} for c in d["capabilities"]],
            licences=[{"number": x["licence"].number, "licensor": x["licensor"], "scope": x["licence"].scope,
                       "territory": x["licence"].territory, "valid_from": x["licence"].valid_from.isoformat(),
                       "valid_to": x["licence"].valid_to.isoformat(), "export_rights": x["licence"].export_rights,
                       "royalty_percent": str(x["licence"].royalty_percent),
                       "royalty_per_unit": None if x["licence"].royalty_per_unit is None else str(x["licence"].royalty_per_unit),
                       "royalty_currency": x["licence"].royalty_currency} for x in d["licences"]]))
    return out


@router.post("/localisation/plans", status_code=202, response_model=JobAccepted,
             responses={200: {"description": "The plan (with `Prefer: wait=N`, when computed within N seconds)"},
                        **ACCEPTED_RESPONSES, **problem_responses(422)},
             dependencies=[Depends(needs("localisation.plan.create"))])
def create_plan(data: PlanIn, request: Request):
    """Run the localisation planner as a background job: **202** with the job
    (``GET /api/v1/jobs/{id}``, whose ``result`` is the plan: budget, total_cost,
    availability_without, availability_with, choices, and the greedy plan beside it)."""
    engine = request.app.state.engine
    actor = current_actor(request)
    with UnitOfWork(actor, engine=engine) as uow:
        params = service.check_plan(uow, scenario=data.scenario, budget=data.budget, years=data.years)
    job_id = jobs.submit(service.PLAN_JOB, actor=actor, params=params, engine=engine)
    return job_api.answer(request, job_id, lambda job: JSONResponse(job.result, status_code=200))
