"""Pydantic I/O of after-sales tickets (JSON API)."""
from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from setu.kit.timestamps import UtcDatetime

TicketType = Literal["spares", "repair_exchange", "technical_query", "warranty_claim", "field_team_visit",
                     "documentation_request"]
Priority = Literal["critical", "urgent", "routine"]
Action = Literal["acknowledge", "quote", "approve", "start_work", "hold", "resume", "resolve", "reopen",
                 "close_complete", "close_incomplete", "cancel"]
HoldReason = Literal["awaiting_customer_information", "awaiting_customer_access", "awaiting_export_licence",
                     "awaiting_payment", "awaiting_parts"]


class TicketCreate(BaseModel):
    """Raise a ticket against an equipment unit you may see, addressed to an OEM, JV or export agency.
    Without ``priority`` it is derived from the unit's status (a down unit: urgent, or critical for
    an essentiality-1 part)."""

    model_config = ConfigDict(extra="forbid")

    equipment_unit_id: uuid.UUID
    supplier_org_id: uuid.UUID
    type: TicketType
    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=10000)
    priority: Priority | None = None
    essentiality: int | None = Field(None, ge=1, le=9, description="Essentiality code of the part (1 = no-go)")


class TicketTransition(BaseModel):
    """A step of the ticket workflow: the addressed supplier acknowledges, quotes, starts work, holds
    (with a reason), resumes and resolves; the raiser approves, reopens, closes or cancels."""

    model_config = ConfigDict(extra="forbid")

    action: Action
    note: str | None = Field(None, max_length=4000, description="Required to quote, resolve, reopen, "
                             "close incomplete or cancel")
    reason: HoldReason | None = Field(None, description="Required to hold")
    version: int | None = Field(None, ge=1, le=2**31 - 1, description="The ticket's version you read (stale: 409)")


class ClockRead(BaseModel):
    commitment: str
    policy: str | None
    stage: str
    elapsed_hours: float
    target_hours: float | None
    percent: float | None
    levels: list[int]
    breached: bool
    due_at: UtcDatetime | None
    next_escalation_at: UtcDatetime | None


class TicketRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    equipment_unit_id: uuid.UUID | None = Field(description="The unit, when you may see its site (else null)")
    unit_serial: str
    supplier_org_id: uuid.UUID
    raised_by_org_id: uuid.UUID
    party_id: uuid.UUID
    type: str
    priority: str
    status: str
    hold_reason: str | None
    title: str
    description: str | None
    created_by: str
    created_at: UtcDatetime
    acknowledged_by: str | None
    acknowledged_at: UtcDatetime | None
    last_answer: str | None
    resolution: str | None
    resolved_by: str | None
    resolved_at: UtcDatetime | None
    version: int


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: UtcDatetime
    kind: str
    state: str | None
    priority: str | None
    reason: str | None
    actor: str
    note: str | None


class TicketDetail(TicketRead):
    sla: dict[str, ClockRead] = Field(description="Each commitment's clock now (hours of the policy's calendar)")
    history: list[EventRead]
    actions: list[str] = Field(description="The transitions you may make now")
