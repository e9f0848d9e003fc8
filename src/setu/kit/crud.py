"""Small helpers the repositories and services share: fetch-or-404, versioned updates, flush."""
from __future__ import annotations

import uuid
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from setu.kit.errors import Conflict, FieldError, NotFound, ValidationFailed

M = TypeVar("M")


def get_or_404(session: Session, model: type[M], id_: uuid.UUID | str, what: str, *, for_update: bool = False) -> M:
    try:
        key = id_ if isinstance(id_, uuid.UUID) else uuid.UUID(str(id_))
    except ValueError:
        raise NotFound(f"{what} {id_} not found") from None
    obj = session.get(model, key, with_for_update=for_update or None)
    if obj is None:
        raise NotFound(f"{what} {id_} not found")
    return obj


def check_version(obj: Any, sent: int | None, what: str) -> None:
    """Refuse an update of ``obj`` that names no version (428) or a stale one (409)."""
    from setu.kit.concurrency import expected_version

    expected = expected_version(sent, what)
    if expected != obj.version:
        raise Conflict(
            f"{what} was changed by someone else (version {obj.version}, you read {expected})",
            [FieldError("version", "is stale; reload and try again")],
        )


def apply_update(obj: Any, data: BaseModel, what: str) -> Any:
    """Copy the fields the caller set onto ``obj``. The caller must say which version it read
    (``version`` in the data, or an ``If-Match`` header): missing is 428, stale is 409, so that two
    writers who read the same version cannot both win (no lost update)."""
    values = data.model_dump(exclude_unset=True)
    check_version(obj, values.pop("version", None), what)
    from sqlalchemy import inspect

    columns = inspect(type(obj)).columns
    nulls = [k for k, v in values.items() if v is None and k in columns and not columns[k].nullable]
    if nulls:
        raise ValidationFailed(f"{what}: {', '.join(nulls)} may not be emptied",
                               [FieldError(k, "may not be null; leave it out to keep the value") for k in nulls])
    for k, v in values.items():
        setattr(obj, k, v)
    return obj


def flush(session: Session, what: str, unique_fields: dict[str, str] | None = None) -> None:
    """Flush and turn constraint violations into a clear 409 naming the field."""
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise Conflict(f"{what} was changed by someone else; reload and try again") from None
    except IntegrityError as exc:
        session.rollback()
        msg = str(exc.orig).lower()
        for needle, field in (unique_fields or {}).items():
            if needle.lower() in msg:
                raise Conflict(f"{what}: {field} already exists", [FieldError(field, "already exists")]) from None
        raise Conflict(f"{what} conflicts with existing data: {exc.orig}") from None
