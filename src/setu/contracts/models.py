"""Contracts: the contract (parties, kind, value and currency, status), its milestones and
deliveries (planned and actual dates and values), and the equipment types it covers."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from setu.kit.db import Base, Entity


class Contract(Entity, Base):
    """One contract between the operator party and the origin party, with a supplier organisation,
    through draft -> signed -> in_force -> completed | terminated (setu.contracts.rules.CONTRACT)."""

    __tablename__ = "contracts_contract"

    number: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    #: supply | licensed_production | transfer_of_technology | maintenance
    kind: Mapped[str] = mapped_column(String(32), index=True)
    operator_party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"), index=True)
    origin_party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"), index=True)
    supplier_organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("identity_organisation.id"))
    value: Mapped[Decimal] = mapped_column(Numeric(20, 2))
    currency: Mapped[str] = mapped_column(String(3))
    #: the date the value is stated on (converted at the rate of this date until signed)
    value_date: Mapped[date] = mapped_column(Date)
    signed_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft", server_default="draft", index=True)
    #: ids of the localisation transfer-of-technology packages the contract delivers (optional)
    tot_packages: Mapped[list] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(200))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)


class Milestone(Base):
    """A payment milestone or a delivery of a contract: planned date and value, and once reached,
    the actual date and value (in the contract's currency)."""

    __tablename__ = "contracts_milestone"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts_contract.id", ondelete="CASCADE"),
                                                   index=True)
    #: "milestone" | "delivery"
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int | None] = mapped_column(Integer)
    planned_on: Mapped[date] = mapped_column(Date, index=True)
    planned_value: Mapped[Decimal] = mapped_column(Numeric(20, 2))
    actual_on: Mapped[date | None] = mapped_column(Date)
    actual_value: Mapped[Decimal | None] = mapped_column(Numeric(20, 2))
    recorded_by: Mapped[str | None] = mapped_column(String(200))


class ContractEquipment(Base):
    """An equipment type a contract covers."""

    __tablename__ = "contracts_equipment"

    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts_contract.id", ondelete="CASCADE"),
                                                   primary_key=True)
    equipment_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fleet_equipment_type.id"), primary_key=True)
