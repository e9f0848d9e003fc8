"""Forecast pages in the real headless browser: start a run from the form, read its pages, and see
the fan chart drawn on the part page (same app, database and Chromium set-up as test_browser)."""
from __future__ import annotations

import pytest

from tests.e2e.test_browser import _shot, browser, live_app, page, pytestmark  # noqa: F401  (fixtures)


def test_start_a_run_and_see_the_fan_chart(page, live_app):  # noqa: F811
    from playwright.sync_api import expect

    base = live_app["base"]
    page.goto(base + "/")
    page.get_by_role("link", name="Forecasts", exact=True).click()
    expect(page.locator("#runs-table")).to_contain_text("No forecast runs yet")
    page.get_by_role("link", name="New forecast run").click()
    # a bad horizon is refused next to the field
    page.locator("#f-method").select_option("sba")
    page.locator("#f-horizon").fill("0")
    page.get_by_role("button", name="Start run").click()
    expect(page.locator("#f-horizon-error")).to_contain_text("between 1 and 120")
    page.locator("#f-horizon").fill("9")
    page.get_by_role("button", name="Start run").click()
    expect(page.locator(".alert-success")).to_contain_text("Saved")
    expect(page.locator("#run-params")).to_contain_text("9 months")
    expect(page.locator("#results-table tbody tr")).not_to_have_count(0)
    _shot(page, "forecast_run")
    page.get_by_role("link", name="Accuracy").first.click()
    expect(page.locator("#rmsse-by-class .main-svg").first).to_be_visible()
    _shot(page, "forecast_accuracy")

    page.goto(f"{base}/parts/{live_app['part_id']}")
    expect(page.locator("#forecast-chart .js-plotly-plot .main-svg").first).to_be_visible()
    expect(page.locator("#forecast-sites")).to_contain_text("BAS1")
    assert page.locator("#forecast-chart .js-plotly-plot .scatterlayer .trace").count() == 4  # q99, 2 bands, mean
    _shot(page, "part_forecast")
    offsite = [u for u in page.requests_seen if not u.startswith(base)]
    assert not offsite, offsite
    assert not page.errors_seen, page.errors_seen


pytest  # the module's marks come from test_browser's pytestmark
