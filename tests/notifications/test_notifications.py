"""Notifications: in-app rows written with the work that raised them, e-mail through a real SMTP
server on loopback only after the commit (never after a rollback), per-user preferences, and a
user sees and marks only their own."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from setu.identity import auth
from setu.identity.models import User
from setu.kit.access import system_actor
from setu.kit.errors import ValidationFailed
from setu.kit.uow import UnitOfWork
from setu.notifications import service
from setu.notifications.models import Notification
from tests.support.auth import ensure_user


def _user(engine, name: str, email: str | None):
    uid = ensure_user(engine, name, role="clerk")
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        u = uow.session.get(User, uid)
        u.email = email
        uow.commit()
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        return uid, auth.actor_for(auth.get_user_by_name(uow, name))


def test_email_only_after_commit_and_in_app_with_the_work(engine, smtp_server):
    uid, _ = _user(engine, "alice", "alice@example.test")
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        service.notify(uow, uid, "assignment", "Rolled back", "/tickets/x")
        # no commit: the block rolls back
    assert smtp_server.messages == []
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        assert uow.session.scalar(select(Notification).where(Notification.title == "Rolled back")) is None
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        n = service.notify(uow, uid, "assignment", "Ticket for you", "/tickets/1")
        assert smtp_server.messages == []                    # not before the commit
        nid = n.id
        uow.commit()
    m = smtp_server.wait_for("alice@example.test")
    assert m["Subject"] == "[Setu] Ticket for you" and m["From"] == "setu@test.invalid"
    assert "/tickets/1" in m.get_content()
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        assert uow.session.get(Notification, nid).emailed_at is not None


def test_preferences_choose_which_kinds_come_by_email(engine, smtp_server):
    uid, alice = _user(engine, "alice", "alice@example.test")
    with UnitOfWork(alice, engine=engine) as uow:
        prefs = service.my_preferences(uow)
        assert prefs["sla_breach"] and not prefs["sla_warning"]   # the defaults
    with UnitOfWork(alice, write=True, engine=engine) as uow:
        with pytest.raises(ValidationFailed, match="unknown notification kinds nonsense"):
            service.set_preferences(uow, email_kinds=["nonsense"])
        assert service.set_preferences(uow, email_kinds=["sla_warning"])["sla_warning"]
        uow.commit()
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        service.notify(uow, uid, "assignment", "Not by mail", "/a")
        service.notify(uow, uid, "sla_warning", "By mail", "/b")
        uow.commit()
    smtp_server.wait_for("alice@example.test")
    assert [str(m["Subject"]) for m in smtp_server.messages] == ["[Setu] By mail"]
    with UnitOfWork(alice, engine=engine) as uow:
        assert [n.title for n in service.my_notifications(uow)] == ["By mail", "Not by mail"]
        assert service.unread_count(uow) == 2


def test_no_smtp_server_configured_means_in_app_only(engine):
    uid, alice = _user(engine, "alice", "alice@example.test")
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        service.notify(uow, uid, "sla_breach", "Breach", "/t")
        uow.commit()
    with UnitOfWork(alice, engine=engine) as uow:
        (n,) = service.my_notifications(uow)
        assert n.emailed_at is None and service.unread_count(uow) == 1


def test_a_user_marks_only_their_own(engine):
    a_id, alice = _user(engine, "alice", None)
    b_id, bob = _user(engine, "bob", None)
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        na = service.notify(uow, a_id, "assignment", "For alice").id
        nb = service.notify(uow, b_id, "assignment", "For bob").id
        with pytest.raises(ValueError, match="kind"):
            service.notify(uow, a_id, "gossip", "x")
        uow.commit()
    with UnitOfWork(alice, write=True, engine=engine) as uow:
        assert service.mark_read(uow, ids=[str(nb)]) == 0        # bob's: as missing
        with pytest.raises(ValidationFailed, match="not a notification id"):
            service.mark_read(uow, ids=["nope"])
        assert [n.title for n in service.my_notifications(uow)] == ["For alice"]
        assert service.mark_read(uow, ids=[str(na)]) == 1
        uow.commit()
    with UnitOfWork(bob, engine=engine) as uow:
        assert service.unread_count(uow) == 1
    with UnitOfWork(alice, engine=engine) as uow:
        assert service.unread_count(uow) == 0
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        assert service.notify(uow, uuid.uuid4(), "assignment", "nobody") is None


def test_the_bell_and_the_page(engine):
    from setu.app.main import create_app
    from tests.support.auth import SignedInClient

    a_id, _ = _user(engine, "alice", None)
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        nid = service.notify(uow, a_id, "sla_breach", "Breach on SN-7", "/tickets").id
        uow.commit()
    client = SignedInClient(create_app(engine, jobs_workers=0), engine).sign_in_as("alice")
    page = client.get("/notifications")
    assert page.status_code == 200 and "Breach on SN-7" in page.text
    assert 'id="nav-bell-count">1<' in page.text
    r = client.post("/notifications/read", data={"id": str(nid), "open": "/notifications"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/notifications")
    assert "nav-bell-count" not in page.text and 'aria-label="Notifications: 0 unread"' in page.text
    r = client.post("/notifications/preferences", data={"email_sla_warning": "1"}, follow_redirects=False)
    assert r.status_code == 303
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        assert uow.session.scalar(select(User).where(User.username == "alice")) is not None
