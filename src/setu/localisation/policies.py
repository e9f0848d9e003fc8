"""Localisation permissions: each step by the organisation kind entitled to it.

Qualification: the JV or licensed manufacturer records (the qualification, its first-article
characteristics, its lots, a reopening on a change). A licensed manufacturer is an organisation of
kind ``oem`` of the operator party (a local licensed builder), so ``oem`` holds the record
permission too; the service lets only an organisation registered as a venture of the
qualification's party record (``setu.localisation.service.require_venture``), so an origin OEM
holding the permission still cannot record. The quality / certification authority approves (the
drawing revision, the certification) and releases lots; the origin OEM may comment.

Transfer of technology: the licensee (a registered venture) registers the package it receives;
the quality authority registers ventures (its approved firms); the origin side (OEM, export
agency) delivers each deliverable; the operator side (the licensee, the quality authority)
accepts or rejects it with a reason. Programme offices read both parties (read-only kind). The party rules (origin delivers, operator
decides) are the deliverable workflow's ``party_of`` rules (rules.py).
"""
from __future__ import annotations

from setu.kit.access import declare

RECORD = "localisation.qualification.create"
APPROVE = "localisation.qualification.approve"
COMMENT = "localisation.comment.create"
RELEASE = "localisation.lot.approve"
PACKAGE_READ = "localisation.package.read"
PACKAGE_CREATE = "localisation.package.create"
DELIVER = "localisation.deliverable.update"
ACCEPT = "localisation.deliverable.approve"
VENTURE_READ = "localisation.venture.read"
VENTURE_CREATE = "localisation.venture.create"

declare("localisation.qualification.read", description="read qualifications of locally made parts")
declare(RECORD, roles=["clerk", "approver", "admin"], org_kinds=["joint_venture", "oem"],
        description="record a qualification, its first-article inspection, its lots and changes "
                    "(JV or licensed manufacturer registered as a venture)")
declare(APPROVE, roles=["approver", "admin"], org_kinds=["quality_authority"],
        description="approve a drawing revision or certify a first-article inspection (quality authority)")
declare(RELEASE, roles=["approver", "admin"], org_kinds=["quality_authority"],
        description="release a lot of a certified locally made part into serviceable stock")
declare(COMMENT, roles=["clerk", "approver", "admin"], org_kinds=["oem"],
        description="comment on a qualification (origin OEM)")
declare("localisation.plan.create", description="run the localisation planner")
declare(PACKAGE_READ, description="read transfer-of-technology packages of one's party")
declare(PACKAGE_CREATE, roles=["approver", "admin"], org_kinds=["joint_venture", "oem"],
        description="register a transfer-of-technology package one receives, and its deliverables "
                    "(the licensee: a JV or licensed manufacturer registered as a venture)")
declare(DELIVER, roles=["clerk", "approver", "admin"], org_kinds=["oem", "export_agency"],
        description="deliver a deliverable of a transfer-of-technology package (origin side)")
declare(ACCEPT, roles=["approver", "admin"], org_kinds=["joint_venture", "oem", "quality_authority"],
        description="accept or reject a delivered deliverable, with a reason (operator side)")
declare(VENTURE_READ, description="read joint ventures and licensed manufacturers")
declare(VENTURE_CREATE, roles=["approver", "admin"], org_kinds=["quality_authority"],
        description="register a joint venture or licensed manufacturer of one's party (an approved firm), "
                    "its partners, licences and capabilities (quality authority)")
