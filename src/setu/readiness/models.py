"""Saved readiness plans: the inputs they used, the cost-versus-availability curve, the buys."""
from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, Float, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from setu.kit.db import Base, Entity


class ReadinessPlan(Entity, Base):
    __tablename__ = "readiness_plan"

    party_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("identity_party.id"), index=True)
    equipment_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fleet_equipment_type.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(16), default="vari-metric")
    budget: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    target_availability: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    #: Where the demand rates came from (forecast run id, or "reliability").
    demand_source: Mapped[str] = mapped_column(String(64))
    availability_now: Mapped[float] = mapped_column(Float)
    availability_planned: Mapped[float] = mapped_column(Float)
    cost: Mapped[Decimal] = mapped_column(Numeric(18, 2), default=Decimal("0"))
    #: The case (JSON, docs/readiness-case-format.md) and today's stock the plan was computed from.
    case_json: Mapped[str] = mapped_column(Text)
    stock_json: Mapped[str] = mapped_column(Text)
    #: The whole efficient curve (JSON list of points).
    curve_json: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: proposed -> approved | rejected, decided by an approver other than the author
    #: (setu.readiness.approval).
    status: Mapped[str] = mapped_column(String(16), default="proposed", server_default="proposed")
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text)


class ReadinessPlanLine(Base):
    """A recommended buy or move of one part at one site."""

    __tablename__ = "readiness_plan_line"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("readiness_plan.id", ondelete="CASCADE"), index=True)
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_part.id"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fleet_site.id"), index=True)
    stock_now: Mapped[int] = mapped_column(Integer)
    stock_planned: Mapped[int] = mapped_column(Integer)
    #: Units to buy (positive) or that could move elsewhere (negative).
    change: Mapped[int] = mapped_column(Integer)
    cost: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    ebo_now: Mapped[float] = mapped_column(Float)
    ebo_planned: Mapped[float] = mapped_column(Float)
