"""Lists: filter, search, sort and keyset (cursor) pagination over any SQLAlchemy select.

A cursor is an opaque token holding the sort value and id of the last row served; the next page
starts strictly after it, so pages stay stable and fast on large tables (no OFFSET scans).
"""
from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from setu.kit.errors import FieldError, ValidationFailed

T = TypeVar("T")
MAX_LIMIT = 500


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    total: int | None


def _encode(value: Any, id_: uuid.UUID) -> str:
    if isinstance(value, (datetime, date)):
        v: Any = {"t": "dt" if isinstance(value, datetime) else "d", "v": value.isoformat()}
    elif isinstance(value, Decimal):
        v = {"t": "dec", "v": str(value)}
    else:
        v = {"t": "raw", "v": value}
    raw = json.dumps({"s": v, "id": str(id_)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[Any, uuid.UUID]:
    try:
        pad = "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(cursor + pad))
        s = data["s"]
        value: Any = s["v"]
        if s["t"] == "dt":
            value = datetime.fromisoformat(value)
        elif s["t"] == "d":
            value = date.fromisoformat(value)
        elif s["t"] == "dec":
            value = Decimal(value)
        return value, uuid.UUID(data["id"])
    except Exception:
        raise ValidationFailed("bad cursor", [FieldError("cursor", "is not a cursor this list gave out")]) from None


def paginate(
    session: Session,
    stmt: Select,
    *,
    model: Any,
    sortable: dict[str, Any],
    sort: str | None,
    cursor: str | None = None,
    limit: int = 50,
    with_total: bool = True,
) -> Page:
    """Serve one page of ``stmt`` sorted by ``sort`` (``name`` or ``-name``), after ``cursor``."""
    sort = sort or next(iter(sortable))
    desc = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in sortable:
        raise ValidationFailed(
            "bad sort", [FieldError("sort", f"{key!r} is not sortable; use one of {', '.join(sortable)}")]
        )
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed("bad limit", [FieldError("limit", f"must be between 1 and {MAX_LIMIT}")])
    col = sortable[key]
    total = None
    if with_total:
        total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    if cursor:
        value, last_id = _decode(cursor)
        if desc:
            stmt = stmt.where(or_(col < value, and_(col == value, model.id < last_id)))
        else:
            stmt = stmt.where(or_(col > value, and_(col == value, model.id > last_id)))
    order = (col.desc(), model.id.desc()) if desc else (col.asc(), model.id.asc())
    rows = list(session.scalars(stmt.order_by(*order).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode(getattr(last, col.key), last.id)
    return Page(rows, next_cursor, total)


def search_clause(term: str | None, *cols: Any):
    """Case-insensitive substring search over several columns (None when no term)."""
    if not term or not term.strip():
        return None
    like = f"%{term.strip().lower()}%"
    return or_(*[func.lower(c).like(like) for c in cols])


from pydantic import BaseModel  # noqa: E402


class PageOut(BaseModel, Generic[T]):
    """A page of a list as the API serves it."""

    items: list[T]
    next_cursor: str | None = None
    total: int | None = None


def page_out(page: Page, read_model: type[BaseModel]) -> dict:
    return {
        "items": [read_model.model_validate(x) for x in page.items],
        "next_cursor": page.next_cursor,
        "total": page.total,
    }
