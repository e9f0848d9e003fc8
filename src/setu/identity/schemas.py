"""Pydantic I/O for parties and organisations."""
from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from setu.kit.inputs import Input

OrganisationKind = Literal[
    "armed_service_hq", "depot", "base", "oem", "export_agency", "joint_venture", "quality_authority",
    "programme_office",
]


class PartyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    role: str
    currency: str


class OrganisationCreate(Input):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    party_id: uuid.UUID
    code: str = Field(..., min_length=2, max_length=32)
    name: str = Field(..., min_length=1, max_length=200)
    kind: OrganisationKind


class OrganisationUpdate(Input):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(None, min_length=1, max_length=200)
    kind: OrganisationKind = Field(None)
    version: int | None = None


class OrganisationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    party_id: uuid.UUID
    code: str
    name: str
    kind: str
    is_demo: bool
    version: int
