"""The audit hook and hash chain: every write recorded, tampering named."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, insert, select, text

from setu.catalog import service as catalog
from setu.catalog.models import Part
from setu.catalog.schemas import PartCreate, PartUpdate
from setu.kit import audit
from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork
from tests.support.world import build_world


def entries(engine):
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        return list(audit.iter_entries(uow.session))


def verify(engine):
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        return audit.verify_database(uow.session)


def test_insert_update_recorded_with_before_and_after(engine):
    w = build_world(engine)
    actor = system_actor("alice")
    with UnitOfWork(actor, write=True, engine=engine) as uow:
        catalog.update_part(uow, part_id=w.part_ids[0], data=PartUpdate(name="Renamed wheel", version=1))
        uow.commit()
    es = entries(engine)
    upd = [e for e in es if e["action"] == "catalog_part.update"]
    assert len(upd) == 1
    assert json.loads(upd[0]["before"])["name"] == "Test part 0"
    assert json.loads(upd[0]["after"])["name"] == "Renamed wheel"
    assert upd[0]["actor"] == "system:alice" and upd[0]["request_id"] == actor.request_id
    assert upd[0]["object_id"] == str(w.part_ids[0])
    inserted = {e["object_id"] for e in es if e["action"] == "catalog_part.insert"}
    assert {str(p) for p in w.part_ids} <= inserted
    assert verify(engine).ok and verify(engine).entries == len(es)


def test_rollback_leaves_no_entry(engine):
    build_world(engine)
    n = len(entries(engine))
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
        catalog.create_part(uow, data=PartCreate(manufacturer_code="X1234", part_number="R1", name="r"))
        uow.session.flush()
    assert len(entries(engine)) == n and verify(engine).ok


def test_bulk_insert_is_audited_per_row(engine):
    build_world(engine)
    n = len(entries(engine))
    with UnitOfWork(system_actor("bulk"), write=True, engine=engine) as uow:
        uow.session.execute(insert(Part), [{"manufacturer_code": "B1234", "part_number": f"B{i}", "name": "b"}
                                           for i in range(5)])
        uow.commit()
    new = entries(engine)[n:]
    assert [e["action"] for e in new] == ["catalog_part.insert"] * 5
    assert all(e["object_id"] for e in new)
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        ids = set(uow.session.scalars(select(Part.id).where(Part.manufacturer_code == "B1234")))
    assert {str(i) for i in ids} == {e["object_id"] for e in new}
    assert verify(engine).ok


def test_read_only_unit_of_work_cannot_write(engine):
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        uow.session.add(Part(manufacturer_code="X1234", part_number="RO", name="ro"))
        with pytest.raises(PermissionError, match="read-only"):
            uow.session.flush()


def test_session_without_actor_cannot_write(engine):
    from sqlalchemy.orm import Session
    with Session(engine) as s:
        s.add(Part(manufacturer_code="X1234", part_number="NA", name="na"))
        with pytest.raises(PermissionError):
            s.flush()
        s.rollback()


def test_application_cannot_change_or_delete_entries(engine):
    build_world(engine)
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
        e = uow.session.scalars(select(audit.AuditEntry).limit(1)).one()
        e.actor = "forged"
        with pytest.raises(PermissionError, match="cannot be updated"):
            uow.session.flush()
    # nor through SQL: the database refuses (trigger on SQLite and PostgreSQL)
    with engine.connect() as c:
        with pytest.raises(Exception, match="cannot be updated or deleted"):
            c.execute(text("UPDATE audit_entry SET actor = 'forged' WHERE seq = 1"))
        c.rollback()
        with pytest.raises(Exception, match="cannot be updated or deleted"):
            c.execute(text("DELETE FROM audit_entry WHERE seq = 1"))
        c.rollback()


# -- tamper tests: a database administrator bypasses the application ---------------------------

def _tamper(engine, *sql):
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            c.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
        else:
            c.execute(text("DROP TRIGGER audit_entry_no_update"))
            c.execute(text("DROP TRIGGER audit_entry_no_delete"))
        for s in sql:
            c.execute(text(s))


def _n(engine):
    with engine.connect() as c:
        return c.scalar(select(func.count()).select_from(audit.AuditEntry))


def test_changed_byte_is_named(engine):
    build_world(engine)
    _tamper(engine, "UPDATE audit_entry SET after = replace(after, 'Test part 1', 'Test part 7') "
                    "WHERE action = 'catalog_part.insert' AND after LIKE '%Test part 1%'")
    r = verify(engine)
    assert not r.ok and "was changed" in r.problem
    with engine.connect() as c:
        target = c.scalar(text("SELECT seq FROM audit_entry WHERE after LIKE '%Test part 7%'"))
    assert r.seq == target


def test_deleted_row_is_named(engine):
    build_world(engine)
    _tamper(engine, "DELETE FROM audit_entry WHERE seq = 5")
    r = verify(engine)
    assert not r.ok and r.seq == 5 and "missing" in r.problem


def test_swapped_rows_are_named(engine):
    build_world(engine)
    _tamper(engine, "UPDATE audit_entry SET seq = -1 WHERE seq = 3", "UPDATE audit_entry SET seq = 3 WHERE seq = 4",
            "UPDATE audit_entry SET seq = 4 WHERE seq = -1")
    r = verify(engine)
    assert not r.ok and r.seq == 3


def test_truncated_tail_is_named(engine):
    build_world(engine)
    total = _n(engine)
    _tamper(engine, f"DELETE FROM audit_entry WHERE seq > {total - 3}")
    r = verify(engine)
    assert not r.ok and "truncated" in r.problem and r.seq == total - 2


def test_first_entry_removed_is_named(engine):
    build_world(engine)
    _tamper(engine, "DELETE FROM audit_entry WHERE seq = 1")
    r = verify(engine)
    assert not r.ok and r.seq == 1


def test_core_statements_through_the_session_are_audited(engine):
    build_world(engine)
    n = len(entries(engine))
    table = Part.__table__
    from setu.kit.db import utcnow
    now = utcnow()
    with UnitOfWork(system_actor("core"), write=True, engine=engine) as uow:
        uow.session.execute(table.insert(), [{"manufacturer_code": "C1234", "part_number": f"C{i}", "name": "c",
                                              "unit_of_issue": "EA", "unit_price": 0, "currency": "USD",
                                              "kind": "consumable", "condemnation_rate": 1.0,
                                              "procurement_lead_time_days": 1, "version": 1,
                                              "created_at": now, "updated_at": now}
                                             for i in range(3)])
        uow.session.execute(table.update().where(table.c.manufacturer_code == "C1234").values(name="c2"))
        uow.commit()
    new = entries(engine)[n:]
    assert [e["action"] for e in new] == ["catalog_part.insert"] * 3 + ["catalog_part.bulk_update"]
    assert "C1234" in new[-1]["after"] and verify(engine).ok
