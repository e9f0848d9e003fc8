"""Regression (found by the authorisation matrix): organisations are maintained by their own party.

Before: any clerk could rename the other party's organisations, create organisations in the other
party, and change an organisation's kind (e.g. its own to ``programme_office``, which reads both
parties' data) - a privilege escalation through the directory.
"""
from __future__ import annotations

from setu.identity.models import Organisation
from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork
from tests.support.auth import patch_as_read
from tests.support.world import build_world


def _org(engine, org_id) -> Organisation:
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        o = uow.session.get(Organisation, org_id)
        uow.session.expunge(o)
        return o


def test_the_other_partys_organisation_is_refused(engine, client):
    w = build_world(engine)
    client.sign_in_as("ind.clerk", party="IND", org="DEP-ORG", kind="depot", role="clerk")
    r = patch_as_read(client, f"/api/v1/organisations/{w.oem_org_id}", {"name": "renamed by the operator"})
    assert r.status_code == 403, r.text
    assert _org(engine, w.oem_org_id).name == "OEM (demo)"
    r = client.post("/api/v1/organisations", json={"party_id": str(w.origin_id), "code": "FAKE-RUS",
                                                   "name": "planted", "kind": "oem"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "party_id", r.text
    # the own party's organisations remain the own party's to maintain
    r = patch_as_read(client, f"/api/v1/organisations/{w.depot_org_id}", {"name": "Depot org (renamed)"})
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/organisations", json={"party_id": str(w.operator_id), "code": "IND-NEW",
                                                   "name": "new", "kind": "base"})
    assert r.status_code == 201, r.text


def test_an_organisations_kind_is_not_for_clerks_and_programme_offices_are_the_operators(engine, client):
    w = build_world(engine)
    client.sign_in_as("ind.clerk", party="IND", org="DEP-ORG", kind="depot", role="clerk")
    r = patch_as_read(client, f"/api/v1/organisations/{w.depot_org_id}", {"kind": "programme_office"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "kind", r.text
    r = patch_as_read(client, f"/api/v1/organisations/{w.depot_org_id}", {"kind": "base"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "kind", r.text
    r = patch_as_read(client, f"/api/v1/organisations/{w.depot_org_id}", {"kind": "depot"})  # unchanged: fine
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/organisations", json={"party_id": str(w.operator_id), "code": "IND-PMO",
                                                   "name": "office", "kind": "programme_office"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "kind", r.text
    assert _org(engine, w.depot_org_id).kind == "depot"
    client.sign_in_as("ind.admin", party="IND", org="DEP-ORG", kind="depot", role="admin")
    r = patch_as_read(client, f"/api/v1/organisations/{w.depot_org_id}", {"kind": "programme_office"})
    assert r.status_code == 422, r.text
    r = patch_as_read(client, f"/api/v1/organisations/{w.depot_org_id}", {"kind": "armed_service_hq"})
    assert r.status_code == 200 and r.json()["kind"] == "armed_service_hq", r.text
