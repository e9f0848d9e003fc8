"""Pydantic I/O of spares orders (JSON API)."""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from setu.kit.timestamps import UtcDatetime

Action = Literal["quote", "decline", "place", "acknowledge", "reject", "amend", "cancel", "dispatch", "receive",
                 "invoice", "accept", "pay", "close"]
Status = Literal["rfq", "quoted", "declined", "ordered", "acknowledged", "rejected", "dispatched",
                 "partially_received", "received", "invoiced", "accepted", "paid", "closed", "cancelled"]
Currency = Literal["INR", "RUB", "USD", "EUR", "GBP"]


class LineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    part_id: uuid.UUID
    quantity: int = Field(ge=1, le=1_000_000)


class RfqCreate(BaseModel):
    """Ask a supplier (an OEM, an export agency or a JV) for a quotation for parts delivered to a
    site of your party."""

    model_config = ConfigDict(extra="forbid")

    supplier_org_id: uuid.UUID
    site_id: uuid.UUID
    currency: Currency
    rfq_valid_until: date = Field(description="The request is open until this day (inclusive)")
    title: str | None = Field(None, max_length=200)
    lines: list[LineCreate] = Field(min_length=1, max_length=200)
    contract_id: uuid.UUID | None = None


Quantity = int


class OrderTransition(BaseModel):
    """A step of the order workflow. Line maps are keyed by the line's id."""

    model_config = ConfigDict(extra="forbid")

    action: Action
    version: int | None = Field(None, ge=1, le=2**31 - 1, description="The order's version you read (stale: 409)")
    note: str | None = Field(None, max_length=4000, description="Required to decline, reject, amend or cancel")
    promised_days: int | None = Field(None, ge=1, le=3650, description="quote: the lead time promised (days)")
    quote_valid_until: date | None = Field(None, description="quote: the quotation holds until (default 30 days)")
    prices: dict[str, Decimal] | None = Field(None, description="quote: unit price per line, in the order's currency")
    quantities: dict[str, Quantity] | None = Field(None, description="amend: new quantity per line; dispatch: units "
                                                   "shipped per line (default: all outstanding)")
    accepted: dict[str, Quantity] | None = Field(None, description="receive: units accepted per line")
    rejected: dict[str, Quantity] | None = Field(None, description="receive: units rejected per line")
    reason: str | None = Field(None, max_length=500, description="receive: why units are rejected")
    invoice_number: str | None = Field(None, max_length=64)
    payment_reference: str | None = Field(None, max_length=64)


class LineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    line_no: int
    part_id: uuid.UUID
    quantity: int
    unit_price: Decimal | None
    dispatched: int
    accepted: int
    rejected: int
    rejection_reason: str | None


class OrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: str
    status: str
    title: str
    buyer_org_id: uuid.UUID
    supplier_org_id: uuid.UUID
    site_id: uuid.UUID
    currency: str
    rfq_valid_until: date
    quote_valid_until: date | None
    promised_days: int | None
    promised_date: date | None
    ordered_at: UtcDatetime | None
    received_at: UtcDatetime | None
    amendment: int
    invoice_number: str | None
    invoice_amount: Decimal | None
    payment_reference: str | None
    plan_id: uuid.UUID | None
    contract_id: uuid.UUID | None
    created_by: str
    created_at: UtcDatetime
    version: int
    overdue: bool = False


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: UtcDatetime
    action: str
    state: str
    actor: str
    note: str | None
    detail: str | None = Field(description="JSON: the quantities of a dispatch or receipt, prices of a quote")


class OrderDetail(OrderRead):
    lines: list[LineRead]
    total: Decimal | None = Field(description="Sum of quantity x unit price, in currency (null until quoted)")
    timeline: list[EventRead]
    actions: list[str] = Field(description="The transitions you may make now")


class LeadTimeRead(BaseModel):
    supplier: str
    part: str
    orders: int
    received: int
    promised_mean: float | None = Field(description="days")
    actual_mean: float | None = Field(description="days")
    on_time: int
    late: int
    overdue_open: int
    on_time_rate: float | None
