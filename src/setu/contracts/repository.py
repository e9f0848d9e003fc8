"""Contracts queries, scoped to the parties an actor belongs to."""
from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from setu.contracts.models import Contract, ContractEquipment, Milestone
from setu.kit.access import Actor


def scoped(actor: Actor):
    """The contracts ``actor`` sees: those its party is a party to (programme offices and the
    installation's own actor see all)."""
    q = select(Contract)
    if not actor.sees_all_parties:
        q = q.where(or_(Contract.operator_party_id == actor.party_id, Contract.origin_party_id == actor.party_id))
    return q


def contracts(s: Session, actor: Actor, *, kind: str | None = None, status: str | None = None) -> list[Contract]:
    q = scoped(actor)
    if kind:
        q = q.where(Contract.kind == kind)
    if status:
        q = q.where(Contract.status == status)
    return list(s.scalars(q.order_by(Contract.signed_on.desc().nulls_last(), Contract.number)).all())


def milestones(s: Session, contract_ids: Iterable[uuid.UUID]) -> list[Milestone]:
    ids = list(contract_ids)
    out: list[Milestone] = []
    for k in range(0, len(ids), 500):
        out += s.scalars(select(Milestone).where(Milestone.contract_id.in_(ids[k:k + 500]))).all()
    out.sort(key=lambda m: (m.planned_on, m.name))
    return out


def equipment(s: Session, contract_id: uuid.UUID) -> list:
    from setu.catalog.models import EquipmentType

    return list(s.scalars(select(EquipmentType).join(ContractEquipment, ContractEquipment.equipment_type_id
                                                     == EquipmentType.id)
                          .where(ContractEquipment.contract_id == contract_id).order_by(EquipmentType.code)).all())


def by_number(s: Session, number: str) -> Contract | None:
    return s.scalars(select(Contract).where(Contract.number == number)).first()


def names(s: Session) -> tuple[dict, dict]:
    """Party codes and organisation (name, party id) by id."""
    from setu.identity.models import Organisation, Party

    parties = {p.id: p.code for p in s.scalars(select(Party)).all()}
    orgs = {o.id: (o.name, o.party_id) for o in s.scalars(select(Organisation)).all()}
    return parties, orgs
