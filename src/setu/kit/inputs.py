"""Base of the API's input models: refuses what no database column can store.

- NUL characters: PostgreSQL text cannot hold them (the driver fails), SQLite silently keeps
  them; either way they are never meant.
- Non-finite numbers: JSON as Python reads it accepts ``NaN`` and ``Infinity``; they pass ``ge=0``
  and would be stored, then served as ``null``.
- Counts beyond the 32-bit integer columns (PostgreSQL ``integer`` overflows).
"""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Largest value of an ``Integer`` column on PostgreSQL (and so on every back end).
MAX_INT = 2**31 - 1

Count = Annotated[int, Field(ge=0, le=MAX_INT)]


def refuse_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


#: How the API documents "no NUL characters" on a free-text string.
NO_NUL_PATTERN = "^[^\\u0000]*$"


def document_no_nul(schema: dict[str, Any]) -> None:
    """Add NO_NUL_PATTERN to every free-text string of a JSON schema (in place)."""
    if schema.get("type") == "string" and not ({"pattern", "format", "enum", "const"} & schema.keys()):
        schema["pattern"] = NO_NUL_PATTERN
    for value in schema.values():
        if isinstance(value, dict):
            document_no_nul(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    document_no_nul(item)


class Input(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False, json_schema_extra=document_no_nul)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return refuse_nul(value)
