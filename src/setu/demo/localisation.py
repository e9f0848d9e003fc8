"""Demo localisation: two JVs and a licensed manufacturer (partners, licences, capabilities), ToT
packages for the portable air-defence licensed production and the frigate programme (deliverables
due, delivered, accepted and rejected), and qualifications of locally made parts of the portable air-defence licensed
production and the frigate programme, at two JVs, in every qualification state, with lots held
and released. Deterministic (the first parts of each equipment type's bill of material, in part
number order); every step goes through the real services and workflows as the personas' own
organisations (so each is audited). The planner's demo scenario is
:func:`setu.localisation.schemas.demo_scenario` (``setu localisation plan --demo-scenario``)."""
from __future__ import annotations

from datetime import date

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
    ("MANPADS-D", "IN-HAW", ("approve_drawing", "fai", "certify")),                  # licensed manufacturer
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
    extra = _ventures_and_packages(uow, data, qa, oem)
    used: set = set()
    n = lots = 0
    for k, (etype, jv_code, steps) in enumerate(PLAN):
        jv_org = orgs.get(jv_code)
        part = repo.first_part_of(s, etype, used)
        if jv_org is None or part is None:
            continue
        used.add(part.id)
        jv = Actor(name="ind.jv", party_id=ind, organisation_id=jv_org,
                   organisation_kind="oem" if jv_code == "IN-HAW" else "joint_venture", role="clerk")
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
    return {"localisation_qualification": n, "localisation_lot": lots, **extra}


#: code, licensee, licensor, equipment type, title, fee, currency, signed
PACKAGES = (
    ("TOT-MANPADS-1", "IN-JV-OPTRON", "RU-AD", "MANPADS-D", "Portable air-defence system: licensed production",
     "2150000000.00", "RUB", date(2024, 3, 1)),
    ("TOT-FRG-1", "IN-JV-ROTOR", "RU-LANDSEA", "FRG-D", "Frigate programme: propulsion and hull spares",
     "3800000000.00", "INR", date(2024, 9, 15)),
)
#: kind, title, reference, revision, phase, what happens (due | delivered | accepted | rejected)
DELIVERABLES = (
    ("drawing", "General assembly drawing set", "DRG-001", "C", "kit_assembly", "accepted"),
    ("specification", "Material and finish specification", "SPEC-014", "B", "kit_assembly", "accepted"),
    ("tooling", "Assembly jig set (12 jigs)", "JIG-100", None, "kit_assembly", "accepted"),
    ("test_schedule", "Acceptance test schedule", "ATS-020", "A", "skd", "rejected"),
    ("process_sheet", "Process sheets: machining and heat treatment", "PS-210", "D", "skd", "delivered"),
    ("test_equipment", "Special test equipment: functional test bench", "STE-005", None, "skd", "delivered"),
    ("raw_material", "Forging billets, first lot (origin mill)", "RM-330", None, "raw_material", "due"),
    ("mandated_source", "Seeker / sensor element (origin source only)", "MS-001", None, "raw_material", "due"),
)


def _ventures_and_packages(uow, data, qa, oem) -> dict[str, int]:
    s = uow.session
    orgs, ind, rus = data.organisation_ids, data.party_ids.get("IND"), data.party_ids.get("RUS")
    uow.actor, s.info["actor"] = qa, qa
    ventures = {"IN-JV-OPTRON": ("joint_venture", "RU-AD", [("Bharat Optronics (demo)", "50.5"), ("Volga Air Defence Concern (demo)", "49.5")],
                                 [("optics", 300), ("electronics", 450), ("composites", 200), ("machining", 250)]),
                "IN-JV-ROTOR": ("joint_venture", "RU-LANDSEA", [("Deccan Rotorcraft (demo)", "51"), ("Ural-Baltic Land and Naval Systems (demo)", "49")],
                                [("machining", 600), ("casting", 250), ("forging", 200), ("heat treatment", 500), ("rubber", 300)]),
                "IN-HAW": ("licensed_manufacturer", "RU-AERO", [],
                           [("machining", 400), ("rubber", 200), ("electronics", 150)])}
    n_v = 0
    for code, (kind, licensor, partners, caps) in ventures.items():
        if code not in orgs or repo.venture_of(s, orgs[code]) is not None:
            continue
        lic = [{"number": f"LIC-{code[3:]}-2024", "licensor_organisation_id": orgs.get(licensor),
                "scope": "manufacture, repair and overhaul of the licensed spares and assemblies",
                "territory": "operator country", "valid_from": date(2024, 1, 1), "valid_to": date(2038, 12, 31),
                "export_rights": "with_consent" if kind == "joint_venture" else "none",
                "royalty_percent": "4.5" if kind == "joint_venture" else "6", "royalty_per_unit": None,
                "royalty_currency": None}]
        svc.create_venture(uow, organisation_id=orgs[code], kind=kind, founded_on=date(2019, 4, 1),
                           partners=[{"name": n, "share_percent": sh} for n, sh in partners],
                           capabilities=[{"process": p, "capacity_per_year": c} for p, c in caps], licences=lic)
        n_v += 1
    n_p = 0
    if ind is None or rus is None:
        return {"localisation_venture": n_v}
    for code, licensee, licensor, etype, title, fee, cur, signed in PACKAGES:
        if licensee not in orgs or any(p.code == code for p in repo.packages(s)):
            continue
        jv = Actor(name="ind.jv", party_id=ind, organisation_id=orgs[licensee], organisation_kind="joint_venture",
                   role="approver")
        et = repo.equipment_type_by_code(s, etype)
        parts = []
        exclude: set = set()
        for phase in ("kit_assembly", "skd", "raw_material"):
            part = repo.first_part_of(s, etype, exclude)
            if part is not None:
                exclude.add(part.id)
                parts.append({"part_id": part.id, "phase": phase})
        uow.actor, s.info["actor"] = jv, jv
        pkg = svc.create_package(uow, code=code, title=title, origin_party_id=rus,
                                 licensor_organisation_id=orgs.get(licensor), fee_amount=fee, fee_currency=cur,
                                 equipment_type_id=et.id if et else None, signed_on=signed, parts=parts,
                                 deliverables=[{"kind": k, "title": t, "reference": f"{code[4:]}-{r}", "revision": rev,
                                                "phase": ph, "due_on": date(2025, 6, 30)}
                                               for k, t, r, rev, ph, _ in DELIVERABLES])
        n_p += 1
        by_ref = {d.reference: d for d in repo.deliverables(s, pkg.id)}
        origin = Actor(name="rus.engineer", party_id=rus, organisation_id=orgs.get(licensor), organisation_kind="oem",
                       role="clerk")
        for _k, _t, r, _rev, _ph, fate in DELIVERABLES:
            d = by_ref[f"{code[4:]}-{r}"]
            if fate == "due":
                continue
            uow.actor, s.info["actor"] = origin, origin
            svc.deliver(uow, deliverable_id=d.id)
            if fate in ("accepted", "rejected"):
                uow.actor, s.info["actor"] = qa, qa
                svc.decide_deliverable(uow, deliverable_id=d.id, decision="accept" if fate == "accepted" else "reject",
                                       reason=None if fate == "accepted" else
                                       "test limits in section 4 do not match the drawing revision")
    return {"localisation_venture": n_v, "localisation_tot_package": n_p}

