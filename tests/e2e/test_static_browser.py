"""Static files and the API reference in the real browser: Plotly is fetched only by a page with a
chart, the API reference draws offline from the project's own files, and the menus of the bar open
(same app, database and Chromium set-up as test_browser)."""
from __future__ import annotations

from tests.e2e.test_browser import CHROMIUM, LAUNCH_ARGS, _shot, browser, live_app, page, pytestmark  # noqa: F401


def test_plotly_is_fetched_only_where_a_chart_is(page, live_app):  # noqa: F811
    from playwright.sync_api import expect

    base = live_app["base"]
    page.requests_seen.clear()                      # signing in landed on the home page
    page.goto(base + "/units")                      # a list: no chart
    expect(page.locator("table").first).to_be_visible()
    assert not [u for u in page.requests_seen if "plotly" in u]
    page.goto(base + "/")                           # the home page draws charts
    expect(page.locator(".setu-chart .main-svg").first).to_be_visible()
    plotly = [u for u in page.requests_seen if "plotly" in u]
    assert len(plotly) == 1 and "v=" in plotly[0]
    assert not page.errors_seen, page.errors_seen


def test_the_api_reference_draws_offline_from_local_files(page, live_app):  # noqa: F811
    from playwright.sync_api import expect

    base = live_app["base"]
    page.goto(base + "/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Setu API")
    expect(page.locator(".opblock-tag").first).to_be_visible()
    assert page.locator(".opblock").count() > 50
    foreign = [u for u in page.requests_seen if not u.startswith(base)]
    assert not foreign, foreign                     # no CDN, no validator
    assert not page.errors_seen, page.errors_seen   # the strict CSP blocks nothing it needs
    _shot(page, "api-docs")


def test_the_bar_groups_pages_into_menus_that_open(page, live_app):  # noqa: F811
    from playwright.sync_api import expect

    base = live_app["base"]
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(base + "/")
    bar = page.locator("#nav-main")
    box = bar.bounding_box()
    assert box["height"] < 60                       # one line at 1440 px
    page.get_by_role("button", name="Planning").click()
    page.get_by_role("link", name="Readiness", exact=True).click()
    expect(page).to_have_url(base + "/readiness")
    expect(page.get_by_role("button", name="Planning")).to_have_class(
        "nav-link dropdown-toggle btn btn-link active")
    _shot(page, "nav-planning")
