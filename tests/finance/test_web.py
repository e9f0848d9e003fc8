"""The exchange-rate page: listed for everyone, the add form only for those who may add."""
from __future__ import annotations

from tests.support.auth import ensure_user, token_for


def test_a_planner_adds_a_rate_on_the_page_and_a_viewer_sees_no_button(client, engine):
    r = client.post("/exchange-rates/new", data={"from_currency": "USD", "to_currency": "INR", "rate": "0",
                                                 "valid_from": "2026-11-02"})
    assert r.status_code == 422 and "rate" in r.text
    assert "No exchange rates yet" in client.get("/exchange-rates").text
    r = client.post("/exchange-rates/new", data={"from_currency": "USD", "to_currency": "INR", "rate": "84.25",
                                                 "valid_from": "2026-11-02", "source": "RBI"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get("/exchange-rates").text
    assert "84.25 INR" in page and "2026-11-02" in page and 'href="/exchange-rates/new"' in page
    ensure_user(engine, "ind.viewer.fx", role="viewer")
    viewer = {"Authorization": f"Bearer {token_for(engine, 'ind.viewer.fx')}"}
    page = client.get("/exchange-rates", headers=viewer).text
    assert "84.25 INR" in page and 'href="/exchange-rates/new"' not in page
