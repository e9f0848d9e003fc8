"""The programme overview in the real headless browser on the demo data: the leadership of each
party signs in and sees its side's figures; the quality authority, with first-article inspections
awaiting its approval, sees them under "Needs you now" and reaches one in one click."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.test_browser import CHROMIUM, LAUNCH_ARGS, browser, pytestmark  # noqa: F401
from tests.support.auth import browser_sign_in
from tests.support.live_server import serving


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory, _sqlite_template):
    from setu.app.main import create_app
    from setu.demo.load import load_demo
    from setu.kit.db import make_engine

    path = tmp_path_factory.mktemp("overview_e2e") / "demo.db"
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    assert load_demo(url=url, migrate=False).loaded
    engine = make_engine(url)
    with serving(create_app(engine), lifespan="off") as base:
        yield {"base": base, "engine": engine}
    engine.dispose()


def _shot(page, name: str) -> None:
    out = os.environ.get("SETU_E2E_SCREENSHOTS")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(out) / f"{name}.png"), full_page=True)


def _signed_in(browser, demo_app, username):  # noqa: F811
    from setu.demo.users import DEMO_PASSWORD

    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    browser_sign_in(page, demo_app["base"], username=username, password=DEMO_PASSWORD)
    return ctx, page


def _figures(demo_app, username):
    from setu.identity import auth
    from setu.kit.access import system_actor
    from setu.kit.uow import UnitOfWork
    from setu.overview import service

    engine = demo_app["engine"]
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        actor = auth.actor_for(auth.get_user_by_name(uow, username))
    with UnitOfWork(actor, engine=engine) as uow:
        return service.overview(uow)


@pytest.mark.parametrize("username", ["ind.leadership", "rus.leadership"])
def test_leadership_sees_its_sides_figures(browser, demo_app, username):  # noqa: F811
    from playwright.sync_api import expect

    d = _figures(demo_app, username)
    ctx, page = _signed_in(browser, demo_app, username)
    expect(page.locator("#tile-readiness")).to_be_visible()
    expect(page.locator("#readiness-chart .main-svg").first).to_be_visible()
    loc = d["tiles"]["localisation"]
    expect(page.locator("#loc-in-progress")).to_have_text(str(loc["in_progress"]))
    expect(page.locator("#lg-claims")).to_have_text(str(d["tiles"]["ledger"]["claims_to_confirm"]))
    first = d["tiles"]["readiness"]["types"][0]
    expect(page.locator(f'#readiness-table tr[data-type="{first["code"]}"] .predicted')).to_have_text(
        f'{100 * first["predicted_availability"]:.1f} %')
    _shot(page, f"overview-{username}")
    ctx.close()
    # each side's figure is the one its own localisation page shows (the origin party sees the
    # qualifications of parts it maintains: localisation.service), checked above on the page


def test_a_pending_approval_is_one_click_away(browser, demo_app):  # noqa: F811
    from playwright.sync_api import expect

    ctx, page = _signed_in(browser, demo_app, "ind.quality")
    link = page.locator('#needs-you a[data-kind="fai_approval"]').first
    expect(link).to_be_visible()
    _shot(page, "overview-ind.quality")
    link.click()
    page.wait_for_url("**/localisation?q=*")
    expect(page.locator("#detail")).to_be_visible()
    expect(page.locator("#steps")).to_contain_text("certify")
    ctx.close()
