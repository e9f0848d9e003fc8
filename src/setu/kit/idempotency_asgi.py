"""``Idempotency-Key`` for the JSON API, as a plain ASGI middleware (no framework imported).

It applies to ``POST``, ``PUT``, ``PATCH`` and ``DELETE`` requests under ``/api/`` that carry the
header, and follows the rules of :mod:`setu.kit.idempotency`: the first request runs and its
answer (2xx or 4xx) is stored; a retry with the same body gets the stored answer byte for byte with
``Idempotency-Replayed: true``; another body is 422, a retry while the first runs is 409, an
invalid key is 400, all as ``application/problem+json``. A 5xx answer or an exception drops the
claim so a retry runs again. Requests without the header pass through untouched (set
``required=True`` to answer 400 instead).

**Order**: the caller must be known first. The middleware reads the actor from
``scope["state"]["actor"]`` (what ``request.state.actor = ...`` sets in Starlette/FastAPI), so the
authentication middleware must run **before** it, i.e. be the outer one. In Starlette the middleware
added last is the outermost, so add this one *before* installing authentication::

    app.add_middleware(IdempotencyMiddleware, engine=engine)   # inner: runs after auth
    auth.install(app)                                          # outer: sets request.state.actor

A request without an actor (anonymous) passes through: the application refuses it (401) itself.
``actor_from_scope`` and ``engine`` (or ``engine_from_scope``) can be given for other set-ups.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from sqlalchemy.engine import Engine

from setu.kit import idempotency as idem
from setu.kit.access import Actor
from setu.kit.errors import SetuError

log = logging.getLogger("setu.kit.idempotency")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_HEADER = idem.HEADER.lower().encode("latin-1")


def actor_from_state(scope: Scope) -> Actor | None:
    """The actor the authentication middleware put in ``scope["state"]["actor"]``."""
    state = scope.get("state") or {}
    actor = state.get("actor") if isinstance(state, dict) else getattr(state, "actor", None)
    return actor if isinstance(actor, Actor) else None


def engine_from_app_state(scope: Scope) -> Engine:
    """``app.state.engine`` of the Starlette/FastAPI application serving the request."""
    app = scope.get("app")
    engine = getattr(getattr(app, "state", None), "engine", None)
    if engine is None:
        raise RuntimeError("IdempotencyMiddleware: no engine given and the app has no state.engine")
    return engine


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, *, engine: Engine | None = None,
                 engine_from_scope: Callable[[Scope], Engine] = engine_from_app_state,
                 actor_from_scope: Callable[[Scope], Actor | None] = actor_from_state,
                 prefix: str = "/api/", methods: frozenset[str] = METHODS, required: bool = False):
        self.app = app
        self.engine = engine
        self.engine_from_scope = engine_from_scope
        self.actor_from_scope = actor_from_scope
        self.prefix = prefix
        self.methods = methods
        self.required = required

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in self.methods or \
                not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        raw = [v for k, v in scope.get("headers", []) if k.lower() == _HEADER]
        actor = self.actor_from_scope(scope)
        if actor is None or (not raw and not self.required):
            await self.app(scope, receive, send)  # anonymous (the app answers 401), or no key given
            return
        if not raw:
            await _send_problem(send, idem.InvalidKey(f"this request needs an {idem.HEADER} header"))
            return
        try:
            key = idem.check_key(raw[0].decode("latin-1") if len(raw) == 1 else None)
        except SetuError as exc:
            await _send_problem(send, exc)
            return

        body, disconnected = await _read_body(receive)
        if disconnected:
            return
        engine = self.engine or self.engine_from_scope(scope)
        path = scope["path"] + (("?" + scope["query_string"].decode("latin-1")) if scope.get("query_string") else "")
        try:
            got = await asyncio.to_thread(idem.begin, engine, actor, key, scope["method"], path, body)
        except SetuError as exc:
            await _send_problem(send, exc)
            return
        if isinstance(got, idem.StoredResponse):
            headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in got.headers]
            headers.append((b"idempotency-replayed", b"true"))
            await send({"type": "http.response.start", "status": got.status, "headers": headers})
            await send({"type": "http.response.body", "body": got.body, "more_body": False})
            return

        status: list[int] = []
        out_headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []
        replayed_body = False

        async def replay_receive() -> Message:
            nonlocal replayed_body
            if not replayed_body:
                replayed_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def capture_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
                out_headers.extend((k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture_send)
        except BaseException:
            await asyncio.to_thread(idem.abandon, engine, got)
            raise
        try:
            if status:
                await asyncio.to_thread(idem.complete, engine, got, status[0], out_headers, b"".join(chunks))
            else:
                await asyncio.to_thread(idem.abandon, engine, got)
        except Exception:  # the answer was sent; the key stays in flight until its timeout
            log.exception("could not store the answer for %s %s", scope["method"], scope["path"])


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"", True
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(parts), False


async def _send_problem(send: Send, exc: SetuError) -> None:
    body = idem.problem_body(exc)
    await send({"type": "http.response.start", "status": exc.status,
                "headers": [(b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body, "more_body": False})
