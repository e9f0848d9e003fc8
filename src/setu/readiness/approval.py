"""Deciding a saved readiness plan: an approver of the plan's party, never its author, approves or
rejects it (a proposed plan's buys become orders only once approved). Services never commit."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from setu.kit.access import require_not_own
from setu.kit.errors import Conflict, FieldError, ValidationFailed
from setu.kit.uow import UnitOfWork
from setu.readiness.models import ReadinessPlan
from setu.readiness.service import get_plan

APPROVE = "readiness.plan.approve"
DECISIONS = {"approve": "approved", "reject": "rejected"}


def decide_plan(uow: UnitOfWork, *, plan_id: Any, decision: str, note: str | None = None,
                version: int | None = None) -> ReadinessPlan:
    """Approve or reject a proposed plan. Refused: the author (403), a plan already decided or
    changed since it was read (409), a rejection without a reason (422)."""
    plan = get_plan(uow, plan_id=plan_id)  # another party's plan: 404
    require_not_own(uow.actor, plan.created_by, APPROVE)  # authorisation before validation
    if decision not in DECISIONS:
        raise ValidationFailed("decision", [FieldError("decision", "must be approve or reject")])
    note = (note or "").strip() or None
    if note is not None and len(note) > 2000:
        raise ValidationFailed("decision", [FieldError("note", "must be at most 2000 characters")])
    if decision == "reject" and not note:
        raise ValidationFailed("decision", [FieldError("note", "say why the plan is rejected")])
    if version is not None and version != plan.version:
        raise Conflict(f"the plan was changed by someone else (version {plan.version}, you read {version})",
                       [FieldError("version", "stale")])
    if plan.status != "proposed":
        raise Conflict(f"the plan was already {plan.status} by {plan.decided_by}", [FieldError("status", plan.status)])
    plan.status = DECISIONS[decision]
    plan.decided_by = uow.actor.name[:200]
    plan.decided_at = datetime.now(timezone.utc)
    plan.decision_note = note
    uow.session.flush()
    return plan
