"""Pydantic I/O of readiness plans (JSON API)."""
from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from setu.kit.timestamps import UtcDatetime


class PlanCreate(BaseModel):
    """Compute and save a plan: a budget (in ``currency``), a target availability, or both."""

    model_config = ConfigDict(extra="forbid")

    equipment_type_id: uuid.UUID
    budget: Decimal | None = Field(None, ge=0, description="Most to spend on buys, >= 0")
    target: float | None = Field(None, gt=0, lt=1, description="Fleet availability to reach, in (0, 1)")
    model: Literal["metric", "vari-metric"] = "vari-metric"
    site_ids: list[uuid.UUID] | None = None
    currency: Literal["USD", "EUR", "GBP", "INR", "RUB"] = "USD"
    name: str | None = Field(None, max_length=200)
    demand_source: str | None = Field(None, max_length=60, pattern=r"^(history|reliability|forecast(:[0-9a-fA-F-]{36})?)$",
                                      description="history (default), forecast (newest run), forecast:<run id>, "
                                                  "or reliability")


class PlanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    party_id: uuid.UUID | None
    equipment_type_id: uuid.UUID
    name: str
    created_by: str
    model: str
    budget: Decimal | None
    target_availability: float | None
    currency: str
    demand_source: str
    availability_now: float
    availability_planned: float
    cost: Decimal
    computed_at: UtcDatetime
    status: Literal["proposed", "approved", "rejected"] = "proposed"
    decided_by: str | None = None
    decided_at: UtcDatetime | None = None
    decision_note: str | None = None
    version: int


class PlanDecision(BaseModel):
    """Approve or reject a proposed plan: by an approver of its party other than its author."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    note: str | None = Field(None, max_length=2000, description="Why; required to reject")
    version: int | None = Field(None, ge=1, le=2**31 - 1, description="The plan's version you read (stale: 409)")


class PlanLineRead(BaseModel):
    part_id: uuid.UUID
    part_number: str
    manufacturer_code: str
    part_name: str
    site_id: uuid.UUID
    site: str
    stock_now: int
    stock_planned: int
    change: int
    buy: int
    move_in: int
    move_out: int
    unit_cost: Decimal | None
    cost: Decimal
    currency: str
    ebo_now: float
    ebo_planned: float


class PlanDetail(PlanRead):
    lines: list[PlanLineRead]
    curve: list[dict]
    moves: list[dict]
    sites: list[dict]
    stop_reason: str | None = None
    target_met: bool | None = None


class SiteAvailability(BaseModel):
    site_id: uuid.UUID
    site_code: str
    site_name: str
    units: int
    availability: float


class WorstItem(BaseModel):
    part_id: uuid.UUID
    part_number: str
    name: str
    availability_loss: float
    log_availability_loss: float
    ebo: float
    stock: int
    worst_site: str | None
    unit_cost: float
    currency: str


class ReadinessToday(BaseModel):
    equipment_type_id: uuid.UUID
    equipment_type_code: str
    model: str
    demand_source: str
    demand_basis: str = Field(description="the demand source used: history, forecast:<run id> or reliability")
    demand_described: str
    default_demand_source: str
    other_source: dict[str, Any] | None = Field(None, description="the fleet's availability under the other source")
    warnings: list[str] = []
    fleet_availability: float
    total_base_ebo: float
    n_items: int
    sites: list[SiteAvailability]
    worst_items: list[WorstItem]
    notes: list[str]
