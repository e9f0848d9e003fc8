"""The web UI in a real headless browser: Debian's Chromium driven by Playwright.

Starts the real app with uvicorn on a free loopback port, against a temporary SQLite database
filled through the services, and walks what a user does: overview, search a part, open it, see
its demand chart, submit a bad value and read the message next to the field. Every request the
page makes must go to the app itself (vendor files served locally, no CDN).

Set SETU_E2E_SCREENSHOTS=<dir> to keep screenshots of the pages visited. Without Chromium these
tests skip, unless SETU_REQUIRE_BROWSER=1 (CI, `.ci/run`): then a missing browser fails the run.
"""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from tests.support.auth import browser_sign_in
from tests.support.live_server import serving

CHROMIUM = Path("/usr/bin/chromium")
VENDOR = Path(__file__).resolve().parents[2] / "src" / "setu" / "adapters" / "static" / "vendor"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]

REQUIRE_BROWSER = os.environ.get("SETU_REQUIRE_BROWSER") == "1"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRE_BROWSER,
                       reason="/usr/bin/chromium is absent (apt-get install chromium)"),
]


def _seed(engine) -> dict:
    from setu.catalog import service as catalog
    from setu.catalog.schemas import InterchangeCreate
    from setu.demand import service as demand
    from setu.demand.schemas import DemandRecordCreate
    from setu.kit.access import system_actor
    from setu.kit.uow import UnitOfWork
    from tests.support.auth import ensure_user
    from tests.support.world import build_world

    w = build_world(engine, n_parts=6)
    ensure_user(engine, "ind.planner")
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        catalog.add_interchange(uow, data=InterchangeCreate(replaced_part_id=w.part_ids[2],
                                                            replacing_part_id=w.part_ids[0], code="two_way"))
        for m in range(1, 13):
            demand.record_demand(uow, data=DemandRecordCreate(part_id=w.part_ids[2], site_id=w.base_id,
                                                              period=date(2024, m, 1), quantity=float(m % 4)))
        uow.commit()
    return {"part_id": w.part_ids[0]}


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    from setu.app.main import create_app
    from setu.kit.db import make_engine, upgrade_database

    if not (VENDOR / "plotly" / "plotly.min.js").is_file():
        pytest.fail("web assets are not installed: run `npm ci && python scripts/install_assets.py`")
    from setu.kit import jobs

    folder = tmp_path_factory.mktemp('e2e')
    url = f"sqlite:///{folder / 'setu.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    data = _seed(engine)
    jobs.configure(engine, jobs_url=f"sqlite:///{folder / 'jobs.db'}")
    # the lifespan runs the job consumer (forecast runs and readiness plans are background jobs)
    with serving(create_app(engine)) as base:
        yield {"base": base, "engine": engine, **data}
    jobs.stop_consumer(5)
    jobs.forget_queues()
    engine.dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"SETU_REQUIRE_BROWSER=1 but {CHROMIUM} is absent (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_app):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.requests_seen = []
    pg.errors_seen = []
    pg.on("request", lambda r: pg.requests_seen.append(r.url))
    pg.on("pageerror", lambda e: pg.errors_seen.append(str(e)))
    # the Content-Security-Policy (setu.adapters.headers) must block nothing the pages need
    pg.on("console", lambda m: pg.errors_seen.append(m.text) if "Content Security Policy" in m.text else None)
    # a form refused with 422 is expected; any other failed request (a missing asset...) is not
    pg.on("response", lambda r: pg.errors_seen.append(f"{r.status} {r.request.method} {r.url}")
          if r.status >= 400 and not (r.status == 422 and r.request.method == "POST") else None)
    browser_sign_in(pg, live_app["base"])
    yield pg
    context.close()


def _shot(page, name: str) -> None:
    out = os.environ.get("SETU_E2E_SCREENSHOTS")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(out) / f"{name}.png"), full_page=True)


def test_search_open_part_see_chart_and_form_errors(page, live_app):
    from playwright.sync_api import expect

    base = live_app["base"]
    # overview: headline figures and the Plotly chart
    page.goto(base + "/")
    expect(page.locator("#stat-parts")).to_have_text("6")
    expect(page.locator("#stat-readiness")).to_have_text("75%")
    expect(page.locator("#units-by-type .main-svg").first).to_be_visible()
    _shot(page, "home")

    # search as you type on the parts list (htmx swaps the results)
    page.get_by_role("button", name="Catalog & fleet").click()
    page.get_by_role("link", name="Parts", exact=True).click()
    expect(page.locator("#parts-table tbody tr")).to_have_count(6)
    page.locator("#f-q").fill("PN-0000")
    expect(page.locator("#parts-table tbody tr")).to_have_count(1)
    assert "q=PN-0000" in page.url  # the search is kept in the address
    page.get_by_role("link", name="PN-0000").click()

    # the part page: identifiers, where used, interchangeability, stock, and the demand chart
    expect(page.locator("h1")).to_contain_text("Test part 0")
    expect(page.locator("#identifiers")).to_contain_text("RSK01")
    expect(page.locator("#where-used")).to_contain_text("FTR")
    expect(page.locator("#interchanges")).to_contain_text("PN-0002")
    expect(page.locator("#stock-table")).to_contain_text("BAS1")
    expect(page.locator("#demand-chart .js-plotly-plot .main-svg").first).to_be_visible()
    assert page.locator("#demand-chart .js-plotly-plot .bars .point").count() > 0
    _shot(page, "part")
    # roll up the superseded part's demand: the chart is redrawn with more months
    page.locator("#family-switch").check()
    expect(page.locator("#demand-chart")).to_contain_text("superseded parts included")
    expect(page.locator("#demand-chart .js-plotly-plot .main-svg").first).to_be_visible()
    page.locator("#demand-site").select_option(label="DEP1")
    expect(page.locator("#demand-chart")).to_contain_text("No demand recorded for this part's family at this site")
    page.locator("#demand-site").select_option(label="BAS1")
    expect(page.locator("#demand-chart .js-plotly-plot .main-svg").first).to_be_visible()

    # a bad value is refused, the message stands next to the field, the input is kept
    page.get_by_role("link", name="Edit part").click()
    page.locator("#f-nsn").fill("12-bad")
    page.locator("#f-name").fill("Renamed part")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#f-nsn")).to_have_class("form-control is-invalid")
    expect(page.locator("#f-nsn-error")).to_contain_text("NATO stock number")
    expect(page.locator("#f-nsn")).to_have_value("12-bad")
    expect(page.locator("#f-name")).to_have_value("Renamed part")
    _shot(page, "part_form_error")
    # corrected, it saves and redirects to the part (POST-redirect-GET)
    page.locator("#f-nsn").fill("1560-72-000-0099")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_contain_text("Saved")
    expect(page.locator("#identifiers")).to_contain_text("1560-72-000-0099")
    assert page.url.startswith(f"{base}/parts/{live_app['part_id']}")

    offsite = [u for u in page.requests_seen if not u.startswith(base)]
    assert not offsite, f"the page fetched from elsewhere than the app: {offsite}"
    assert not page.errors_seen, page.errors_seen


def test_other_pages_render_in_the_browser(page, live_app):
    from playwright.sync_api import expect

    base = live_app["base"]
    page.goto(base + "/equipment-types")
    page.get_by_role("link", name="FTR").click()
    expect(page.locator("#bom-tree")).to_contain_text("PN-0000")
    expect(page.locator("#bom-tree")).not_to_contain_text("PN-0001")  # components load when opened
    page.locator("#bom-tree details summary").first.click()
    expect(page.locator("#bom-tree .bom-children")).to_contain_text("PN-0001")
    page.goto(base + "/units?status=down_parts")
    expect(page.locator("#units-table tbody tr")).to_have_count(1)
    page.goto(base + "/sites")
    page.get_by_role("link", name="BAS1").click()
    expect(page.locator("#site-stock tbody tr")).to_have_count(6)
    _shot(page, "site")
    page.goto(base + "/sites/new")
    page.locator("#f-code").fill("bad code!")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#f-code-error")).to_be_visible()
    expect(page.locator("#f-name-error")).to_contain_text("required")
    assert not page.errors_seen, page.errors_seen


def test_sign_in_and_out_in_the_browser(browser, live_app):
    """Anonymous visit -> login page -> wrong password -> signed in at the page asked for -> sign out."""
    base = live_app["base"]
    context = browser.new_context()
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.goto(base + "/units")
    pg.wait_for_url("**/login?next=%2Funits")
    pg.fill("#f-username", "ind.planner")
    pg.fill("#f-password", "not my password")
    pg.click("button[type=submit]")
    assert "Wrong user name or password" in pg.locator("#login-error").inner_text()
    pg.fill("#f-password", "correct horse battery staple")
    pg.click("button[type=submit]")
    pg.wait_for_url(base + "/units")
    assert pg.locator("#nav-me").inner_text() == "ind.planner"
    cookie = next(c for c in context.cookies() if c["name"] == "setu_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    pg.click("#nav-logout")
    pg.wait_for_url(base + "/login")
    pg.goto(base + "/units")
    pg.wait_for_url("**/login?next=%2Funits")
    context.close()
