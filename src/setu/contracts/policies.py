"""Contracts permissions. Every role of a party reads the contracts its party is a party to
(``contract_party``: the operator or the origin party); clerks draft contracts and record
milestones and deliveries; approvers sign, bring into force, complete and terminate, only for a
contract of their own party and never one they drafted themselves. Programme offices read."""
from __future__ import annotations

from setu.kit.access import declare

READ = "contracts.contract.read"
CREATE = "contracts.contract.create"
DECIDE = "contracts.contract.approve"
RECORD = "contracts.milestone.update"

declare(READ, description="read the contracts of one's party and the portfolio", object_rule="party_to")
declare(CREATE, roles=["clerk", "approver", "admin"], description="draft a contract with its milestones")
declare(DECIDE, roles=["approver", "admin"], object_rule="not_own_request",
        description="sign a contract, bring it into force, complete or terminate it (a party to it, not its author)")
declare(RECORD, roles=["clerk", "approver", "admin"], object_rule="party_to",
        description="record the actual date and value of a milestone or delivery")
