"""Readiness rules: the life of a saved stock plan, declared once (:mod:`setu.kit.workflow`).

A planner saves a plan as *proposed*; an approver of the plan's party other than its author
approves it (its buys may then become orders) or rejects it, saying why. Refusals: a plan that is
no longer proposed is 409 naming its state and the transition; the author, or anyone without
``readiness.plan.approve``, is 403 naming the transition and the permission; a rejection without a
reason is 422 on ``note``.
"""
from __future__ import annotations

from setu.kit.workflow import Transition, Workflow, not_author, requires

DECIDE = "readiness.plan.approve"

PLAN = Workflow(
    "readiness.plan", states=("proposed", "approved", "rejected"), initial="proposed",
    state_attr="status", record_by="decided_by", record_at="decided_at", noun="plan",
    transitions=[
        Transition("approve", "proposed", "approved", DECIDE, who=[not_author("created_by")],
                   assign={"note": "decision_note"}, event="readiness.plan.approved"),
        Transition("reject", "proposed", "rejected", DECIDE, who=[not_author("created_by")],
                   guard=requires("note", "say why the plan is rejected"), assign={"note": "decision_note"},
                   event="readiness.plan.rejected"),
    ])
