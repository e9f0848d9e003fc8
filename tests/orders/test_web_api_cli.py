"""The orders pages, API and CLI through the real app (TestClient, signed-in users with tokens):
the list with filters, an order page showing only the buttons its viewer may press, transitions
through the API with an Idempotency-Key, the CLI list and advance."""
from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from setu.app.cli import app as cli
from setu.kit.db import utcnow
from tests.orders.world import line_ids, make_world, rfq
from tests.support.auth import ensure_user, token_for


def _client(app_client, engine, username, **kw):
    ensure_user(engine, username, **kw)
    c = TestClient(app_client.app)
    c.headers["Authorization"] = f"Bearer {token_for(engine, username)}"
    return c


def test_api_life_pages_and_cli(client, engine, settings_env):
    w = make_world(engine)
    planner = _client(client, engine, "ind.planner", org="DEP-ORG", kind="depot", role="approver")
    oem = _client(client, engine, "rus.engineer", party="RUS", org="OEM-1", kind="oem", role="clerk")
    body = {"supplier_org_id": str(w.small.oem_org_id), "site_id": str(w.small.base_id), "currency": "USD",
            "rfq_valid_until": (utcnow() + timedelta(days=5)).date().isoformat(),
            "lines": [{"part_id": str(w.small.part_ids[0]), "quantity": 3}]}
    r = planner.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "rfq-1"})
    assert r.status_code == 201, r.text
    o = r.json()
    again = planner.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "rfq-1"})
    assert again.status_code == 201 and again.json()["id"] == o["id"]
    assert planner.get("/api/v1/orders").json()["total"] == 1
    assert o["actions"] == ["cancel"]
    lid = o["lines"][0]["id"]
    r = oem.post(f"/api/v1/orders/{o['id']}/transitions", json={"action": "quote", "promised_days": 45,
                                                                 "prices": {lid: "250.00"}})
    assert r.status_code == 200 and r.json()["status"] == "quoted" and r.json()["total"] == "750.00", r.text
    r = oem.post(f"/api/v1/orders/{o['id']}/transitions", json={"action": "place"})
    assert r.status_code == 403, r.text
    r = planner.post(f"/api/v1/orders/{o['id']}/transitions", json={"action": "place", "version": 1})
    assert r.status_code == 409, r.text
    r = planner.post(f"/api/v1/orders/{o['id']}/transitions", json={"action": "place"})
    assert r.status_code == 200 and r.json()["status"] == "ordered"
    # pages: the OEM sees its buttons, the planner none at this step
    page = oem.get(f"/orders/{o['id']}")
    assert page.status_code == 200 and 'value="acknowledge"' in page.text and 'value="reject"' in page.text
    page = planner.get(f"/orders/{o['id']}")
    assert 'value="acknowledge"' not in page.text and "order-actions" not in page.text
    lst = planner.get("/orders?status=ordered")
    assert lst.status_code == 200 and o["number"] in lst.text
    assert o["number"] not in planner.get("/orders?status=closed").text
    assert planner.get("/orders/performance").status_code == 200
    # the CLI
    runner = CliRunner()
    r = runner.invoke(cli, ["orders", "advance", o["number"], "acknowledge"])
    assert r.exit_code == 0 and "-> acknowledged" in r.output, r.output
    r = runner.invoke(cli, ["orders", "advance", o["number"], "dispatch", "--qty", "1=2"])
    assert r.exit_code == 0 and "-> dispatched" in r.output, r.output
    r = runner.invoke(cli, ["orders", "advance", o["number"], "receive", "--accept", "9=1"])
    assert r.exit_code != 0 and "line number" in r.output
    r = runner.invoke(cli, ["orders", "list", "--format", "json", "--status", "dispatched"])
    assert r.exit_code == 0 and json.loads(r.output)["items"][0]["number"] == o["number"]
    # the web form of the receipt
    page = planner.get(f"/orders/{o['id']}")
    assert 'value="receive"' in page.text
    assert line_ids(w, o["id"]) == [lid]
    assert rfq(w)  # another request: numbers run on
    assert planner.get("/api/v1/orders").json()["total"] == 2
