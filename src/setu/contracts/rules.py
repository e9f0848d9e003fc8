"""Contracts rules: the contract's life, declared once (:mod:`setu.kit.workflow`).

    draft --sign--> signed --bring_into_force--> in_force --complete--> completed
      |               |                             |
      +---------------+------terminate--------------+---> terminated   (a reason is required)

Every step needs ``contracts.contract.approve`` (approvers), by a user of one of the contract's
two parties, never the one who drafted it (maker-checker). ``sign`` needs the signature date;
``complete`` needs every milestone and delivery reached.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from setu.contracts.policies import DECIDE
from setu.kit.errors import FieldError
from setu.kit.workflow import Rule, Transition, Workflow, not_author, requires

KINDS = {"supply": "Supply", "licensed_production": "Licensed production",
         "transfer_of_technology": "Transfer of technology", "maintenance": "Maintenance and service"}
STATES = ("draft", "signed", "in_force", "completed", "terminated")
STATE_LABELS = {"draft": "Draft", "signed": "Signed", "in_force": "In force", "completed": "Completed",
                "terminated": "Terminated"}


def _a_party(actor: Any, obj: Any, _t: Any) -> str | None:
    if actor.system or actor.party_id in (obj.operator_party_id, obj.origin_party_id):
        return None
    return f"{actor.name} is not of a party to this contract"


A_PARTY = Rule("of a party to the contract", _a_party)


def _sign_guard(obj: Any, kw: Mapping[str, Any]) -> FieldError | None:
    on = kw.get("signed_on")
    if not isinstance(on, date):
        return FieldError("signed_on", "give the signature date (YYYY-MM-DD)")
    if on > date.today():
        return FieldError("signed_on", "the signature date may not be in the future")
    return None


def _complete_guard(_obj: Any, kw: Mapping[str, Any]) -> str | None:
    open_ = kw.get("open_milestones") or 0
    return f"{open_} milestone(s) or deliveries are not reached yet" if open_ else None


_WHO = (A_PARTY, not_author("created_by"))

CONTRACT = Workflow(
    "contracts.contract", states=STATES, initial="draft", state_attr="status",
    record_by="decided_by", record_at="decided_at", noun="contract",
    transitions=[
        Transition("sign", "draft", "signed", DECIDE, who=_WHO, guard=_sign_guard,
                   assign={"signed_on": "signed_on"}, event="contracts.contract.signed", label="Sign"),
        Transition("bring_into_force", "signed", "in_force", DECIDE, who=_WHO, label="Bring into force"),
        Transition("complete", "in_force", "completed", DECIDE, who=_WHO, guard=_complete_guard,
                   label="Complete"),
        Transition("terminate", ("draft", "signed", "in_force"), "terminated", DECIDE, who=_WHO,
                   guard=requires("note", "say why the contract is terminated"), assign={"note": "note"},
                   event="contracts.contract.terminated", label="Terminate"),
    ])
