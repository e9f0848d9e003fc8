"""Readiness queries: saved plans and their lines, scoped to what the actor may see."""
from __future__ import annotations

import uuid

from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from setu.fleet.policies import MILITARY_KINDS
from setu.kit.access import Actor
from setu.readiness.models import ReadinessPlan, ReadinessPlanLine

PLAN_SORT = {"computed_at": ReadinessPlan.computed_at, "name": ReadinessPlan.name, "cost": ReadinessPlan.cost}


def plans(actor: Actor, equipment_type_id: uuid.UUID | None = None) -> Select:
    """Plans the actor may see: every plan for the system actor and programme offices; else the
    plans of its own party, and of those, for an industry or quality organisation (which sees only
    its own sites, never the armed services' stock) only the plans its own members saved: a plan
    carries the stock and buys of every base it was computed over."""
    stmt = select(ReadinessPlan)
    if actor.sees_all_parties:
        pass
    elif actor.party_id is None or actor.sysadmin:
        stmt = stmt.where(ReadinessPlan.id.is_(None))
    else:
        stmt = stmt.where(ReadinessPlan.party_id == actor.party_id)
        if actor.organisation_kind not in MILITARY_KINDS:
            from setu.identity.models import User

            stmt = stmt.where(ReadinessPlan.created_by.in_(
                select(User.username).where(User.organisation_id == actor.organisation_id)))
    if equipment_type_id is not None:
        stmt = stmt.where(ReadinessPlan.equipment_type_id == equipment_type_id)
    return stmt


def plan(session: Session, actor: Actor, plan_id: uuid.UUID) -> ReadinessPlan | None:
    return session.scalar(plans(actor).where(ReadinessPlan.id == plan_id))


def add_plan_lines(session: Session, rows: list[dict]) -> None:
    if rows:
        session.execute(insert(ReadinessPlanLine), rows)


def plan_line_rows(session: Session, plan_id: uuid.UUID) -> list[ReadinessPlanLine]:
    return list(session.scalars(select(ReadinessPlanLine).where(ReadinessPlanLine.plan_id == plan_id)))


def audit_head_seq(s) -> int:
    """The audit chain's head sequence number (0 before the first entry): the change marker of
    the kept readiness evaluations."""
    from sqlalchemy import select

    from setu.kit.audit import AuditHead

    return int(s.execute(select(AuditHead.last_seq).where(AuditHead.id == 1)).scalar() or 0)
