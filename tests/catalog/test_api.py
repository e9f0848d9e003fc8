"""The JSON API over HTTP (FastAPI TestClient on a real database)."""
from __future__ import annotations

import uuid

from tests.support.auth import patch_as_read
from tests.support.world import build_world
from tests.support.jobs import WAIT


def test_openapi_describes_every_resource(client):
    spec = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/parts", "/api/v1/parts/{part_id}", "/api/v1/sites", "/api/v1/equipment-types",
                 "/api/v1/equipment-units", "/api/v1/stock", "/api/v1/organisations", "/api/v1/parties"):
        assert path in spec["paths"], path
    # every catalog & fleet resource is listed with filters, sort and a cursor, and read one by one
    for path in ("/api/v1/parts", "/api/v1/bom-lines", "/api/v1/interchanges", "/api/v1/sites",
                 "/api/v1/equipment-types", "/api/v1/equipment-units", "/api/v1/stock", "/api/v1/demand",
                 "/api/v1/organisations"):
        params = {p["name"] for p in spec["paths"][path]["get"]["parameters"]}
        assert {"sort", "cursor", "limit"} <= params, path
        assert "Page" in spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    for path in ("/api/v1/bom-lines/{line_id}", "/api/v1/interchanges/{interchange_id}", "/api/v1/stock/{position_id}",
                 "/api/v1/demand/{record_id}", "/api/v1/equipment-units/{unit_id}", "/api/v1/sites/{site_id}"):
        assert "get" in spec["paths"][path], path


def test_part_lifecycle_over_http(client):
    r = client.post("/api/v1/parts", json={"manufacturer_code": "rsk01", "part_number": "mig 29-1",
                                           "name": "Main wheel", "unit_price": "1500.00", "currency": "RUB",
                                           "kind": "repairable", "condemnation_rate": 0.05})
    assert r.status_code == 201, r.text
    part = r.json()
    assert part["part_number"] == "MIG29-1" and part["nsn"] is None
    r = client.patch(f"/api/v1/parts/{part['id']}", json={"nsn": "1630-72-000-1234", "version": part["version"]})
    assert r.status_code == 200 and r.json()["nsn"] == "1630-72-000-1234"
    # the stale version is refused
    r = client.patch(f"/api/v1/parts/{part['id']}", json={"name": "x", "version": part["version"]})
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"/api/v1/parts/{part['id']}").json()["name"] == "Main wheel"


def test_validation_errors_are_problem_json_with_fields(client):
    r = client.post("/api/v1/parts", json={"manufacturer_code": "k1", "part_number": "x", "name": "n",
                                           "nsn": "1234-55-000-0000", "unit_price": "-1"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"manufacturer_code", "nsn", "unit_price"} <= fields
    assert client.get("/api/v1/parts").json()["total"] == 0


def test_unknown_fields_refused_not_ignored(client, engine):
    w = build_world(engine)
    r = client.patch(f"/api/v1/parts/{w.part_ids[0]}", json={"part_number": "NEW", "id": str(uuid.uuid4())})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"part_number", "id"}


def test_missing_and_malformed_ids_are_404_or_422(client):
    assert client.get(f"/api/v1/parts/{uuid.uuid4()}").status_code == 404
    assert client.get("/api/v1/parts/not-a-uuid").status_code == 422


def test_list_filter_search_sort_and_cursor(client, engine):
    build_world(engine, n_parts=5)
    r = client.get("/api/v1/parts", params={"limit": 2, "sort": "part_number"})
    body = r.json()
    assert [p["part_number"] for p in body["items"]] == ["PN-0000", "PN-0001"] and body["total"] == 5
    r2 = client.get("/api/v1/parts", params={"limit": 2, "sort": "part_number", "cursor": body["next_cursor"]})
    assert [p["part_number"] for p in r2.json()["items"]] == ["PN-0002", "PN-0003"]
    assert client.get("/api/v1/parts", params={"q": "PN-0004"}).json()["total"] == 1
    assert client.get("/api/v1/parts", params={"kind": "repairable"}).json()["total"] == 3
    bad = client.get("/api/v1/parts", params={"sort": "nope"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "sort"


def test_fleet_resources_and_stock_adjust(client, engine):
    w = build_world(engine)
    sites = client.get("/api/v1/sites", params={"echelon": 2}).json()
    assert [s["code"] for s in sites["items"]] == ["BAS1"]
    r = client.post("/api/v1/sites", json={"code": "bas2", "name": "Base 2", "kind": "base",
                                           "organisation_id": str(w.depot_org_id), "echelon": 2,
                                           "parent_id": str(w.base_id)})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "parent_id"
    units = client.get("/api/v1/equipment-units", params={"status": "down_parts"}).json()
    assert units["total"] == 1
    r = client.post(f"/api/v1/stock/{w.part_ids[0]}/{w.base_id}/adjust", json={"serviceable": -6})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "serviceable"
    r = client.post(f"/api/v1/stock/{w.part_ids[0]}/{w.base_id}/adjust", json={"serviceable": -2, "in_repair": 2})
    assert r.status_code == 200 and (r.json()["serviceable"], r.json()["in_repair"]) == (3, 2)
    tree = client.get(f"/api/v1/equipment-types/{w.type_id}/bom").json()
    assert tree[0]["children"][0]["quantity_per_assembly"] == 2
    hist = client.get(f"/api/v1/parts/{w.part_ids[0]}/demand").json()
    assert len(hist) == 12 and hist[0]["period"] == "2025-01-01"


def test_health(client):
    assert client.get("/health").json()["status"] == "ok"


def test_bom_line_and_interchange_over_http(client, engine):
    w = build_world(engine, n_parts=3)
    r = client.post("/api/v1/interchanges", json={"replaced_part_id": str(w.part_ids[0]),
                                                  "replacing_part_id": str(w.part_ids[2]), "code": "two_way"})
    assert r.status_code == 201
    link = r.json()
    r = client.patch(f"/api/v1/interchanges/{link['id']}", json={"remarks": "per service bulletin 12", "id": "x"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "id"
    r = patch_as_read(client, f"/api/v1/interchanges/{link['id']}", {"remarks": "per service bulletin 12"})
    assert r.status_code == 200 and r.json()["remarks"] == "per service bulletin 12"
    line = client.get(f"/api/v1/parts/{w.part_ids[1]}/where-used").json()[0]
    r = patch_as_read(client, f"/api/v1/bom-lines/{line['id']}", {"failure_share": 0.5})
    assert r.status_code == 403  # the bill of material of a type is maintained by its origin party
    client.sign_in_as("rus.oem", party="RUS", org="OEM-1", kind="oem")
    r = patch_as_read(client, f"/api/v1/bom-lines/{line['id']}", {"failure_share": 1.5})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "failure_share"
    r = patch_as_read(client, f"/api/v1/bom-lines/{line['id']}", {"failure_share": 0.5})
    assert r.status_code == 200 and client.get(f"/api/v1/bom-lines/{line['id']}").json()["failure_share"] == 0.5


def _pages(client, path: str, **params) -> list[list[dict]]:
    """Every page of a list, following the cursor."""
    out, cursor = [], None
    while True:
        body = client.get(path, params={**params, **({"cursor": cursor} if cursor else {})}).json()
        out.append(body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            return out


def test_bom_lines_list_filter_search_sort_and_cursor(client, engine):
    w = build_world(engine, n_parts=3)
    client.sign_in_as("rus.oem", party="RUS", org="OEM-1", kind="oem")  # the type's origin party keeps its BOM
    r = client.post("/api/v1/bom-lines", json={"equipment_type_id": str(w.type_id), "parent_part_id": str(w.part_ids[0]),
                                               "child_part_id": str(w.part_ids[2]), "quantity_per_assembly": 4})
    assert r.status_code == 201, r.text
    body = client.get("/api/v1/bom-lines", params={"sort": "-quantity_per_assembly"}).json()
    assert body["total"] == 3
    assert [x["quantity_per_assembly"] for x in body["items"]] == [4, 2, 1]
    assert [len(p) for p in _pages(client, "/api/v1/bom-lines", limit=2, sort="level")] == [2, 1]
    levels = [x["level"] for page in _pages(client, "/api/v1/bom-lines", limit=2, sort="level") for x in page]
    assert levels == [1, 2, 2]
    under = client.get("/api/v1/bom-lines", params={"parent_part_id": str(w.part_ids[0])}).json()
    assert {x["child_part_id"] for x in under["items"]} == {str(w.part_ids[1]), str(w.part_ids[2])}
    assert client.get("/api/v1/bom-lines", params={"level": 1}).json()["total"] == 1
    hit = client.get("/api/v1/bom-lines", params={"q": "test part 2"}).json()
    assert [x["child_part_id"] for x in hit["items"]] == [str(w.part_ids[2])]
    assert client.get("/api/v1/bom-lines", params={"equipment_type_id": str(uuid.uuid4())}).json()["total"] == 0
    bad = client.get("/api/v1/bom-lines", params={"sort": "name"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "sort"


def test_interchanges_list_filter_search_sort_and_cursor(client, engine):
    w = build_world(engine, n_parts=4)
    for old, new, code in ((0, 1, "two_way"), (1, 2, "one_way"), (3, 2, "qualified")):
        r = client.post("/api/v1/interchanges", json={"replaced_part_id": str(w.part_ids[old]),
                                                      "replacing_part_id": str(w.part_ids[new]), "code": code})
        assert r.status_code == 201, r.text
    body = client.get("/api/v1/interchanges", params={"sort": "code"}).json()
    assert body["total"] == 3 and [x["code"] for x in body["items"]] == ["one_way", "qualified", "two_way"]
    codes = [x["code"] for page in _pages(client, "/api/v1/interchanges", limit=2, sort="-code") for x in page]
    assert codes == ["two_way", "qualified", "one_way"]
    either_side = client.get("/api/v1/interchanges", params={"part_id": str(w.part_ids[1])}).json()
    assert {x["code"] for x in either_side["items"]} == {"two_way", "one_way"}
    assert client.get("/api/v1/interchanges", params={"code": "qualified"}).json()["total"] == 1
    assert client.get("/api/v1/interchanges", params={"q": "PN-0003"}).json()["items"][0]["code"] == "qualified"
    bad = client.get("/api/v1/interchanges", params={"code": "sometimes"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "code"


def test_demand_records_list_read_and_scope(client, engine):
    w = build_world(engine)  # 12 months of demand of the first part at BAS1 (2025)
    body = client.get("/api/v1/demand", params={"part_id": str(w.part_ids[0]), "limit": 5}).json()
    assert body["total"] == 12 and [x["period"] for x in body["items"]][:2] == ["2025-12-01", "2025-11-01"]
    later = client.get("/api/v1/demand", params={"part_id": str(w.part_ids[0]), "limit": 5,
                                                 "cursor": body["next_cursor"]}).json()
    assert later["total"] is None and len(later["items"]) == 5  # counted once, on the first page
    months = [x["period"] for page in _pages(client, "/api/v1/demand", limit=5, sort="period") for x in page]
    assert months == [f"2025-{m:02d}-01" for m in range(1, 13)]
    q2 = client.get("/api/v1/demand", params={"period_from": "2025-04-15", "period_to": "2025-06-30"}).json()
    assert [x["period"] for x in q2["items"]] == ["2025-06-01", "2025-05-01", "2025-04-01"]
    assert client.get("/api/v1/demand", params={"site_id": str(w.depot_id)}).json()["total"] == 0
    one = body["items"][0]
    assert client.get(f"/api/v1/demand/{one['id']}").json() == one
    assert client.get(f"/api/v1/demand/{uuid.uuid4()}").status_code == 404
    # an OEM sees only its own organisation's sites: the base's demand is neither listed nor readable
    client.sign_in_as("rus.oem", party="RUS", org="OEM-1", kind="oem")
    # the unfiltered list (every record of the fleet) is served without counting it
    assert client.get("/api/v1/demand").json() == {"items": [], "next_cursor": None, "total": None}
    r = client.get(f"/api/v1/demand/{one['id']}")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


def test_stock_position_read_and_search(client, engine):
    w = build_world(engine, n_parts=3)
    listed = client.get("/api/v1/stock", params={"q": "PN-0001"}).json()
    assert listed["total"] == 1 and listed["items"][0]["part_id"] == str(w.part_ids[1])
    assert client.get("/api/v1/stock", params={"q": "bas1"}).json()["total"] == 3  # the site's code
    assert client.get("/api/v1/stock", params={"q": "nothing like it"}).json()["total"] == 0
    pos = listed["items"][0]
    assert client.get(f"/api/v1/stock/{pos['id']}").json() == pos
    client.sign_in_as("rus.oem", party="RUS", org="OEM-1", kind="oem")
    assert client.get(f"/api/v1/stock/{pos['id']}").status_code == 404


# -- regressions found by the two-party schemathesis run (issue 3) -----------------------------------


def test_readiness_api_documents_what_it_answers(client, engine):
    """Readiness answers 403 and 404 (documented now); a plan's ``computed_at`` carries its offset
    (RFC 3339 date-time, also on SQLite); the export documents its CSV and Excel bodies; ``model``
    and ``format`` are code lists in the description."""
    w = build_world(engine)
    ops = client.get("/api/v1/openapi.json").json()["paths"]
    for path, method in (("/api/v1/readiness/plans/{plan_id}", "get"), ("/api/v1/readiness/plans/{plan_id}/export",
                         "get"), ("/api/v1/readiness/{equipment_type_id}", "get"), ("/api/v1/readiness/plans", "post")):
        assert {"403", "404"} <= set(ops[path][method]["responses"]), (method, path)
    export = ops["/api/v1/readiness/plans/{plan_id}/export"]["get"]
    assert set(export["responses"]["200"]["content"]) == {
        "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    assert client.get(f"/api/v1/readiness/plans/{uuid.uuid4()}").status_code == 404
    r = client.get(f"/api/v1/readiness/{w.type_id}", params={"model": "bogus"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "model"
    r = client.post("/api/v1/readiness/plans", json={"equipment_type_id": str(w.type_id), "budget": "100"},
                    headers=WAIT)
    assert r.status_code == 201, r.text
    assert r.json()["computed_at"].endswith(("+00:00", "Z"))
    listed = client.get("/api/v1/readiness/plans").json()["items"][0]
    assert listed["computed_at"].endswith(("+00:00", "Z"))
    r = client.get(f"/api/v1/readiness/plans/{listed['id']}/export", params={"format": "pdf"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "format"


def test_demand_quantity_is_bounded_so_forecasts_stay_finite(client, engine):
    """A demand of ~1e308 made the next forecast run store NaN quantiles (500 on the NOT NULL column)."""
    w = build_world(engine)
    record = {"part_id": str(w.part_ids[0]), "site_id": str(w.base_id), "period": "2025-03-01"}
    r = client.put("/api/v1/demand", json={**record, "quantity": 1.4e308})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "quantity"
    existing = client.get("/api/v1/demand", params={"part_id": record["part_id"], "site_id": record["site_id"],
                                                    "period_from": "2025-03-01", "period_to": "2025-03-01"}).json()
    version = existing["items"][0]["version"]  # replacing the month names the version read
    assert client.put("/api/v1/demand", json={**record, "quantity": 1e9, "version": version}).status_code == 200
    r = client.post("/api/v1/forecast-runs", json={"method": "sba", "horizon": 3, "holdout_months": 0}, headers=WAIT)
    assert r.status_code == 201, r.text


def test_forecast_seed_bound_is_exact_in_json(client):
    """2^63 - 1 is no JSON number every reader keeps exact (as a double it is 2^63, over the bound)."""
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["ForecastRunCreate"]
    assert schema["properties"]["seed"]["maximum"] == 2**53
    assert client.post("/api/v1/forecast-runs", json={"seed": 2**53 + 1}).status_code == 422


def test_demand_month_is_bounded_so_forecast_runs_stay_fast(client, engine):
    """One demand dated in the year 1000 made every later forecast run span 12,000 months (minutes)."""
    w = build_world(engine)
    record = {"part_id": str(w.part_ids[1]), "site_id": str(w.base_id), "quantity": 1}
    for period in ("1000-01-01", "1949-12-31", "2101-01-01"):
        r = client.put("/api/v1/demand", json={**record, "period": period})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "period", period
    assert client.put("/api/v1/demand", json={**record, "period": "1950-01-15"}).status_code == 200
