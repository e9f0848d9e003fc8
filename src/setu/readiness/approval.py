"""Deciding a saved readiness plan on the declared workflow (:data:`setu.readiness.rules.PLAN`):
an approver of the plan's party, never its author, approves or rejects it (a proposed plan's buys
become orders only once approved). Services never commit."""
from __future__ import annotations

from typing import Any

from setu.kit.access import require_not_own
from setu.kit.errors import FieldError, ValidationFailed
from setu.kit.uow import UnitOfWork
from setu.readiness.models import ReadinessPlan
from setu.readiness.rules import DECIDE as APPROVE
from setu.readiness.rules import PLAN
from setu.readiness.service import get_plan

DECISIONS = {"approve": "approved", "reject": "rejected"}


def decide_plan(uow: UnitOfWork, *, plan_id: Any, decision: str, note: str | None = None,
                version: int | None = None) -> ReadinessPlan:
    """Approve or reject a proposed plan. Refused: another party's plan (404, as if missing), a plan
    already decided or changed since it was read (409), the author or a non-approver (403), a
    rejection without a reason or an unknown decision (422)."""
    plan = get_plan(uow, plan_id=plan_id)  # another party's plan: 404
    note = (note or "").strip() or None
    if decision not in DECISIONS or (note is not None and len(note) > 2000):
        require_not_own(uow.actor, plan.created_by, APPROVE)  # authorisation before validation
        if decision not in DECISIONS:
            raise ValidationFailed("decision", [FieldError("decision", "must be approve or reject")])
        raise ValidationFailed("decision", [FieldError("note", "must be at most 2000 characters")])
    PLAN.apply(uow, plan, decision, version=version, note=note)
    return plan
