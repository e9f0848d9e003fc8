"""Pydantic I/O for sites, equipment units, stock positions."""
from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from setu.catalog.schemas import record_code as _code
from setu.kit.inputs import MAX_INT, Count, Input
from setu.kit.timestamps import UtcDatetime

SiteKind = Literal["base", "depot", "plant", "port"]
UnitStatus = Literal["operational", "down_maintenance", "down_parts"]


class SiteCreate(Input):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(..., min_length=2, max_length=32)
    name: str = Field(..., min_length=1, max_length=200)
    kind: SiteKind
    organisation_id: uuid.UUID
    echelon: Literal[1, 2] = Field(..., description="1 = depot echelon, 2 = base echelon")
    parent_id: uuid.UUID | None = Field(None, description="the depot that resupplies this site")

    _c = field_validator("code")(classmethod(lambda cls, v: _code(v)))


class SiteUpdate(Input):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(None, min_length=1, max_length=200)
    kind: SiteKind = Field(None)
    echelon: Literal[1, 2] = Field(None)
    parent_id: uuid.UUID | None = None
    version: int | None = None


class SiteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    kind: str
    organisation_id: uuid.UUID
    echelon: int
    parent_id: uuid.UUID | None
    version: int


class EquipmentUnitCreate(Input):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    serial: str = Field(..., min_length=1, max_length=64)
    equipment_type_id: uuid.UUID
    site_id: uuid.UUID
    status: UnitStatus = "operational"


class EquipmentUnitUpdate(Input):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    site_id: uuid.UUID = Field(None)
    status: UnitStatus = Field(None)
    version: int | None = None


class EquipmentUnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    serial: str
    equipment_type_id: uuid.UUID
    site_id: uuid.UUID
    status: str
    version: int
    updated_at: UtcDatetime


class StockPositionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    part_id: uuid.UUID
    site_id: uuid.UUID
    serviceable: int
    unserviceable: int
    in_repair: int
    on_order: int
    version: int


class StockPositionSet(Input):
    """Set the counts of a stock position (creating it when absent)."""

    model_config = ConfigDict(extra="forbid")

    part_id: uuid.UUID
    site_id: uuid.UUID
    serviceable: Count = 0
    unserviceable: Count = 0
    in_repair: Count = 0
    on_order: Count = 0
    version: int | None = Field(None, description="the version of the position you read (or If-Match); required "
                                                  "when the position exists (428 without it, 409 when stale)")


class StockAdjust(Input):
    """Add (or with a negative number remove) quantities; the result may not go below zero."""

    model_config = ConfigDict(extra="forbid")

    serviceable: int = Field(0, ge=-MAX_INT, le=MAX_INT)
    unserviceable: int = Field(0, ge=-MAX_INT, le=MAX_INT)
    in_repair: int = Field(0, ge=-MAX_INT, le=MAX_INT)
    on_order: int = Field(0, ge=-MAX_INT, le=MAX_INT)
    reason: str = Field("adjustment", max_length=200)
