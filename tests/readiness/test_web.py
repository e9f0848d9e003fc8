"""Readiness pages: availability per type and base, worst items, the plan form, the plan with its chart."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.world import make_world
from tests.support.jobs import follow_job_page


def test_pages_render_with_the_chart(engine, client):
    rw = make_world(engine, second_base=True)
    r = client.get("/readiness")
    assert r.status_code == 200 and 'href="/readiness"' in r.text and "FTR" in r.text
    r = client.get(f"/readiness/{rw.w.type_id}")
    assert r.status_code == 200
    assert 'id="fleet-availability"' in r.text and 'id="worst-items"' in r.text and "PN-0000" in r.text
    assert "BAS1" in r.text and "BAS2" in r.text
    r = client.get(f"/readiness/{rw.w.type_id}?site_id={rw.base2_id}")
    assert r.status_code == 200 and re.search(r'id="site-availability".*BAS2', r.text, re.S)
    r = client.post(f"/readiness/{rw.w.type_id}/plans", data={"budget": "2000", "name": "web plan"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith("/jobs/")  # a background job: its page follows it
    plan_url = follow_job_page(client, r.headers["location"])
    page = client.get(plan_url)
    assert page.status_code == 200
    assert 'class="setu-figure"' in page.text and "efficient curve" in page.text
    assert "web plan" in page.text and 'id="plan-lines"' in page.text
    plan_id = plan_url.split("/")[-1].split("?")[0]
    x = client.get(f"/readiness/plans/{plan_id}/export?format=xlsx")
    assert x.status_code == 200 and "spreadsheetml" in x.headers["content-type"]
    assert "web plan" in client.get(f"/readiness/{rw.w.type_id}").text  # listed with the type


def test_form_errors_next_to_the_fields_and_nothing_saved(engine, client):
    rw = make_world(engine)
    r = client.post(f"/readiness/{rw.w.type_id}/plans", data={"budget": "-3", "target": "150"})
    assert r.status_code == 422
    assert re.search(r'id="f-budget-error">Must be a number &gt;= 0', r.text)
    assert re.search(r'id="f-target-error">Must be a percentage between 0 and 100', r.text)
    assert 'value="-3"' in r.text  # the values typed are kept
    r = client.post(f"/readiness/{rw.w.type_id}/plans", data={})
    assert r.status_code == 422 and 'id="f-budget-error"' in r.text
    assert "No saved plans yet." in client.get(f"/readiness/{rw.w.type_id}").text


def test_unknown_type_and_plan_are_404(engine, client):
    make_world(engine)
    assert client.get("/readiness/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.get("/readiness/plans/00000000-0000-0000-0000-000000000000").status_code == 404


@pytest.mark.e2e
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="/usr/bin/chromium is absent")
def test_in_the_browser_the_plan_form_leads_to_the_drawn_curve(tmp_path):
    import socket
    import threading
    import time

    import uvicorn
    from playwright.sync_api import expect, sync_playwright

    from setu.app.main import create_app
    from setu.kit.db import make_engine, upgrade_database
    from tests.support.auth import browser_sign_in, ensure_user

    vendor = Path(__file__).resolve().parents[2] / "src" / "setu" / "adapters" / "static" / "vendor"
    if not (vendor / "plotly" / "plotly.min.js").is_file():
        pytest.skip("web assets are not installed")
    url = f"sqlite:///{tmp_path / 'setu.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    rw = make_world(engine, second_base=True)
    ensure_user(engine, "ind.planner")
    from setu.kit import jobs

    jobs.configure(engine, jobs_url=f"sqlite:///{tmp_path / 'jobs.db'}")  # the lifespan runs the plan job
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(engine), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"])
            page = browser.new_page()
            page.set_default_timeout(15_000)
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            browser_sign_in(page, f"http://127.0.0.1:{port}", next_path=f"/readiness/{rw.w.type_id}")
            page.fill("#f-target", "120")
            page.click("text=Compute and save plan")
            expect(page.locator("#f-target-error")).to_contain_text("between 0 and 100")
            page.fill("#f-target", "")
            page.fill("#f-budget", "2500")
            page.click("text=Compute and save plan")
            # the job page follows the plan's job, then opens the plan
            page.wait_for_url(re.compile(r".*/readiness/plans/[0-9a-f-]{36}$"))
            expect(page.locator("#readiness-curve .main-svg").first).to_be_visible()
            expect(page.locator("#plan-lines tbody tr").first).to_be_visible()
            browser.close()
        assert not errors, errors
    finally:
        server.should_exit = True
        thread.join(10)
        jobs.stop_consumer(5)
        jobs.forget_queues()
        engine.dispose()
