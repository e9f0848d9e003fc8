"""Pydantic I/O for the catalog: XCreate / XUpdate / XRead / XFilter."""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator, model_validator

from setu.catalog import rules
from setu.catalog.models import INTERCHANGE_CODES, PART_KINDS, UNITS_OF_ISSUE
from setu.kit.inputs import Input
from setu.kit.money import CURRENCIES
from setu.kit.timestamps import UtcDatetime

PartKind = Literal["repairable", "consumable"]
Category = Literal[
    "air_defence_long_range", "frigate", "fighter_aircraft", "main_battle_tank", "air_defence_portable", "helicopter"
]
InterchangeCode = Literal["one_way", "two_way", "not_interchangeable", "as_set", "qualified", "re_identified"]
#: A price as the API documents it: a number or a decimal string, at most 16 digits before the point and 2 after.
Price = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2), WithJsonSchema({
    "anyOf": [{"type": "number", "minimum": 0, "exclusiveMaximum": 1e16},
              {"type": "string", "pattern": r"^(\d{1,16}(\.\d{0,2})?|\.\d{1,2})$"}],
    "description": "at most 16 digits before the decimal point and 2 after",
})]
assert set(PART_KINDS) == {"repairable", "consumable"} and len(INTERCHANGE_CODES) == 6


class _PartFields(Input):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    nsn: str | None = Field(None, description="NATO stock number NNNN-NN-NNN-NNNN; empty when none")
    origin_designation: str | None = Field(None, max_length=64)
    name: str = Field(..., min_length=1, max_length=200)
    unit_of_issue: str = "EA"
    unit_price: Price = Decimal("0")
    currency: str = "USD"
    kind: PartKind = "consumable"
    condemnation_rate: float = Field(1.0, ge=0, le=1)
    repair_turnaround_days: int | None = Field(None, ge=0, le=3650)
    procurement_lead_time_days: int = Field(90, ge=0, le=3650)
    shelf_life_months: int | None = Field(None, ge=0, le=1200)
    mtbf_hours: float | None = Field(None, gt=0)

    @field_validator("nsn")
    @classmethod
    def _nsn(cls, v: str | None) -> str | None:
        return rules.validate_nsn(v)

    @field_validator("unit_of_issue")
    @classmethod
    def _uoi(cls, v: str) -> str:
        v = v.upper()
        if v not in UNITS_OF_ISSUE:
            raise ValueError(f"{v!r} is not a unit of issue; use one of {', '.join(UNITS_OF_ISSUE)}")
        return v

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        v = v.upper()
        if v not in CURRENCIES:
            raise ValueError(f"{v!r} is not a supported currency; use one of {', '.join(sorted(CURRENCIES))}")
        return v

    @model_validator(mode="after")
    def _repairable(self) -> "_PartFields":
        if self.kind == "consumable" and self.condemnation_rate != 1.0:
            raise ValueError("condemnation_rate: a consumable part is always condemned (1.0)")
        return self


class PartCreate(_PartFields):
    manufacturer_code: str = Field(..., description="CAGE/NCAGE, or the origin manufacturer's code")
    part_number: str = Field(..., description="manufacturer part number; normalised on entry")

    @field_validator("manufacturer_code")
    @classmethod
    def _mfr(cls, v: str) -> str:
        return rules.normalise_manufacturer_code(v)

    @field_validator("part_number")
    @classmethod
    def _pn(cls, v: str) -> str:
        return rules.normalise_part_number(v)


class PartUpdate(Input):
    """Fields a part may change; identity (manufacturer code + part number) is fixed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    nsn: str | None = None
    origin_designation: str | None = Field(None, max_length=64)
    name: str = Field(None, min_length=1, max_length=200)
    unit_of_issue: str = Field(None)
    unit_price: Price = Field(None)
    currency: str = Field(None)
    kind: PartKind = Field(None)
    condemnation_rate: float = Field(None, ge=0, le=1)
    repair_turnaround_days: int | None = Field(None, ge=0, le=3650)
    procurement_lead_time_days: int = Field(None, ge=0, le=3650)
    shelf_life_months: int | None = Field(None, ge=0, le=1200)
    mtbf_hours: float | None = Field(None, gt=0)
    version: int | None = Field(None, description="row version read; a stale version is refused (409)")

    @field_validator("nsn")
    @classmethod
    def _nsn(cls, v: str | None) -> str | None:
        return rules.validate_nsn(v)

    @field_validator("unit_of_issue")
    @classmethod
    def _uoi(cls, v: str | None) -> str | None:
        return None if v is None else _PartFields._uoi(v)

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str | None) -> str | None:
        return None if v is None else _PartFields._currency(v)


class PartRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    manufacturer_code: str
    part_number: str
    nsn: str | None
    origin_designation: str | None
    name: str
    unit_of_issue: str
    unit_price: Decimal
    currency: str
    kind: str
    condemnation_rate: float
    repair_turnaround_days: int | None
    procurement_lead_time_days: int
    shelf_life_months: int | None
    mtbf_hours: float | None
    owner_party_id: uuid.UUID | None
    version: int
    created_at: UtcDatetime
    updated_at: UtcDatetime


class PartFilter(BaseModel):
    q: str | None = Field(None, description="search in part number, name, NSN, origin designation")
    kind: PartKind | None = None
    manufacturer_code: str | None = None
    has_nsn: bool | None = None


class BomLineCreate(Input):
    model_config = ConfigDict(extra="forbid")

    equipment_type_id: uuid.UUID
    parent_part_id: uuid.UUID | None = None
    child_part_id: uuid.UUID
    quantity_per_assembly: float = Field(1.0, gt=0, le=10000)
    failure_share: float | None = Field(None, ge=0, le=1)


class BomLineUpdate(Input):
    """What a bill-of-material line may change; its place in the tree (type, parent, child) is fixed."""

    model_config = ConfigDict(extra="forbid")

    quantity_per_assembly: float | None = Field(None, gt=0, le=10000)
    failure_share: float | None = Field(None, ge=0, le=1)
    version: int | None = None


class BomLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    equipment_type_id: uuid.UUID
    parent_part_id: uuid.UUID | None
    child_part_id: uuid.UUID
    quantity_per_assembly: float
    failure_share: float | None
    level: int
    version: int


class InterchangeCreate(Input):
    model_config = ConfigDict(extra="forbid")

    replaced_part_id: uuid.UUID
    replacing_part_id: uuid.UUID
    code: InterchangeCode
    set_code: str | None = Field(None, max_length=32)
    effective_date: date | None = None
    remarks: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _check(self) -> "InterchangeCreate":
        if self.replaced_part_id == self.replacing_part_id:
            raise ValueError("replacing_part_id: a part cannot replace itself")
        if self.code == "as_set" and not self.set_code:
            raise ValueError("set_code: required when code is as_set")
        return self


class InterchangeUpdate(Input):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: InterchangeCode | None = None
    set_code: str | None = Field(None, max_length=32)
    effective_date: date | None = None
    remarks: str | None = Field(None, max_length=500)
    version: int | None = None


class InterchangeRead(InterchangeCreate):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    version: int


# -- equipment types -----------------------------------------------------------------------------


def record_code(v: str) -> str:
    """A record code (equipment type, site): upper case letters, digits, '-' or '_'."""
    v = v.strip().upper()
    if not v or not all(c.isalnum() or c in "-_" for c in v):
        raise ValueError("use letters, digits, '-' or '_'")
    return v


class EquipmentTypeCreate(Input):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(..., min_length=2, max_length=32)
    name: str = Field(..., min_length=1, max_length=200)
    category: Category
    origin_party_id: uuid.UUID
    oem_organisation_id: uuid.UUID | None = None
    operating_hours_per_year: float = Field(0.0, ge=0, le=8784)

    _c = field_validator("code")(classmethod(lambda cls, v: record_code(v)))


class EquipmentTypeUpdate(Input):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(None, min_length=1, max_length=200)
    category: Category = Field(None)
    oem_organisation_id: uuid.UUID | None = None
    operating_hours_per_year: float = Field(None, ge=0, le=8784)
    version: int | None = None


class EquipmentTypeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    category: str
    origin_party_id: uuid.UUID
    oem_organisation_id: uuid.UUID | None
    operating_hours_per_year: float
    version: int
