"""Demo localisation: qualifications of locally made parts of the portable air-defence licensed
production and the frigate programme, at two JVs, in every qualification state, with lots held
and released. Deterministic (the first parts of each equipment type's bill of material, in part
number order); every step goes through the real services and workflows as the personas' own
organisations (so each is audited). The planner's demo scenario is
:func:`setu.localisation.schemas.demo_scenario` (``setu localisation plan --demo-scenario``)."""
from __future__ import annotations

from setu.kit.access import Actor
from setu.localisation import repository as repo
from setu.localisation import service as svc

PASS = [{"name": "outer diameter", "requirement": "72.00 -0.03 mm", "measured": "71.985 mm", "result": "pass"},
        {"name": "surface finish", "requirement": "Ra <= 0.8 um", "measured": "Ra 0.5 um", "result": "pass"},
        {"name": "hardness", "requirement": "HRC 38-42", "measured": "HRC 40", "result": "pass"}]
FAIL = PASS[:2] + [{**PASS[2], "measured": "HRC 36", "result": "fail"}]

#: (equipment type, JV, the steps taken)
PLAN = (
    ("MANPADS-D", "IN-JV-OPTRON", ()),                                               # drawing
    ("MANPADS-D", "IN-JV-OPTRON", ("approve_drawing",)),                             # fai
    ("MANPADS-D", "IN-JV-OPTRON", ("approve_drawing", "fai_fail")),                  # submitted, a fail
    ("MANPADS-D", "IN-JV-OPTRON", ("approve_drawing", "fai", "certify", "lot", "release")),
    ("FRG-D", "IN-JV-ROTOR", ("approve_drawing", "fai", "certify", "lot")),          # certified, lot held
    ("FRG-D", "IN-JV-ROTOR", ("approve_drawing", "fai", "certify", "reopen")),       # reopened
    ("FRG-D", "IN-JV-ROTOR", ("approve_drawing", "fai")),                            # submitted
)


def add_demo_localisation(uow, data) -> dict[str, int]:
    s = uow.session
    orig = uow.actor, s.info.get("actor")
    ind = data.party_ids.get("IND")
    orgs = data.organisation_ids
    if ind is None or "IN-DQA" not in orgs:
        return {}
    qa = Actor(name="ind.quality", party_id=ind, organisation_id=orgs["IN-DQA"], organisation_kind="quality_authority",
               role="approver")
    oem_org = orgs.get("RU-AD")
    oem = Actor(name="rus.engineer", party_id=data.party_ids.get("RUS"), organisation_id=oem_org,
                organisation_kind="oem", role="clerk")
    depot = repo.first_depot(s)
    used: set = set()
    n = lots = 0
    for k, (etype, jv_code, steps) in enumerate(PLAN):
        jv_org = orgs.get(jv_code)
        part = repo.first_part_of(s, etype, used)
        if jv_org is None or part is None:
            continue
        used.add(part.id)
        jv = Actor(name="ind.jv", party_id=ind, organisation_id=jv_org, organisation_kind="joint_venture", role="clerk")
        uow.actor, s.info["actor"] = jv, jv
        q = svc.create_qualification(uow, part_id=part.id, drawing_revision="B", source="Bharat Forge (demo)",
                                     material="EN24 steel", process="CNC turning, through-hardening")
        n += 1
        lot = None
        for step in steps:
            actor = jv if step in ("fai", "fai_fail", "lot", "reopen") else qa
            uow.actor, s.info["actor"] = actor, actor
            if step == "approve_drawing":
                svc.decide(uow, qualification_id=q.id, transition="approve_drawing", note="drawing revision B approved")
            elif step in ("fai", "fai_fail"):
                svc.submit_fai(uow, qualification_id=q.id, fai_kind="full", rows=FAIL if step == "fai_fail" else PASS)
            elif step == "certify":
                svc.decide(uow, qualification_id=q.id, transition="certify", note="first article conforms")
            elif step == "lot" and depot is not None:
                lot = svc.create_lot(uow, qualification_id=q.id, site_id=depot.id, lot_number=f"LOT-{k + 1:03d}",
                                     quantity=12)
                lots += 1
            elif step == "release" and lot is not None:
                svc.release_lot(uow, lot_id=lot.id)
            elif step == "reopen":
                svc.reopen(uow, qualification_id=q.id, change="source", new_value="Kalyani Steels (demo)",
                           note="second source of bar stock")
        if oem_org is not None and k == 2:
            uow.actor, s.info["actor"] = oem, oem
            svc.comment(uow, qualification_id=q.id, text="Hardness below HRC 38: check the tempering temperature.")
    uow.actor, s.info["actor"] = orig
    return {"localisation_qualification": n, "localisation_lot": lots}
