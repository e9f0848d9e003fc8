"""`setu aftersales tickets` and `setu aftersales sla-report --format json` over the database."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import update
from typer.testing import CliRunner

from setu.aftersales import service
from setu.aftersales.models import Ticket, TicketEvent
from setu.app.cli import app
from setu.kit.access import Actor
from setu.kit.db import utcnow
from setu.kit.uow import UnitOfWork
from tests.support.world import build_world

runner = CliRunner()


def test_tickets_and_the_sla_report(engine, settings_env):
    w = build_world(engine)
    officer = Actor(name="ind-officer", party_id=w.operator_id, organisation_id=w.depot_org_id,
                    organisation_kind="depot", role="clerk")
    oem = Actor(name="rus-oem", party_id=w.origin_id, organisation_id=w.oem_org_id, organisation_kind="oem",
                role="clerk")
    with UnitOfWork(officer, write=True, engine=engine) as uow:
        late = service.raise_ticket(uow, equipment_unit_id=w.unit_ids[0], supplier_org_id=w.oem_org_id,
                                    type="spares", title="late", priority="critical").id
        quick = service.raise_ticket(uow, equipment_unit_id=w.unit_ids[1], supplier_org_id=w.oem_org_id,
                                     type="technical_query", title="quick", priority="critical").id
        uow.commit()
    # the late ticket was raised 10 hours ago (critical: acknowledge within 2 h, restore within 72 h)
    with engine.begin() as c:
        c.execute(update(TicketEvent).where(TicketEvent.ticket_id == late)
                  .values(at=utcnow() - timedelta(hours=10)))
    with UnitOfWork(oem, write=True, engine=engine) as uow:
        for tid in (late, quick):
            service.transition(uow, ticket_id=tid, action="acknowledge")
            service.transition(uow, ticket_id=tid, action="resolve", note="done")
        uow.commit()
    r = runner.invoke(app, ["aftersales", "sla-report", "--format", "json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    m = report["OEM-1"]
    assert m["tickets"] == 2 and m["breaches"] == 2          # the late one: acknowledge and respond
    assert m["compliance"] == round(4 / 6, 4)
    assert 5.0 <= m["mean_restore_hours"] < 5.1              # (10 h + ~0 h) / 2, rounded to 3 places
    r = runner.invoke(app, ["aftersales", "tickets", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = {t["title"]: t for t in json.loads(r.stdout)}
    assert rows["late"]["sla"]["acknowledge"]["breached"] and not rows["quick"]["sla"]["acknowledge"]["breached"]
    assert rows["late"]["status"] == "resolved" and rows["late"]["supplier"] == "OEM-1"
    r = runner.invoke(app, ["aftersales", "tickets"])
    assert r.exit_code == 0 and "BREACHED" in r.stdout and "OEM-1" in r.stdout
    assert Ticket.__tablename__ == "aftersales_ticket"


def test_escalate_command_raises_each_escalation_once(engine, settings_env):
    w = build_world(engine)
    officer = Actor(name="ind-officer", party_id=w.operator_id, organisation_id=w.depot_org_id,
                    organisation_kind="depot", role="clerk")
    with UnitOfWork(officer, write=True, engine=engine) as uow:
        tid = service.raise_ticket(uow, equipment_unit_id=w.unit_ids[0], supplier_org_id=w.oem_org_id,
                                   type="spares", title="late", priority="critical").id
        uow.commit()
    with engine.begin() as c:   # raised 3 hours ago: acknowledge (2 h) breached, respond (8 h) under 50 %
        c.execute(update(TicketEvent).where(TicketEvent.ticket_id == tid).values(at=utcnow() - timedelta(hours=3)))
    r = runner.invoke(app, ["aftersales", "escalate", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert sorted((e["commitment"], e["level"]) for e in json.loads(r.stdout)) == [
        ("acknowledge", 50), ("acknowledge", 75), ("acknowledge", 100)]
    r = runner.invoke(app, ["aftersales", "escalate", "--format", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout) == []
