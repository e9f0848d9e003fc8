"""Localisation rules: the qualification of a locally made part, and the release of its lots,
declared once (:mod:`setu.kit.workflow`).

    drawing --approve_drawing--> fai --submit_fai--> submitted --certify--> certified
                                  ^                     |
                                  +----return_fai-------+       (the authority sends it back, saying why)
    fai | submitted | certified --reopen--> drawing   (a change of source, material, process or
                                                       drawing revision; a new cycle)

The JV records (``submit_fai``, ``reopen``), the quality authority approves (``approve_drawing``,
``return_fai``, ``certify``); each is its permission's organisation kind (policies.py). Guards:
a first-article inspection needs characteristics; certification needs every characteristic of
the cycle to pass; a partial FAI is accepted only after a reopening of a part once certified (a
first qualification needs a full FAI, AS9102); a reopening names what changed.

A lot is ``held`` until the authority ``release``-s it, only while its qualification is certified.
The authority decides only its own party's qualifications (``party_of("party_id")``).

A deliverable of a transfer-of-technology package:

    due --deliver--> delivered --accept--> accepted
     rejected --deliver--^   delivered --reject--> rejected   (with a reason; the origin side delivers again)

The origin side delivers (``party_of("origin_party_id")``), the operator side decides
(``party_of("party_id")``).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from setu.kit.errors import FieldError
from setu.kit.workflow import Transition, Workflow, party_of, requires
from setu.localisation.policies import ACCEPT, APPROVE, DELIVER, RECORD, RELEASE

CHANGES = ("source", "material", "process", "drawing_revision")
STATES = ("drawing", "fai", "submitted", "certified")
OWN_PARTY = party_of("party_id", "of the qualification's party")
DELIVERABLE_KINDS = ("drawing", "specification", "process_sheet", "test_schedule", "tooling", "jig",
                     "test_equipment", "raw_material", "mandated_source")
PHASES = ("kit_assembly", "skd", "raw_material")
DELIVERABLE_STATES = ("due", "delivered", "accepted", "rejected")


def _fai_guard(obj: Any, kw: Mapping[str, Any]) -> FieldError | str | None:
    kind = kw.get("fai_kind")
    if kind not in ("full", "partial"):
        return FieldError("fai_kind", "say whether the first-article inspection is full or partial")
    if kind == "partial" and not obj.certified_once:
        return FieldError("fai_kind", "a first qualification needs a full first-article inspection "
                                      "(partial is for a reopening after a change)")
    if not kw.get("characteristics"):
        return FieldError("characteristics", "record at least one characteristic measured against the drawing")
    return None


def _certify_guard(_obj: Any, kw: Mapping[str, Any]) -> FieldError | str | None:
    failed = [c for c in kw.get("characteristics") or [] if c != "pass"]
    if not kw.get("characteristics"):
        return "there are no characteristics in this cycle to certify"
    if failed:
        return FieldError("characteristics", f"{len(failed)} characteristic(s) failed: return the inspection instead")
    return None


def _reopen_guard(_obj: Any, kw: Mapping[str, Any]) -> FieldError | str | None:
    if kw.get("change") not in CHANGES:
        return FieldError("change", f"say what changed: one of {', '.join(CHANGES)}")
    return requires("note", "describe the change")(_obj, kw)


def _reopen_effect(obj: Any, _actor: Any, kw: Mapping[str, Any]) -> None:
    obj.cycle = (obj.cycle or 1) + 1
    obj.fai_kind = None
    if kw.get("new_value"):
        setattr(obj, kw["change"], str(kw["new_value"])[:200])


def _certify_effect(obj: Any, _actor: Any, _kw: Mapping[str, Any]) -> None:
    obj.certified_once = 1


QUALIFICATION = Workflow(
    "localisation.qualification", states=STATES, initial="drawing", state_attr="status",
    record_by="decided_by", record_at="decided_at", noun="qualification",
    transitions=[
        Transition("approve_drawing", "drawing", "fai", APPROVE, who=[OWN_PARTY], assign={"note": "note"},
                   label="Approve drawing revision"),
        Transition("submit_fai", "fai", "submitted", RECORD, guard=_fai_guard, assign={"fai_kind": "fai_kind"},
                   label="Submit first-article inspection"),
        Transition("return_fai", "submitted", "fai", APPROVE, who=[OWN_PARTY], guard=requires("note", "say why the inspection is returned"),
                   assign={"note": "note"}, label="Return inspection"),
        Transition("certify", "submitted", "certified", APPROVE, who=[OWN_PARTY], guard=_certify_guard, assign={"note": "note"},
                   effect=_certify_effect, event="localisation.qualification.certified", label="Certify"),
        Transition("reopen", ("fai", "submitted", "certified"), "drawing", RECORD, guard=_reopen_guard,
                   assign={"note": "note"}, effect=_reopen_effect, event="localisation.qualification.reopened",
                   label="Reopen after a change"),
    ])

LOT = Workflow(
    "localisation.lot", states=("held", "released"), initial="held", state_attr="status",
    record_by="released_by", record_at="released_at", noun="lot",
    transitions=[
        Transition("release", "held", "released", RELEASE,
                   guard=lambda _o, kw: None if kw.get("qualification_status") == "certified"
                   else f"the part's qualification is {kw.get('qualification_status')}, not certified",
                   label="Release lot"),
    ])

DELIVERABLE = Workflow(
    "localisation.deliverable", states=DELIVERABLE_STATES, initial="due", state_attr="status",
    record_by="decided_by", record_at="decided_at", noun="deliverable",
    transitions=[
        Transition("deliver", ("due", "rejected"), "delivered", DELIVER,
                   who=[party_of("origin_party_id", "of the origin party, which delivers")],
                   assign={"revision": "revision"}, record_by="delivered_by", record_at="delivered_at",
                   label="Mark delivered"),
        Transition("accept", "delivered", "accepted", ACCEPT,
                   who=[party_of("party_id", "of the operator party, which receives")],
                   assign={"reason": "reason"}, event="localisation.deliverable.accepted", label="Accept"),
        Transition("reject", "delivered", "rejected", ACCEPT,
                   who=[party_of("party_id", "of the operator party, which receives")],
                   guard=requires("reason", "say why the deliverable is rejected"), assign={"reason": "reason"},
                   label="Reject"),
    ])
