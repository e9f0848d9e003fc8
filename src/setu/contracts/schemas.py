"""API shapes of contracts and of the portfolio."""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from setu.finance.schemas import Currency, check_currency
from setu.kit.inputs import Input
from setu.kit.timestamps import UtcDatetime

Kind = Literal["supply", "licensed_production", "transfer_of_technology", "maintenance"]
Amount = Annotated[Decimal, Field(ge=0, max_digits=20, decimal_places=2)]
Text = Annotated[str, Field(min_length=1, max_length=300, pattern="^[^\\u0000]*$")]


class MilestoneIn(Input):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Literal["milestone", "delivery"]
    name: Text
    quantity: int | None = Field(None, ge=1)
    planned_on: date
    planned_value: Amount


class ContractCreate(Input):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    number: Annotated[str, Field(min_length=1, max_length=60, pattern="^[^\\u0000]*$")]
    title: Text
    kind: Kind
    operator_party_id: uuid.UUID
    origin_party_id: uuid.UUID
    supplier_organisation_id: uuid.UUID | None = None
    value: Amount
    currency: Currency
    value_date: date
    equipment_type_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    tot_packages: list[Annotated[str, Field(min_length=1, max_length=60, pattern="^[^\\u0000]*$")]] = Field(
        default_factory=list, max_length=50)
    milestones: list[MilestoneIn] = Field(default_factory=list, max_length=500)

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        return check_currency(v)


class MilestoneRecord(Input):
    model_config = ConfigDict(extra="forbid")

    actual_on: date
    actual_value: Amount


class ContractStep(Input):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    transition: Literal["sign", "bring_into_force", "complete", "terminate"]
    signed_on: date | None = None
    note: str | None = Field(None, max_length=2000, pattern="^[^\\u0000]*$")
    version: int | None = None


class MilestoneRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    name: str
    quantity: int | None
    planned_on: date
    planned_value: Decimal
    actual_on: date | None
    actual_value: Decimal | None


class ContractRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: str
    title: str
    kind: str
    operator_party_id: uuid.UUID
    origin_party_id: uuid.UUID
    supplier_organisation_id: uuid.UUID | None
    value: Decimal
    currency: str
    value_date: date
    signed_on: date | None
    status: str
    tot_packages: list[str]
    created_by: str
    decided_by: str | None
    created_at: UtcDatetime
    version: int


class ContractList(BaseModel):
    items: list[ContractRead]
    total: int


class Bucket(BaseModel):
    key: str
    label: str
    count: int
    total: Decimal


class RateLine(BaseModel):
    from_currency: str
    to_currency: str
    rate: Decimal
    rate_date: date | None
    on: date
    lines: int


class OverdueRead(BaseModel):
    contract_id: uuid.UUID
    contract_number: str
    kind: str
    name: str
    planned_on: date
    planned_value: Decimal
    currency: str
    days_overdue: int


class PortfolioRead(BaseModel):
    currency: str
    total: Decimal
    contracts: int
    delivered: Decimal
    delivered_share: Decimal
    as_of: date
    by_kind: list[Bucket]
    by_status: list[Bucket]
    by_party: list[Bucket]
    by_supplier: list[Bucket]
    overdue: list[OverdueRead]
    rates: list[RateLine]


def portfolio_out(p) -> PortfolioRead:
    """The API shape of a :class:`setu.contracts.service.Portfolio`."""
    return PortfolioRead.model_validate({
        **{k: getattr(p, k) for k in ("currency", "total", "contracts", "delivered", "delivered_share", "as_of",
                                      "overdue", "rates")},
        **{k: [b.__dict__ for b in getattr(p, k)] for k in ("by_kind", "by_status", "by_party", "by_supplier")}})
