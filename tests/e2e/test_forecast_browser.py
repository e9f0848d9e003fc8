"""Forecast pages in the real headless browser: start a run from the form, read its pages, and see
the fan chart drawn on the part page (same app, database and Chromium set-up as test_browser)."""
from __future__ import annotations

import re

import pytest

from tests.e2e.test_browser import _shot, browser, live_app, page, pytestmark  # noqa: F401  (fixtures)


def _expected_figures(engine, **params) -> dict[str, str]:
    """The run's series count and mean RMSSE / MASE as the page formats them, computed here in the
    foreground (no job) from the same database and parameters."""
    from setu.adapters.pages import fmt_num
    from setu.forecasting import service as fs
    from setu.kit.uow import UnitOfWork
    from tests.support.auth import DEFAULT_USER

    with UnitOfWork(_actor_of(engine, DEFAULT_USER["username"]), engine=engine) as uow:
        out = fs.prepare_forecast_run(uow, **params).output
    acc = fs.accuracy_figures([(str(m), str(c), fs._clean(r), fs._clean(b), fs._clean(x)) for m, c, r, b, x in zip(
        out.method, out.demand_class, out.rmsse, out.scaled_bias, out.mase)])
    return {"series": fmt_num(acc["overall"]["series"]), "rmsse": fmt_num(acc["overall"]["rmsse_mean"], 3),
            "mase": fmt_num(acc["overall"]["mase_mean"], 3)}


def _actor_of(engine, username: str):
    from setu.identity import auth
    from setu.kit.access import system_actor
    from setu.kit.uow import UnitOfWork

    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        return auth.actor_for(auth.get_user_by_name(uow, username))


def test_start_a_run_and_see_the_fan_chart(page, live_app):  # noqa: F811
    from playwright.sync_api import expect

    base = live_app["base"]
    page.goto(base + "/")
    page.get_by_role("button", name="Planning").click()
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
    # the run is a background job: its page shows the progress, then opens the run
    page.wait_for_url(re.compile(r".*/jobs/[0-9a-f-]{36}$"))
    expect(page.locator("#job-status")).to_be_visible()
    page.wait_for_url(re.compile(r".*/forecast-runs/[0-9a-f-]{36}$"), timeout=60_000)
    expect(page.locator("#run-params")).to_contain_text("9 months")
    # the same figures as the run computed in the foreground from the same data and parameters
    expected = _expected_figures(live_app["engine"], method="sba", horizon=9, holdout_months=6)
    expect(page.locator("#run-params")).to_contain_text(expected["series"])
    expect(page.locator("#accuracy-summary tbody tr").first).to_contain_text(expected["rmsse"])
    expect(page.locator("#accuracy-summary tbody tr").first).to_contain_text(expected["mase"])
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
