"""Idempotency-Key on SQLite and PostgreSQL: one effect per key, the stored answer replayed, 422 for
another body, 409 while the first runs, keys per caller, expiry; the ASGI middleware in a real app."""
from __future__ import annotations

import json
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import String, Uuid, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from setu.kit import idempotency as idem
from setu.kit.access import Actor
from setu.kit.db import utcnow
from setu.kit.errors import Conflict, ValidationFailed
from setu.kit.models import KitIdempotencyKey
from setu.kit.uow import UnitOfWork

PA, PB = uuid.uuid4(), uuid.uuid4()
ANN = Actor("ann", user_id=uuid.uuid4(), party_id=PA, role="clerk")
BEN = Actor("ben", user_id=uuid.uuid4(), party_id=PA, role="clerk")
OTTO = Actor("otto", user_id=uuid.uuid4(), party_id=PB, role="clerk")
USERS = {a.name: a for a in (ANN, BEN, OTTO)}
BODY = b'{"name": "wheel"}'


class _TestBase(DeclarativeBase):
    pass


class Thing(_TestBase):
    __tablename__ = "test_kit_thing"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(50))


@pytest.fixture
def teng(engine):
    _TestBase.metadata.create_all(engine)
    return engine


def create_thing(engine, actor, name="wheel"):
    with UnitOfWork(actor, write=True, engine=engine) as uow:
        t = Thing(name=name)
        uow.session.add(t)
        uow.commit()
    return 201, [("content-type", "application/json")], json.dumps({"id": str(t.id)}).encode()


def things(engine):
    with engine.connect() as c:
        return c.scalar(select(func.count()).select_from(Thing))


def test_same_key_same_body_replays_with_one_effect(teng):
    first, replayed = idem.once(teng, ANN, "k-1", "POST", "/api/things", BODY, lambda: create_thing(teng, ANN))
    assert not replayed and first[0] == 201
    for _ in range(4):
        again, replayed = idem.once(teng, ANN, "k-1", "POST", "/api/things", BODY,
                                    lambda: pytest.fail("the handler ran twice"))
        assert replayed and again[0] == 201 and again[2] == first[2]
        assert list(again[1]) == [("content-type", "application/json")]
    assert things(teng) == 1


def test_same_key_other_body_is_422_naming_the_header(teng):
    idem.once(teng, ANN, "k-2", "POST", "/api/things", BODY, lambda: create_thing(teng, ANN))
    for method, path, body in [("POST", "/api/things", b'{"name": "tyre"}'), ("PUT", "/api/things", BODY),
                               ("POST", "/api/other", BODY)]:
        with pytest.raises(ValidationFailed) as e:
            idem.begin(teng, ANN, "k-2", method, path, body)
        assert e.value.status == 422 and "Idempotency-Key" in e.value.detail and "'k-2'" in e.value.detail
        assert e.value.errors[0].field == "Idempotency-Key"
    assert things(teng) == 1


def test_retry_while_in_flight_is_409_then_replays(teng):
    started, release = threading.Event(), threading.Event()
    out = {}

    def slow():
        started.set()
        assert release.wait(10)
        return create_thing(teng, ANN)

    t = threading.Thread(target=lambda: out.setdefault("first", idem.once(teng, ANN, "k-3", "POST", "/api/things",
                                                                           BODY, slow)))
    t.start()
    assert started.wait(10)
    with pytest.raises(Conflict) as e:
        idem.begin(teng, ANN, "k-3", "POST", "/api/things", BODY)
    assert e.value.status == 409 and "still being processed" in e.value.detail
    release.set()
    t.join(10)
    again, replayed = idem.once(teng, ANN, "k-3", "POST", "/api/things", BODY, lambda: pytest.fail("ran twice"))
    assert replayed and again[2] == out["first"][0][2] and things(teng) == 1


def test_simultaneous_claims_only_one_wins(teng):
    n = 8
    barrier = threading.Barrier(n)
    results = []

    def go():
        barrier.wait()
        try:
            results.append(idem.begin(teng, ANN, "k-race", "POST", "/api/things", BODY))
        except Conflict:
            results.append("409")

    threads = [threading.Thread(target=go) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    claims = [r for r in results if isinstance(r, idem.Claim)]
    assert len(results) == n and len(claims) == 1 and results.count("409") == n - 1


def test_keys_are_per_user_and_per_party(teng):
    answers = [idem.once(teng, who, "shared-key", "POST", "/api/things", BODY, lambda who=who: create_thing(teng, who))
               for who in (ANN, BEN, OTTO)]
    assert [replayed for _, replayed in answers] == [False, False, False]
    assert len({a[2] for a, _ in answers}) == 3 and things(teng) == 3
    # and a user's own retry still replays their own answer, not another's
    (a, replayed) = idem.once(teng, BEN, "shared-key", "POST", "/api/things", BODY, lambda: pytest.fail("ran"))
    assert replayed and a[2] == answers[1][0][2]


def test_4xx_is_stored_5xx_and_exceptions_are_dropped(teng):
    refused = (409, [("content-type", "application/problem+json")], b'{"status":409}')
    idem.once(teng, ANN, "k-4xx", "POST", "/api/things", BODY, lambda: refused)
    a, replayed = idem.once(teng, ANN, "k-4xx", "POST", "/api/things", BODY, lambda: pytest.fail("ran"))
    assert replayed and a[0] == 409
    idem.once(teng, ANN, "k-5xx", "POST", "/api/things", BODY, lambda: (503, [], b"down"))
    a, replayed = idem.once(teng, ANN, "k-5xx", "POST", "/api/things", BODY, lambda: create_thing(teng, ANN))
    assert not replayed and a[0] == 201

    def boom():
        raise RuntimeError("db gone")

    with pytest.raises(RuntimeError):
        idem.once(teng, ANN, "k-exc", "POST", "/api/things", BODY, boom)
    a, replayed = idem.once(teng, ANN, "k-exc", "POST", "/api/things", BODY, lambda: create_thing(teng, ANN))
    assert not replayed and things(teng) == 2


def test_expired_keys_are_ignored_and_purged(teng):
    past = utcnow() - timedelta(hours=25)
    claim = idem.begin(teng, ANN, "k-old", "POST", "/api/things", BODY, now=past)
    idem.complete(teng, claim, 201, [], b"old")
    got = idem.begin(teng, ANN, "k-old", "POST", "/api/things", b"another body entirely")
    assert isinstance(got, idem.Claim)  # expired: a new request, even with another body
    idem.abandon(teng, got)
    old = idem.begin(teng, BEN, "k-old2", "POST", "/api/things", BODY, now=past)
    idem.complete(teng, old, 201, [], b"old")
    assert idem.purge_expired(teng) == 1
    with teng.connect() as c:
        assert c.scalar(select(func.count()).select_from(KitIdempotencyKey)) == 0


def test_in_flight_left_by_a_dead_process_is_taken_over(teng):
    idem.begin(teng, ANN, "k-dead", "POST", "/api/things", BODY, now=utcnow() - timedelta(minutes=10))
    got = idem.begin(teng, ANN, "k-dead", "POST", "/api/things", BODY)
    assert isinstance(got, idem.Claim)
    assert idem.complete(teng, got, 201, [], b"ok")


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "has space"])
def test_invalid_keys_are_400(teng, key):
    with pytest.raises(idem.InvalidKey) as e:
        idem.begin(teng, ANN, key, "POST", "/api/things", BODY)
    assert e.value.status == 400 and "Idempotency-Key" in e.value.detail


# -- the ASGI middleware in a real Starlette app ------------------------------------------------


def make_app(engine, gate: dict):
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from setu.kit.idempotency_asgi import IdempotencyMiddleware

    class FakeAuth:  # what the real authentication middleware does: put the actor in the scope's state
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            if scope["type"] == "http":
                user = dict(scope["headers"]).get(b"x-user", b"").decode()
                scope.setdefault("state", {})["actor"] = USERS.get(user)
            await self.app(scope, receive, send)

    def create(request: Request):
        if "started" in gate:
            gate["started"].set()
            assert gate["release"].wait(10)
        status, headers, out = create_thing(engine, request.state.actor)
        return JSONResponse(json.loads(out), status_code=status)

    async def create_async(request: Request):
        data = await request.json()
        if not data.get("name"):
            return JSONResponse({"detail": "name: required"}, status_code=422)
        if data["name"] == "crash":
            return JSONResponse({"detail": "boom"}, status_code=500)
        return await run_in_threadpool(create, request)

    # auth is the outer middleware (listed first), idempotency the inner: it sees the actor
    return Starlette(routes=[Route("/api/things", create_async, methods=["POST"]),
                             Route("/pages/things", create_async, methods=["POST"])],
                     middleware=[Middleware(FakeAuth), Middleware(IdempotencyMiddleware, engine=engine)])


@pytest.fixture
def asgi(teng):
    from starlette.testclient import TestClient

    gate: dict = {}
    app = make_app(teng, gate)

    def post(user, key, body, path="/api/things"):
        headers = {"x-user": user, "content-type": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return TestClient(app).post(path, content=body, headers=headers)

    return post, gate, teng


def test_middleware_replays_byte_identical_with_one_effect(asgi):
    post, _, engine = asgi
    first = post("ann", "m-1", BODY)
    assert first.status_code == 201 and "idempotency-replayed" not in first.headers
    for _ in range(3):
        again = post("ann", "m-1", BODY)
        assert again.status_code == 201 and again.content == first.content
        assert again.headers["idempotency-replayed"] == "true"
        assert again.headers["content-type"] == first.headers["content-type"]
    assert things(engine) == 1


def test_middleware_refusals_are_problem_json(asgi):
    post, _, engine = asgi
    post("ann", "m-2", BODY)
    r = post("ann", "m-2", b'{"name": "tyre"}')
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert "Idempotency-Key" in r.json()["detail"]
    r = post("ann", "", BODY)
    assert r.status_code == 400 and r.json()["status"] == 400
    assert things(engine) == 1


def test_middleware_stores_4xx_drops_5xx(asgi):
    post, _, engine = asgi
    assert post("ann", "m-4", b'{"name": ""}').status_code == 422
    r = post("ann", "m-4", b'{"name": ""}')
    assert r.status_code == 422 and r.headers.get("idempotency-replayed") == "true"
    assert post("ann", "m-5", b'{"name": "crash"}').status_code == 500
    r = post("ann", "m-5", b'{"name": "crash"}')
    assert r.status_code == 500 and "idempotency-replayed" not in r.headers


def test_middleware_concurrent_retry_is_409(asgi):
    post, gate, engine = asgi
    gate["started"], gate["release"] = threading.Event(), threading.Event()
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", post("ann", "m-3", BODY)))
    t.start()
    assert gate["started"].wait(10)
    r = post("ann", "m-3", BODY)
    assert r.status_code == 409 and "still being processed" in r.json()["detail"]
    gate.pop("started")
    gate["release"].set()
    t.join(10)
    assert out["r"].status_code == 201
    again = post("ann", "m-3", BODY)
    assert again.status_code == 201 and again.content == out["r"].content and things(engine) == 1


def test_middleware_keys_are_per_caller_and_only_for_the_api(asgi):
    post, _, engine = asgi
    a, b, o = post("ann", "same", BODY), post("ben", "same", BODY), post("otto", "same", BODY)
    assert {a.status_code, b.status_code, o.status_code} == {201}
    assert len({a.content, b.content, o.content}) == 3 and "idempotency-replayed" not in o.headers
    # no key, another prefix, or no actor: passed through untouched (two effects each)
    post("ann", None, BODY), post("ann", None, BODY)
    post("ann", "pages", BODY, "/pages/things"), post("ann", "pages", BODY, "/pages/things")
    assert things(engine) == 7
