"""The programme overview on the demo data: every tile's figure equals the one on its source
page for the same user (signed in through a real token), each side sees its own, "Needs you
now" lists what waits for the user with links that open, and the API and CLI give the same
figures as the page."""
from __future__ import annotations

import json
import re
import shutil

import pytest
from sqlalchemy import select

from setu.app.main import create_app
from setu.demo.load import load_demo
from setu.identity import auth
from setu.kit.access import system_actor
from setu.kit.db import make_engine
from setu.kit.uow import UnitOfWork
from setu.overview import service
from setu.overview.tiles import providers
from tests.support.auth import SignedInClient

SYS = system_actor("test")


@pytest.fixture(scope="module")
def demo(tmp_path_factory, _sqlite_template):
    path = tmp_path_factory.mktemp("overview") / "demo.db"
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    assert load_demo(url=url, migrate=False).loaded
    engine = make_engine(url)
    _critical_ticket(engine)
    yield {"engine": engine, "url": url}
    engine.dispose()


def _actor(engine, name):
    with UnitOfWork(SYS, engine=engine) as uow:
        return auth.actor_for(auth.get_user_by_name(uow, name))


def _critical_ticket(engine) -> None:
    from setu.aftersales import service as aftersales
    from setu.catalog.models import EquipmentType
    from setu.fleet.models import EquipmentUnit

    planner = _actor(engine, "ind.maintenance")
    with UnitOfWork(SYS, engine=engine) as uow:
        unit_id = uow.session.scalars(select(EquipmentUnit.id)).first()
        oem_id = uow.session.scalar(select(EquipmentType.oem_organisation_id))
    with UnitOfWork(planner, write=True, engine=engine) as uow:
        aftersales.raise_ticket(uow, equipment_unit_id=unit_id, supplier_org_id=oem_id, type="repair_exchange",
                                title="Gearbox chip light", priority="critical")
        uow.commit()


def _client(demo, name) -> SignedInClient:
    return SignedInClient(create_app(demo["engine"]), demo["engine"]).sign_in_as(name)


def _data(demo, name) -> dict:
    with UnitOfWork(_actor(demo["engine"], name), engine=demo["engine"]) as uow:
        return service.overview(uow)


def test_tiles_are_found_by_convention():
    keys = [t.key for t in providers()]
    assert keys[:6] == ["fleet", "readiness", "localisation", "aftersales", "contracts", "ledger"]


@pytest.mark.parametrize("name", ["ind.leadership", "rus.leadership"])
def test_readiness_tile_equals_the_readiness_page(demo, name):
    c = _client(demo, name)
    d = _data(demo, name)
    rows = d["tiles"]["readiness"]["types"]
    assert rows
    html = c.get("/").text
    for r in rows:
        api = c.get(f"/api/v1/readiness/{r['equipment_type_id']}").json()
        assert r["predicted_availability"] == pytest.approx(api["fleet_availability"], abs=1e-12)
        assert r["demand_source"] == api["demand_described"]
        assert f'href="{r["href"]}" class="predicted">{100 * r["predicted_availability"]:.1f} %<' in html
        # actual: operational share of the type's units on /units for the same user
        units = c.get(f"/api/v1/equipment-units?equipment_type_id={r['equipment_type_id']}&limit=200").json()["items"]
        assert r["units"] == len(units)
        assert r["operational"] == sum(u["status"] == "operational" for u in units)
        assert r["href"] and c.get(r["href"]).status_code == 200


def test_localisation_tile_equals_the_localisation_page_and_each_side_sees_its_own(demo):
    for name in ("ind.leadership", "rus.leadership", "ind.quality"):
        c = _client(demo, name)
        tile = _data(demo, name)["tiles"]["localisation"]
        page = c.get("/localisation").text
        counts = {s: int(re.search(rf'id="count-{s}">(\d+)<', page).group(1))
                  for s in ("drawing", "fai", "submitted", "certified")}
        assert tile["by_state"] == counts, name
        assert tile["in_progress"] == counts["drawing"] + counts["fai"] + counts["submitted"]
        assert f'id="loc-in-progress">{tile["in_progress"]}<' in c.get("/").text
    assert _data(demo, "ind.leadership")["tiles"]["localisation"]["in_progress"] > 0
    # the origin party sees only the qualifications of parts it maintains (its OEM may comment on them)
    assert _data(demo, "rus.leadership")["tiles"]["localisation"]["in_progress"] <= \
        _data(demo, "ind.leadership")["tiles"]["localisation"]["in_progress"]
    content = {r["code"]: r for r in _data(demo, "ind.leadership")["tiles"]["localisation"]["content"]}
    assert content and all(0 <= r["by_value"] <= 1 and 0 <= r["by_count"] <= 1 for r in content.values())
    assert any(r["by_count"] > 0 for r in content.values())  # certified local parts count


def test_aftersales_tile_equals_the_ticket_queue_and_the_sla_report(demo):
    from setu.aftersales import service as aftersales

    for name in ("ind.maintenance", "rus.engineer", "ind.leadership"):
        c = _client(demo, name)
        tile = _data(demo, name)["tiles"]["aftersales"]
        tickets = c.get("/api/v1/tickets?limit=200").json()["items"]
        critical = [t for t in tickets if t["priority"] == "critical" and t["status"] not in
                    ("resolved", "closed_complete", "closed_incomplete", "cancelled")]
        assert tile["open_critical"] == len(critical), name
        assert tile["tickets"] == len(tickets)
        with UnitOfWork(_actor(demo["engine"], name), engine=demo["engine"]) as uow:
            report = aftersales.sla_report(uow)
        assert {s["supplier"]: (s["tickets"], s["compliance"], s["breaches"]) for s in tile["suppliers"]} == \
            {k: (m["tickets"], m["compliance"], m["breaches"]) for k, m in report.items()}
        assert f'id="as-open-critical">{tile["open_critical"]}<' in c.get("/").text
    assert _data(demo, "ind.maintenance")["tiles"]["aftersales"]["open_critical"] == 1


def test_ledger_tile_equals_the_ledger_page(demo):
    for name in ("ind.support", "rus.support", "ind.leadership"):
        c = _client(demo, name)
        tile = _data(demo, name)["tiles"]["ledger"]
        page = c.get("/ledger").text
        mine = page[page.index('id="mine"'):]
        mine = mine[:mine.index("</table>")]
        assert tile["claims_to_confirm"] == mine.count(">Confirm receipt</button>"), name
        balances = {(b["account"], b["commodity"]): b["balance"] for b in c.get("/api/v1/ledger/balances").json()}
        for b in tile["balances"]:
            owes, owed = b["debt"].split(" owes ")
            key = next(k for k in balances if k[0].startswith("due:") and k[0].split(":")[1] == owed
                       and k[0].split(":")[2] == owes and k[1] == b["currency"])
            assert float(balances[key]) == pytest.approx(float(b["amount"]))
        assert f'id="lg-claims">{tile["claims_to_confirm"]}<' in c.get("/").text


def test_needs_you_now_lists_waiting_actions_each_one_click_away(demo):
    d = _data(demo, "ind.quality")
    kinds = {a["kind"] for a in d["needs_you"]}
    assert "fai_approval" in kinds
    c = _client(demo, "ind.quality")
    html = c.get("/").text
    for a in d["needs_you"]:
        assert f'href="{a["href"]}"' in html.replace("&amp;", "&")
        assert c.get(a["href"].split("#")[0]).status_code == 200
    # a clerk of the supplier addressed is asked to acknowledge the critical ticket
    from setu.aftersales.models import Ticket
    from setu.identity.models import Organisation
    from tests.support.auth import ensure_user

    with UnitOfWork(SYS, engine=demo["engine"]) as uow:
        org = uow.session.get(Organisation, uow.session.scalar(
            select(Ticket.supplier_org_id).where(Ticket.title == "Gearbox chip light")))
        code, kind = org.code, org.kind
    ensure_user(demo["engine"], "rus.oem.clerk", party="RUS", org=code, kind=kind, role="clerk")
    oem = _data(demo, "rus.oem.clerk")
    assert any(a["kind"] == "ticket_acknowledgement" for a in oem["needs_you"])
    # the leadership (viewers) decide nothing
    assert not any(a["kind"] in ("fai_approval", "plan_decision") for a in _data(demo, "ind.leadership")["needs_you"])


def test_api_gives_the_page_figures_and_the_cache_follows_the_audit_head(demo):
    c = _client(demo, "ind.leadership")
    r = c.get("/api/v1/overview")
    assert r.status_code == 200
    body = r.json()
    d = _data(demo, "ind.leadership")
    assert body["audit_head"] == d["audit_head"]
    assert json.loads(json.dumps(d, default=str))["tiles"]["localisation"] == body["tiles"]["localisation"]
    assert body["tiles"]["readiness"]["types"][0]["predicted_availability"] == \
        pytest.approx(d["tiles"]["readiness"]["types"][0]["predicted_availability"])
    with UnitOfWork(_actor(demo["engine"], "ind.leadership"), engine=demo["engine"]) as uow:
        assert service.overview(uow) is service.overview(uow)  # kept while the audit head stands


def test_cli_json_as_a_user(demo, monkeypatch):
    from typer.testing import CliRunner

    from setu.app.cli import app
    from setu.kit import db as kdb
    from setu.kit.settings import get_settings

    monkeypatch.setenv("SETU_DATABASE_URL", demo["url"])
    get_settings.cache_clear()
    kdb.dispose_engines()
    try:
        r = CliRunner().invoke(app, ["overview", "--user", "ind.support", "--format", "json"])
        assert r.exit_code == 0, r.output
        out = json.loads(r.output)
        assert out["tiles"]["ledger"]["claims_to_confirm"] == _data(demo, "ind.support")["tiles"]["ledger"]["claims_to_confirm"]
        r = CliRunner().invoke(app, ["overview", "--user", "nobody.here"])
        assert r.exit_code != 0
    finally:
        kdb.dispose_engines()
        get_settings.cache_clear()


@pytest.mark.parametrize("name", ["ind.leadership", "rus.leadership"])
def test_contracts_tile_equals_the_portfolio_in_the_party_currency_and_usd(demo, name):
    from decimal import Decimal

    c = _client(demo, name)
    tile = _data(demo, name)["tiles"]["contracts"]
    cur = tile["currency"]
    assert cur == ("INR" if name.startswith("ind") else "RUB")
    mine = c.get(f"/api/v1/contracts/portfolio?currency={cur}").json()
    usd = c.get("/api/v1/contracts/portfolio?currency=USD").json()
    assert Decimal(tile["total"]) == Decimal(mine["total"]) and Decimal(tile["total_usd"]) == Decimal(usd["total"])
    assert Decimal(usd["total"]) > Decimal("14e9")          # the demo portfolio is about USD 14.5 billion
    assert tile["milestones_overdue"] == len(mine["overdue"])
    assert tile["delivered_percent"] == str((Decimal(str(mine["delivered_share"])) * 100).quantize(Decimal("0.1")))
    assert f'id="contracts-total-usd">{Decimal(usd["total"]):,.0f}<' in c.get("/").text

