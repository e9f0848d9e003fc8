"""Property-based API testing: every JSON API operation, fuzzed from its own OpenAPI description.

Schemathesis (4.x) reads ``/api/v1/openapi.json`` from the app in process (ASGI, no server),
generates valid and invalid requests for each operation and checks every response:

* no server error (5xx);
* the status code is one the operation documents, with the documented content type;
* the body conforms to the documented schema (problem+json for 4xx errors);
* invalid input is refused (4xx) and valid input accepted;
* a refused write changes nothing in the database (row counts of every table, audit included).

The database (SQLite and PostgreSQL, via ``db_url``) is seeded with ``build_world``, and path
parameters are drawn from the real objects as well as from random identifiers, so lookups hit
both existing and missing rows. Runs are deterministic (derandomised Hypothesis) and small.
"""
from __future__ import annotations

import os

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import MetaData, func, select

from setu.app.main import create_app
from tests.support.factories import build_world

#: Operations of capabilities still being written (forecasting, readiness) join when they settle.
TAGS = ("meta", "identity", "catalog", "fleet", "demand")
MAX_EXAMPLES = 15
SEED = 20261125
PROBLEM = "application/problem+json"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _real_ids(w) -> dict[str, list[str]]:
    """Identifiers of the seeded world, by path parameter name."""
    def s(xs):
        return [str(x) for x in xs]

    return {
        "party_id": s([w.operator_id, w.origin_id]),
        "organisation_id": s([w.depot_org_id, w.oem_org_id]),
        "site_id": s([w.depot_id, w.base_id]),
        "equipment_type_id": s([w.type_id]),
        "part_id": s(w.part_ids),
        "unit_id": s(w.unit_ids),
    }


#: Identifiers in request bodies, by the kind of object they name (a key of ``_real_ids``).
BODY_IDS = {
    "part_id": "part_id", "child_part_id": "part_id", "parent_part_id": "part_id", "replaced_part_id": "part_id",
    "replacing_part_id": "part_id", "site_id": "site_id", "parent_id": "site_id", "party_id": "party_id",
    "origin_party_id": "party_id", "organisation_id": "organisation_id", "oem_organisation_id": "organisation_id",
    "equipment_type_id": "equipment_type_id",
}


class _Fingerprint:
    """Row counts of every table: a refused write must leave them as they were."""

    def __init__(self, engine):
        self.engine = engine
        md = MetaData()
        md.reflect(engine)
        self.tables = [t for t in md.sorted_tables if t.name != "alembic_version"]

    def __call__(self) -> dict[str, int]:
        with self.engine.connect() as c:
            return {t.name: c.scalar(select(func.count()).select_from(t)) for t in self.tables}


@pytest.fixture
def api_schema(engine, request):
    # schemathesis 4.32's lazy loader renames ``node._nodeid`` for its report; pytest 9 keeps only ``nodeid``
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    world = build_world(engine)
    app = create_app(engine)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=MAX_EXAMPLES,
                                    deterministic=True)
    schema.config.seed = SEED
    ids = _real_ids(world)
    # The coverage phase (every boundary, missing field and unexpected method of every operation) takes
    # minutes here; CI runs explicit examples and fuzzing, SETU_FUZZ_COVERAGE=1 adds the full sweep.
    schema.config.phases.coverage.enabled = os.environ.get("SETU_FUZZ_COVERAGE") == "1"

    @schema.hook
    def flatmap_case(context, case):
        """Point identifiers (path and body) at real objects as well as random ones, where valid."""
        modes = {str(loc.value): c.mode for loc, c in (case.meta.components.items() if case.meta else ())}
        choices = {}
        if modes.get("path") != GenerationMode.NEGATIVE:
            for name in case.path_parameters or {}:
                if name in ids:
                    choices[("path", name)] = st.sampled_from([None, *ids[name]])
        if modes.get("body") != GenerationMode.NEGATIVE and isinstance(case.body, dict):
            for name in case.body:
                if name in BODY_IDS:
                    choices[("body", name)] = st.sampled_from([None, *ids[BODY_IDS[name]]])
        if not choices:
            return st.just(case)

        def with_choice(choice: dict) -> object:
            for (where, name), value in choice.items():
                if value is not None:
                    (case.path_parameters if where == "path" else case.body)[name] = value
            return case

        return st.fixed_dictionaries(choices).map(with_choice)

    return schema


#: Rules JSON Schema does not carry (normalisation, code lists, cross-field and stored-state rules):
#: a schema-valid request may still be refused with 422 naming one of these fields, and only these.
SEMANTIC_RULES = {
    "cursor": "a cursor is a token the list gave out",
    "sort": "one of the list's sortable fields, optionally with '-'",
    "code": "codes are letters, digits, '-' and '_' once trimmed",
    "manufacturer_code": "CAGE/NCAGE or origin manufacturer code (3-16 letters or digits)",
    "part_number": "normalised part number (letters, digits, '-', '.', '/'; at most 32)",
    "nsn": "NATO stock number with a known codification bureau",
    "currency": "a supported currency (any case)",
    "unit_of_issue": "a known unit of issue (any case)",
    "condemnation_rate": "a consumable part is always condemned (1.0)",
    "set_code": "required when the interchange code is as_set",
    "replacing_part_id": "a part cannot replace itself",
    "parent_part_id": "the parent assembly must be in the equipment's bill of material",
    "child_part_id": "no assembly may contain itself",
    "parent_id": "a site is resupplied by a depot of a higher echelon",
    "organisation_id": "sites belong to the actor's organisations",
    "origin_party_id": "equipment types are maintained by their origin party",
    "serviceable": "stock may not fall below zero", "unserviceable": "idem", "in_repair": "idem", "on_order": "idem",
    "name": "names are trimmed before their length is checked",
    "unit_price": "a number is read as a decimal: at most 2 decimal places",
}


def positive_data_acceptance_beyond_schema(ctx, response, case):
    """schemathesis' positive_data_acceptance, except a 422 naming only fields of SEMANTIC_RULES."""
    if response.status_code == 422 and case.meta is not None and case.meta.generation.mode.is_positive:
        fields = {e.get("field") for e in (response.json() or {}).get("errors", [])}
        if fields and fields <= set(SEMANTIC_RULES):
            return None
    return positive_data_acceptance(ctx, response, case)


schema = schemathesis.pytest.from_fixture("api_schema").include(tag=list(TAGS))


@schema.parametrize()
@hypothesis.settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                     suppress_health_check=list(HealthCheck))
@pytest.mark.slow
def test_api_conforms_to_its_openapi_description(case, engine):
    fingerprint = _FINGERPRINTS.setdefault(id(engine), _Fingerprint(engine))
    before = fingerprint() if case.method.upper() in WRITE_METHODS else None
    response = case.call()
    case.validate_response(response, excluded_checks=[positive_data_acceptance],
                           additional_checks=[positive_data_acceptance_beyond_schema])
    if response.status_code >= 400 and case.path.startswith("/api/"):
        content_type = (response.headers.get("content-type") or [""])[0]
        assert content_type.startswith(PROBLEM), f"{response.status_code} answered as {content_type!r}"
        body = response.json()
        assert body["status"] == response.status_code and body["title"] and "detail" in body, body
        if response.status_code == 422:
            assert body.get("errors") and all(e["field"] and e["message"] for e in body["errors"]), body
        if before is not None:
            assert fingerprint() == before, f"a refused {case.method} changed the database"


_FINGERPRINTS: dict[int, _Fingerprint] = {}


# -- input no schema generator reliably reaches: NUL bytes, non-finite numbers, overflowing integers --------


def _bad_inputs(w) -> list[tuple[str, str, dict | None, dict | None, str]]:
    """(method, path, query, json body, field the 422 must name) for each kind of hostile input."""
    part, site, unit, et, org = w.part_ids[0], w.base_id, w.unit_ids[0], w.type_id, w.depot_org_id
    new_part = {"manufacturer_code": "RSK01", "part_number": "EDGE-1", "name": "Edge"}
    return [
        ("POST", "/api/v1/parts", None, {**new_part, "name": "Wheel\x00"}, "name"),
        ("POST", "/api/v1/parts", None, {**new_part, "origin_designation": "\x00"}, "origin_designation"),
        ("PATCH", f"/api/v1/parts/{part}", None, {"name": "a\x00b"}, "name"),
        ("POST", "/api/v1/parts", None, {**new_part, "mtbf_hours": float("inf")}, "mtbf_hours"),
        ("PATCH", f"/api/v1/parts/{part}", None, {"mtbf_hours": float("nan")}, "mtbf_hours"),
        ("POST", "/api/v1/organisations", None,
         {"party_id": str(w.operator_id), "code": "NUL\x00", "name": "x", "kind": "depot"}, "code"),
        ("PATCH", f"/api/v1/organisations/{org}", None, {"name": "\x00"}, "name"),
        ("POST", "/api/v1/sites", None, {"code": "S-1", "name": "n\x00", "kind": "base", "organisation_id": str(org),
                                         "echelon": 2}, "name"),
        ("POST", "/api/v1/equipment-units", None, {"serial": "SN\x00", "equipment_type_id": str(et),
                                                   "site_id": str(site)}, "serial"),
        ("POST", "/api/v1/equipment-types", None, {"code": "ET-9", "name": "x", "category": "frigate",
                                                   "origin_party_id": str(w.operator_id),
                                                   "operating_hours_per_year": float("nan")},
         "operating_hours_per_year"),
        ("PUT", "/api/v1/stock", None, {"part_id": str(part), "site_id": str(site), "serviceable": 2**31},
         "serviceable"),
        ("PUT", "/api/v1/stock", None, {"part_id": str(part), "site_id": str(site), "on_order": 2**64}, "on_order"),
        ("POST", f"/api/v1/stock/{part}/{site}/adjust", None, {"serviceable": 2**31}, "serviceable"),
        ("POST", f"/api/v1/stock/{part}/{site}/adjust", None, {"serviceable": 2**31 - 1}, "serviceable"),  # 5 + max
        ("POST", f"/api/v1/stock/{part}/{site}/adjust", None, {"reason": "x\x00"}, "reason"),
        ("PUT", "/api/v1/demand", None, {"part_id": str(part), "site_id": str(site), "period": "2025-01-01",
                                         "quantity": float("inf")}, "quantity"),
        ("POST", "/api/v1/interchanges", None, {"replaced_part_id": str(part), "replacing_part_id": str(w.part_ids[1]),
                                                "code": "two_way", "remarks": "\x00"}, "remarks"),
        ("GET", "/api/v1/parts", {"q": "a\x00"}, None, "q"),
        ("GET", "/api/v1/parts", {"manufacturer_code": "\x00"}, None, "manufacturer_code"),
        ("GET", "/api/v1/sites", {"q": "\x00"}, None, "q"),
        ("GET", "/api/v1/equipment-units", {"q": "\x00"}, None, "q"),
        ("GET", "/api/v1/organisations", {"q": "\x00"}, None, "q"),
        ("GET", "/api/v1/parts", {"limit": 10**30}, None, "limit"),
        ("GET", "/api/v1/stock", {"limit": 501}, None, "limit"),
        ("GET", "/api/v1/sites", {"echelon": 2**63}, None, "echelon"),
    ]


def test_hostile_input_is_refused_naming_the_field_and_changes_nothing(engine):
    import json

    from tests.support.auth import SignedInClient

    w = build_world(engine)
    fingerprint = _Fingerprint(engine)
    with SignedInClient(create_app(engine), engine, raise_server_exceptions=False) as client:
        client.sign_in_as("ind.planner")
        before = fingerprint()
        failures = []
        for method, path, query, body, field in _bad_inputs(w):
            content = None if body is None else json.dumps(body, allow_nan=True)
            r = client.request(method, path, params=query, content=content,
                               headers={"content-type": "application/json"} if content else {})
            problem = r.json() if r.headers.get("content-type", "").startswith(PROBLEM) else None
            fields = {e["field"] for e in (problem or {}).get("errors", [])}
            if r.status_code != 422 or field not in fields:
                failures.append(f"{method} {path} {query or ''} {content or ''}: {r.status_code} {r.text[:200]}")
        assert not failures, "\n".join(failures)
        assert fingerprint() == before


def test_routing_errors_are_problem_json_with_every_allowed_method(client):
    r = client.delete("/api/v1/stock")
    assert r.status_code == 405 and r.headers["content-type"].startswith(PROBLEM)
    assert set(r.headers["allow"].split(", ")) == {"GET", "PUT"}
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.json()["status"] == 404 and r.headers["content-type"].startswith(PROBLEM)
    r = client.post("/api/v1/parts", content=b"\xff\xfe", headers={"content-type": "application/json"})
    assert r.status_code in (400, 422) and r.headers["content-type"].startswith(PROBLEM)
    assert str(r.status_code) in client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/parts"]["post"][
        "responses"]
