"""The SLA clock computed from a ticket's stored history, at frozen instants."""
from __future__ import annotations

from datetime import timedelta

from setu.aftersales import service
from setu.kit.access import Actor
from setu.kit.timestamps import as_utc
from setu.kit.uow import UnitOfWork
from tests.support.world import build_world


def test_the_stored_history_drives_the_clock(engine):
    w = build_world(engine)
    officer = Actor(name="ind-officer", party_id=w.operator_id, organisation_id=w.depot_org_id,
                    organisation_kind="depot", role="clerk")
    oem = Actor(name="rus-oem", party_id=w.origin_id, organisation_id=w.oem_org_id, organisation_kind="oem",
                role="clerk")
    with UnitOfWork(officer, write=True, engine=engine) as uow:
        t = service.raise_ticket(uow, equipment_unit_id=w.unit_ids[1], supplier_org_id=w.oem_org_id,
                                 type="spares", title="Filter", essentiality=1)
        assert t.priority == "urgent"                         # an operational unit, a no-go part
        t = service.raise_ticket(uow, equipment_unit_id=w.unit_ids[0], supplier_org_id=w.oem_org_id,
                                 type="spares", title="Filter", essentiality=1)
        assert t.priority == "critical"                       # a unit down for parts, a no-go part
        tid, start = t.id, as_utc(t.created_at)
        uow.commit()
    with UnitOfWork(officer, engine=engine) as uow:
        t = service.get_ticket(uow, ticket_id=tid)
        c = service.sla(uow, t, now=start + timedelta(hours=1.5))["acknowledge"]
        assert c.target_hours == 2 and c.levels == (50, 75) and not c.breached and abs(c.percent - 75) < 0.01
        c = service.sla(uow, t, now=start + timedelta(hours=3))["acknowledge"]
        assert c.breached and c.levels == (50, 75, 100)
    with UnitOfWork(oem, write=True, engine=engine) as uow:
        service.transition(uow, ticket_id=tid, action="acknowledge")
        uow.commit()
    with UnitOfWork(officer, engine=engine) as uow:
        t = service.get_ticket(uow, ticket_id=tid)
        later = service.sla(uow, t, now=start + timedelta(hours=3))
        assert later["acknowledge"].stage == "completed" and not later["acknowledge"].breached
        assert later["restore"].stage == "in_progress" and later["restore"].target_hours == 72
        assert [e.state for e in service.history(uow, t)] == [None, "acknowledged"]
