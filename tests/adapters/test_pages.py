"""The web pages over HTTP (FastAPI TestClient on a real, migrated database)."""
from __future__ import annotations

import json
import re
import uuid
from datetime import date

import pytest
from markupsafe import Markup

from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork
from tests.support.world import build_world


def _field_error(html: str, name: str) -> str | None:
    m = re.search(rf'id="f-{name}-error">([^<]*)<', html)
    return m.group(1) if m else None


def _input_value(html: str, name: str) -> str | None:
    m = re.search(rf'id="f-{name}" name="{name}"\s+type="text"[^>]*value="([^"]*)"', html)
    return m.group(1) if m else None


def _add_interchange(engine, replaced, replacing) -> None:
    from setu.catalog import service as catalog
    from setu.catalog.schemas import InterchangeCreate

    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        catalog.add_interchange(uow, data=InterchangeCreate(replaced_part_id=replaced, replacing_part_id=replacing,
                                                            code="one_way"))
        uow.commit()


def _parts_count(engine) -> int:
    from setu.catalog import service as catalog

    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        return catalog.list_parts(uow, limit=1).total


# -- home ------------------------------------------------------------------------------------

def test_home_shows_headline_figures_and_a_chart(client, engine):
    build_world(engine, n_parts=3)
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert re.search(r'id="stat-parts">3<', html)
    assert re.search(r'id="stat-readiness">75%<', html)  # 3 of 4 units operational
    assert re.search(r'id="stat-sites">2<', html)
    assert re.search(r'id="stat-stock">15<', html)
    fig = json.loads(re.search(r'id="units-by-type".*?<script type="application/json" class="setu-figure">(.*?)</script>',
                               html, re.S).group(1))
    assert {t["name"] for t in fig["data"]} == {"Operational", "Down: maintenance", "Down: awaiting parts"}
    assert fig["data"][0]["y"] == ["FTR"] and fig["data"][0]["x"] == [3]


def test_home_on_an_empty_database(client):
    r = client.get("/")
    assert r.status_code == 200
    assert "No equipment units yet" in r.text and re.search(r'id="stat-readiness">—<', r.text)


def test_pages_use_only_local_assets(client):
    html = client.get("/").text
    refs = re.findall(r'(?:src|href|data-plotly)="([^"]+)"', html)
    # Plotly is named by the page (data-plotly) and fetched by setu.js only where a chart is
    assert "/static/vendor/plotly/plotly.min.js" in " ".join(refs)
    assert "/static/vendor/bootstrap/bootstrap.min.css" in " ".join(refs)
    assert "/static/vendor/htmx/htmx.min.js" in " ".join(refs)
    assert not [x for x in refs if x.startswith(("http:", "https:", "//"))], refs
    assert client.get("/static/js/setu.js").status_code == 200
    assert client.get("/static/css/setu.css").status_code == 200


# -- parts -----------------------------------------------------------------------------------

def test_parts_list_search_filters_and_cursor(client, engine, monkeypatch):
    from setu.catalog import web as catalog_web

    build_world(engine, n_parts=5)
    html = client.get("/parts").text
    assert html.count('href="/parts/') - html.count('href="/parts/new"') == 5
    assert "PN-0000" in html and "Next page" not in html

    assert re.findall(r">(PN-\d+)</a>", client.get("/parts", params={"q": "pn-0004"}).text) == ["PN-0004"]
    assert re.findall(r">(PN-\d+)</a>", client.get("/parts", params={"q": "Test part 3"}).text) == ["PN-0003"]
    assert re.findall(r">(PN-\d+)</a>", client.get("/parts", params={"kind": "consumable"}).text) == [
        "PN-0001", "PN-0003"]
    assert re.findall(r">(PN-\d+)</a>", client.get("/parts", params={"has_nsn": "yes"}).text) == [
        "PN-0000", "PN-0002", "PN-0004"]
    assert re.findall(r">(PN-\d+)</a>", client.get("/parts", params={"manufacturer_code": "rsk01",
                                                                       "has_nsn": "no"}).text) == ["PN-0001", "PN-0003"]
    assert "No parts match" in client.get("/parts", params={"manufacturer_code": "NOPE"}).text

    monkeypatch.setattr(catalog_web, "PAGE_SIZE", 2)
    seen = []
    url = "/parts?sort=part_number"
    while url:
        html = client.get(url.replace("&amp;", "&")).text
        seen += re.findall(r">(PN-\d+)</a>", html)
        m = re.search(r'rel="next" href="([^"]+)"', html)
        url = m.group(1) if m else None
    assert seen == [f"PN-{i:04d}" for i in range(5)]
    # an edited or stale cursor starts again at the first page instead of failing
    assert client.get("/parts", params={"cursor": "garbage"}).status_code == 200


def test_part_page_shows_identifiers_where_used_links_and_stock(client, engine):
    w = build_world(engine, n_parts=3)
    _add_interchange(engine, w.part_ids[2], w.part_ids[0])
    r = client.get(f"/parts/{w.part_ids[0]}")
    assert r.status_code == 200
    html = r.text
    for text in ("RSK01", "PN-0000", "1560-72-000-0001", "Test part 0"):
        assert text in html
    where = html.split('id="where-used"')[1].split("</table>")[0]
    assert "FTR" in where and "directly" in where
    links = html.split('id="interchanges"')[1].split("</table>")[0]
    assert "PN-0002" in links and "replaces" in links
    stock = html.split('id="stock-table"')[1].split("</table>")[0]
    assert "BAS1" in stock and ">5<" in stock
    assert f'hx-get="/parts/{w.part_ids[0]}/demand-chart"' in html
    # the component is used inside the assembly, at level 2
    child = client.get(f"/parts/{w.part_ids[1]}").text.split('id="where-used"')[1].split("</table>")[0]
    assert "PN-0000" in child and ">2<" in child


def test_demand_chart_fragment_monthly_and_rolled_up_by_family(client, engine):
    from setu.demand import service as demand
    from setu.demand.schemas import DemandRecordCreate

    w = build_world(engine, n_parts=3)
    _add_interchange(engine, w.part_ids[2], w.part_ids[0])
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        demand.record_demand(uow, data=DemandRecordCreate(part_id=w.part_ids[2], site_id=w.base_id,
                                                          period=date(2024, 6, 1), quantity=7))
        uow.commit()

    def figure(html):
        return json.loads(re.search(r'class="setu-figure">(.*?)</script>', html, re.S).group(1))

    r = client.get(f"/parts/{w.part_ids[0]}/demand-chart")
    assert r.status_code == 200 and "<html" not in r.text  # a fragment for htmx
    fig = figure(r.text)
    assert len(fig["data"][0]["x"]) == 12 and fig["data"][0]["x"][0] == "2025-01-01"
    fam = figure(client.get(f"/parts/{w.part_ids[0]}/demand-chart", params={"family": "true"}).text)
    assert fam["data"][0]["x"][0] == "2024-06-01" and fam["data"][0]["y"][0] == 7
    assert "No demand recorded" in client.get(f"/parts/{w.part_ids[1]}/demand-chart").text


def test_part_create_form_post_redirect_get(client, engine):
    build_world(engine, n_parts=1)
    r = client.get("/parts/new")
    assert r.status_code == 200 and 'action="/parts/new"' in r.text and 'method="post"' in r.text
    r = client.post("/parts/new", data={
        "manufacturer_code": "k0001", "part_number": "ab 12-3", "name": "Fuel pump", "nsn": "2915-72-123-4567",
        "origin_designation": "ТН-12", "kind": "repairable", "unit_of_issue": "ea", "unit_price": "12.50",
        "currency": "INR", "condemnation_rate": "0.2", "procurement_lead_time_days": "120", "repair_turnaround_days": "",
    }, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert re.fullmatch(r"/parts/[0-9a-f-]{36}\?saved=1", r.headers["location"])
    page = client.get(r.headers["location"]).text
    assert "Saved." in page and "AB12-3" in page and "2915-72-123-4567" in page and "ТН-12" in page


def test_part_form_errors_stand_next_to_their_fields_and_keep_the_input(client, engine):
    build_world(engine, n_parts=1)
    before = _parts_count(engine)
    r = client.post("/parts/new", data={
        "manufacturer_code": "K0001", "part_number": "X-1", "name": "", "nsn": "12-bad", "kind": "consumable",
        "unit_of_issue": "EA", "currency": "USD", "unit_price": "-3", "procurement_lead_time_days": "soon",
    })
    assert r.status_code == 422
    html = r.text
    assert "NATO stock number" in _field_error(html, "nsn")
    assert _field_error(html, "name") == "This field is required."
    assert "greater than or equal to 0" in _field_error(html, "unit_price")
    assert _field_error(html, "procurement_lead_time_days") == "Enter a whole number."
    assert _field_error(html, "manufacturer_code") is None
    assert _input_value(html, "nsn") == "12-bad" and _input_value(html, "procurement_lead_time_days") == "soon"
    assert 'id="f-nsn" name="nsn"' in html and "is-invalid" in html.split('id="f-nsn"')[0][-80:]
    assert _parts_count(engine) == before

    # a model-level rule lands on its field too
    r = client.post("/parts/new", data={"manufacturer_code": "K0001", "part_number": "X-2", "name": "Seal",
                                        "kind": "consumable", "unit_of_issue": "EA", "currency": "USD",
                                        "condemnation_rate": "0.5"})
    assert r.status_code == 422 and "always condemned" in _field_error(r.text, "condemnation_rate")


def test_duplicate_part_is_a_field_error(client, engine):
    build_world(engine, n_parts=1)
    r = client.post("/parts/new", data={"manufacturer_code": "RSK01", "part_number": "pn-0000", "name": "Dup",
                                        "kind": "consumable", "unit_of_issue": "EA", "currency": "USD"})
    assert r.status_code == 422 and "already exists" in _field_error(r.text, "part_number")


def test_part_edit_form(client, engine):
    w = build_world(engine, n_parts=1)
    pid = w.part_ids[0]
    html = client.get(f"/parts/{pid}/edit").text
    assert _input_value(html, "nsn") == "1560-72-000-0001"
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    base = {"name": "Main wheel", "kind": "repairable", "unit_of_issue": "EA", "currency": "USD",
            "unit_price": "100.50", "condemnation_rate": "0.1", "procurement_lead_time_days": "90"}
    r = client.post(f"/parts/{pid}/edit", data={**base, "nsn": "", "version": version}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/parts/{pid}?saved=1"
    page = client.get(f"/parts/{pid}").text
    assert "Main wheel" in page and "1560-72-000-0001" not in page  # blank NSN clears it
    # a required field left blank, and a stale version, are both reported; nothing changes
    r = client.post(f"/parts/{pid}/edit", data={**base, "name": "", "version": version})
    assert r.status_code == 422 and _field_error(r.text, "name") == "This field is required."
    r = client.post(f"/parts/{pid}/edit", data={**base, "name": "Other", "version": version})
    assert r.status_code == 422 and "changed by someone else" in r.text
    assert "Main wheel" in client.get(f"/parts/{pid}").text


# -- not found -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/parts/{id}", "/parts/{id}/edit", "/parts/{id}/demand-chart", "/sites/{id}", "/sites/{id}/edit",
    "/equipment-types/{id}", "/equipment-types/{id}/edit", "/units/{id}", "/units/{id}/edit",
    "/parts/not-a-uuid", "/sites/42", "/no/such/page",
])
def test_unknown_ids_are_404_pages(client, path):
    r = client.get(path.format(id=uuid.uuid4()))
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html") and "Not found" in r.text


def test_posting_to_an_unknown_object_is_404(client):
    assert client.post(f"/parts/{uuid.uuid4()}/edit", data={"name": "x"}).status_code == 404


def test_the_api_keeps_problem_json(client):
    r = client.get(f"/api/v1/parts/{uuid.uuid4()}")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/nothing-here").headers["content-type"].startswith("application/problem+json")


# -- sites -----------------------------------------------------------------------------------

def test_sites_list_page_and_stock_at_the_site(client, engine):
    w = build_world(engine, n_parts=3)
    html = client.get("/sites").text
    assert "DEP1" in html and "BAS1" in html
    assert "BAS1" in client.get("/sites", params={"echelon": "2"}).text
    assert "BAS1" not in client.get("/sites", params={"echelon": "1"}).text
    html = client.get(f"/sites/{w.base_id}").text
    stock = html.split('id="site-stock"')[1].split("</table>")[0]
    assert all(f"PN-{i:04d}" in stock for i in range(3))
    assert "DEP1" in html  # resupplied by
    assert "BAS1" in client.get(f"/sites/{w.depot_id}").text  # resupplies


def test_site_forms(client, engine):
    w = build_world(engine, n_parts=1)
    assert 'name="organisation_id"' in client.get("/sites/new").text
    r = client.post("/sites/new", data={"code": "bad code!", "name": "", "kind": "base", "echelon": "2"})
    assert r.status_code == 422
    assert _field_error(r.text, "code") and _field_error(r.text, "name") == "This field is required."
    assert _field_error(r.text, "organisation_id") == "This field is required."
    assert _input_value(r.text, "code") == "bad code!"
    r = client.post("/sites/new", data={"code": "bas2", "name": "Base 2", "kind": "base", "echelon": "2",
                                        "organisation_id": str(w.depot_org_id), "parent_id": str(w.depot_id)},
                    follow_redirects=False)
    assert r.status_code == 303
    assert "BAS2" in client.get(r.headers["location"]).text
    # a depot cannot resupply itself: the service's rule lands on the field
    html = client.get(f"/sites/{w.depot_id}/edit").text
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    r = client.post(f"/sites/{w.depot_id}/edit", data={"name": "Depot 1", "kind": "depot", "echelon": "1",
                                                         "parent_id": str(w.depot_id), "version": version})
    assert r.status_code == 422 and "itself" in _field_error(r.text, "parent_id")
    r = client.post(f"/sites/{w.depot_id}/edit", data={"name": "Central depot", "kind": "depot", "echelon": "1",
                                                         "parent_id": "", "version": version}, follow_redirects=False)
    assert r.status_code == 303 and "Central depot" in client.get(f"/sites/{w.depot_id}").text


# -- equipment types and units ---------------------------------------------------------------

def test_equipment_types_list_and_page_with_bom_tree(client, engine):
    w = build_world(engine, n_parts=2)
    html = client.get("/equipment-types").text
    assert "FTR" in html and "Fighter (demo)" in html and "75%" in html
    html = client.get(f"/equipment-types/{w.type_id}").text
    tree = html.split('id="bom-tree"')[1]
    assert "PN-0000" in tree and "PN-0001" not in tree  # the first level only: components load on demand
    import re
    parent = re.search(r'hx-get="(/equipment-types/[^"]+/bom\?parent=[^"]+)"', tree).group(1)
    level = client.get(parent.replace("&amp;", "&"))
    assert level.status_code == 200 and "PN-0001" in level.text and "<html" not in level.text
    assert "× 2" in tree + level.text
    assert client.get(f"/equipment-types/{w.type_id}/bom?parent=nonsense").status_code in (404, 422)
    units = html.split('id="type-units"')[1].split("</table>")[0]
    assert ">3<" in units and ">1<" in units


def test_equipment_type_forms(client, engine):
    w = build_world(engine, n_parts=1)
    client.sign_in_as("rus.oem", party="RUS", org="OEM-1", kind="oem")  # the origin party maintains types
    r = client.post("/equipment-types/new", data={"code": "S400", "name": "", "category": "tank",
                                                  "operating_hours_per_year": "9000"})
    assert r.status_code == 422
    assert _field_error(r.text, "name") and _field_error(r.text, "category")
    assert _field_error(r.text, "origin_party_id") and "8784" in _field_error(r.text, "operating_hours_per_year")
    r = client.post("/equipment-types/new", data={"code": "s400", "name": "Long-range SAM (demo)",
                                                  "category": "air_defence_long_range",
                                                  "origin_party_id": str(w.origin_id),
                                                  "oem_organisation_id": str(w.oem_org_id),
                                                  "operating_hours_per_year": "600"}, follow_redirects=False)
    assert r.status_code == 303
    tid = r.headers["location"].split("/")[2].split("?")[0]
    html = client.get(f"/equipment-types/{tid}/edit").text
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    r = client.post(f"/equipment-types/{tid}/edit", data={"name": "SAM system (demo)",
                                                          "category": "air_defence_long_range",
                                                          "oem_organisation_id": "", "operating_hours_per_year": "500",
                                                          "version": version}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/equipment-types/{tid}").text
    assert "SAM system (demo)" in page and "No bill of material yet" in page


def test_units_list_filters_and_forms(client, engine):
    w = build_world(engine, n_parts=1)
    html = client.get("/units").text
    assert all(f"SN-{i}" in html for i in range(4))
    down = client.get("/units", params={"status": "down_parts"}).text
    assert "SN-0" in down and "SN-1" not in down
    assert "SN-2" in client.get("/units", params={"equipment_type_id": str(w.type_id), "site_id": str(w.base_id)}).text
    assert "No units match" in client.get("/units", params={"site_id": str(w.depot_id)}).text
    assert client.get("/units", params={"site_id": "junk"}).status_code == 200

    r = client.post("/units/new", data={"serial": "", "equipment_type_id": str(w.type_id), "status": "flying"})
    assert r.status_code == 422
    assert _field_error(r.text, "serial") and _field_error(r.text, "site_id") and _field_error(r.text, "status")
    r = client.post("/units/new", data={"serial": "SN-9", "equipment_type_id": str(w.type_id),
                                        "site_id": str(w.base_id), "status": "down_maintenance"},
                    follow_redirects=False)
    assert r.status_code == 303
    uid = r.headers["location"].split("/")[2].split("?")[0]
    assert "SN-9" in client.get(f"/units/{uid}").text
    # the same serial twice for one type is refused, on the form
    r = client.post("/units/new", data={"serial": "SN-9", "equipment_type_id": str(w.type_id),
                                        "site_id": str(w.base_id), "status": "operational"})
    assert r.status_code == 422 and _field_error(r.text, "serial") == "Already exists"
    version = re.search(r'name="version" value="(\d+)"', client.get(f"/units/{uid}/edit").text).group(1)
    r = client.post(f"/units/{uid}/edit", data={"site_id": str(w.depot_id), "status": "operational",
                                                "version": version}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/units/{uid}").text
    assert "DEP1" in page and "Operational" in page


def test_organisations_list(client, engine):
    w = build_world(engine, n_parts=1)
    html = client.get("/organisations").text
    assert "DEP-ORG" in html and "OEM-1" in html and "Operator (demo)" in html
    only = client.get("/organisations", params={"party_id": str(w.origin_id)}).text
    assert "OEM-1" in only and "DEP-ORG" not in only


# -- conventions -----------------------------------------------------------------------------

def _web_routes() -> list:
    """Every web page route of the composed app (the API and static files left out)."""
    from types import SimpleNamespace

    from setu.adapters.http import iter_routes
    from setu.app.main import create_app
    from setu.kit.db import make_engine

    app = create_app(make_engine("sqlite://"))
    return [SimpleNamespace(path=p, methods=m, dependant=r.dependant) for p, m, r in iter_routes(app)
            if not p.startswith(("/api/", "/health"))]


def test_every_web_route_declares_a_permission():
    import importlib

    from setu.adapters import pages as web
    from setu.adapters.http import route_permission

    routes = _web_routes()
    assert len(routes) >= 25
    from setu.identity.account_web import PUBLIC_ROUTES

    public = {p for _, p in PUBLIC_ROUTES}
    missing = [r.path for r in routes if not route_permission(r) and r.path not in public]
    assert not missing, missing


def test_every_form_carries_the_session_csrf_token(engine):
    """Signed in with a cookie session, every form of every edit page carries that session's token."""
    from fastapi.testclient import TestClient

    from setu.app.main import create_app
    from tests.identity.test_auth_web import sign_in
    from tests.support.auth import ensure_user

    w = build_world(engine, n_parts=1)
    ensure_user(engine, "ind.planner")
    ensure_user(engine, "rus.oem", party="RUS", org="OEM-1", kind="oem")
    pages = {"ind.planner": ["/parts/new", f"/parts/{w.part_ids[0]}/edit", "/sites/new", f"/sites/{w.base_id}/edit",
                             "/units/new", f"/units/{w.unit_ids[0]}/edit", "/account", "/account/password",
                             f"/readiness/{w.type_id}", "/forecast-runs/new"],
             "rus.oem": ["/equipment-types/new", f"/equipment-types/{w.type_id}/edit"]}
    for user, paths in pages.items():
        with TestClient(create_app(engine), base_url="https://testserver") as c:
            sign_in(c, user)
            tokens = set()
            for p in paths:
                r = c.get(p)
                assert r.status_code == 200, (p, r.status_code)
                forms = re.findall(r'<form [^>]*method="post".*?</form>', r.text, re.S)
                assert forms, p
                for f in forms:
                    m = re.search(r'name="csrf_token" value="([^"]+)"', f)
                    assert m, (p, f[:200])
                    tokens.add(m.group(1))
            assert len(tokens) == 1  # one token per session


def test_every_web_post_route_checks_the_csrf_token():
    """Each POST route of the web reads its form through ``form_data``, where the token is checked
    (the login form checks its own double-submit nonce)."""
    import importlib

    from setu.adapters import pages as web
    from setu.identity.account_web import PUBLIC_ROUTES

    def depends_on_form_data(dependant) -> bool:
        stack = list(dependant.dependencies)
        while stack:
            d = stack.pop()
            if d.call is web.form_data:
                return True
            stack.extend(d.dependencies)
        return False

    posts = [(r.path, r) for r in _web_routes()
             if {"POST", "PUT", "PATCH", "DELETE"} & set(getattr(r, "methods", ()) or ())]
    assert len(posts) >= 12
    unchecked = [p for p, r in posts if ("POST", p) not in PUBLIC_ROUTES and not depends_on_form_data(r.dependant)]
    assert not unchecked, unchecked


# -- exports ---------------------------------------------------------------------------------

def test_lists_link_to_csv_and_excel_exports_of_what_is_on_screen(client, engine):
    w = build_world(engine, n_parts=4)
    html = client.get("/parts", params={"kind": "consumable", "has_nsn": "no"}).text
    links = [x.replace("&amp;", "&") for x in re.findall(r'href="(/export/parts\?[^"]+)"', html)]
    assert len(links) == 2 and "format=csv" in links[0] and "format=xlsx" in links[1]
    r = client.get(links[0])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    body = r.content.decode("utf-8-sig")
    assert "PN-0001" in body and "PN-0003" in body and "PN-0000" not in body
    r = client.get(links[1])
    assert r.status_code == 200 and r.content[:2] == b"PK"  # an .xlsx is a zip

    html = client.get("/units", params={"status": "down_parts", "site_id": str(w.base_id)}).text
    link = re.search(r'href="(/export/equipment-units\?format=csv[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "site=BAS1" in link and "status=down_parts" in link
    rows = client.get(link).content.decode("utf-8-sig").strip().splitlines()
    assert len(rows) == 2 and rows[1].startswith("SN-0")
    for page, resource in (("/sites", "sites"), ("/equipment-types", "equipment-types"),
                           ("/organisations", "organisations"), (f"/sites/{w.base_id}", "stock"),
                           (f"/equipment-types/{w.type_id}", "bom")):
        link = re.search(rf'href="(/export/{resource}\?format=csv[^"]*)"', client.get(page).text)
        assert link, page
        assert client.get(link.group(1).replace("&amp;", "&")).status_code == 200, page
    r = client.get("/export/parts", params={"format": "pdf"})
    assert r.status_code == 422 and "text/html" in r.headers["content-type"]


def test_a_crash_shows_an_error_page_without_details(engine, monkeypatch):
    from tests.support.auth import SignedInClient

    from setu.app.main import create_app
    from setu.catalog import service as catalog

    build_world(engine, n_parts=1)

    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(catalog, "list_parts", boom)
    with SignedInClient(create_app(engine), engine, raise_server_exceptions=False) as c:
        r = c.get("/parts")
        assert r.status_code == 500 and "Something went wrong" in r.text and "boom" not in r.text
        assert c.get("/sites").status_code == 200


def test_demand_chart_for_one_site(client, engine):
    w = build_world(engine, n_parts=1)
    page = client.get(f"/parts/{w.part_ids[0]}").text
    assert f'<option value="{w.base_id}">BAS1</option>' in page
    assert "setu-figure" in client.get(f"/parts/{w.part_ids[0]}/demand-chart", params={"site_id": str(w.base_id)}).text
    html = client.get(f"/parts/{w.part_ids[0]}/demand-chart", params={"site_id": str(w.depot_id)}).text
    assert "No demand recorded at this site" in html
