"""Denied attempts are recorded as security events, and the denied write changes nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from setu.catalog.models import Part
from setu.identity.models import SecurityEvent
from setu.kit.access import Actor, system_actor
from setu.kit.uow import UnitOfWork
from tests.support.world import build_world


def test_denied_api_and_web_writes_are_logged(client, engine):
    w = build_world(engine)
    client.sign_in_as("viewer-1", role="viewer")
    r = client.post("/api/v1/parts", json={"manufacturer_code": "X1234", "part_number": "N1", "name": "n"})
    assert r.status_code == 403 and "catalog.part.create" in r.json()["detail"]
    r = client.post("/parts/new", data={"manufacturer_code": "X1234", "part_number": "N1", "name": "n"},
                    headers={"accept": "text/html"})
    assert r.status_code == 403
    from setu.kit import security_events

    assert security_events.flush(engine)  # written off the request path
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        events = list(uow.session.scalars(select(SecurityEvent).order_by(SecurityEvent.at)))
        assert uow.session.scalar(select(func.count()).select_from(Part)) == 3
        assert [e.kind for e in events] == ["authz_denied", "authz_denied"]
        assert events[0].actor == "viewer-1" and events[0].permission == "catalog.part.create"
        assert events[0].party_id == w.operator_id and events[0].object_id == "/api/v1/parts"
