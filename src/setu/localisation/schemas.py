"""API shapes of localisation, and the planner's scenario file.

The planner's scenario file (docs/localisation.md, "Scenario file"): parse, validate, convert.

A scenario is JSON with ``currency``, ``years``, ``budget`` (one amount for every year, or a list
with one per year), ``disruption`` (``kind`` "stop" or "slow", ``start_month``, ``months``,
``factor``), ``jvs`` and ``candidates``. Amounts are decimal strings; a candidate's ``cost`` may be
in its own ``currency`` and is converted into the scenario's currency here with
:func:`setu.kit.money.convert` (the reference planning rates). Every error names the entry and the
field; nothing is planned from a bad file.
"""
from __future__ import annotations

import random
import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from setu.engine.localisation import JV, Candidate, Disruption, Problem
from setu.kit.inputs import Input
from setu.kit.money import convert


class ScenarioError(ValueError):
    pass


def _dec(v: Any, where: str) -> Decimal:
    try:
        d = Decimal(str(v))
    except (InvalidOperation, ValueError):
        raise ScenarioError(f"{where}: {v!r} is not a decimal amount") from None
    if not d.is_finite() or d < 0:
        raise ScenarioError(f"{where}: must be a non-negative amount, got {v!r}")
    return d


def _num(d: dict, key: str, where: str, *, kind=float, default=None, minimum=0):
    if key not in d:
        if default is None:
            raise ScenarioError(f"{where}: {key} is required")
        return default
    try:
        v = kind(d[key])
    except (TypeError, ValueError):
        raise ScenarioError(f"{where}: {key} must be a number, got {d[key]!r}") from None
    if v < minimum:
        raise ScenarioError(f"{where}: {key} must be at least {minimum}, got {v}")
    return v


def parse_scenario(data: Any, *, budget: Any = None, years: int | None = None) -> Problem:
    if not isinstance(data, dict):
        raise ScenarioError("scenario: must be a JSON object")
    cur = str(data.get("currency", "INR")).upper()
    n_years = years if years is not None else _num(data, "years", "scenario", kind=int, default=5, minimum=1)
    if n_years < 1:
        raise ScenarioError("years must be at least 1")
    if budget is not None:
        b = [_dec(budget, "--budget")] * n_years
    else:
        raw = data.get("budget")
        if raw is None:
            raise ScenarioError("scenario: budget is required (or give --budget)")
        b = [_dec(x, f"budget[{k}]") for k, x in enumerate(raw)] if isinstance(raw, list) else [_dec(raw, "budget")] * n_years
        if len(b) != n_years:
            raise ScenarioError(f"budget: a list must give one amount per year ({n_years}), got {len(b)}")
    dd = data.get("disruption") or {}
    try:
        dis = Disruption(str(dd.get("kind", "stop")), _num(dd, "start_month", "disruption", kind=int, default=0),
                         _num(dd, "months", "disruption", kind=int, default=12),
                         _num(dd, "factor", "disruption", default=3.0, minimum=1))
    except ValueError as exc:
        raise ScenarioError(f"disruption: {exc}") from None
    jvs = []
    for k, j in enumerate(data.get("jvs") or []):
        w = f"jvs[{k}]"
        if not isinstance(j, dict) or not j.get("name"):
            raise ScenarioError(f"{w}: name is required")
        jvs.append(JV(str(j["name"]), frozenset(map(str, j.get("processes") or [])),
                      _num(j, "capacity_per_year", w), _num(j, "setup_months", w, kind=int, default=0),
                      _dec(j.get("cost_factor", "1"), f"{w}.cost_factor")))
    if not jvs:
        raise ScenarioError("jvs: at least one joint venture or licensed manufacturer is required")
    cands, seen = [], set()
    for k, c in enumerate(data.get("candidates") or []):
        w = f"candidates[{k}]"
        if not isinstance(c, dict) or not c.get("part"):
            raise ScenarioError(f"{w}: part is required")
        if c["part"] in seen:
            raise ScenarioError(f"{w}: part {c['part']} is listed twice")
        seen.add(c["part"])
        w = f"candidate {c['part']}"
        ccur = str(c.get("currency", cur)).upper()
        try:
            cost = convert(_dec(c.get("cost"), f"{w}.cost"), ccur, cur)           # conversion: candidate cost
            ip = convert(_dec(c.get("import_unit_price", 0), f"{w}.import_unit_price"), ccur, cur)
            lp = convert(_dec(c.get("local_unit_price", 0), f"{w}.local_unit_price"), ccur, cur)
        except KeyError as exc:
            raise ScenarioError(f"{w}: no exchange rate for {exc}") from None
        cands.append(Candidate(
            str(c["part"]), _num(c, "fleet_units", w, kind=int, minimum=1), _num(c, "qpa", w, kind=int, default=1, minimum=1),
            _num(c, "demand_per_year", w), _num(c, "stock", w, kind=int, default=0),
            _num(c, "import_lead_months", w), _num(c, "local_lead_months", w),
            _num(c, "qualification_months", w, kind=int), cost.quantize(Decimal("0.01")),
            frozenset(map(str, c.get("processes") or [])), ip, lp))
    if not cands:
        raise ScenarioError("candidates: at least one candidate part is required")
    return Problem(cands, jvs, n_years, b, currency=cur, disruption=dis)


def demo_scenario() -> dict:
    """The demo's disruption scenario: imports from the origin country stop for 12 months from
    month 3; candidates from the portable air-defence licensed production and the frigate
    programme; two JVs and one licensed manufacturer (deterministic, seeded)."""
    r = random.Random(1212)
    jvs = [
        {"name": "Indo-Russian Missile Systems JV", "processes": ["machining", "electronics", "composites", "optics"],
         "capacity_per_year": 600, "setup_months": 3, "cost_factor": "1.00"},
        {"name": "Coastal Marine Drives JV", "processes": ["machining", "casting", "forging", "heat treatment", "rubber"],
         "capacity_per_year": 900, "setup_months": 4, "cost_factor": "0.95"},
        {"name": "Bharat Precision Works (licensed)", "processes": ["machining", "rubber", "electronics"],
         "capacity_per_year": 400, "setup_months": 0, "cost_factor": "0.85"},
    ]
    manpads = [("launch tube assembly", ["composites"]), ("gripstock electronics", ["electronics"]),
               ("thermal battery", ["electronics"]), ("seeker dome", ["optics"]), ("IFF interrogator board", ["electronics"]),
               ("rocket motor casing", ["machining", "heat treatment"]), ("sight reticle", ["optics"])]
    frigate = [("gas turbine blade set", ["casting", "heat treatment"]), ("shaft seal kit", ["rubber"]),
               ("gearbox bearing", ["machining", "heat treatment"]), ("fire-control servo card", ["electronics"]),
               ("sea-water pump impeller", ["casting", "machining"]), ("radar waveguide section", ["machining"]),
               ("propeller shaft coupling", ["forging", "machining"]), ("hydraulic hose set", ["rubber"])]
    cands = []
    for name, procs in manpads:
        rate = round(r.uniform(20, 120), 1)
        lead = round(r.uniform(4, 9), 1)
        cands.append({"part": f"MANPADS {name}", "fleet_units": 600, "qpa": 1, "demand_per_year": rate,
                      "stock": int(rate * lead / 12 + 1.5 * (rate * lead / 12) ** 0.5), "import_lead_months": lead,
                      "local_lead_months": 2, "qualification_months": r.randint(6, 18),
                      "cost": str(r.randint(30, 160) * 1_000_000), "currency": "RUB", "processes": procs,
                      "import_unit_price": str(r.randint(40, 400) * 1000), "local_unit_price": str(r.randint(20, 300) * 1000)})
    for name, procs in frigate:
        rate = round(r.uniform(2, 30), 1)
        lead = round(r.uniform(5, 12), 1)
        cands.append({"part": f"Frigate {name}", "fleet_units": 6, "qpa": r.randint(1, 4), "demand_per_year": rate,
                      "stock": int(rate * lead / 12 + 1.5 * (rate * lead / 12) ** 0.5), "import_lead_months": lead,
                      "local_lead_months": 3, "qualification_months": r.randint(8, 24),
                      "cost": str(r.randint(20, 250) * 1_000_000), "currency": "INR", "processes": procs,
                      "import_unit_price": str(r.randint(200, 4000) * 1000), "local_unit_price": str(r.randint(100, 3000) * 1000)})
    return {"currency": "INR", "years": 5, "budget": "400000000",
            "disruption": {"kind": "stop", "start_month": 3, "months": 12}, "jvs": jvs, "candidates": cands}



class QualificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    part_id: uuid.UUID
    maker_organisation_id: uuid.UUID
    drawing_revision: str
    source: str
    material: str
    process: str
    status: str
    fai_kind: str | None
    cycle: int
    created_by: str
    decided_by: str | None
    decided_at: datetime | None
    note: str | None
    version: int


class CharacteristicIn(Input):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    requirement: str = Field("", max_length=200)
    measured: str = Field("", max_length=200)
    result: Literal["pass", "fail"]


class FaiIn(Input):
    model_config = ConfigDict(extra="forbid")
    fai_kind: Literal["full", "partial"]
    characteristics: list[CharacteristicIn] = Field(default_factory=list, max_length=500,
                                                    description="at least one (refused by the workflow when empty)")
    version: int | None = None


class DecisionIn(Input):
    model_config = ConfigDict(extra="forbid")
    transition: Literal["approve_drawing", "return_fai", "certify"]
    note: str | None = Field(None, max_length=2000)
    version: int | None = None


class PlanIn(Input):
    """A planner run: the scenario (docs/localisation.md; omitted: the demo scenario), and
    optionally a yearly budget and years that override the scenario's."""
    model_config = ConfigDict(extra="forbid")
    scenario: dict[str, Any] | None = None
    budget: str | None = Field(None, max_length=40, description="yearly budget, decimal, in the scenario's currency")
    years: int | None = Field(None, ge=1, le=20)


class QualificationIn(Input):
    """The JV or licensed manufacturer records a part it makes, with the drawing revision it is made to."""
    model_config = ConfigDict(extra="forbid")
    part_id: uuid.UUID
    drawing_revision: str = Field(min_length=1, max_length=40)
    source: str = Field(min_length=1, max_length=200)
    material: str = Field(min_length=1, max_length=200)
    process: str = Field(min_length=1, max_length=200)


class ReopenIn(Input):
    model_config = ConfigDict(extra="forbid")
    change: Literal["source", "material", "process", "drawing_revision"]
    new_value: str | None = Field(None, max_length=200)
    note: str = Field(min_length=1, max_length=2000)
    version: int | None = None


class CommentIn(Input):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=4000)


class LotIn(Input):
    model_config = ConfigDict(extra="forbid")
    site_id: uuid.UUID
    lot_number: str = Field(min_length=1, max_length=60)
    quantity: int = Field(ge=1, le=1_000_000)


class LotRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    qualification_id: uuid.UUID
    site: str | None = Field(None, description="the destination site's code, when the caller may see the site")
    lot_number: str
    quantity: int
    status: str
    released_by: str | None
    version: int


class CharacteristicRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    name: str
    requirement: str
    measured: str
    result: str
    cycle: int


class CommentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    author: str
    text: str
    created_at: datetime


class QualificationDetail(QualificationRead):
    part_number: str
    maker: str
    characteristics: list[CharacteristicRead]
    lots: list[LotRead]
    comments: list[CommentRead]
    steps: list[str] = Field(description="the workflow steps the caller may take now")


class ReleaseIn(Input):
    model_config = ConfigDict(extra="forbid")
    version: int | None = None


# -- transfer-of-technology packages ------------------------------------------------------------

Phase = Literal["kit_assembly", "skd", "raw_material"]
DeliverableKind = Literal["drawing", "specification", "process_sheet", "test_schedule", "tooling", "jig",
                          "test_equipment", "raw_material", "mandated_source"]


class PackagePartIn(Input):
    model_config = ConfigDict(extra="forbid")
    part_id: uuid.UUID
    phase: Phase


class DeliverableIn(Input):
    model_config = ConfigDict(extra="forbid")
    kind: DeliverableKind
    title: str = Field(min_length=1, max_length=200)
    reference: str = Field(min_length=1, max_length=80, description="document or item number")
    revision: str | None = Field(None, max_length=20)
    phase: Phase
    due_on: date | None = None


class PackageIn(Input):
    """A package the caller's venture receives. ``fee_amount`` is a decimal string in ``fee_currency``."""
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=200)
    origin_party_id: uuid.UUID
    licensor_organisation_id: uuid.UUID | None = None
    equipment_type_id: uuid.UUID | None = None
    fee_amount: str = Field(min_length=1, max_length=30)
    fee_currency: str = Field(min_length=3, max_length=3)
    signed_on: date | None = None
    parts: list[PackagePartIn] = Field(default_factory=list, max_length=2000)
    deliverables: list[DeliverableIn] = Field(default_factory=list, max_length=2000)


class DeliverableRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    kind: str
    title: str
    reference: str
    revision: str | None
    phase: str
    status: str
    due_on: date | None
    delivered_by: str | None
    decided_by: str | None
    reason: str | None
    version: int


class PackagePartRead(BaseModel):
    part_id: uuid.UUID
    part_number: str
    name: str
    phase: str


class PackageRead(BaseModel):
    id: uuid.UUID
    code: str
    title: str
    operator_party: str
    origin_party: str
    licensor: str
    licensee: str
    fee_amount: str = Field(description="decimal string, in fee_currency")
    fee_currency: str
    status: str = Field(description="open, in_delivery, disputed or complete")
    phase: str | None = Field(description="the earliest phase with a deliverable not yet accepted")
    parts: list[PackagePartRead]
    deliverables: list[DeliverableRead]


class DeliverIn(Input):
    model_config = ConfigDict(extra="forbid")
    revision: str | None = Field(None, max_length=20)
    version: int | None = None


class DeliverableDecisionIn(Input):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["accept", "reject"]
    reason: str | None = Field(None, max_length=2000)
    version: int | None = None


class VentureRead(BaseModel):
    id: uuid.UUID
    organisation: str
    kind: str
    partners: list[dict[str, str]] = Field(description="name and share_percent (decimal string)")
    capabilities: list[dict[str, Any]] = Field(description="process and capacity_per_year (parts per year)")
    licences: list[dict[str, Any]]
