"""After-sales pages in the real headless browser: the maintenance officer's queue shows a critical
ticket; the OEM engineer acknowledges it with the page's button and the SLA status changes (same
app, database and Chromium set-up as test_browser)."""
from __future__ import annotations

import pytest

from tests.e2e.test_browser import CHROMIUM, LAUNCH_ARGS, _shot, browser, live_app, page, pytestmark  # noqa: F401


def test_officer_raises_the_oem_acknowledges_the_clock_stops(page, browser, live_app):  # noqa: F811
    from playwright.sync_api import expect
    from sqlalchemy import select

    from setu.aftersales import service
    from setu.catalog.models import EquipmentType
    from setu.fleet.models import EquipmentUnit
    from setu.identity import auth
    from setu.kit.access import system_actor
    from setu.kit.uow import UnitOfWork
    from tests.support.auth import browser_sign_in, ensure_user

    engine = live_app["engine"]
    ensure_user(engine, "rus.oem", party="RUS", org="OEM-1", kind="oem", role="clerk")
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        officer = auth.actor_for(auth.get_user_by_name(uow, "ind.planner"))
        unit_id = uow.session.scalar(select(EquipmentUnit.id).where(EquipmentUnit.serial == "SN-0"))
        oem_id = uow.session.scalar(select(EquipmentType.oem_organisation_id))
    with UnitOfWork(officer, write=True, engine=engine) as uow:
        tid = service.raise_ticket(uow, equipment_unit_id=unit_id, supplier_org_id=oem_id, type="repair_exchange",
                                   title="Gearbox chip light", priority="critical").id
        uow.commit()
    base = live_app["base"]
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(base + "/tickets")
    expect(page.locator("#ticket-queue")).to_contain_text("Gearbox chip light")
    _shot(page, "aftersales-queue-officer")
    page.get_by_role("link", name="Gearbox chip light").click()
    expect(page.locator("#ticket-sla")).to_contain_text("in progress")
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)   # the officer may not
    _shot(page, "aftersales-ticket-officer")

    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    oem = ctx.new_page()
    browser_sign_in(oem, base, username="rus.oem", next_path=f"/tickets/{tid}")
    expect(oem.get_by_role("button", name="Cancel")).to_have_count(0)         # only the raiser cancels
    oem.get_by_role("button", name="Acknowledge").click()
    expect(oem.locator("#ticket-state")).to_have_text("acknowledged")
    expect(oem.locator("#ticket-sla tbody tr").first).to_contain_text("completed")
    _shot(oem, "aftersales-ticket-oem")
    ctx.close()
    page.reload()
    expect(page.locator("#ticket-sla tbody tr").first).to_contain_text("completed")


from tests.support.smtp import smtp_server  # noqa: E402,F401


def test_officer_raises_critical_the_oem_answers_the_officer_is_notified(page, browser, live_app, smtp_server):  # noqa: F811
    """The raise form, the OEM's acknowledgement and answer (a quotation), the SLA status changing on
    the officer's page, the bell's unread count, the notifications page, and the e-mail that reached
    the SMTP server on loopback."""
    from playwright.sync_api import expect
    from sqlalchemy import select

    from setu.catalog.models import EquipmentType
    from setu.identity.models import User
    from setu.kit.access import system_actor
    from setu.kit.uow import UnitOfWork
    from tests.support.auth import browser_sign_in, ensure_user

    engine = live_app["engine"]
    ensure_user(engine, "rus.oem", party="RUS", org="OEM-1", kind="oem", role="clerk")
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        officer = uow.session.scalar(select(User).where(User.username == "ind.planner"))
        officer.email = "officer@example.test"
        oem_id = uow.session.scalar(select(EquipmentType.oem_organisation_id))
        uow.commit()
    base = live_app["base"]
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(base + "/tickets")
    bell = page.locator("#nav-bell-count")
    unread_before = int(bell.inner_text()) if bell.count() else 0
    page.get_by_role("link", name="Raise a ticket").click()
    page.select_option("#f-unit", label=page.locator("#f-unit option", has_text="SN-0").first.inner_text())
    page.select_option("#f-supplier", value=str(oem_id))
    page.select_option("#f-type", value="repair_exchange")
    page.select_option("#f-priority", value="critical")
    page.fill("#f-title", "Hydraulic pump failure")
    page.fill("#f-description", "Unit down: hydraulic pressure lost on start-up.")
    _shot(page, "aftersales-raise-officer")
    page.get_by_role("button", name="Raise ticket").click()
    expect(page.locator("h1")).to_have_text("Hydraulic pump failure")
    expect(page.locator("#ticket-state")).to_have_text("new")
    expect(page.locator("#ticket-sla tbody tr").first).to_contain_text("in progress")
    tid = page.url.rsplit("/", 1)[1]

    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    oem = ctx.new_page()
    browser_sign_in(oem, base, username="rus.oem", next_path="/notifications")
    expect(oem.locator("#notification-list")).to_contain_text("New critical ticket")   # the assignment
    oem.goto(f"{base}/tickets/{tid}")
    oem.get_by_role("button", name="Acknowledge").click()
    expect(oem.locator("#ticket-state")).to_have_text("acknowledged")
    oem.fill("#f-note", "Exchange pump from stock, shipped within 48 h.")
    oem.get_by_role("button", name="Quote").click()
    expect(oem.locator("#ticket-state")).to_have_text("quoted")
    _shot(oem, "aftersales-ticket-oem-answered")
    ctx.close()

    page.reload()
    expect(page.locator("#ticket-state")).to_have_text("quoted")
    rows = page.locator("#ticket-sla tbody tr")
    expect(rows.nth(0)).to_contain_text("completed")                   # acknowledge
    expect(rows.nth(1)).to_contain_text("completed")                   # respond: the quotation answered
    expect(page.locator("#ticket-history")).to_contain_text("Exchange pump from stock")
    # the officer's two new notifications (an earlier test of this module left others unread)
    expect(page.locator("#nav-bell-count")).to_have_text(str(unread_before + 2))
    page.locator("#nav-bell").click()
    expect(page.locator("#notification-list")).to_contain_text("acknowledged ticket 'Hydraulic pump failure'")
    expect(page.locator("#notification-list")).to_contain_text("Exchange pump from stock")
    _shot(page, "notifications-officer")
    mail = smtp_server.wait_for("officer@example.test")
    assert "Hydraulic pump failure" in str(mail["Subject"]) and f"/tickets/{tid}" in mail.get_content()
    page.get_by_role("button", name="Mark all read").click()
    expect(page.locator("#nav-bell-count")).to_have_count(0)
