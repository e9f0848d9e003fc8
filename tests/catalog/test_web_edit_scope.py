"""Regression (found by the authorisation matrix): the edit pages of records the other party
maintains (parts, equipment types) are refused with 403 like the API's update, before any form
is shown or validated. Before, the form was shown (200) and a submitted form with errors answered
422 with the form again, as if the user might change the record."""
from __future__ import annotations

from setu.catalog.models import Part
from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork
from tests.support.world import build_world

HTML = {"Accept": "text/html"}


def test_edit_pages_of_records_the_other_party_maintains_are_refused(engine, client):
    w = build_world(engine)  # parts maintained by IND, equipment type FTR by RUS
    client.sign_in_as("rus.clerk", party="RUS", org="OEM-1", kind="oem", role="clerk")
    part, et = w.part_ids[0], w.type_id
    assert client.get(f"/parts/{part}/edit", headers=HTML).status_code == 403
    r = client.post(f"/parts/{part}/edit", data={"name": ""}, headers=HTML, follow_redirects=False)
    assert r.status_code == 403
    r = client.post(f"/parts/{part}/edit", data={"name": "renamed"}, headers=HTML, follow_redirects=False)
    assert r.status_code == 403
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        assert uow.session.get(Part, part).name == "Test part 0"
    assert client.get(f"/equipment-types/{et}/edit", headers=HTML).status_code == 200  # RUS maintains FTR
    client.sign_in_as("ind.clerk", party="IND", org="DEP-ORG", kind="depot", role="clerk")
    assert client.get(f"/equipment-types/{et}/edit", headers=HTML).status_code == 403
    r = client.post(f"/equipment-types/{et}/edit", data={"name": ""}, headers=HTML, follow_redirects=False)
    assert r.status_code == 403
    assert client.get(f"/parts/{part}/edit", headers=HTML).status_code == 200  # IND maintains its parts
