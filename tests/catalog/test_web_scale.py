"""The parts list at 50,000 parts on SQLite: keyset pages, no OFFSET scan, no total count.

How fast the pages answer is measured in ``bench/bench_web_parts_list.py`` (benchmarks, not tests,
carry timings); here we check what makes them fast: every page is one keyset query (no OFFSET, no
COUNT over the table) and paging reaches the last row.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import event, insert

N_PARTS = 50_000


def part_rows(n: int) -> list[dict]:
    now = datetime.now(timezone.utc)
    return [dict(id=uuid.uuid4(), manufacturer_code=f"M{i % 40:03d}", part_number=f"P{i:06d}",
                 nsn=f"{1000 + i % 9000:04d}-72-{i % 1000:03d}-{i // 9:04d}" if i % 3 == 0 else None,
                 name=f"{('Seal', 'Bearing', 'Valve', 'Pump', 'Filter')[i % 5]} {i}", origin_designation=f"OD-{i}",
                 unit_of_issue="EA", unit_price=Decimal("1.00"), currency="USD",
                 kind="repairable" if i % 2 else "consumable", condemnation_rate=1.0 if i % 2 == 0 else 0.2,
                 procurement_lead_time_days=90, created_at=now, updated_at=now, version=1) for i in range(n)]


@pytest.fixture(scope="module")
def big(_sqlite_template, tmp_path_factory):
    import shutil

    from setu.app.main import create_app
    from tests.support.auth import SignedInClient
    from setu.catalog.models import Part
    from setu.kit.db import make_engine

    path = tmp_path_factory.mktemp("web_scale") / "setu.db"
    shutil.copy(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as c:
        c.execute(insert(Part), part_rows(N_PARTS))
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cur, stmt, params, ctx, many: statements.append((stmt, params)))
    with SignedInClient(create_app(engine), engine) as client:
        client.sign_in_as("ind.planner")
        statements.clear()
        yield client, statements
    engine.dispose()


def part_queries(statements: list[tuple]) -> list[tuple]:
    return [(s, p) for s, p in statements if "FROM catalog_part" in s]


def skips_rows(stmt: str, params) -> bool:
    """True when the query skips rows with a non-zero OFFSET (SQLite always renders ``OFFSET ?``)."""
    if "OFFSET" not in stmt.upper():
        return False
    return not (stmt.rstrip().upper().endswith("OFFSET ?") and params and params[-1] == 0)


@pytest.mark.slow
@pytest.mark.parametrize("params", [
    {}, {"q": "P012345"}, {"q": "valve"}, {"q": "no such thing"}, {"kind": "repairable"},
    {"manufacturer_code": "M007"}, {"has_nsn": "yes"}, {"has_nsn": "no", "kind": "consumable"},
    {"sort": "name"}, {"sort": "-updated_at"}, {"q": "234", "sort": "manufacturer_code"},
])
def test_every_parts_list_page_is_one_keyset_query(big, params):
    client, statements = big
    statements.clear()
    r = client.get("/parts", params=params)
    assert r.status_code == 200
    m = re.search(r'rel="next" href="([^"]+)"', r.text)
    if m:
        r2 = client.get(m.group(1).replace("&amp;", "&"))
        assert r2.status_code == 200
        first_rows = set(re.findall(r'href="/parts/([0-9a-f-]{36})"', r.text))
        next_rows = set(re.findall(r'href="/parts/([0-9a-f-]{36})"', r2.text))
        assert first_rows and next_rows and not first_rows & next_rows
    queries = part_queries(statements)
    assert queries, "the list read parts"
    for stmt, p in queries:
        assert not skips_rows(stmt, p), stmt
        assert "count(" not in stmt.lower(), stmt


@pytest.mark.slow
def test_paging_reaches_the_last_part_without_offset(big):
    """Keyset cursors: page 25 is found by a seek, not by skipping 1,200 rows."""
    client, statements = big
    url, seen, pages = "/parts?manufacturer_code=M003", set(), 0
    statements.clear()
    while url and pages < 100:
        html = client.get(url.replace("&amp;", "&")).text
        seen |= set(re.findall(r'href="/parts/([0-9a-f-]{36})"', html))
        m = re.search(r'rel="next" href="([^"]+)"', html)
        url = m.group(1) if m else None
        pages += 1
    assert pages == 25  # 1,250 parts of M003, 50 a page
    assert len(seen) == 1_250
    assert not any(skips_rows(s, p) for s, p in part_queries(statements))


@pytest.mark.slow
def test_home_and_a_part_page_at_50k_parts(big):
    client, _ = big
    assert client.get("/").status_code == 200
    assert re.search(r'id="stat-parts">50,000<', client.get("/").text)
    href = re.search(r'href="(/parts/[0-9a-f-]{36})"', client.get("/parts?q=P049999").text).group(1)
    r = client.get(href)
    assert r.status_code == 200 and "P049999" in r.text
