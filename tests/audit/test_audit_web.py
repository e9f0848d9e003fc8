"""Audit pages: an object's history, an actor's actions, chain verification."""
from __future__ import annotations

from sqlalchemy import text

from setu.catalog import service as catalog
from setu.catalog.schemas import PartUpdate
from setu.audit import service as audit_service
from setu.kit.access import Actor, system_actor
from setu.kit.uow import UnitOfWork
from tests.support.world import build_world


def test_object_history_shows_before_and_after(client, engine):
    w = build_world(engine)
    alice = Actor(name="ind.alice", party_id=w.operator_id, organisation_kind="depot", role="clerk")
    with UnitOfWork(alice, write=True, engine=engine) as uow:
        catalog.update_part(uow, part_id=w.part_ids[0], data=PartUpdate(name="Renamed wheel", version=1))
        uow.commit()
    client.sign_in_as("ind.admin", role="admin")  # a party administrator reads their party's audit
    page = client.get(f"/audit/objects/{w.part_ids[0]}")
    assert page.status_code == 200
    assert "catalog_part.update" in page.text and "Renamed wheel" in page.text and "<del>Test part 0</del>" in page.text
    assert f'href="/audit/objects/{w.part_ids[0]}"' in client.get(f"/parts/{w.part_ids[0]}").text
    actor_page = client.get("/audit/actors/ind.alice")
    assert actor_page.status_code == 200 and actor_page.text.count("catalog_part.update") == 1


def test_verify_from_the_web_reports_tampering(client, engine):
    build_world(engine)
    client.sign_in_as("ind.admin", role="admin")
    assert "Chain intact" in client.get("/audit?verify=1").text
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            c.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
        else:
            c.execute(text("DROP TRIGGER audit_entry_no_update"))
        c.execute(text("UPDATE audit_entry SET actor = 'forged' WHERE seq = 2"))
    page = client.get("/audit?verify=1")
    assert "Tampering detected" in page.text and "entry 2 was changed" in page.text


def test_party_admin_sees_only_own_partys_entries(engine):
    w = build_world(engine)
    admin_other = Actor(name="ru-admin", role="admin", party_id=w.origin_id, organisation_kind="oem")
    with UnitOfWork(admin_other, engine=engine) as uow:
        assert audit_service.object_history(uow, object_id=str(w.part_ids[0])) == []
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        assert audit_service.object_history(uow, object_id=str(w.part_ids[0]))
