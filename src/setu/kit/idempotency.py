"""``Idempotency-Key``: a retried state-changing call has its effect once, and answers the same.

Framework-free (bytes in, bytes out); :mod:`setu.kit.idempotency_asgi` is the HTTP middleware on top.
The contract (IETF draft-ietf-httpapi-idempotency-key-header-07; Stripe's idempotent requests):

- keys are kept **per caller**: ``(party, user, key)``. The same key string sent by another user or
  another party is another key: it never sees the first caller's answer;
- the first request with a key **claims** it: an ``in_flight`` row inserted in a short transaction
  of its own, under a unique constraint on (scope, key), so two concurrent requests cannot both
  run (on PostgreSQL the second insert waits for the first and fails on the constraint; on SQLite
  ``BEGIN IMMEDIATE`` serialises the claims);
- a retry while the first is still running: :class:`Conflict` **409** (retry later);
- the same key with another method, path or body (SHA-256 of ``METHOD path\\n`` + body):
  :class:`ValidationFailed` **422** naming the ``Idempotency-Key`` header;
- the same key and the same request after it completed: the **stored response** (status, headers,
  body byte for byte), and the handler does not run again;
- error answers: a **4xx** answer is stored and replayed like a success (the same request would be
  refused again: validation, permission, conflict); a **5xx** answer or an exception **drops** the
  claim (:func:`abandon`), so a retry runs the request again (a server failure rolled its
  transaction back);
- keys **expire after 24 hours** (``SETU_IDEMPOTENCY_HOURS``): an expired key is ignored (the next
  request with it runs as new) and expired rows are purged (:func:`purge_expired`, also run at most
  once a minute by :func:`begin`);
- a claim left ``in_flight`` by a crashed process is taken over after ``in_flight_timeout``
  (default 5 minutes: longer than any request may run).

Known limit: the claim, the request's own transaction and :func:`complete` are three
transactions. If the process dies after the request committed and before :func:`complete`, the
retry after the in-flight timeout runs the request again. Calls whose effect must be exactly-once
across such crashes also carry a natural unique key in their own table (e.g. an import batch id).

Typical use, outside HTTP (a CLI import deriving keys from file hash and row)::

    answer = idempotency.once(engine, actor, key, "POST", "/cli/import/parts", body,
                              lambda: (201, [("content-type", "application/json")], run_import()))
"""
from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from setu.kit.access import Actor
from setu.kit.db import utcnow
from setu.kit.errors import Conflict, FieldError, SetuError, ValidationFailed
from setu.kit.models import KitIdempotencyKey as K

HEADER = "Idempotency-Key"
#: visible ASCII, 1..255 characters (a UUID or another high-entropy string is expected)
KEY_FORMAT = re.compile(r"^[\x21-\x7e]{1,255}$")
IN_FLIGHT, DONE = "in_flight", "done"
#: response headers never stored nor replayed
UNSTORED_HEADERS = {"set-cookie", "date", "server", "idempotency-replayed"}

Headers = Sequence[tuple[str, str]]


class InvalidKey(SetuError):
    """The header is present but is not a usable key (400, as the IETF draft says)."""

    status = 400
    title = "Bad request"


@dataclass(frozen=True)
class StoredResponse:
    """The answer of the first request with this key, to send again as it was."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class Claim:
    """This request owns the key: run it, then :func:`complete` or :func:`abandon`."""

    id: uuid.UUID
    key: str
    locked_at: datetime


def scope_of(actor: Actor) -> str:
    """The caller a key belongs to: its party and its user (the actor's name where it has no user
    id, e.g. the CLI's system actor)."""
    return f"party:{actor.party_id or '-'}|user:{actor.user_id or actor.name}"


def fingerprint(method: str, path: str, body: bytes) -> str:
    """SHA-256 of ``METHOD path\\n`` followed by the body bytes."""
    h = hashlib.sha256(f"{method.upper()} {path}\n".encode("utf-8"))
    h.update(body or b"")
    return h.hexdigest()


def check_key(key: str | None) -> str:
    if key is None or not KEY_FORMAT.match(key):
        shown = "empty" if not key else f"{len(key)} characters" if len(key) > 255 else "not visible ASCII"
        raise InvalidKey(f"the {HEADER} header must be 1 to 255 visible ASCII characters (it is {shown})",
                         [FieldError(HEADER, "1 to 255 visible ASCII characters, e.g. a UUID")])
    return key


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=timezone.utc)  # SQLite returns naive UTC


def _writer(engine: Engine) -> Engine:
    return engine.execution_options(setu_write=True)  # BEGIN IMMEDIATE on SQLite (see kit.db)


_last_purge = 0.0


def purge_expired(engine: Engine, *, now: datetime | None = None) -> int:
    """Delete expired keys; returns how many."""
    with _writer(engine).begin() as c:
        return c.execute(delete(K).where(K.expires_at < (now or utcnow()))).rowcount or 0


def _ttl() -> timedelta:
    from setu.kit.settings import get_settings

    return timedelta(hours=get_settings().idempotency_hours)


def begin(engine: Engine, actor: Actor, key: str, method: str, path: str, body: bytes, *,
          ttl: timedelta | None = None, in_flight_timeout: timedelta = timedelta(minutes=5),
          now: datetime | None = None) -> Claim | StoredResponse:
    """Claim ``key`` for this request, or answer why not.

    Returns a :class:`Claim` (run the request) or the :class:`StoredResponse` of the completed first
    request (send it; do not run). Raises :class:`InvalidKey` (400), :class:`ValidationFailed`
    (422: the key was used for another request) or :class:`Conflict` (409: the first request with
    this key is still running)."""
    global _last_purge
    check_key(key)
    method = method.upper()
    fp = fingerprint(method, path, body)
    scope = scope_of(actor)
    ttl = ttl or _ttl()
    if time.monotonic() - _last_purge > 60:
        _last_purge = time.monotonic()
        purge_expired(engine, now=now)
    for _attempt in range(3):
        t = now or utcnow()
        try:
            with _writer(engine).begin() as c:
                row = c.execute(select(K).where(K.scope == scope, K.key == key)).first()
                if row is not None and _aware(row.expires_at) <= t:
                    c.execute(delete(K).where(K.id == row.id))  # expired: ignored, and purged
                    row = None
                if row is None:
                    claim = Claim(uuid.uuid4(), key, t)
                    c.execute(insert(K).values(
                        id=claim.id, scope=scope, key=key, actor=actor.name[:200], party_id=actor.party_id,
                        method=method, path=path[:2000], fingerprint=fp, state=IN_FLIGHT, created_at=t,
                        locked_at=t, expires_at=t + ttl))
                    return claim
                if row.fingerprint != fp:
                    raise ValidationFailed(
                        f"the {HEADER} {key!r} was already used for another request ({row.method} {row.path} "
                        "with another body): send a new key for a new request",
                        [FieldError(HEADER, "already used for another request")])
                if row.state == DONE:
                    return StoredResponse(int(row.status_code), tuple(tuple(h) for h in row.response_headers or ()),
                                          bytes(row.response_body or b""))
                if _aware(row.locked_at) > t - in_flight_timeout:
                    raise Conflict(f"a request with the {HEADER} {key!r} is still being processed: retry later",
                                   [FieldError(HEADER, "in flight")])
                # left in flight by a process that died: take it over (only one taker wins)
                took = c.execute(update(K).where(K.id == row.id, K.state == IN_FLIGHT,
                                                 K.locked_at == row.locked_at).values(locked_at=t)).rowcount
                if took == 1:
                    return Claim(row.id, key, t)
                raise Conflict(f"a request with the {HEADER} {key!r} is still being processed: retry later",
                               [FieldError(HEADER, "in flight")])
        except IntegrityError:
            continue  # a concurrent request inserted the same key first: read its row
    raise Conflict(f"a request with the {HEADER} {key!r} is still being processed: retry later",
                   [FieldError(HEADER, "in flight")])


def _storable(headers: Headers) -> list[list[str]]:
    return [[k.lower(), v] for k, v in headers if k.lower() not in UNSTORED_HEADERS]


def complete(engine: Engine, claim: Claim, status: int, headers: Headers, body: bytes) -> bool:
    """Store the answer of a claimed request. A 5xx answer is not stored: the claim is dropped
    (:func:`abandon`) so a retry runs again. Returns whether the answer was stored."""
    if status >= 500:
        abandon(engine, claim)
        return False
    with _writer(engine).begin() as c:
        n = c.execute(update(K).where(K.id == claim.id, K.state == IN_FLIGHT, K.locked_at == claim.locked_at)
                      .values(state=DONE, status_code=status, response_headers=_storable(headers),
                              response_body=bytes(body))).rowcount
    return n == 1


def abandon(engine: Engine, claim: Claim) -> None:
    """Drop a claim (the request failed before it had an answer worth keeping)."""
    with _writer(engine).begin() as c:
        c.execute(delete(K).where(K.id == claim.id, K.state == IN_FLIGHT, K.locked_at == claim.locked_at))


Answer = tuple[int, Headers, bytes]


def once(engine: Engine, actor: Actor, key: str, method: str, path: str, body: bytes,
         handler: Callable[[], Answer], **kw) -> tuple[Answer, bool]:
    """Run ``handler()`` at most once for this key and request; returns ``(answer, replayed)``.

    ``handler`` returns ``(status, headers, body)``; if it raises, the claim is dropped and the
    exception propagates. The refusals of :func:`begin` propagate as they are."""
    got = begin(engine, actor, key, method, path, body, **kw)
    if isinstance(got, StoredResponse):
        return (got.status, got.headers, got.body), True
    try:
        status, headers, out = handler()
    except BaseException:
        abandon(engine, got)
        raise
    complete(engine, got, status, headers, out)
    return (status, headers, out), False


def problem_body(exc: SetuError) -> bytes:
    """An RFC 9457 problem+json body for a refusal (the same shape the API's error handler uses)."""
    body = {"type": "about:blank", "title": exc.title, "status": exc.status, "detail": exc.detail}
    if exc.errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in exc.errors]
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
