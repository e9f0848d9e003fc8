"""HTTP defences applied to every response: security headers and a request-body size limit.

Both are plain ASGI middleware (no domain knowledge, no database), installed once by the
composition root with :func:`install`, outermost, so that they also cover the answers the
authentication middleware gives (401, redirects to the login page) and error pages.

Security headers (OWASP Secure Headers; ASVS 5.0 V3.4):

- ``Content-Security-Policy``: scripts only from this site (``script-src 'self'``, no inline script,
  no ``eval``; every page behaviour lives in ``/static/js``), no plugins, no ``<base>`` rewriting,
  forms post only here, and ``frame-ancestors 'none'`` (no framing: clickjacking). Styles allow
  ``'unsafe-inline'`` because Plotly and htmx insert style elements at run time; styles cannot run
  script. The interactive API reference (``/api/v1/docs``) is Swagger UI served from the project's
  own files and started by a script in ``/static/js``: the same policy covers it.
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``, ``X-Frame-Options: DENY``
  (for browsers without CSP level 2), ``Cross-Origin-Opener-Policy: same-origin``, a
  ``Permissions-Policy`` turning off sensors the pages never use;
- ``Strict-Transport-Security`` when the request came over TLS (scheme ``https``; behind a proxy,
  run uvicorn with ``--proxy-headers`` so the scheme is the client's).

Request-body limit: a request whose ``Content-Length`` exceeds the limit is refused with 413
problem+json before the application reads a byte; a body without a length (chunked) is read here
up to the limit and refused as soon as it passes it (the server itself refuses a body longer than
its declared length). Uploads (``multipart/form-data``: file
imports) have their own, larger limit.
"""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import HTTPException  # FastAPI's body parser re-raises its own HTTPException only

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HSTS = "max-age=63072000; includeSubDomains"

BASE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
]


def security_headers(path: str, scheme: str) -> list[tuple[bytes, bytes]]:
    """The headers every response to ``path`` carries (see the module docstring)."""
    out = [(b"content-security-policy", CSP.encode()), *BASE_HEADERS]
    if scheme in ("https", "wss"):
        out.append((b"strict-transport-security", HSTS.encode()))
    return out


class SecurityHeaders:
    """Adds :func:`security_headers` to every HTTP response (a header the app set itself wins)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope.get("path", ""), scope.get("scheme", "http"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _TooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the limit. An HTTPException, so that
    FastAPI's body parser passes it on (it turns other errors into 400) and the app's handler
    answers 413 problem+json; raised outside FastAPI, :class:`BodyLimit` answers itself."""

    def __init__(self, limit: int):
        super().__init__(413, f"the request body is larger than the limit of {limit:,} bytes")


def too_large_body(limit: int) -> bytes:
    return json.dumps({"type": "about:blank", "title": "Content too large", "status": 413,
                       "detail": f"the request body is larger than the limit of {limit:,} bytes"}).encode()


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes (``upload_limit`` for multipart uploads) with 413."""

    def __init__(self, app: ASGIApp, *, limit: int, upload_limit: int | None = None):
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit or limit

    async def _refuse(self, send: Send, limit: int) -> None:
        body = too_large_body(limit)
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        upload = headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data")
        limit = self.upload_limit if upload else self.limit
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = -1
            if declared > limit:
                await self._refuse(send, limit)
                return
        if length is not None:
            await self.app(scope, _capped(receive, limit), send)
            return
        # no Content-Length (chunked): read the body here, up to the limit, then replay it (an
        # error raised from inside the app's read would reach FastAPI wrapped, as a 400)
        messages: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > limit:
                await self._refuse(send, limit)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


def _capped(receive: Receive, limit: int) -> Receive:
    """``receive`` that stops a body longer than its declared Content-Length allowed."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge(limit)
        return message

    return counted


def install(app: Any, *, max_body_bytes: int, max_upload_bytes: int) -> None:
    """Add both middlewares to a Starlette/FastAPI app; call it last so that they run outermost."""
    app.add_middleware(BodyLimit, limit=max_body_bytes, upload_limit=max_upload_bytes)
    app.add_middleware(SecurityHeaders)
