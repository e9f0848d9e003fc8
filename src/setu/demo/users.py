"""Demo users: one per persona of the product, for both parties, added by ``setu demo load``.

Every demo user signs in with :data:`DEMO_PASSWORD`; administrators also need a two-factor code
from the key printed by ``setu demo load`` (administrators always have two-factor). The origin
party's forces and programme office are not organisations of the generated data set, so this
adds them here (marked as demo). Run as the demo loader's own hook, inside its unit of work.
"""
from __future__ import annotations

from setu.identity import auth
from setu.identity import repository as identity_repo
from setu.identity.models import Organisation
from setu.kit.uow import UnitOfWork

DEMO_PASSWORD = "setu-demo-2026"

#: Organisations the generated data set lacks: code, party, kind, name.
EXTRA_ORGANISATIONS = (
    ("RU-MOD-LOG", "RUS", "armed_service_hq", "Main Logistics Directorate (demo)"),
    ("RU-SPO", "RUS", "programme_office", "Joint Sustainment Programme Office, origin side (demo)"),
)

#: username, persona (DESIGN.md section 2), organisation code, role, system administrator.
PERSONAS = (
    ("ind.planner", "logistics planner at a depot", "IN-DEPOTS", "approver", False),
    ("ind.base", "logistics planner at a base", "IN-BASES", "clerk", False),
    ("ind.maintenance", "maintenance officer", "IN-BASES", "clerk", False),
    ("ind.jv", "JV / licensed manufacturer", "IN-JV-ROTOR", "clerk", False),
    ("ind.quality", "quality / certification authority", "IN-DQA", "approver", False),
    ("ind.support", "reciprocal-support officer", "IN-AIR-HQ", "approver", False),
    ("ind.leadership", "programme leadership", "IN-SPO", "viewer", False),
    ("ind.admin", "party administrator", "IN-DEPOTS", "admin", False),
    ("rus.engineer", "OEM engineer", "RU-AERO", "clerk", False),
    ("rus.export", "export agency engineer", "RU-EXPORT", "approver", False),
    ("rus.support", "reciprocal-support officer", "RU-MOD-LOG", "approver", False),
    ("rus.leadership", "programme leadership", "RU-SPO", "viewer", False),
    ("rus.admin", "party administrator", "RU-EXPORT", "admin", False),
    ("setu.sysadmin", "system administrator (identity and audit only)", "IN-SPO", "admin", True),
)


def add_demo_users(uow: UnitOfWork, data) -> dict[str, int]:
    """The demo loader's hook: organisations the personas need, then one user per persona."""
    added_orgs = 0
    for code, party, kind, name in EXTRA_ORGANISATIONS:
        if code not in data.organisation_ids and party in data.party_ids:
            org = identity_repo.organisation_by_code(uow.session, code)
            if org is None:
                org = Organisation(party_id=data.party_ids[party], code=code, name=name, kind=kind, is_demo=True)
                uow.session.add(org)
                uow.session.flush()
                added_orgs += 1
            data.organisation_ids[code] = org.id
    added = 0
    for username, persona, org_code, role, sysadmin in PERSONAS:
        org_id = data.organisation_ids.get(org_code)
        if org_id is None or identity_repo.user_id_by_username(uow.session, username):
            continue  # loaded alongside an earlier demo: the user is there already
        org = uow.session.get(Organisation, org_id)
        new = auth.create_user(uow, username=username, display_name=f"{persona.capitalize()} (demo)",
                               organisation_id=org_id, role=role, password=DEMO_PASSWORD, system_admin=sysadmin)
        data.logins.append({"username": username, "persona": persona, "party": org.party.code,
                            "organisation": org_code, "role": role + (" + system admin" if sysadmin else ""),
                            "two_factor_key": new.totp_secret or ""})
        added += 1
    return {"demo users": added, "persona organisations": added_orgs}
