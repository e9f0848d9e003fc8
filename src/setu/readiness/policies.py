"""Readiness permissions: evaluating cases, planning and deciding stock plans. A plan belongs to
its author's party; an approver of that party other than its author decides it (``not_own_request``)."""
from __future__ import annotations

from setu.kit.access import declare

declare("readiness.case.read", description="evaluate or optimise a readiness case file")
declare("readiness.plan.read")
declare("readiness.plan.create")
declare("readiness.plan.approve", object_rule="not_own_request")
