"""Input and output models of the exchange rates."""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator, model_validator

from setu.kit.inputs import Input
from setu.kit.money import CURRENCIES
from setu.kit.timestamps import UtcDatetime

#: A rate as the API documents it: a positive number or decimal string, at most 10 digits before the point and 8 after.
RateValue = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=8), WithJsonSchema({
    "anyOf": [{"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1e10},
              {"type": "string", "pattern": r"^(\d{1,10}(\.\d{0,8})?|\.\d{1,8})$"}],
    "description": "units of to_currency per unit of from_currency; at most 10 digits before the point and 8 after",
})]
Currency = Annotated[str, Field(description="ISO 4217 code", json_schema_extra={"enum": sorted(CURRENCIES)})]


def check_currency(v: str) -> str:
    v = v.strip().upper()
    if v not in CURRENCIES:
        raise ValueError(f"{v!r} is not a supported currency; use one of {', '.join(sorted(CURRENCIES))}")
    return v


class RateCreate(Input):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    from_currency: Currency
    to_currency: Currency
    rate: RateValue
    valid_from: date
    source: str = Field("", max_length=200, pattern="^[^\\u0000]*$")

    @field_validator("from_currency", "to_currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        return check_currency(v)

    @field_validator("rate")
    @classmethod
    def _positive(cls, v: Decimal) -> Decimal:
        if not v.is_finite() or v <= 0:
            raise ValueError("must be a positive finite number")
        return v

    @model_validator(mode="after")
    def _pair(self) -> "RateCreate":
        if self.from_currency == self.to_currency:
            raise ValueError("from_currency and to_currency must differ")
        return self


class RateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    from_currency: str
    to_currency: str
    rate: Decimal
    valid_from: date
    source: str
    entered_by: str
    created_at: UtcDatetime
    version: int


class Conversion(BaseModel):
    """An amount converted, with the rate and the date of the rate used."""

    amount: Decimal
    currency: str
    converted: Decimal
    to_currency: str
    rate: Decimal
    rate_date: date | None
    on: date
