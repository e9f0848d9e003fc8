"""Browser and HTTP defences (issue 11): security headers on every route, safe chart data, body
limits, crafted cursors and search terms, and a fuzz test of cursors over the list endpoints."""
from __future__ import annotations

import base64
import json
import re
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork
from tests.support.world import build_world

SRC = Path(__file__).resolve().parents[2] / "src" / "setu"
HOSTILE = ["Fighter <!--<script>", "</script><script>alert(1)</script>", "a & b > c < d", "<!-- -->", "]]>\u2028"]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


def _assert_secure(r, path):
    h = r.headers
    csp = h.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, (path, r.status_code, dict(h))
    assert "object-src 'none'" in csp
    script = re.search(r"script-src ([^;]*)", csp).group(1)
    assert script.strip() == "'self'", (path, csp)  # no inline script, no eval (the API reference too)
    assert h.get("x-content-type-options") == "nosniff", path
    assert h.get("referrer-policy") == "same-origin", path
    assert "strict-transport-security" not in h  # plain HTTP: no HSTS


def test_every_route_answers_with_security_headers_signed_in_and_anonymous(client, engine):
    from setu.adapters.http import iter_routes

    build_world(engine, n_parts=2)
    routes = iter_routes(client.app)
    assert len(routes) > 50
    seen = 0
    for path, methods, _ in routes:
        for method in sorted(methods - {"HEAD"}):
            url = _concrete(path)
            r = client.request(method, url, follow_redirects=False)
            _assert_secure(r, path)
            seen += 1
    client.anonymous()
    for path, methods, _ in routes:
        for method in sorted(methods - {"HEAD"}):
            _assert_secure(client.request(method, _concrete(path), follow_redirects=False), path)
    for extra in ("/static/js/setu.js", "/no/such/page", "/api/v1/no-such", "/health", "/login"):
        _assert_secure(client.get(extra, follow_redirects=False), extra)
    assert seen > 50


def test_hsts_only_over_tls(engine):
    from fastapi.testclient import TestClient

    from setu.app.main import create_app

    with TestClient(create_app(engine), base_url="https://setu.example") as c:
        r = c.get("/health")
    assert r.headers["strict-transport-security"].startswith("max-age=")


def test_no_template_has_inline_script_or_event_handlers():
    bad = []
    for p in SRC.rglob("*.html"):
        text = p.read_text()
        for m in re.finditer(r"<script\b([^>]*)>", text):
            attrs = m.group(1)
            if "src=" not in attrs:
                bad.append(f"{p.relative_to(SRC)}: inline <script{attrs}>")
        for m in re.finditer(r"\son[a-z]+\s*=", text):
            bad.append(f"{p.relative_to(SRC)}: inline handler {m.group(0).strip()}")
        if "javascript:" in text:
            bad.append(f"{p.relative_to(SRC)}: javascript: URL")
    assert not bad, bad


def test_charts_are_only_built_by_plotly_chart():
    """Every chart's data goes through the one safe serialiser (no other JSON-in-script emitter)."""
    offenders = [str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
                 if 'type="application/json"' in p.read_text() and p.name != "pages.py"]
    offenders += [str(p.relative_to(SRC)) for p in SRC.rglob("*.html") if "application/json" in p.read_text()]
    assert not offenders, offenders


@given(st.lists(st.text(), max_size=4) | st.sampled_from([HOSTILE]))
@settings(max_examples=100, deadline=None)
def test_plotly_chart_data_cannot_leave_its_script_element(names):
    from setu.adapters.pages import plotly_chart

    html = str(plotly_chart({"data": [{"type": "bar", "y": names, "name": "".join(names)}],
                             "layout": {"title": {"text": "".join(names)}}}, chart_id="c", label="<x>"))
    m = re.fullmatch(r'<div class="setu-chart" id="c" role="img" aria-label="&lt;x&gt;" style="min-height:360px">'
                     r'<script type="application/json" class="setu-figure">(.*)</script></div>', html, re.S)
    assert m, html
    body = m.group(1)
    assert not set(body) & {"<", ">", "&"}
    assert json.loads(body)["data"][0]["y"] == names


def _figures(html: str) -> list[dict]:
    out = []
    for m in re.finditer(r'<script type="application/json" class="setu-figure">(.*?)</script>', html, re.S):
        assert not set(m.group(1)) & {"<", ">", "&"}
        out.append(json.loads(m.group(1)))
    return out


def test_hostile_names_on_the_charts_of_the_home_part_and_forecast_pages(client, engine):
    from sqlalchemy import update

    from setu.catalog.models import Part
    from setu.fleet.models import EquipmentType

    w = build_world(engine, n_parts=2)
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        uow.session.execute(update(EquipmentType).where(EquipmentType.id == w.type_id)
                            .values(name=HOSTILE[0]))
        uow.session.execute(update(Part).where(Part.id == w.part_ids[0]).values(name=HOSTILE[1]))
        uow.commit()
    home = client.get("/")
    assert home.status_code == 200
    figs = _figures(home.text)
    units = [f for f in figs if "customdata" in f["data"][0]]  # the units-by-type chart names the types
    assert units and units[0]["data"][0]["customdata"] == [HOSTILE[0]]
    # the rest of the page survives the chart (the footer after it is still there, once)
    assert home.text.count("</footer>") == 1 and home.text.rstrip().endswith("</html>")
    part = client.get(f"/parts/{w.part_ids[0]}")
    assert part.status_code == 200 and part.text.count("</footer>") == 1
    for fig in _figures(part.text):
        json.dumps(fig)


def test_a_body_over_the_limit_is_refused_with_413(client, engine, monkeypatch):
    from setu.kit.settings import get_settings

    limit = get_settings().max_body_bytes
    body = b'{"code": "' + b"x" * (limit + 10) + b'"}'
    r = client.post("/api/v1/sites", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 413
    _assert_secure(r, "/api/v1/sites")

    def chunks():  # no Content-Length: counted as it streams
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    r = client.post("/api/v1/sites", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"


def _cursor(value) -> str:
    raw = json.dumps(value).encode() if not isinstance(value, bytes) else value
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


LISTS = ["/api/v1/parts", "/api/v1/sites", "/api/v1/equipment-types", "/api/v1/equipment-units", "/api/v1/organisations",
         "/api/v1/stock", "/api/v1/demand", "/api/v1/bom-lines", "/api/v1/interchanges"]
CRAFTED = [
    {"s": {"t": "raw", "v": {"a": 1}}, "id": str(uuid.uuid4())},
    {"s": {"t": "raw", "v": [1, 2]}, "id": str(uuid.uuid4())},
    {"s": {"t": "raw", "v": 10 ** 30}, "id": str(uuid.uuid4())},
    {"s": {"t": "dec", "v": "sNaN"}, "id": str(uuid.uuid4())},
    {"s": {"t": "dec", "v": "NaN"}, "id": str(uuid.uuid4())},
    {"s": {"t": "raw", "v": 5}, "id": str(uuid.uuid4())},  # a number where the sort column is text
    {"s": {"t": "raw", "v": "x"}, "id": {"x": 1}},
    [1, 2, 3],
    10 ** 30,
    "sNaN",
    {"s": "x"},
]


@pytest.mark.parametrize("path", LISTS)
def test_crafted_cursors_and_long_search_terms_are_clear_422s(client, engine, path):
    build_world(engine, n_parts=2)
    non_numeric_sort = {"/api/v1/stock": "updated_at", "/api/v1/bom-lines": "updated_at"}
    for c in CRAFTED:
        r = client.get(path, params={"cursor": _cursor(c), **({"sort": non_numeric_sort[path]}
                                                               if path in non_numeric_sort else {})})
        assert r.status_code == 422, (path, c, r.status_code, r.text[:300])
        assert r.json()["errors"][0]["field"] == "cursor"
    r = client.get(path, params={"cursor": _cursor(b"\xff\xfe not json")})
    assert r.status_code == 422
    if path in ("/api/v1/parts", "/api/v1/organisations"):
        r = client.get(path, params={"q": "x" * 50_000})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "q", r.text[:300]


def test_like_wildcards_in_q_match_literally(client, engine):
    build_world(engine, n_parts=3)
    all_parts = client.get("/api/v1/parts").json()["total"]
    assert all_parts == 3
    for q in ("%", "_", "\\", "%%", "_%_"):
        r = client.get("/api/v1/parts", params={"q": q})
        assert r.status_code == 200 and r.json()["total"] == 0, (q, r.json()["total"])
    assert client.get("/api/v1/parts", params={"q": "part 1"}).json()["total"] == 1
    assert client.get("/api/v1/organisations", params={"q": "%"}).json()["total"] == 0


_json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
                            lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=5), kids, max_size=3),
                            max_leaves=6)
_cursor_docs = st.fixed_dictionaries({"s": st.fixed_dictionaries({"t": st.sampled_from(["raw", "dt", "d", "dec", "x"]),
                                                                  "v": _json_values}),
                                      "id": st.uuids().map(str) | _json_values}) | _json_values


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_fuzzed_cursors_never_give_a_server_error(client, engine):
    build_world(engine, n_parts=2)
    sorts = {"/api/v1/parts": ["part_number", "-unit_price", "-updated_at"], "/api/v1/sites": ["code", "-echelon"],
             "/api/v1/equipment-types": ["code"], "/api/v1/equipment-units": ["serial"], "/api/v1/organisations": ["code"],
             "/api/v1/stock": ["-serviceable", "updated_at"], "/api/v1/demand": ["period", "-quantity"],
             "/api/v1/bom-lines": ["level", "quantity_per_assembly"], "/api/v1/interchanges": ["code"]}

    @given(path=st.sampled_from(LISTS), doc=_cursor_docs, raw=st.binary(max_size=40), use_raw=st.booleans(),
           pick=st.integers(0, 2))
    @settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def run(path, doc, raw, use_raw, pick):
        options = sorts[path]
        sort = options[pick % len(options)]
        cursor = base64.urlsafe_b64encode(raw).decode() if use_raw else _cursor(doc)
        r = client.get(path, params={"cursor": cursor, "sort": sort})
        assert r.status_code in (200, 422), (path, sort, doc if not use_raw else raw, r.status_code, r.text[:300])

    run()
