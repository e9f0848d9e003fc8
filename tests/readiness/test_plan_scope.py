"""Regression (found by the authorisation matrix): a readiness plan carries the stock, buys and
moves of every base it was computed over, so within a party only the armed services (who see all
the party's sites) and the planner's own organisation see it. Before, every member of the party
did, e.g. an export agency or a joint venture reading the armed services' base stock."""
from __future__ import annotations

from setu.app.main import create_app
from tests.support.world import make_world
from tests.support.auth import SignedInClient, ensure_user, token_for
from tests.support.jobs import WAIT


def _as(engine, username: str, **user) -> dict[str, str]:
    ensure_user(engine, username, **user)
    return {"Authorization": f"Bearer {token_for(engine, username)}"}


def test_industry_members_of_the_party_do_not_see_the_armed_services_plans(engine):
    rw = make_world(engine)
    planner = _as(engine, "ind.planner", party="IND", org="DEP-ORG", kind="depot", role="approver")
    hq = _as(engine, "ind.hq", party="IND", org="IND-HQ", kind="armed_service_hq", role="viewer")
    jv = _as(engine, "ind.jv", party="IND", org="IND-JV", kind="joint_venture", role="approver")
    pmo = _as(engine, "pmo.viewer", party="IND", org="PMO", kind="programme_office", role="viewer")
    with SignedInClient(create_app(engine), engine) as c:
        r = c.post("/api/v1/readiness/plans", json={"equipment_type_id": str(rw.w.type_id), "budget": "0",
                                                    "name": "base plan"}, headers={**planner, **WAIT})
        assert r.status_code == 201, r.text
        plan = r.json()["id"]
        for who in (planner, hq, pmo):
            assert c.get(f"/api/v1/readiness/plans/{plan}", headers=who).status_code == 200
            assert [p["id"] for p in c.get("/api/v1/readiness/plans", headers=who).json()["items"]] == [plan]
        assert c.get(f"/api/v1/readiness/plans/{plan}", headers=jv).status_code == 404
        assert c.get(f"/api/v1/readiness/plans/{plan}/export?format=csv", headers=jv).status_code == 404
        listed = c.get("/api/v1/readiness/plans", headers=jv).json()
        assert listed["items"] == [] and listed["total"] == 0
        web = c.get(f"/readiness/plans/{plan}", headers={**jv, "Accept": "text/html"})
        assert web.status_code == 404 and "BAS1" not in web.text
        assert "base plan" not in c.get("/readiness", headers={**jv, "Accept": "text/html"}).text
