"""After-commit callbacks and named events: run only after a real commit, in order, never after a
rollback or a failed commit (a unique-constraint violation raised by the commit itself)."""
from __future__ import annotations

import logging
import uuid

import pytest
from sqlalchemy import String, Uuid, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from setu.kit import events
from setu.kit.access import system_actor
from setu.kit.errors import PermissionDenied
from setu.kit.uow import UnitOfWork


class _TestBase(DeclarativeBase):
    pass


class Widget(_TestBase):
    """A test-only table (its own metadata: not part of Setu's schema)."""

    __tablename__ = "test_kit_widget"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(20), unique=True)


@pytest.fixture
def wengine(engine):
    _TestBase.metadata.create_all(engine)
    return engine


ACTOR = system_actor("test")


def codes(engine):
    with UnitOfWork(ACTOR, engine=engine) as uow:
        return sorted(uow.session.scalars(select(Widget.code)))


def test_callbacks_run_after_commit_in_order(wengine):
    seen = []
    with UnitOfWork(ACTOR, write=True, engine=wengine) as uow:
        uow.session.add(Widget(code="a"))
        uow.on_commit(lambda: seen.append(("first", codes(wengine))))
        uow.on_commit(lambda: seen.append(("second", None)))
        assert seen == []
        uow.commit()
        # the first callback saw the committed row, from another connection
        assert seen == [("first", ["a"]), ("second", None)]
    assert seen == [("first", ["a"]), ("second", None)]  # run once, not again on exit


def test_no_callback_after_rollback_or_exception(wengine):
    seen = []
    with UnitOfWork(ACTOR, write=True, engine=wengine) as uow:
        uow.session.add(Widget(code="b"))
        uow.on_commit(lambda: seen.append("rolled back"))
    with pytest.raises(RuntimeError):
        with UnitOfWork(ACTOR, write=True, engine=wengine) as uow:
            uow.on_commit(lambda: seen.append("raised"))
            raise RuntimeError("boom")
    assert seen == [] and codes(wengine) == []


def test_no_callback_when_the_commit_itself_fails(wengine):
    with UnitOfWork(ACTOR, write=True, engine=wengine) as uow:
        uow.session.add(Widget(code="dup"))
        uow.commit()
    seen = []
    with pytest.raises(IntegrityError):
        with UnitOfWork(ACTOR, write=True, engine=wengine) as uow:
            uow.on_commit(lambda: seen.append("after a failed commit"))
            uow.session.add(Widget(code="dup"))  # not flushed: the commit's own flush fails
            uow.commit()
    assert seen == []
    assert codes(wengine) == ["dup"]


def test_failing_callback_is_logged_and_does_not_undo_the_commit(wengine, caplog):
    seen = []

    def bad():
        raise ValueError("notification server down")

    with caplog.at_level(logging.ERROR, logger="setu.kit.uow"):
        with UnitOfWork(ACTOR, write=True, engine=wengine) as uow:
            uow.session.add(Widget(code="c"))
            uow.on_commit(bad)
            uow.on_commit(lambda: seen.append("after the failing one"))
            uow.commit()
    assert codes(wengine) == ["c"]
    assert seen == ["after the failing one"]
    assert any("notification server down" in (r.exc_text or "") for r in caplog.records)


def test_read_only_unit_of_work_refuses_on_commit(wengine):
    with UnitOfWork(ACTOR, engine=wengine) as uow:
        with pytest.raises(PermissionDenied, match="write unit of work"):
            uow.on_commit(lambda: None)


@pytest.fixture
def subscribed():
    got: list[events.Event] = []
    names = []

    def sub(name, fn=None):
        fn = fn or got.append
        events.subscribe(name, fn)
        names.append((name, fn))
        return fn

    yield got, sub
    for name, fn in names:
        events.unsubscribe(name, fn)


def test_event_handlers_run_after_commit_only(wengine, subscribed):
    got, sub = subscribed
    sub("test.widget.created")
    with UnitOfWork(ACTOR, write=True, engine=wengine) as uow:
        uow.session.add(Widget(code="e"))
        events.publish(uow, "test.widget.created", code="e")
        assert got == []
        uow.commit()
    assert [(e.name, e["code"], e.actor.name) for e in got] == [("test.widget.created", "e", "system:test")]
    with UnitOfWork(ACTOR, write=True, engine=wengine) as uow:
        events.publish(uow, "test.widget.created", code="never")
    assert len(got) == 1


def test_event_handler_failure_is_logged_others_run(wengine, subscribed, caplog):
    got, sub = subscribed

    def bad(_event):
        raise RuntimeError("handler broke")

    sub("test.widget.created", bad)
    sub("test.widget.created")
    with caplog.at_level(logging.ERROR, logger="setu.kit.events"):
        with UnitOfWork(ACTOR, write=True, engine=wengine) as uow:
            uow.session.add(Widget(code="f"))
            events.publish(uow, "test.widget.created", code="f")
            events.publish(uow, "test.widget.renamed", code="f")  # no handler: nothing happens
            uow.commit()
    assert [e["code"] for e in got] == ["f"] and codes(wengine) == ["f"]
    assert any("handler broke" in (r.exc_text or "") for r in caplog.records)


def test_event_names_are_dotted():
    with pytest.raises(ValueError, match="dotted"):
        events.subscribe("PlanApproved", lambda e: None)
