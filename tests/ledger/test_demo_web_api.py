"""The demo ledger (two years, disputed, overdue, one offset) verifies; the page shows each side
only the steps it may take; the API takes steps idempotently."""
from __future__ import annotations

from datetime import date

from setu.demo.ledger import write_ledger
from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork
from setu.ledger import service
from tests.ledger.world import act, make_world
from tests.support.auth import client_for


def test_demo_ledger_is_sound_with_disputes_overdue_and_one_offset(engine, monkeypatch, tmp_path):
    w = make_world(engine, monkeypatch, tmp_path)
    act(w, system_actor("demo"), write_ledger)
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        assert service.verify(uow) == []
        txs = service.transactions(uow)
        assert len(txs) > 50
        assert sum(t.status == "disputed" for t in txs) >= 2
        assert sum(1 for t in txs if t.offset_on) == 1
        assert service.overdue(uow, today=date(2026, 12, 2))
        assert {t.delivered_on.year for t in txs if t.delivered_on} >= {2025, 2026}


def test_page_and_api_each_side_only_its_own_steps(engine, monkeypatch, tmp_path):
    w = make_world(engine, monkeypatch, tmp_path)
    tid = act(w, w.ind, service.request_support, provider="RUS", activity="exercise", category="food",
              description="rations", requested_on=date(2025, 5, 1)).id
    ind, rus = client_for(engine, w.ind), client_for(engine, w.rus)
    page = ind.get("/ledger")
    assert page.status_code == 200 and "Nothing awaits your side" in page.text and "RUB" in page.text
    page = rus.get("/ledger")
    assert page.status_code == 200 and ">Accept<" in page.text and 'id="ageing-chart"' in page.text
    r = ind.post(f"/api/v1/ledger/support/{tid}/steps", json={"action": "accept"}, headers={"Idempotency-Key": "k0"})
    assert r.status_code == 403, r.text
    r = rus.post(f"/api/v1/ledger/support/{tid}/steps", json={"action": "accept"}, headers={"Idempotency-Key": "k1"})
    assert r.status_code == 200, r.text
    body = {"action": "claim", "quantity": "2", "unit": "t", "unit_price": "1000", "delivered_on": "2025-05-02"}
    r1 = rus.post(f"/api/v1/ledger/support/{tid}/steps", json=body, headers={"Idempotency-Key": "k2"})
    r2 = rus.post(f"/api/v1/ledger/support/{tid}/steps", json=body, headers={"Idempotency-Key": "k2"})
    assert r1.status_code == r2.status_code == 200 and r1.json() == r2.json()
    assert r1.json()["amount"] == "2000.00" and r1.json()["currency"] == "RUB"
    r = ind.post(f"/api/v1/ledger/support/{tid}/steps", json={"action": "confirm"}, headers={"Idempotency-Key": "k3"})
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    assert ind.get("/api/v1/ledger/verify").json() == {"ok": True, "problems": []}
    assert ind.get("/ledger/statement/2025.xlsx").status_code == 200
