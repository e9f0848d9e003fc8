"""The authorisation matrix: every declared route x every kind of actor x own / other / shared /
missing object, with the expected answer computed from the policy declarations.

Nothing here lists routes by hand: the routes come from ``iter_routes(create_app(...))`` and each
route's permission from ``route_permission`` (``Depends(needs(...))``), so a new route is covered
the moment it is declared. Path parameters are mapped to seeded objects by their *name*
(:data:`PARAMS`); a route whose parameter is unknown fails :func:`test_every_path_parameter_is_known`.

The oracle (:class:`Oracle`) predicts the status from:

1. authentication: anonymous / expired token / revoked token / disabled user -> 401 problem+json on
   ``/api``, 303 to ``/login?next=...`` on web pages;
2. ``Actor.can(permission)`` (the one permission engine) -> 403 when lacking;
3. visibility of the object (the documented rules of ``fleet/policies.py`` and of forecast runs
   and readiness plans, re-stated here independently) -> 404 for an invisible or missing object,
   exactly like a missing one;
4. for writes (and edit forms) on shared records that are visible: only the maintaining party may
   change them (parts: ``owner_party_id``; equipment types and their bill of material: the
   origin party; interchangeability links: the replacing part's owner; organisations: their own
   party) -> 403. The rule applies to the record the permission is about (:data:`MAINTAINED`):
   stock of another party's part at one's own site is one's own stock;
5. otherwise the action is allowed: a read answers 200, a write 2xx/3xx/4xx-validation
   (200, 201, 204, 303, 400, 409, 422: the matrix sends an empty body or form, which a service
   may reject as invalid, but never as 401/403/404).

Rules that need knowledge of a service (written down where they are applied):
- readiness evaluation of a visible equipment type answers 422 on the API when no base with units
  of that type is visible to the actor ("no base you may see operates ...") and 200 otherwise; the
  web page of the type shows that message on the page (200);
- visibility within a party: the armed services (HQ, depot, base) see every site of their party;
  industry and quality organisations only their own organisation's sites; a readiness plan is
  seen by the armed services of its party and by the planner's own organisation (it carries the
  stock of every base it was computed over); forecast runs by their party, the installation's
  runs by everyone (their results filtered by site, their filter parameters too);
- the audit trail pages answer 200 for any object id or actor name (a filtered list); which
  entries appear is checked by the leak check (a party administrator sees the entries of their
  own party's actors only; a system administrator reads the whole trail by design, so the leak
  check does not apply to them there);
- ``/account/tokens/{token_id}/revoke`` and ``/account/sessions/{session_id}/end`` are
  self-service: only the user's own token or web session, another user's answers 404.

Besides the status, every case checks:
- a refused write (any answer >= 400) changed nothing: the row count of every table except the
  security events, web sessions and API tokens (and their audit entries) is unchanged;
- nothing leaks: no 2xx answer of any GET route (lists, exports, detail pages, charts, the
  dashboard) contains the id or code of a site, unit, stock position, forecast result, forecast
  run or readiness plan the actor may not see; on API lists ``total`` counts exactly the items.

- API lists answer exactly the ids the oracle predicts (sites, units, stock, parts, equipment
  types, forecast runs, readiness plans), and a forecast run counts only the visible series.

Further tests, generated the same way:
- :func:`test_body_references`: every API write whose body names objects (``site_id``,
  ``organisation_id``, ``equipment_type_id``, ...; :data:`BODY_REFS`), with the actor's own, the
  other party's and missing objects: an invisible object answers exactly like a missing one, a
  record one may not use (:data:`BODY_MAINTAINED`) is refused, a refusal changes nothing;
- :func:`test_query_references`: every GET with an object filter (``?site_id=`` ...) or a family
  flag: the other party's object answers exactly like a missing one (status and body), and
  nothing of it shows;
- :func:`test_fields_nobody_may_set_are_refused`: owner, party and author fields in any API write
  body are refused (422 naming them);
- :func:`test_subset_on_each_backend`: the API part of the matrix for a representative set of
  actors on PostgreSQL (the whole matrix runs on SQLite).


Reads run on one seeded SQLite database per module; writes on a second one (denied writes leave
it as it was; allowed writes use empty or minimal bodies, which at most add rows of their own).
"""
from __future__ import annotations

import re
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, func, select

from setu.app.main import create_app
from setu.adapters.http import iter_routes, route_permission
from setu.kit.access import Actor, system_actor
from setu.kit.db import make_engine
from setu.kit.uow import UnitOfWork

# -- the routes, from the declarations ---------------------------------------------------------------

# the API reference page is public like the OpenAPI document it draws (docs/security.md)
PUBLIC = {"/login", "/health", "/api/v1/docs"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_PARAM = re.compile(r"{([a-z_]+)(?::[a-z]+)?}")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    permission: str | None

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(_PARAM.findall(self.path))

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def write(self) -> bool:
        return self.method in WRITE_METHODS

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


#: The JSON body model of each API write route (from the route's declaration).
BODY_MODELS: dict[tuple[str, str], type] = {}
#: The query parameters of each route (from the route's declaration).
QUERY_PARAMS: dict[tuple[str, str], tuple[str, ...]] = {}


def declared_routes() -> list[Route]:
    app = create_app(make_engine("sqlite://"))
    out = []
    for path, methods, route in iter_routes(app):
        body = route.dependant.body_params
        query, stack = [q.name for q in route.dependant.query_params], list(route.dependant.dependencies)
        while stack:
            d = stack.pop()
            query += [q.name for q in d.query_params]
            stack += d.dependencies
        for m in sorted(methods - {"HEAD", "OPTIONS"}):
            out.append(Route(m, path, route_permission(route)))
            QUERY_PARAMS[(m, path)] = tuple(query)
            if body and hasattr(body[0].field_info.annotation, "model_fields"):
                BODY_MODELS[(m, path)] = body[0].field_info.annotation
    return sorted(set(out), key=lambda r: (r.path, r.method))


ROUTES = declared_routes()
CHECKED = [r for r in ROUTES if r.path not in PUBLIC]

# -- actors ------------------------------------------------------------------------------------------

#: Organisations beyond build_world's DEP-ORG (IND depot) and OEM-1 (RUS oem): one per kind.
ORGS = {  # code: (party, kind)
    "DEP-ORG": ("IND", "depot"), "OEM-1": ("RUS", "oem"),
    "IND-HQ": ("IND", "armed_service_hq"), "IND-BASE": ("IND", "base"), "IND-JV": ("IND", "joint_venture"),
    "IND-QA": ("IND", "quality_authority"), "PMO": ("IND", "programme_office"),
    "RUS-EXP": ("RUS", "export_agency"), "RUS-BASE": ("RUS", "base"),
}


@dataclass(frozen=True)
class ActorSpec:
    name: str
    party: str | None = None
    org: str | None = None
    role: str = "approver"
    sysadmin: bool = False
    state: str = "ok"  # ok | anonymous | expired | revoked | disabled

    @property
    def kind(self) -> str | None:
        return ORGS[self.org][1] if self.org else None

    @property
    def signed_in(self) -> bool:
        return self.state == "ok"


ACTORS = (
    [ActorSpec(f"m.ind.{r}", "IND", "DEP-ORG", r) for r in ("viewer", "clerk", "approver", "admin")]
    + [ActorSpec(f"m.rus.{r}", "RUS", "OEM-1", r) for r in ("viewer", "clerk", "approver", "admin")]
    + [ActorSpec("m.hq", "IND", "IND-HQ"), ActorSpec("m.base", "IND", "IND-BASE"),
       ActorSpec("m.jv", "IND", "IND-JV"), ActorSpec("m.qa", "IND", "IND-QA"),
       ActorSpec("m.export", "RUS", "RUS-EXP"), ActorSpec("m.rusbase", "RUS", "RUS-BASE"),
       ActorSpec("m.pmo", "IND", "PMO"),
       ActorSpec("m.sysadmin", "IND", "DEP-ORG", "admin", sysadmin=True),
       ActorSpec("anonymous", state="anonymous"),
       ActorSpec("m.expired", "IND", "DEP-ORG", "admin", state="expired"),
       ActorSpec("m.revoked", "IND", "DEP-ORG", "admin", state="revoked"),
       ActorSpec("m.disabled", "IND", "DEP-ORG", "admin", state="disabled")]
)
ACTOR_BY_NAME = {a.name: a for a in ACTORS}
VARIANTS = ("own", "other", "shared", "missing")
OTHER = {"IND": "RUS", "RUS": "IND"}

# -- the seeded world --------------------------------------------------------------------------------

MILITARY = {"armed_service_hq", "depot", "base"}
#: The organisation whose planner saved each party's readiness plan.
PLAN_ORG = {"IND": "DEP-ORG", "RUS": "RUS-BASE"}
#: ... and who saved it (an approver of that organisation, one of the matrix's actors).
PLAN_AUTHOR = {"IND": "m.ind.approver", "RUS": "m.rusbase"}


@dataclass
class Seed:
    """What was seeded, with who owns it: the oracle's knowledge of the world."""

    party_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    org_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    sites: dict[str, tuple[uuid.UUID, str]] = field(default_factory=dict)  # code -> (id, org code)
    units: dict[str, tuple[uuid.UUID, str, str]] = field(default_factory=dict)  # serial -> (id, site, type)
    stock: dict[uuid.UUID, str] = field(default_factory=dict)  # stock position id -> site code
    demand: dict[uuid.UUID, str] = field(default_factory=dict)  # demand record id -> site code
    results: dict[uuid.UUID, tuple[str, str]] = field(default_factory=dict)  # result id -> (site code, run key)
    parts: dict[str, tuple[uuid.UUID, str | None]] = field(default_factory=dict)  # key -> (id, owner party)
    types: dict[str, tuple[uuid.UUID, str]] = field(default_factory=dict)  # code -> (id, origin party)
    lines: dict[str, tuple[uuid.UUID, str]] = field(default_factory=dict)  # party -> (id, maintainer)
    interchanges: dict[str, tuple[uuid.UUID, str]] = field(default_factory=dict)
    runs: dict[str, uuid.UUID] = field(default_factory=dict)  # IND / RUS / shared (installation)
    plans: dict[str, tuple[uuid.UUID, str]] = field(default_factory=dict)  # party -> (id, name)
    jobs: dict[str, uuid.UUID] = field(default_factory=dict)  # party -> a background job it started
    support: dict[str, uuid.UUID] = field(default_factory=dict)  # providing party -> a support transaction
    #: raising party -> (after-sales ticket id, raising organisation, supplier organisation, unit serial)
    tickets: dict[str, tuple[uuid.UUID, str, str, str]] = field(default_factory=dict)
    #: making party -> (qualification id, maker organisation, owner party of its part); its held lot
    qualifications: dict[str, tuple[uuid.UUID, str, str]] = field(default_factory=dict)
    lots: dict[str, uuid.UUID] = field(default_factory=dict)
    #: operating (receiving) party -> a ToT package from the other party, and one of its deliverables
    packages: dict[str, uuid.UUID] = field(default_factory=dict)
    deliverables: dict[str, uuid.UUID] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # actor name -> secret
    extra_part_ids: list[uuid.UUID] = field(default_factory=list)  # build_world's other parts
    spare_tokens: dict[str, uuid.UUID] = field(default_factory=dict)  # actor name -> a token id to revoke
    spare_sessions: dict[str, uuid.UUID] = field(default_factory=dict)  # actor name -> a web session id to end
    user_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)  # the engine's Actor of each signed-in user

    def site_party(self, code: str) -> str:
        return ORGS[self.sites[code][1]][0]


def _seed_actor(engine, seed: Seed, party: str, org: str, name: str | None = None) -> Actor:
    """A real user of ``org`` (plans and audit entries name their author) acting for the seeding."""
    from tests.support.auth import ensure_user

    name = name or f"seed.{org.lower()}"
    uid = ensure_user(engine, name, party=party, org=org, kind=ORGS[org][1], role="approver")
    return Actor(name=name, user_id=uid, party_id=seed.party_ids[party], organisation_id=seed.org_ids[org],
                 organisation_kind=ORGS[org][1], role="approver")


def seed_world(engine) -> Seed:
    """build_world plus the origin party's sites, units, stock, demand, parts, runs and plans,
    one organisation per kind, and a real user with a real token per actor."""
    from setu.catalog import service as catalog
    from setu.catalog.models import BomLine, Part
    from setu.catalog.schemas import BomLineCreate, InterchangeCreate, PartCreate
    from setu.forecasting import service as fs
    from setu.demand import service as demand
    from setu.demand.models import DemandRecord
    from setu.forecasting.models import ForecastResult
    from setu.demand.schemas import DemandRecordCreate
    from setu.fleet import service as fleet
    from setu.fleet.models import StockPosition
    from setu.catalog.schemas import EquipmentTypeCreate
    from setu.fleet.schemas import EquipmentUnitCreate, SiteCreate, StockPositionSet
    from setu.identity import auth
    from setu.identity.models import ApiToken, User
    from setu.readiness import service as readiness
    from tests.support.auth import ensure_org, ensure_user, token_for
    from tests.support.world import build_world

    w = build_world(engine)
    seed = Seed(party_ids={"IND": w.operator_id, "RUS": w.origin_id})
    sys_ = system_actor("test")
    with UnitOfWork(sys_, write=True, engine=engine) as uow:
        for code, (party, kind) in ORGS.items():
            seed.org_ids[code] = ensure_org(uow, code, party=party, kind=kind).id
        uow.commit()
    seed.sites = {"DEP1": (w.depot_id, "DEP-ORG"), "BAS1": (w.base_id, "DEP-ORG")}
    for i, uid in enumerate(w.unit_ids):
        seed.units[f"SN-{i}"] = (uid, "BAS1", "FTR")
    seed.types["FTR"] = (w.type_id, "RUS")
    seed.parts["IND"] = (w.part_ids[0], "IND")
    seed.extra_part_ids = list(w.part_ids[1:])

    # the planners are matrix actors: a decision on one's own plan is refused (nobody approves their own)
    ind = _seed_actor(engine, seed, "IND", "DEP-ORG", PLAN_AUTHOR["IND"])
    rus = _seed_actor(engine, seed, "RUS", "RUS-BASE", PLAN_AUTHOR["RUS"])
    oem, jv = _seed_actor(engine, seed, "RUS", "OEM-1"), _seed_actor(engine, seed, "IND", "IND-JV")
    # the origin party's own data, written by its own actors (their audit entries carry their party)
    with UnitOfWork(rus, write=True, engine=engine) as uow:
        rb = fleet.create_site(uow, data=SiteCreate(code="RUSBASE7", name="Origin base", kind="base",
                                                    organisation_id=seed.org_ids["RUS-BASE"], echelon=2))
        rp = catalog.create_part(uow, data=PartCreate(manufacturer_code="RSK02", part_number="RPN-77",
                                                      name="Origin part", unit_price=Decimal("50"), currency="USD",
                                                      kind="repairable", condemnation_rate=0.2))
        units = [fleet.create_equipment_unit(uow, data=EquipmentUnitCreate(
            serial=f"SNRUS-{i}", equipment_type_id=w.type_id, site_id=rb.id)) for i in range(2)]
        fleet.set_stock(uow, data=StockPositionSet(part_id=w.part_ids[0], site_id=rb.id, serviceable=2))
        for m in range(1, 13):
            demand.record_demand(uow, data=DemandRecordCreate(part_id=w.part_ids[0], site_id=rb.id,
                                                              period=date(2025, m, 1), quantity=float(m % 2)))
        line = catalog.add_bom_line(uow, data=BomLineCreate(equipment_type_id=w.type_id, child_part_id=rp.id))
        ic = catalog.add_interchange(uow, data=InterchangeCreate(replaced_part_id=w.part_ids[2],
                                                                replacing_part_id=rp.id, code="one_way"))
        uow.commit()
        seed.sites["RUSBASE7"] = (rb.id, "RUS-BASE")
        seed.units.update({u.serial: (u.id, "RUSBASE7", "FTR") for u in units})
        seed.parts["RUS"] = (rp.id, "RUS")
        seed.lines["RUS"] = (line.id, "RUS")
        seed.interchanges["RUS"] = (ic.id, "RUS")
    with UnitOfWork(oem, write=True, engine=engine) as uow:
        plant = fleet.create_site(uow, data=SiteCreate(code="RUSPLANT7", name="Origin plant", kind="plant",
                                                       organisation_id=seed.org_ids["OEM-1"], echelon=1))
        fleet.set_stock(uow, data=StockPositionSet(part_id=rp.id, site_id=plant.id, serviceable=7))
        uow.commit()
        seed.sites["RUSPLANT7"] = (plant.id, "OEM-1")
    with UnitOfWork(jv, write=True, engine=engine) as uow:
        jvp = fleet.create_site(uow, data=SiteCreate(code="INDJVPLANT7", name="JV plant", kind="plant",
                                                     organisation_id=seed.org_ids["IND-JV"], echelon=1))
        fleet.set_stock(uow, data=StockPositionSet(part_id=w.part_ids[2], site_id=jvp.id, serviceable=3))
        uow.commit()
        seed.sites["INDJVPLANT7"] = (jvp.id, "IND-JV")
    with UnitOfWork(ind, write=True, engine=engine) as uow:
        itr = catalog.create_equipment_type(uow, data=EquipmentTypeCreate(
            code="ITR7", name="Operator type", category="helicopter", origin_party_id=seed.party_ids["IND"],
            operating_hours_per_year=100))
        u = fleet.create_equipment_unit(uow, data=EquipmentUnitCreate(serial="SNIND-ITR7", equipment_type_id=itr.id,
                                                                      site_id=w.base_id))
        line = catalog.add_bom_line(uow, data=BomLineCreate(equipment_type_id=itr.id, child_part_id=w.part_ids[2]))
        ic = catalog.add_interchange(uow, data=InterchangeCreate(replaced_part_id=w.part_ids[1],
                                                                replacing_part_id=w.part_ids[2], code="two_way"))
        uow.commit()
        seed.types["ITR7"] = (itr.id, "IND")
        seed.units["SNIND-ITR7"] = (u.id, "BAS1", "ITR7")
        seed.lines["IND"] = (line.id, "IND")
        seed.interchanges["IND"] = (ic.id, "IND")
    with UnitOfWork(sys_, write=True, engine=engine) as uow:
        shared = catalog.create_part(uow, data=PartCreate(manufacturer_code="SHR01", part_number="SPN-77",
                                                          name="Unowned part", kind="consumable"))
        uow.commit()
        seed.parts["shared"] = (shared.id, None)
    # forecast runs: the operator's, the origin's and the installation's (party None: shared)
    # (the installation's run names every site in its filter: a run's parameters must not show them)
    for key, actor in (("IND", ind), ("RUS", rus), ("shared", sys_)):
        sites = [sid for sid, _ in seed.sites.values()] if key == "shared" else None
        with UnitOfWork(actor, write=True, engine=engine) as uow:
            seed.runs[key] = fs.start_forecast_run(uow, method="ses", horizon=3, holdout_months=2,
                                                   site_ids=sites).id
            uow.commit()
    # readiness plans of each party (the same equipment type: each over the bases it sees)
    for key, actor in (("IND", ind), ("RUS", rus)):
        with UnitOfWork(actor, write=True, engine=engine) as uow:
            result = readiness.plan(uow, equipment_type_id=w.type_id, budget=0)
            row = readiness.save_plan(uow, result, name=f"PLAN-{key}-7")
            uow.commit()
            seed.plans[key] = (row.id, f"PLAN-{key}-7")
    # an after-sales ticket of each party: the operator's depot asks the origin OEM about SN-0; the
    # origin party's base asks the operator's JV about SNRUS-0
    from setu.aftersales import service as aftersales

    for key, actor, serial, supplier in (("IND", ind, "SN-0", "OEM-1"), ("RUS", rus, "SNRUS-0", "IND-JV")):
        with UnitOfWork(actor, write=True, engine=engine) as uow:
            t = aftersales.raise_ticket(uow, equipment_unit_id=seed.units[serial][0],
                                        supplier_org_id=seed.org_ids[supplier], type="repair_exchange",
                                        title=f"Matrix ticket {key}")
            uow.commit()
            seed.tickets[key] = (t.id, PLAN_ORG[key], supplier, serial)
    # a background job of each party (queued: the matrix's clients run no consumer)
    from setu.kit import jobs

    if "matrix.probe.run" not in jobs.registered():
        jobs.register("matrix.probe.run")(lambda ctx, **kw: None)
    for key, actor in (("IND", ind), ("RUS", rus)):
        seed.jobs[key] = jobs.submit("matrix.probe.run", actor=actor, params={}, engine=engine)
    # a support agreement between the two parties and one requested transaction each party provides
    from datetime import date as _date

    from setu.ledger import service as ledger

    with UnitOfWork(sys_, write=True, engine=engine) as uow:
        agreement = ledger.create_agreement(uow, code="MATRIX-RELOS", title="Matrix support agreement",
                                            party_a="IND", party_b="RUS", starts_on=_date(2024, 1, 1),
                                            ends_on=_date(2033, 12, 31))
        for key in ("IND", "RUS"):
            seed.support[key] = ledger.request_support(
                uow, agreement_id=agreement.id, provider=key, receiver=OTHER[key], activity="exercise",
                category="food", description=f"food provided by {key}", requested_on=_date(2026, 1, 5)).id
        uow.commit()
    # localisation: each party has a registered maker (the operator's JV; on the origin side its
    # OEM, as a licensed manufacturer), a qualification of the other party's part by it with a held
    # lot at one of its bases, and a ToT package it receives from the other party
    from setu.localisation import service as loc
    from setu.localisation.models import Lot, Qualification, TotDeliverable, TotPackage

    with UnitOfWork(sys_, write=True, engine=engine) as uow:
        for key, maker, part_key, site in (("IND", "IND-JV", "RUS", "BAS1"), ("RUS", "OEM-1", "IND", "RUSBASE7")):
            loc.create_venture(uow, organisation_id=seed.org_ids[maker],
                               kind="joint_venture" if maker == "IND-JV" else "licensed_manufacturer")
            q = Qualification(party_id=seed.party_ids[key], part_id=seed.parts[part_key][0],
                              maker_organisation_id=seed.org_ids[maker], drawing_revision="A", source="s",
                              material="m", process="p", status="drawing", created_by="seed", cycle=1)
            uow.session.add(q)
            uow.session.flush()
            lot = Lot(qualification_id=q.id, site_id=seed.sites[site][0], lot_number=f"MLOT-{key}", quantity=1,
                      status="held", created_by="seed")
            pkg = TotPackage(code=f"MTOT-{key}", title=f"Matrix package {key}", party_id=seed.party_ids[key],
                             origin_party_id=seed.party_ids[OTHER[key]], fee_amount=Decimal("1.00"),
                             fee_currency="INR", created_by="seed")
            uow.session.add_all([lot, pkg])
            uow.session.flush()
            d = TotDeliverable(package_id=pkg.id, party_id=pkg.party_id, origin_party_id=pkg.origin_party_id,
                               kind="drawing", title="Matrix drawing", reference=f"MDRG-{key}", phase="kit_assembly",
                               status="due")
            uow.session.add(d)
            uow.session.flush()
            seed.qualifications[key] = (q.id, maker, part_key)
            seed.lots[key], seed.packages[key], seed.deliverables[key] = lot.id, pkg.id, d.id
        uow.commit()
    site_code = {sid: code for code, (sid, _) in seed.sites.items()}
    with UnitOfWork(sys_, engine=engine) as uow:
        seed.stock = {p.id: site_code[p.site_id] for p in uow.session.scalars(select(StockPosition))}
        seed.demand = {r.id: site_code[r.site_id] for r in uow.session.scalars(select(DemandRecord))}
        run_key = {v: k for k, v in seed.runs.items()}
        seed.results = {r.id: (site_code[r.site_id], run_key[r.run_id])
                        for r in uow.session.scalars(select(ForecastResult))}
        assert not uow.session.scalar(select(func.count()).select_from(BomLine).where(BomLine.child_part_id.is_(None)))
        assert uow.session.get(Part, shared.id).owner_party_id is None

    # real users with real tokens
    for a in ACTORS:
        if a.state == "anonymous":
            continue
        party, kind = ORGS[a.org]
        seed.user_ids[a.name] = ensure_user(engine, a.name, party=party, org=a.org, kind=kind, role=a.role,
                                            sysadmin=a.sysadmin)
        seed.tokens[a.name] = token_for(engine, a.name)
    with UnitOfWork(sys_, write=True, engine=engine) as uow:
        for a in ACTORS:
            if a.signed_in:
                _, tok = auth.create_token(uow, username=a.name, name="spare")
                seed.spare_tokens[a.name] = tok.id
                user = uow.session.get(User, seed.user_ids[a.name])
                seed.spare_sessions[a.name] = auth.start_session(uow, user=user)[1].id
        s = uow.session
        digest = lambda secret: s.scalar(select(ApiToken).where(ApiToken.prefix == secret[:12]))  # noqa: E731
        digest(seed.tokens["m.expired"]).expires_at = datetime.now(timezone.utc) - timedelta(minutes=1)
        digest(seed.tokens["m.revoked"]).revoked_at = datetime.now(timezone.utc)
        auth.disable_user(uow, username="m.disabled")
        s.flush()
        # disabling revokes the user's tokens: un-revoke this one, so only the disabled user is refused
        digest(seed.tokens["m.disabled"]).revoked_at = None
        uow.commit()
    with UnitOfWork(sys_, engine=engine) as uow:
        for a in ACTORS:
            if a.signed_in:
                seed.actors[a.name] = auth.actor_for(uow.session.get(User, seed.user_ids[a.name]))
    return seed


# -- the oracle --------------------------------------------------------------------------------------

#: Path parameter name -> the resource it names (the oracle's visibility rules are per resource).
PARAMS = {
    "party_id": "party", "organisation_id": "organisation", "part_id": "part",
    "equipment_type_id": "equipment_type", "line_id": "bom_line", "interchange_id": "interchange",
    "site_id": "site", "unit_id": "unit", "run_id": "run", "plan_id": "plan", "token_id": "token", "job_id": "job",
    "session_id": "session",
    "object_id": "audit_object", "actor_name": "audit_actor",
    "position_id": "stock_position", "record_id": "demand_record", "ticket_id": "ticket",
    "transaction_id": "support_tx", "year": "statement_year",
    "qualification_id": "qualification", "lot_id": "lot", "package_id": "package", "deliverable_id": "deliverable",
}
#: Resources with a shared object (visible to both parties, maintained by none or by one).
SHARED = {"part", "run"}
#: Resources of a permission whose records have a maintaining party (the others are changed by
#: whoever sees them and holds the permission).
MAINTAINED = {"catalog.part": {"part"}, "catalog.equipment_type": {"equipment_type"},
              "catalog.bom": {"bom_line", "equipment_type"}, "catalog.interchange": {"interchange"},
              "identity.organisation": {"organisation"}}
GOOD_WRITE = {200, 201, 202, 204, 303, 400, 409, 422}
#: Edit forms (GET) show what the route's write permission changes: same maintainer rule.
EDIT_FORM = re.compile(r"/edit$")


class Oracle:
    def __init__(self, seed: Seed):
        self.seed = seed

    # which sites an actor sees (fleet/policies.py, re-stated)
    def sees_site(self, actor: Actor, code: str) -> bool:
        if actor.sees_all_parties:
            return True
        if actor.sysadmin or actor.party_id is None:
            return False
        org = self.seed.sites[code][1]
        if actor.organisation_kind in MILITARY:
            return self.seed.party_ids[ORGS[org][0]] == actor.party_id
        return self.seed.org_ids[org] == actor.organisation_id

    def party_of(self, actor: Actor) -> str | None:
        return next((k for k, v in self.seed.party_ids.items() if v == actor.party_id), None)

    def sees_run(self, actor: Actor, key: str) -> bool:
        return actor.sees_all_parties or key == "shared" or key == self.party_of(actor)

    def sees_plan(self, actor: Actor, key: str) -> bool:
        """A plan belongs to its party; within the party the armed services (who see all its sites)
        and the planner's own organisation see it (an industry organisation must not read a plan
        over the armed services' bases, just as it may not read their stock)."""
        if actor.sees_all_parties:
            return True
        if key != self.party_of(actor):
            return False
        return actor.organisation_kind in MILITARY or self.seed.org_ids[PLAN_ORG[key]] == actor.organisation_id

    def sees_ticket(self, actor: Actor, key: str) -> bool:
        """An after-sales ticket: the raising party's armed services, and the raising and the
        addressed organisations (an OEM or JV sees only the tickets addressed to it)."""
        if actor.sees_all_parties:
            return True
        if actor.sysadmin or actor.party_id is None:
            return False
        _, raiser, supplier, _ = self.seed.tickets[key]
        if actor.organisation_kind in MILITARY and self.seed.party_ids[ORGS[raiser][0]] == actor.party_id:
            return True
        return actor.organisation_id in (self.seed.org_ids[raiser], self.seed.org_ids[supplier])

    def sees_qualification(self, actor: Actor, key: str) -> bool:
        """A qualification (and its lots): its own party, the programme offices, and an OEM of the
        party that maintains the qualified part (origin-party scoping, localisation.service)."""
        if actor.sees_all_parties:
            return True
        if actor.sysadmin or actor.party_id is None:
            return False
        mine = self.party_of(actor)
        return key == mine or (actor.organisation_kind == "oem" and self.seed.qualifications[key][2] == mine)

    def localisation_write(self, route: Route, actor: Actor, objects: dict[str, object]) -> set[int] | None:
        """Localisation's object rules (services and rules.py): only the maker records on its
        qualification (403 for another organisation); a ToT deliverable is delivered by the
        package's origin party and decided by its operator party (the other party: 403, or 409
        when an earlier case already moved it)."""
        if not route.api and route.path.endswith("/step"):
            return {422}  # the matrix's form names no step: refused as such, nothing changes
        if "qualification_id" in objects and route.permission == "localisation.qualification.create":
            maker = self.seed.qualifications[objects["qualification_id"]][1]
            return GOOD_WRITE if actor.organisation_id == self.seed.org_ids[maker] else {403}
        if "deliverable_id" in objects:
            key = objects["deliverable_id"]   # the operating party
            side = OTHER[key] if route.path.endswith("/deliver") else key
            return GOOD_WRITE if self.party_of(actor) == side else {403, 409}
        return None

    # the object a variant names, for an actor of party ``mine``
    def object_for(self, param: str, variant: str, spec: ActorSpec) -> tuple[str, object]:
        """(path value, object key for the oracle); key None = missing."""
        mine = spec.party or "IND"
        res = PARAMS[param]
        if variant == "shared" and res not in SHARED:
            variant = "own"  # e.g. a shared part at the actor's own site
        key = {"own": mine, "other": OTHER[mine], "shared": "shared", "missing": None}[variant]
        s = self.seed
        if res == "statement_year":  # a statement of any year: empty when nothing happened then
            return ("1999" if variant == "missing" else "2026"), key
        if variant == "missing":
            return ("nobody-here" if res == "audit_actor" else str(uuid.uuid4())), None
        if res == "party":
            return str(s.party_ids[key]), key
        if res == "organisation":
            return str(s.org_ids["DEP-ORG" if key == "IND" else "OEM-1"]), key
        if res == "part":
            return str(s.parts[key][0]), key
        if res == "equipment_type":
            code = "ITR7" if key == "IND" else "FTR"
            return str(s.types[code][0]), code
        if res == "bom_line":
            return str(s.lines[key][0]), key
        if res == "interchange":
            return str(s.interchanges[key][0]), key
        if res in ("site", "audit_object"):
            code = "BAS1" if key == "IND" else "RUSBASE7"
            return str(s.sites[code][0]), code
        if res in ("stock_position", "demand_record"):  # the oracle's key is the record's site
            code = "BAS1" if key == "IND" else "RUSBASE7"
            rows = s.stock if res == "stock_position" else s.demand
            return str(next(i for i, site in rows.items() if site == code)), code
        if res == "unit":
            serial = "SN-0" if key == "IND" else "SNRUS-0"
            return str(s.units[serial][0]), serial
        if res == "run":
            return str(s.runs[key]), key
        if res == "plan":
            return str(s.plans[key][0]), key
        if res == "job":
            return str(s.jobs[key]), key
        if res == "support_tx":  # the transaction the party ``key`` provides (the other receives it)
            return str(s.support[key]), key
        if res == "ticket":
            return str(s.tickets[key][0]), key
        if res == "qualification":
            return str(s.qualifications[key][0]), key
        if res == "lot":
            return str(s.lots[key]), key
        if res == "package":
            return str(s.packages[key]), key
        if res == "deliverable":
            return str(s.deliverables[key]), key
        if res in ("token", "session"):
            spare = s.spare_tokens if res == "token" else s.spare_sessions
            if key == mine:
                return str(spare.get(spec.name, uuid.uuid4())), "own"
            return str(spare["m.rus.viewer" if mine == "IND" else "m.ind.viewer"]), "other"
        if res == "audit_actor":
            return f"m.{key.lower()}.viewer", key
        raise AssertionError(param)

    def visible(self, actor: Actor, res: str, key) -> bool:
        if res in ("audit_object", "audit_actor", "statement_year"):
            return True  # a filtered list: 200 for any id or name (see the module docstring)
        if key is None:
            return False
        if res in ("site", "stock_position", "demand_record"):
            return self.sees_site(actor, key)
        if res == "unit":
            return self.sees_site(actor, self.seed.units[key][1])
        if res == "run":
            return self.sees_run(actor, key)
        if res == "plan":
            return self.sees_plan(actor, key)
        if res == "ticket":
            return self.sees_ticket(actor, key)
        if res == "job":  # a party's jobs (setu.kit.jobs.get_job): programme offices see both
            return actor.sees_all_parties or key == self.party_of(actor)
        if res == "support_tx":  # both parties of a support transaction see it (ledger.repository)
            return actor.sees_all_parties or self.party_of(actor) in ("IND", "RUS")
        if res in ("qualification", "lot"):
            return self.sees_qualification(actor, key)
        if res in ("package", "deliverable"):  # both parties of a package (localisation.service)
            return actor.sees_all_parties or self.party_of(actor) in ("IND", "RUS")
        if res in ("token", "session"):
            return key == "own"
        # the directory, the shared catalog, equipment types and the (filtered) audit trail
        return True

    def maintains(self, actor: Actor, permission: str, res: str, key) -> bool:
        """May the actor change this (visible) object? Shared records: only their maintainer, and
        only for changes to that record itself (stock of another party's part at one's own site is
        one's own stock; a readiness plan for another party's equipment type is one's own plan)."""
        if res not in MAINTAINED.get(permission.rpartition(".")[0], ()):
            return True
        mine = self.party_of(actor)
        if res == "part":
            return self.seed.parts[key][1] == mine
        if res == "equipment_type":
            return self.seed.types[key][1] == mine
        if res in ("bom_line", "interchange"):
            return key == mine
        if res == "organisation":
            return key == mine
        return True

    def ledger_step(self, actor: Actor, provider: str) -> set[int]:
        """The matrix's step on a requested support transaction is ``accept`` (the first action):
        the provider's side only, with ``ledger.support.update`` (ledger.rules.SUPPORT). The write
        world is shared by the cases, so an earlier case may have accepted it already: the workflow
        names a wrong state (409) before a wrong actor, and both change nothing."""
        if not actor.can("ledger.support.update") or (
                not actor.sees_all_parties and self.party_of(actor) != provider):
            return {403, 409}
        return GOOD_WRITE

    def readiness_ok(self, actor: Actor, type_code: str) -> bool:
        """Service rule: a readiness evaluation needs a visible base (echelon 2) with units of the type."""
        return any(t == type_code and self.sees_site(actor, site) and site in ("BAS1", "RUSBASE7")
                   for _, site, t in self.seed.units.values())

    def expect(self, route: Route, spec: ActorSpec, objects: dict[str, object]) -> set[int]:
        if not spec.signed_in:
            return {401} if route.api else {303}
        actor = self.seed.actors[spec.name]
        if not actor.can(route.permission):
            return {403}
        for param, key in objects.items():
            res = PARAMS[param]
            if not self.visible(actor, res, key):
                return {404}
        if route.write or EDIT_FORM.search(route.path):
            for param, key in objects.items():
                if not self.maintains(actor, route.permission, PARAMS[param], key):
                    return {403}
        if route.permission.endswith(".approve"):  # nobody approves (or rejects) their own request
            if any(PARAMS[p] == "plan" and PLAN_AUTHOR.get(k) == spec.name for p, k in objects.items()):
                return {403}
        if route.write and "localisation" in route.path:
            loc = self.localisation_write(route, actor, objects)
            if loc is not None:
                return loc
        if route.write and "/ledger/support/{transaction_id}/step" in route.path:
            if not route.api:  # the matrix's form names no action: refused as such (422), nothing changes
                return {422}
            return self.ledger_step(actor, objects["transaction_id"])
        if route.path.endswith("/tickets/{ticket_id}/attachment"):
            return {404}  # the matrix names no attachment (``?id=``): "no such attachment", to everyone
        if route.write and route.path in ("/tickets/{ticket_id}/comments", "/tickets/{ticket_id}/orders"):
            # only the raising or the addressed organisation writes on a ticket (aftersales.service._party_to)
            _, raiser, supplier, _ = self.seed.tickets[objects["ticket_id"]]
            ok = actor.organisation_id in (self.seed.org_ids[raiser], self.seed.org_ids[supplier])
            return GOOD_WRITE if ok else {403}
        if route.path == "/api/v1/tickets/{ticket_id}/transitions":
            # the matrix's body asks to acknowledge: only the addressed organisation may (else 403);
            # once acknowledged, the ticket's state is checked first (409) for everyone
            _, _, supplier, _ = self.seed.tickets[objects["ticket_id"]]
            return GOOD_WRITE if actor.organisation_id == self.seed.org_ids[supplier] else {403, 409}
        if route.write:
            return GOOD_WRITE
        if route.path.startswith("/api/v1/readiness/{"):
            return {200} if self.readiness_ok(actor, objects["equipment_type_id"]) else {422}
        # the web page of a type shows the same refusal as a message on the page (200)
        return {200}

    def listed(self, path: str, spec: ActorSpec) -> set[str] | None:
        """The ids an API list must answer with exactly (None: not a list the oracle knows)."""
        s, actor = self.seed, self.seed.actors[spec.name]
        if path == "/api/v1/sites":
            return {str(i) for code, (i, _) in s.sites.items() if self.sees_site(actor, code)}
        if path == "/api/v1/equipment-units":
            return {str(i) for i, site, _ in s.units.values() if self.sees_site(actor, site)}
        if path == "/api/v1/stock":
            return {str(i) for i, site in s.stock.items() if self.sees_site(actor, site)}
        if path == "/api/v1/demand":
            return {str(i) for i, site in s.demand.items() if self.sees_site(actor, site)}
        if path == "/api/v1/forecast-runs":
            return {str(i) for key, i in s.runs.items() if self.sees_run(actor, key)}
        if path == "/api/v1/readiness/plans":
            return {str(i) for key, (i, _) in s.plans.items() if self.sees_plan(actor, key)}
        if path == "/api/v1/tickets":
            return {str(i) for key, (i, *_) in s.tickets.items() if self.sees_ticket(actor, key)}
        if path == "/api/v1/parts":
            return {str(i) for i, _ in s.parts.values()} | {str(i) for i in s.extra_part_ids}
        if path == "/api/v1/equipment-types":
            return {str(i) for i, _ in s.types.values()}
        return None

    def run_series(self, spec: ActorSpec, run_id: str) -> int:
        """Series of a run at the sites the actor sees (a run's count must not include the others)."""
        actor = self.seed.actors[spec.name]
        key = next(k for k, v in self.seed.runs.items() if str(v) == run_id)
        return sum(1 for site, k in self.seed.results.values() if k == key and self.sees_site(actor, site))

    # what an actor must never read
    def hidden_markers(self, spec: ActorSpec, *, audit: bool = False) -> set[str]:
        """Ids and codes the actor may not see. On the audit pages a party administrator reads the
        entries of every actor of their own party (by design: they administer the whole party), so
        there the other party's objects are hidden, not the objects of other organisations."""
        s = self.seed
        actor = s.actors.get(spec.name)
        if actor is None:
            return set()
        if audit:
            mine = self.party_of(actor)
            actor = Actor(name="audit view", party_id=actor.party_id, organisation_kind="depot", role="admin")
            assert mine is not None
        out: set[str] = set()
        for code, (sid, _) in s.sites.items():
            if not self.sees_site(actor, code):
                out |= {str(sid), code}
        for serial, (uid, site, _) in s.units.items():
            if not self.sees_site(actor, site):
                out.add(str(uid))
                if serial.startswith("SN") and not serial.startswith("SN-"):
                    out.add(serial)
        out |= {str(pid) for pid, site in s.stock.items() if not self.sees_site(actor, site)}
        out |= {str(rid) for rid, site in s.demand.items() if not self.sees_site(actor, site)}
        out |= {str(rid) for rid, (site, _) in s.results.items() if not self.sees_site(actor, site)}
        out |= {str(rid) for key, rid in s.runs.items() if not self.sees_run(actor, key)}
        for key, (pid, name) in s.plans.items():
            if not self.sees_plan(actor, key):
                out |= {str(pid), name}
        for key, (qid, _, _) in s.qualifications.items():
            if not self.sees_qualification(actor, key):
                out |= {str(qid), str(s.lots[key]), f"MLOT-{key}"}
        for key, (tid, _, _, serial) in s.tickets.items():
            if not self.sees_ticket(actor, key):
                out |= {str(tid), f"Matrix ticket {key}"}
            elif not audit:
                out.discard(serial)  # a ticket's supplier is told the unit's serial (never its record)
        return out


# -- fingerprint of a database ------------------------------------------------------------------------

#: Rows a refused request may add: its security event, sessions and tokens (and their audit entries).
VOLATILE = {"identity_security_event", "identity_web_session", "identity_api_token", "audit_head"}


class Fingerprint:
    def __init__(self, engine):
        self.engine = engine
        md = MetaData()
        md.reflect(engine)
        self.tables = [t for t in md.sorted_tables if t.name not in VOLATILE | {"alembic_version"}]
        counts = []
        for t in self.tables:
            stmt = select(func.count()).select_from(t)
            if t.name == "audit_entry":
                stmt = stmt.where(t.c.object_type.not_in(VOLATILE))
            counts.append(stmt.scalar_subquery().label(t.name))
        self.stmt = select(*counts)  # one round trip for every table

    def __call__(self) -> dict[str, int]:
        with self.engine.connect() as c:
            return dict(c.execute(self.stmt).one()._mapping)


# -- running one case -----------------------------------------------------------------------------------

@dataclass
class World:
    engine: object
    seed: Seed
    oracle: Oracle
    client: TestClient
    fingerprint: Fingerprint
    exact_lists: bool = True  # the write world's lists grow with allowed writes: counted in the read world


def make_world(engine) -> World:
    seed = seed_world(engine)
    # no job consumer: an accepted computation stays queued, so no case sees another's effects
    client = TestClient(create_app(engine, jobs_workers=0), follow_redirects=False)
    return World(engine, seed, Oracle(seed), client, Fingerprint(engine))


def _headers(world: World, spec: ActorSpec, route: Route) -> dict[str, str]:
    h = {} if route.api else {"Accept": "text/html"}
    if spec.state != "anonymous":
        h["Authorization"] = f"Bearer {world.seed.tokens[spec.name]}"
    return h


def _versioned(world: World, route: Route, path: str, headers: dict[str, str], body: dict | None = None) -> dict:
    """Updates name the version they read (setu.kit.concurrency): send the record's current one."""
    if not route.api or route.method not in ("PATCH", "PUT"):
        return headers
    import uuid as _uuid
    from datetime import date as _date

    tables = {t.name: t for t in world.fingerprint.tables if "version" in t.c and "id" in t.c}
    try:
        with world.engine.connect() as c:
            if route.method == "PUT":
                t = {"/api/v1/stock": tables.get("fleet_stock_position"),
                     "/api/v1/demand": tables.get("demand_record")}.get(route.path)
                if t is None or not body or not {"part_id", "site_id"} <= set(body):
                    return headers
                where = [t.c.part_id == _uuid.UUID(str(body["part_id"])), t.c.site_id == _uuid.UUID(str(body["site_id"]))]
                if "period" in body:
                    where.append(t.c.period == _date.fromisoformat(str(body["period"])).replace(day=1))
                v = c.execute(select(t.c.version).where(*where)).scalar()
            else:
                oid = _uuid.UUID(path.rstrip("/").rsplit("/", 1)[-1])
                v = next((x for x in (c.execute(select(t.c.version).where(t.c.id == oid)).scalar()
                                      for t in tables.values()) if x is not None), None)
    except (ValueError, TypeError):
        return headers
    return {**headers, "If-Match": f'"{v}"'} if v is not None else headers


def run_case(world: World, route: Route, spec: ActorSpec, variant: str) -> list[str]:
    """Call the route as the actor on the variant's objects; the list of what went wrong."""
    objects, values = {}, {}
    for p in route.params:
        value, key = world.oracle.object_for(p, variant, spec)
        values[p], objects[p] = value, key
    path = route.path.format(**values)
    expected = world.oracle.expect(route, spec, objects)
    before = world.fingerprint() if route.write else None
    kw: dict = {"headers": _headers(world, spec, route)}
    if route.write:
        if route.api:
            kw["json"] = required_fields(world, route, spec) if route.params else {}
        else:
            kw["data"] = {}
    kw["headers"] = _versioned(world, route, path, kw["headers"], kw.get("json"))
    resp = world.client.request(route.method, path, **kw)
    problems = []
    where = f"{route.method} {path} as {spec.name}"
    if resp.status_code not in expected:
        problems.append(f"{where}: {resp.status_code}, expected {sorted(expected)}: {resp.text[:300]}")
    if resp.status_code == 303 and expected == {303} and not spec.signed_in:
        if not resp.headers.get("location", "").startswith("/login?next="):
            problems.append(f"{where}: redirects to {resp.headers.get('location')}, not to /login")
    if resp.status_code == 401 and route.api:
        if not resp.headers.get("content-type", "").startswith("application/problem+json"):
            problems.append(f"{where}: 401 is not problem+json")
    if before is not None and resp.status_code >= 400:
        after = world.fingerprint()
        if after != before:
            changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
            problems.append(f"{where}: refused with {resp.status_code} but changed {changed}")
    if route.method == "GET" and 200 <= resp.status_code < 300:
        problems += leaks(world, route, spec, path, resp)
    return problems


def leaks(world: World, route: Route, spec: ActorSpec, path: str, resp, *, filtered: bool = False) -> list[str]:
    if spec.name == "m.sysadmin" and route.path.startswith("/audit"):
        return []  # the system administrator reads the whole audit trail by design
    text = resp.content.decode("utf-8", "replace") if "xlsx" not in resp.headers.get("content-type", "") else ""
    if "spreadsheetml" in resp.headers.get("content-type", ""):
        return []  # binary; the CSV export of the same list is checked
    markers = world.oracle.hidden_markers(spec, audit=route.path.startswith("/audit")) - {path.rsplit("/", 1)[-1], *path.split("/")}
    found = sorted(m for m in markers if m in text)
    out = [f"{route.method} {path} as {spec.name} shows what they may not see: {found}"] if found else []
    if route.api and resp.headers.get("content-type", "").startswith("application/json"):
        body = resp.json()
        if isinstance(body, dict) and "items" in body and body.get("total") is not None and not body.get("next_cursor"):
            if body["total"] != len(body["items"]):
                out.append(f"{route.method} {path} as {spec.name}: total {body['total']} but "
                           f"{len(body['items'])} items")
        expected = world.oracle.listed(path, spec) if not (route.write or filtered) else None
        if expected is not None and world.exact_lists:
            got = {str(x["id"]) for x in body["items"]}
            if got != expected or body.get("total") not in (None, len(expected)):
                out.append(f"{route.method} {path} as {spec.name}: lists {len(got)} (total {body.get('total')}),"
                           f" expected {len(expected)}; extra {sorted(got - expected)}, missing "
                           f"{sorted(expected - got)}")
        if path == "/api/v1/forecast-runs" and world.exact_lists and not filtered:
            for item in body["items"]:
                want = world.oracle.run_series(spec, str(item["id"]))
                if item["n_series"] != want:
                    out.append(f"{route.method} {path} as {spec.name}: run {item['id']} counts "
                               f"{item['n_series']} series, {want} visible")
    return out


def cases(routes: list[Route], actors=ACTORS, variants=VARIANTS):
    for r in routes:
        for a in actors:
            if not r.params:
                yield pytest.param(r, a, "none", id=f"{r.id}|{a.name}")
                continue
            for v in variants:
                if v == "shared" and not any(PARAMS.get(p) in SHARED for p in r.params):
                    continue
                yield pytest.param(r, a, v, id=f"{r.id}|{a.name}|{v}")


# -- fixtures ---------------------------------------------------------------------------------------------

def _module_engine(tmp_path_factory, template, name):
    path = tmp_path_factory.mktemp(name) / "setu.db"
    shutil.copy(template, path)
    return make_engine(f"sqlite:///{path}")


@pytest.fixture(scope="module")
def read_world(tmp_path_factory, _sqlite_template):
    engine = _module_engine(tmp_path_factory, _sqlite_template, "matrix-read")
    world = make_world(engine)
    with world.client:
        yield world
    engine.dispose()


@pytest.fixture(scope="module")
def write_world(tmp_path_factory, _sqlite_template):
    engine = _module_engine(tmp_path_factory, _sqlite_template, "matrix-write")
    world = make_world(engine)
    world.exact_lists = False
    with world.client:
        yield world
    engine.dispose()


# -- the matrix ------------------------------------------------------------------------------------------

READS = [r for r in CHECKED if not r.write]
WRITES = [r for r in CHECKED if r.write]


def test_routes_are_declared():
    """Every route but the public ones declares a permission (the matrix reads it)."""
    assert {r.path for r in ROUTES if r.permission is None} == PUBLIC
    assert len(CHECKED) > 100


def test_every_path_parameter_is_known():
    """A new route with a new kind of path parameter must be taught to the matrix (PARAMS)."""
    unknown = sorted({(r.id, p) for r in CHECKED for p in r.params if p not in PARAMS})
    assert not unknown, f"map these path parameters to a resource in PARAMS: {unknown}"


def test_the_oracle_knows_every_declared_permission_and_object_rule():
    """The matrix is generated from the permission registry and the routes: every permission a
    route declares is in the registry, and every declaration whose object rule is "own_party"
    (records a party maintains) is one the oracle applies its maintainer rule to (MAINTAINED)."""
    from setu.app import registry
    from setu.kit.access import declared

    registry.load_policies()
    decl = declared()
    assert not sorted({r.permission for r in ROUTES if r.permission and r.permission not in decl})
    maintained = {name.rpartition(".")[0] for name, perm in decl.items()
                  if perm.object_rule == "own_party" and not name.startswith("kittest.")}
    assert maintained <= set(MAINTAINED), f"teach the oracle who maintains: {sorted(maintained - set(MAINTAINED))}"


def test_every_actor_kind_is_covered():
    from setu.identity.schemas import OrganisationKind
    from typing import get_args

    from setu.kit.access import ROLES

    assert {a.kind for a in ACTORS if a.kind} == set(get_args(OrganisationKind))
    for party in ("IND", "RUS"):
        assert {a.role for a in ACTORS if a.party == party and a.org in ("DEP-ORG", "OEM-1") and a.signed_in
                and not a.sysadmin} == set(ROLES)


@pytest.mark.parametrize("route,spec,variant", list(cases(READS)))
def test_read(read_world, route, spec, variant):
    problems = run_case(read_world, route, spec, variant)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("route,spec,variant", list(cases(WRITES)))
def test_write(write_world, route, spec, variant):
    problems = run_case(write_world, route, spec, variant)
    assert not problems, "\n".join(problems)


# -- both back ends: a representative subset ------------------------------------------------------------

#: Every API route, as a reader and a writer of each party, an industry member, the programme
#: office, the system administrator and two refused callers, on own / other / missing objects.
SUBSET_ACTORS = [ACTOR_BY_NAME[n] for n in ("m.ind.clerk", "m.rus.viewer", "m.jv", "m.pmo", "m.sysadmin",
                                            "anonymous", "m.revoked")]


def test_subset_on_each_backend(engine):
    """The same oracle on the ``engine`` fixture's back ends (SQLite and PostgreSQL): the queries
    that scope visibility must hold on both. Reads first, then writes (on the same database).
    On SQLite the whole matrix above runs; this is for the other back ends."""
    if engine.dialect.name == "sqlite":
        pytest.skip("the whole matrix runs on SQLite (test_read, test_write, ...)")
    world = make_world(engine)
    routes = [r for r in CHECKED if r.api]
    problems: list[str] = []
    with world.client:
        for r in sorted(routes, key=lambda r: r.write):
            world.exact_lists = not r.write  # allowed writes add rows: lists are counted before them
            for spec in SUBSET_ACTORS:
                for variant in (("own", "other", "missing") if r.params else ("none",)):
                    problems += run_case(world, r, spec, variant)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:50])


# -- objects named in request bodies -------------------------------------------------------------------

#: Body fields that name an object, by name -> the resource (as PARAMS); lists name several.
BODY_REFS = {"site_id": "site", "parent_id": "site", "site_ids": "site", "part_id": "part",
             "child_part_id": "part", "replacing_part_id": "part", "equipment_type_id": "equipment_type",
             "organisation_id": "organisation", "party_id": "party", "origin_party_id": "party"}
#: Creating a record that names one of these: only with the actor's own (the maintainer rules of
#: the services): a bill-of-material line under an equipment type of one's own party, an
#: interchangeability link whose replacing part one maintains, an equipment type or organisation of
#: one's own party, a site for an organisation one may use (armed services: of one's party;
#: industry: one's own organisation).
BODY_MAINTAINED = {"catalog.bom.create": "equipment_type_id", "catalog.interchange.create": "replacing_part_id",
                   "catalog.equipment_type.create": "origin_party_id", "identity.organisation.create": "party_id",
                   "fleet.site.create": "organisation_id"}


def _body_routes() -> list[Route]:
    return [r for r in CHECKED if r.api and r.write and (r.method, r.path) in BODY_MODELS
            and set(BODY_MODELS[(r.method, r.path)].model_fields) & set(BODY_REFS)]


def required_fields(world: World, route: Route, spec: ActorSpec) -> dict:
    """The required fields of a route's body, filled (objects: the actor's own), so that a write on
    a path object (a decision on a plan, say) reaches the object's checks instead of stopping at
    body validation. Routes whose body has no required field get ``{}``."""
    model = BODY_MODELS.get((route.method, route.path))
    if model is None or not any(f.is_required() for f in model.model_fields.values()):
        return {}
    body, _ = build_body(world, route, spec, "own", only_required=True)
    return body


def build_body(world: World, route: Route, spec: ActorSpec, variant: str, *,
               only_required: bool = False) -> tuple[dict, dict[str, object]]:
    """A valid body (required fields filled) whose references name the variant's objects."""
    import typing

    model = BODY_MODELS[(route.method, route.path)]
    body: dict = {}
    refs: dict[str, object] = {}
    tag = uuid.uuid4().hex[:8].upper()
    for name, f in model.model_fields.items():
        if name in BODY_REFS and not (only_required and not f.is_required()):
            value, key = world.oracle.object_for(_PARAM_OF[BODY_REFS[name]], variant, spec)
            if name == "organisation_id" and key is not None:
                key = "DEP-ORG" if key == "IND" else "OEM-1"
            body[name] = [value] if name.endswith("_ids") else value
            refs[name] = key
            continue
        if not f.is_required() or name == "replaced_part_id":
            continue
        ann = f.annotation
        if typing.get_origin(ann) is typing.Literal:
            body[name] = typing.get_args(ann)[0]
        elif ann is str:
            body[name] = {"serial": f"SNM-{tag}", "code": f"M{tag}"}.get(name, f"Matrix {tag}")
        elif ann is date:
            body[name] = "2025-01-01"
        elif ann in (int, float):
            body[name] = 1
        else:
            raise AssertionError(f"teach build_body the field {name}: {ann}")
    if "replaced_part_id" in model.model_fields:  # a part other than the replacing one
        body["replaced_part_id"] = str(world.seed.extra_part_ids[0])
    return body, refs


_PARAM_OF = {res: param for param, res in PARAMS.items()}


def body_expect(world: World, route: Route, spec: ActorSpec, refs: dict[str, object]):
    """The expected statuses, or ("missing", also) where the answer must be the one the same
    request naming missing objects gets (or one of ``also``)."""
    if not spec.signed_in:
        return {401}
    o = world.oracle
    actor = world.seed.actors[spec.name]
    if not actor.can(route.permission):
        return {403}
    # the path's own objects first (an edit of one's own site or unit)
    for p in route.params:
        _, key = o.object_for(p, "own", spec)
        if not o.visible(actor, PARAMS[p], key):
            return {404}
    if route.path.endswith("/localisation/qualifications/{qualification_id}/lots"):
        # a lot's destination is any site of the qualification's party (the maker names it without
        # reading its stock; localisation.service._destination); only the maker records lots
        _, key = o.object_for("qualification_id", "own", spec)
        if actor.organisation_id != world.seed.org_ids[world.seed.qualifications[key][1]]:
            return {403}
        site = refs.get("site_id")
        if site is None:
            return {404, 422}
        return GOOD_WRITE if world.seed.site_party(site) == key else ("missing", set())
    if any(k is None for k in refs.values()):
        return {404, 422}  # a missing object named in a body: not found, or a field error
    hidden = any(not o.visible(actor, BODY_REFS[name], key) for name, key in refs.items())
    field_ = BODY_MAINTAINED.get(route.permission)
    if field_ in refs:
        key, mine = refs[field_], o.party_of(actor)
        if field_ == "organisation_id":
            party = ORGS[key][0]
            ok = party == mine if actor.organisation_kind in MILITARY else world.seed.org_ids[key] == actor.organisation_id
        elif field_ == "equipment_type_id":
            ok = world.seed.types[key][1] == mine
        elif field_ == "replacing_part_id":
            ok = world.seed.parts[key][1] == mine
        else:
            ok = key == mine
        if not ok:  # refused as not one's own; where an invisible object is named too, maybe as missing
            return ("missing", {403, 422}) if hidden else {403, 422}
    return ("missing", set()) if hidden else GOOD_WRITE


@pytest.mark.parametrize("route,spec,variant", [
    pytest.param(r, a, v, id=f"{r.id}|{a.name}|body-{v}")
    for r in _body_routes() for a in ACTORS for v in ("own", "other", "missing")])
def test_body_references(write_world, route, spec, variant):
    """Writes that name objects in their body: the other party's invisible object answers exactly
    like a missing one, a record one may not use is refused, and a refusal changes nothing."""
    world = write_world
    body, refs = build_body(world, route, spec, variant)
    path = route.path.format(**{p: world.oracle.object_for(p, "own", spec)[0] for p in route.params})
    expected = body_expect(world, route, spec, refs)
    headers = _headers(world, spec, route)
    if isinstance(expected, tuple):  # the answer must be the one a missing object gets
        twin, _ = build_body(world, route, spec, "missing")
        baseline = world.client.request(route.method, path, json=twin, headers=headers).status_code
        assert baseline in (404, 422), f"{route.id} naming missing objects answered {baseline}"
        expected = {baseline} | expected[1]
    before = world.fingerprint()
    resp = world.client.request(route.method, path, json=body, headers=_versioned(world, route, path, headers, body))
    where = f"{route.method} {path} {body} as {spec.name}"
    assert resp.status_code in expected, f"{where}: {resp.status_code}, expected {sorted(expected)}: {resp.text[:300]}"
    if resp.status_code >= 400:
        assert world.fingerprint() == before, f"{where}: refused with {resp.status_code} but changed the database"


# -- objects named in query parameters (filters) -------------------------------------------------------

#: Query parameters that name an object (filters of lists, the site of a chart, the run of a forecast).
QUERY_REFS = {"site_id": "site", "part_id": "part", "equipment_type_id": "equipment_type", "run_id": "run",
              "party_id": "party"}
#: Flags that widen an answer (interchangeability families pool other parts' stock and demand).
QUERY_FLAGS = {"by_family": "true", "family": "1"}


def _query_routes() -> list[Route]:
    return [r for r in CHECKED if r.method == "GET"
            and set(QUERY_PARAMS.get((r.method, r.path), ())) & (set(QUERY_REFS) | set(QUERY_FLAGS))]


def _without(text: str, ids: dict[str, str]) -> str:
    for value, placeholder in ids.items():
        text = text.replace(value, placeholder)
    return text


@pytest.mark.parametrize("route,spec", [pytest.param(r, a, id=f"{r.id}|{a.name}|query-other")
                                        for r in _query_routes() for a in ACTORS if a.signed_in])
def test_query_references(read_world, route, spec):
    """Filters naming the other party's objects: an invisible object answers exactly like a missing
    one (status and body, the id aside), and nothing of it shows."""
    world = read_world
    o = world.oracle
    path = route.path.format(**{p: o.object_for(p, "own", spec)[0] for p in route.params})
    names = [q for q in QUERY_PARAMS[(route.method, route.path)] if q in QUERY_REFS]
    flags = {q: v for q, v in QUERY_FLAGS.items() if q in QUERY_PARAMS[(route.method, route.path)]}
    other = {q: o.object_for(_PARAM_OF[QUERY_REFS[q]], "other", spec) for q in names}
    missing = {q: o.object_for(_PARAM_OF[QUERY_REFS[q]], "missing", spec) for q in names}
    headers = _headers(world, spec, route)
    r_other = world.client.get(path, params={**flags, **{q: v for q, (v, _) in other.items()}}, headers=headers)
    problems = []
    actor = world.seed.actors[spec.name]
    hidden = [q for q, (_, key) in other.items() if not o.visible(actor, QUERY_REFS[q], key)]
    if hidden:
        # one hidden filter at a time against the same filter naming nothing
        for q in hidden:
            params = {**flags, q: other[q][0]}
            a = world.client.get(path, params=params, headers=headers)
            b = world.client.get(path, params={**flags, q: missing[q][0]}, headers=headers)
            same = (a.status_code == b.status_code
                    and _without(a.text, {other[q][0]: "<id>"}) == _without(b.text, {missing[q][0]: "<id>"}))
            if not same:
                problems.append(f"GET {path}?{q}=<the other party's> answers {a.status_code} {a.text[:200]!r}, "
                                f"unlike a missing one: {b.status_code} {b.text[:200]!r}")
    if r_other.status_code >= 500:
        problems.append(f"GET {path} {other} as {spec.name}: {r_other.status_code}")
    if 200 <= r_other.status_code < 300:
        problems += leaks(world, route, spec, path, r_other, filtered=True)
    assert not problems, "\n".join(problems)


# -- fields nobody may set ----------------------------------------------------------------------------

#: Fields the services set themselves (who owns, who started, which party): a body carrying them
#: is refused with 422 naming the field, never half-applied or silently ignored.
SERVER_FIELDS = ("owner_party_id", "party_id", "started_by", "created_by", "actor_party_id", "version_id")


@pytest.mark.parametrize("route", [pytest.param(r, id=r.id) for r in CHECKED
                                   if r.api and r.write and (r.method, r.path) in BODY_MODELS])
def test_fields_nobody_may_set_are_refused(write_world, route):
    world = write_world
    # an actor who may use the route (the operator's party administrator where it may; else the
    # first matrix actor holding the route's permission, e.g. a JV or the quality authority)
    spec = next((a for a in (ACTOR_BY_NAME["m.ind.admin"], *ACTORS) if a.signed_in and not a.sysadmin
                 and world.seed.actors[a.name].can(route.permission)), ACTOR_BY_NAME["m.ind.admin"])
    model = BODY_MODELS[(route.method, route.path)]
    body = build_body(world, route, spec, "own")[0] if route in _body_routes() else {}
    smuggled = {f: str(world.seed.party_ids["RUS"]) for f in SERVER_FIELDS if f not in model.model_fields}
    path = route.path.format(**{p: world.oracle.object_for(p, "own", spec)[0] for p in route.params})
    before = world.fingerprint()
    resp = world.client.request(route.method, path, json={**body, **smuggled}, headers=_headers(world, spec, route))
    assert resp.status_code == 422, f"{route.id} with {sorted(smuggled)}: {resp.status_code} {resp.text[:300]}"
    named = {e["field"] for e in resp.json().get("errors", [])}
    assert set(smuggled) <= named, f"{route.id}: the refusal names {sorted(named)}, not {sorted(smuggled)}"
    assert world.fingerprint() == before
