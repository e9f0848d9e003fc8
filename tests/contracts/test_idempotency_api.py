"""Idempotency-Key on the real API (SQLite and PostgreSQL): a retried POST has one effect."""
from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from setu.catalog.models import Part
from tests.support.auth import ensure_user, token_for


def _parts(engine) -> int:
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(Part)).scalar_one()


def test_a_retried_create_has_one_effect_and_keys_are_per_user(engine):
    from setu.app.main import create_app

    ensure_user(engine, "ind.planner")
    ensure_user(engine, "rus.oem", party="RUS", org="OEM-1", kind="oem")
    ind = {"Authorization": f"Bearer {token_for(engine, 'ind.planner')}"}
    rus = {"Authorization": f"Bearer {token_for(engine, 'rus.oem')}"}
    key = str(uuid.uuid4())
    body = {"manufacturer_code": "RSK01", "part_number": "IDEM-1", "name": "Main wheel", "currency": "USD"}
    with TestClient(create_app(engine)) as c:
        before = _parts(engine)
        first = c.post("/api/v1/parts", json=body, headers={**ind, "Idempotency-Key": key})
        assert first.status_code == 201, first.text
        again = c.post("/api/v1/parts", json=body, headers={**ind, "Idempotency-Key": key})
        assert again.status_code == 201 and again.json() == first.json()
        assert again.headers.get("idempotency-replayed") == "true"
        assert _parts(engine) == before + 1
        other = c.post("/api/v1/parts", json={**body, "name": "Nose wheel"}, headers={**ind, "Idempotency-Key": key})
        assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
        # the same key string from another user of the other party is another key: it runs
        theirs = c.post("/api/v1/parts", json={**body, "part_number": "IDEM-2"}, headers={**rus, "Idempotency-Key": key})
        assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
        assert _parts(engine) == before + 2
        # without the header every call runs (a duplicate part is then refused by the catalog)
        assert c.post("/api/v1/parts", json=body, headers=ind).status_code == 409
        bad = c.post("/api/v1/parts", json=body, headers={**ind, "Idempotency-Key": "two words"})
        assert bad.status_code == 400
