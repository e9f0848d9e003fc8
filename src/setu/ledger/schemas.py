"""Ledger API shapes. Money is a decimal string with its ISO currency; quantities carry their unit."""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SupportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider: str = Field(min_length=3, max_length=3, description="the providing party's code")
    activity: str = Field(max_length=40)
    category: str = Field(max_length=40)
    description: str = Field(min_length=1, max_length=500)
    requested_on: date


class SupportStep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["accept", "decline", "claim", "confirm", "dispute", "withdraw", "invoice", "convert_to_cash",
                    "settle", "offset"]
    version: int | None = None
    reason: str | None = Field(None, max_length=2000)
    quantity: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=3)
    unit: str | None = Field(None, max_length=16)
    unit_price: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=4, description="own-force rate")
    amount: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=2)
    delivered_on: date | None = None
    method: Literal["cash", "kind", "exchange"] | None = None


class SupportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    reference: str
    status: str
    provider_party_id: uuid.UUID
    receiver_party_id: uuid.UUID
    activity: str
    category: str
    description: str
    quantity: Decimal | None
    unit: str | None
    amount: Decimal | None
    currency: str | None
    delivered_on: date | None
    invoiced_on: date | None
    settlement_method: str | None
    due_on: date | None
    settled_amount: Decimal
    version: int


class BalanceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    account: str
    kind: str
    commodity: str
    balance: Decimal


class VerifyRead(BaseModel):
    ok: bool
    problems: list[str]
