"""Timestamps as the API serves them: always timezone-aware UTC.

Columns are ``DateTime(timezone=True)``, but SQLite stores no offset and gives naive values back;
the OpenAPI ``date-time`` format (RFC 3339) requires one, so read schemas use ``UtcDatetime``.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from pydantic import AfterValidator


def as_utc(value: datetime) -> datetime:
    """A naive value is UTC (that is how it was written); an aware one is converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]
