"""The exchange-rate API over HTTP, as real signed-in users."""
from __future__ import annotations

from decimal import Decimal

from tests.support.auth import ensure_user, token_for


def test_a_clerk_enters_a_rate_and_everyone_reads_it(client, engine):
    body = {"from_currency": "USD", "to_currency": "INR", "rate": "84.25", "valid_from": "2026-11-02",
            "source": "central bank reference rate"}
    r = client.post("/api/v1/exchange-rates", json=body)
    assert r.status_code == 201, r.text
    got = r.json()
    assert (Decimal(got["rate"]), got["valid_from"], got["entered_by"]) == (Decimal("84.25"), "2026-11-02", client.user)
    # the same pair and date again is a conflict that names the date
    r = client.post("/api/v1/exchange-rates", json=body)
    assert r.status_code == 409 and "2026-11-02" in r.json()["detail"]
    listed = client.get("/api/v1/exchange-rates", params={"from_currency": "USD"}).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == got["id"]


def test_bad_input_is_422_naming_the_field_and_changes_nothing(client):
    for bad, field in (({"rate": "0"}, "rate"), ({"rate": "abc"}, "rate"), ({"to_currency": "XYZ"}, "to_currency"),
                       ({"valid_from": "2026-13-01"}, "valid_from")):
        body = {"from_currency": "USD", "to_currency": "INR", "rate": "84", "valid_from": "2026-11-02", **bad}
        r = client.post("/api/v1/exchange-rates", json=body)
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert field in {e["field"] for e in r.json()["errors"]}, r.json()
    r = client.post("/api/v1/exchange-rates", json={"from_currency": "USD", "to_currency": "USD", "rate": "1",
                                                    "valid_from": "2026-11-02"})
    assert r.status_code == 422 and "must differ" in r.text
    assert client.get("/api/v1/exchange-rates").json()["total"] == 0


def test_a_viewer_reads_but_may_not_enter_rates(client, engine):
    ensure_user(engine, "ind.viewer.fx", role="viewer")
    headers = {"Authorization": f"Bearer {token_for(engine, 'ind.viewer.fx')}"}
    r = client.post("/api/v1/exchange-rates", headers=headers, json={
        "from_currency": "USD", "to_currency": "INR", "rate": "84", "valid_from": "2026-11-02"})
    assert r.status_code == 403, r.text
    assert client.get("/api/v1/exchange-rates", headers=headers).status_code == 200
    assert client.get("/api/v1/exchange-rates").json()["total"] == 0
