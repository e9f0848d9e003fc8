"""Optimistic concurrency: every update of an existing record names the version it read.

A client sends the ``version`` it read in the body, or the entity tag in an ``If-Match`` header
(``If-Match: "3"``, the record's version; ``W/"3"`` is accepted too). :func:`setu.kit.crud.apply_update`
asks :func:`expected_version` for it: missing is **428 Precondition Required**, a stale one is
**409 Conflict**. Increments that do not depend on what was read (``POST /stock/.../adjust``)
stay lock-based (a row lock, ``BEGIN IMMEDIATE`` on SQLite) and need no version.

The ``If-Match`` header reaches the service through a context variable set by :func:`read_if_match`,
a dependency of the API router, so services keep taking plain data.
"""
from __future__ import annotations

import re
from contextvars import ContextVar

from starlette.requests import Request

from setu.kit.errors import FieldError, PreconditionRequired, ValidationFailed

_if_match: ContextVar[int | None] = ContextVar("setu_if_match", default=None)
_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,18})"?\s*$')


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(header: str | None) -> int | None:
    """The version an ``If-Match`` header names (None when absent); a malformed one is a 422."""
    if header is None or not header.strip():
        return None
    m = _ETAG.match(header)
    if not m:
        raise ValidationFailed("bad If-Match", [FieldError("If-Match", 'must be the record\'s version as an entity tag, e.g. "3"')])
    return int(m.group(1))


async def read_if_match(request: Request) -> None:  # a FastAPI dependency (async: it sets the request's context)
    _if_match.set(parse_if_match(request.headers.get("if-match")))


def expected_version(body_version: int | None, what: str) -> int:
    """The version the caller read: from the body, else from ``If-Match``; 428 when neither."""
    header = _if_match.get()
    if body_version is not None and header is not None and body_version != header:
        raise ValidationFailed(f"{what}: version and If-Match disagree",
                               [FieldError("version", f"is {body_version} but If-Match says {header}")])
    found = body_version if body_version is not None else header
    if found is None:
        raise PreconditionRequired(
            f"{what}: say which version you read (the 'version' field of the record, or an If-Match header); "
            "an update without it could overwrite someone else's change",
            [FieldError("version", "is required: the version you read")])
    return found
