"""Regression (found by the authorisation matrix): a site's new parent is checked before the change
is applied. Before, a missing parent reached the database (500, foreign key), so another party's
site (404) and a missing one answered differently."""
from __future__ import annotations

import uuid

from setu.fleet import service as fleet
from setu.fleet.models import Site
from setu.fleet.schemas import SiteCreate
from setu.identity.models import Organisation
from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork
from tests.support.auth import patch_as_read
from tests.support.world import build_world


def test_a_missing_or_invisible_parent_answers_404_alike_and_changes_nothing(engine, client):
    w = build_world(engine)
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        org = Organisation(party_id=w.origin_id, code="RUS-BASE", name="Origin base org", kind="base", is_demo=True)
        uow.session.add(org)
        uow.session.flush()
        rus_depot = fleet.create_site(uow, data=SiteCreate(code="RUS-D", name="Origin depot", kind="depot",
                                                           organisation_id=org.id, echelon=1))
        uow.commit()
    answers = {}
    for name, parent in (("missing", uuid.uuid4()), ("other party's", rus_depot.id)):
        r = patch_as_read(client, f"/api/v1/sites/{w.base_id}", {"parent_id": str(parent)})
        answers[name] = (r.status_code, r.json()["title"])
    assert answers["missing"] == answers["other party's"] == (404, "Not found"), answers
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        assert uow.session.get(Site, w.base_id).parent_id == w.depot_id
