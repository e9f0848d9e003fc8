"""Localisation permissions: each qualification step by the organisation kind entitled to it.

The JV or licensed manufacturer records (drawing revision, first-article characteristics, lots,
reopening on a change); the quality / certification authority approves (the drawing revision,
the certification) and releases lots; the origin OEM may comment. Every party's users read their
party's qualifications (``own_party``)."""
from __future__ import annotations

from setu.kit.access import declare

RECORD = "localisation.qualification.create"
APPROVE = "localisation.qualification.approve"
COMMENT = "localisation.comment.create"
RELEASE = "localisation.lot.approve"

declare("localisation.qualification.read", description="read qualifications of locally made parts")
declare(RECORD, roles=["clerk", "approver", "admin"], org_kinds=["joint_venture"],
        description="record a qualification, its first-article inspection, its lots and changes (JV)")
declare(APPROVE, roles=["approver", "admin"], org_kinds=["quality_authority"],
        description="approve a drawing revision or certify a first-article inspection (quality authority)")
declare(RELEASE, roles=["approver", "admin"], org_kinds=["quality_authority"],
        description="release a lot of a certified locally made part into serviceable stock")
declare(COMMENT, roles=["clerk", "approver", "admin"], org_kinds=["oem"],
        description="comment on a qualification (origin OEM)")
declare("localisation.plan.create", description="run the localisation planner")
