"""Lists: filter, search, sort and keyset (cursor) pagination over any SQLAlchemy select.

A cursor is an opaque token holding the sort value and id of the last row served; the next page
starts strictly after it, so pages stay stable and fast on large tables (no OFFSET scans).
"""
from __future__ import annotations

import base64
import json
import math
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


#: Longest cursor accepted (this module's cursors are far shorter) and longest search term.
MAX_CURSOR_CHARS = 1024
MAX_SEARCH_CHARS = 200
_INT64 = 1 << 63


def _bad_cursor() -> ValidationFailed:
    return ValidationFailed("bad cursor", [FieldError("cursor", "is not a cursor this list gave out")])


def _decode(cursor: str) -> tuple[Any, uuid.UUID]:
    """The sort value and id a cursor holds; anything else (another shape, a dict or a list where a
    value belongs, a number no column holds, a non-finite decimal) is a 422 naming ``cursor``."""
    if len(cursor) > MAX_CURSOR_CHARS:
        raise _bad_cursor()
    try:
        pad = "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(cursor + pad), parse_constant=_no_constant)
        if not isinstance(data, dict) or not isinstance(data.get("s"), dict) or not isinstance(data.get("id"), str):
            raise ValueError("shape")
        s = data["s"]
        value: Any = s.get("v")
        tag = s.get("t")
        if tag == "dt":
            value = datetime.fromisoformat(_str(value))
        elif tag == "d":
            value = date.fromisoformat(_str(value))
        elif tag == "dec":
            value = Decimal(_str(value))
            if not value.is_finite():
                raise ValueError("not finite")
        elif tag == "raw":
            if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
                raise ValueError("type")
            if isinstance(value, int) and not -_INT64 <= value < _INT64:
                raise ValueError("range")
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError("not finite")
            if isinstance(value, str) and len(value) > MAX_CURSOR_CHARS:
                raise ValueError("length")
        else:
            raise ValueError("tag")
        return value, uuid.UUID(data["id"])
    except Exception:
        raise _bad_cursor() from None


def _no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN, Infinity


def _str(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError("not a string")
    return value


def _matches_column(value: Any, col: Any) -> bool:
    """Whether a decoded cursor value has the type of the column it is compared with."""
    try:
        py = col.type.python_type
    except (NotImplementedError, AttributeError):
        return True
    if py is datetime:
        return isinstance(value, datetime)
    if py is date:
        return isinstance(value, date) and not isinstance(value, datetime)
    if py is bool:
        return False  # nothing sorts by a flag with a cursor
    if py is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if py in (float, Decimal):
        return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
    if py is str:
        return isinstance(value, str)
    return isinstance(value, py)


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
        if not _matches_column(value, col):
            raise _bad_cursor()
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


def like_escape(text: str) -> str:
    """``text`` for a LIKE pattern that matches it literally (``%``, ``_`` and ``\\`` escaped)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_clause(term: str | None, *cols: Any):
    """Case-insensitive substring search over several columns (None when no term).

    The term matches literally (``q=%`` finds a percent sign, not everything) and is at most
    :data:`MAX_SEARCH_CHARS` characters (a longer one is a 422 naming ``q``)."""
    if not term or not term.strip():
        return None
    if len(term) > MAX_SEARCH_CHARS:
        raise ValidationFailed("search term too long",
                               [FieldError("q", f"must be at most {MAX_SEARCH_CHARS} characters")])
    like = f"%{like_escape(term.strip().lower())}%"
    return or_(*[func.lower(c).like(like, escape="\\") for c in cols])


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
