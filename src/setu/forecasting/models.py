"""Forecast runs and their results (one distribution per part and site).

The tables keep the names they were created with (``demand_forecast_run``,
``demand_forecast_result``): a table's name is its identity in the audit chain, whose entries name
the table of every object they record (docs/architecture.md, "table names").
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from setu.kit.db import Base, Entity

RUN_STATUSES = ("running", "done", "failed")


class ForecastRun(Entity, Base):
    """One forecast run over the database: its parameters, who started it, how it went."""

    __tablename__ = "demand_forecast_run"

    #: The party whose sites the run covered (None: the installation's own batch run over all).
    party_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("identity_party.id"), index=True)
    started_by: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(20))
    horizon: Mapped[int] = mapped_column(Integer)
    #: JSON of every parameter (alpha, lead time, filters, seed, holdout, quantiles).
    params: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="running")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    n_series: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    #: JSON summary of accuracy over the run (RMSSE, scaled bias, MASE; per method when auto).
    accuracy: Mapped[str | None] = mapped_column(Text)


class ForecastResult(Base):
    """The forecast of one part at one site in a run: a distribution, not only a point."""

    __tablename__ = "demand_forecast_result"
    __table_args__ = (UniqueConstraint("run_id", "part_id", "site_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("demand_forecast_run.id", ondelete="CASCADE"), index=True)
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_part.id"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fleet_site.id"), index=True)
    #: Method used; with ``auto`` the combined best methods joined by ``+`` (e.g. ``ses_opt+sba+tsb``),
    #: ``|rel`` when a reliability-based rate is blended in, ``reliability`` without history.
    method: Mapped[str] = mapped_column(String(64))
    demand_class: Mapped[str] = mapped_column(String(12))
    #: Mean demand per month (flat over the horizon for the Croston family).
    mean: Mapped[float] = mapped_column(Float)
    #: Variance-to-mean ratio of monthly demand (feeds the readiness engine).
    variance_to_mean: Mapped[float] = mapped_column(Float)
    lead_time_months: Mapped[float] = mapped_column(Float)
    lead_time_mean: Mapped[float] = mapped_column(Float)
    lead_time_var: Mapped[float] = mapped_column(Float)
    q50: Mapped[float] = mapped_column(Float)
    q90: Mapped[float] = mapped_column(Float)
    q99: Mapped[float] = mapped_column(Float)
    rmsse: Mapped[float | None] = mapped_column(Float)
    scaled_bias: Mapped[float | None] = mapped_column(Float)
    mase: Mapped[float | None] = mapped_column(Float)
