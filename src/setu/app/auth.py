"""Who is asking: every request is authenticated here before any route runs.

One middleware resolves the caller, in this order:

1. ``Authorization: Bearer setu_...`` — a personal API token (hashed, expiring, revocable);
2. the ``setu_session`` cookie — a server-side web session (expiring, idle timeout, revocable),
   accepted on web pages and on *safe* API requests only (GET/HEAD: the API docs in the browser), so
   a cookie can never drive an API write from another site;
3. nobody: the API answers 401 problem+json, a web page redirects to ``/login?next=...``.

Only the login page, the health check and static files are public. The resolved user becomes
``request.state.actor`` (see :func:`setu.app.deps.current_actor`); the session's CSRF token becomes
``request.state.csrf_token``, which every form carries (:func:`setu.app.web.csrf_field`) and
:func:`setu.app.web.form_data` checks. Requests that carry a token instead of a cookie need no CSRF
token: a browser never attaches a bearer token on its own.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote
from uuid import uuid4

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from setu.kit.access import Actor, system_actor
from setu.kit.settings import get_settings
from setu.kit.uow import UnitOfWork

SESSION_COOKIE = "setu_session"
PUBLIC_PATHS = {"/login", "/health", "/favicon.ico"}
PUBLIC_PREFIXES = ("/static/",)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
#: Paths a user who must change their password may still open.
PASSWORD_CHANGE_PATHS = {"/account/password", "/logout"}
#: How often a session's last-seen time is written (the idle timeout is in minutes).
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Caller:
    actor: Actor
    via: str  # "token" or "session"
    csrf_token: str | None = None
    must_change_password: bool = False


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def is_api(path: str) -> bool:
    return path == "/api/v1" or path.startswith("/api/")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cookie_secure(request: Request) -> bool:
    """Set the Secure flag on cookies, except for plain HTTP on a loopback address (``make run``).

    Browsers treat a loopback address as a secure context but not all of them keep Secure cookies
    set over plain HTTP there; any other host gets Secure cookies, so without TLS they are not sent
    at all (by design: sessions never travel in clear text over a network)."""
    if not get_settings().secure_cookies:
        return False
    return not (request.url.scheme == "http" and _is_loopback(request.url.hostname))


def set_session_cookie(request: Request, response: Response, secret: str) -> None:
    response.set_cookie(SESSION_COOKIE, secret, max_age=get_settings().session_minutes * 60, path="/",
                        secure=cookie_secure(request), httponly=True, samesite="lax")


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=cookie_secure(request), httponly=True, samesite="lax")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization") or ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def resolve_caller(engine, *, bearer: str | None, cookie: str | None, request_id: str) -> tuple[Caller | None, str]:
    """The caller behind a token or a session cookie, or None with the reason (for the 401)."""
    from setu.identity import auth

    with UnitOfWork(system_actor("auth"), write=False, engine=engine) as uow:
        if bearer is not None:
            user = auth.resolve_token(uow, secret=bearer)
            if user is None:
                return None, "the API token is unknown, expired or revoked"
            return Caller(auth.actor_for(user, request_id), "token"), "ok"
        found = auth.resolve_session(uow, cookie=cookie or "")
        if found is None:
            return None, "sign in first" if not cookie else "the session has ended; sign in again"
        user, ws = found
        caller = Caller(auth.actor_for(user, request_id), "session", ws.csrf_token, bool(user.must_change_password))
        last = ws.last_seen_at if ws.last_seen_at.tzinfo else ws.last_seen_at.replace(tzinfo=timezone.utc)
        session_id, touch = ws.id, datetime.now(timezone.utc) - last > TOUCH_EVERY
    if touch:  # off the request path: a read never waits for the write lock (setu.kit.security_events)
        auth.queue_session_touch(engine, session_id=session_id)
    return caller, "ok"


def _record(engine, *, kind: str, request: Request, detail: str) -> None:
    from setu.app.problems import record_security_event_safely

    record_security_event_safely(engine, kind=kind, actor=None, permission=None, object_type=request.method,
                                 object_id=request.url.path[:64], client=client_address(request), detail=detail)


def _unauthenticated(request: Request, reason: str) -> Response:
    from setu.app.problems import problem

    if is_api(request.url.path):
        resp = problem(401, "Sign in required", f"{reason}: send 'Authorization: Bearer <token>' "
                                                "(create a token on your account page or with `setu user token create`)")
        resp.headers["WWW-Authenticate"] = 'Bearer realm="setu"'
        return resp
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    resp = RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    if request.cookies.get(SESSION_COOKIE):
        clear_session_cookie(request, resp)
    return resp


def install(app: FastAPI) -> None:
    """Authenticate every request that is not public (see the module docstring)."""

    @app.middleware("http")
    async def authenticate(request: Request, call_next):
        request.state.actor = None
        request.state.auth_via = None
        request.state.csrf_token = None
        path = request.url.path
        if is_public(path):
            return await call_next(request)
        engine = request.app.state.engine
        bearer = _bearer(request)
        cookie = request.cookies.get(SESSION_COOKIE)
        if bearer is None and cookie and is_api(path) and request.method not in SAFE_METHODS:
            reason = "API writes need a token; a browser session is not accepted for them"
            await run_in_threadpool(_record, engine, kind="authn_required", request=request, detail=reason)
            return _unauthenticated(request, reason)
        request_id = request.headers.get("x-request-id", "")[:64] or uuid4().hex
        caller, reason = await run_in_threadpool(resolve_caller, engine, bearer=bearer, cookie=cookie,
                                                 request_id=request_id)
        if caller is None:
            kind = "token_rejected" if bearer is not None else "authn_required"
            await run_in_threadpool(_record, engine, kind=kind, request=request, detail=reason)
            return _unauthenticated(request, reason)
        request.state.actor = caller.actor
        request.state.auth_via = caller.via
        request.state.csrf_token = caller.csrf_token
        if caller.must_change_password and not is_api(path) and path not in PASSWORD_CHANGE_PATHS:
            return RedirectResponse("/account/password", status_code=303)
        return await call_next(request)
