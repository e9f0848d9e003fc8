"""The SLA escalation sweep with a frozen clock: escalations at 50 / 75 / 100 % of each target, each
raised once however often the sweep runs (a breach stays a breach), notifying the supplier's
members (warnings, breaches) and the raiser (breaches), by e-mail after the commit; the periodic
task runs from kit.jobs.tick."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from setu.aftersales import service
from setu.aftersales.models import TicketEscalation
from setu.identity import auth
from setu.identity.models import User
from setu.kit import jobs
from setu.kit.access import system_actor
from setu.kit.timestamps import as_utc
from setu.kit.uow import UnitOfWork
from setu.notifications.models import Notification
from tests.support.auth import ensure_user
from tests.support.world import build_world


def _people(engine):
    w = build_world(engine)
    ensure_user(engine, "ind.officer", party="IND", org="DEP-ORG", kind="depot", role="clerk")
    ensure_user(engine, "rus.oem", party="RUS", org="OEM-1", kind="oem", role="clerk")
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        for u in uow.session.scalars(select(User).where(User.username.in_(["ind.officer", "rus.oem"]))):
            u.email = f"{u.username}@example.test"
        uow.commit()
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        return w, (auth.actor_for(auth.get_user_by_name(uow, "ind.officer")),
                   auth.actor_for(auth.get_user_by_name(uow, "rus.oem")))


def _kinds(engine, username):
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        uid = auth.get_user_by_name(uow, username).id
        return sorted((n.kind, n.title.split(":")[0]) for n in uow.session.scalars(
            select(Notification).where(Notification.user_id == uid)))


def test_escalations_at_each_threshold_once(engine, smtp_server):
    w, (officer, oem) = _people(engine)
    with UnitOfWork(officer, write=True, engine=engine) as uow:
        t = service.raise_ticket(uow, equipment_unit_id=w.unit_ids[0], supplier_org_id=w.oem_org_id,
                                 type="repair_exchange", title="Gearbox", priority="critical")
        tid, start = t.id, as_utc(t.created_at)
        uow.commit()
    assert "New critical ticket" in str(smtp_server.wait_for("rus.oem@example.test")["Subject"])   # assignment

    def sweep(hours):
        with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
            out = service.escalate(uow, now=start + timedelta(hours=hours))
            uow.commit()
        return sorted((e.commitment, e.level) for e in out)

    assert sweep(0.5) == []                                     # 25 % of the 2 h acknowledge target
    assert sweep(1.0) == [("acknowledge", 50)]
    assert sweep(1.0) == []                                     # once
    assert sweep(1.6) == [("acknowledge", 75)]
    assert sweep(2.0) == [("acknowledge", 100)]                 # breached
    assert sweep(3.0) == []
    assert sweep(4.0) == [("respond", 50)]                      # 4 of 8 h
    with UnitOfWork(oem, write=True, engine=engine) as uow:
        service.transition(uow, ticket_id=tid, action="acknowledge")
        uow.commit()
    assert sweep(6.0) == [("respond", 75)]                      # respond runs on after acknowledging
    assert sweep(100.0) == [("respond", 100), ("restore", 50), ("restore", 75), ("restore", 100)]
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        rows = list(uow.session.scalars(select(TicketEscalation).where(TicketEscalation.ticket_id == tid)))
        assert len(rows) == 9
    oem_kinds = _kinds(engine, "rus.oem")
    assert oem_kinds.count(("sla_warning", "SLA warning")) == 6 and oem_kinds.count(("sla_breach", "SLA breached")) == 3
    officer_kinds = _kinds(engine, "ind.officer")
    assert officer_kinds.count(("sla_breach", "SLA breached")) == 3 and ("sla_warning", "SLA warning") not in officer_kinds
    assert ("ticket_update", "OEM-1 acknowledged ticket 'Gearbox'") in officer_kinds
    # e-mail: the breach goes by mail by default, the warning not (the kinds' defaults)
    subjects = [str(m["Subject"]) for m in smtp_server.messages if "ind.officer" in str(m["To"])]
    assert sum("SLA breached" in s for s in subjects) == 3 and not any("SLA warning" in s for s in subjects)


def test_a_paused_clock_does_not_escalate_and_the_periodic_task_runs_from_tick(engine):
    w, (officer, oem) = _people(engine)
    with UnitOfWork(officer, write=True, engine=engine) as uow:
        t = service.raise_ticket(uow, equipment_unit_id=w.unit_ids[0], supplier_org_id=w.oem_org_id,
                                 type="technical_query", title="Manual", priority="routine")
        tid, start = t.id, as_utc(t.created_at)
        uow.commit()
    with UnitOfWork(oem, write=True, engine=engine) as uow:
        service.transition(uow, ticket_id=tid, action="acknowledge")
        service.transition(uow, ticket_id=tid, action="hold", reason="awaiting_customer_information")
        uow.commit()
    assert "aftersales.sla.escalate" in jobs.periodic_tasks()
    result = jobs.tick(engine, now=start + timedelta(days=400), force=True)
    assert result["aftersales.sla.escalate"] == {"raised": 0}     # paused from the start: nothing counts
    with UnitOfWork(oem, write=True, engine=engine) as uow:
        service.transition(uow, ticket_id=tid, action="resume")
        uow.commit()
    result = jobs.tick(engine, now=start + timedelta(days=400), force=True)
    assert result["aftersales.sla.escalate"]["raised"] >= 1
    again = jobs.tick(engine, now=start + timedelta(days=400), force=True)
    assert again["aftersales.sla.escalate"] == {"raised": 0}
