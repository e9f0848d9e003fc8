"""Writes under contention (issue 11): a held write lock stalls nobody but writers, who get a
clear 503; security events are written off the request path; read-then-PUT loses no update."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from setu.identity.models import SecurityEvent
from setu.kit import security_events
from setu.kit.access import system_actor
from setu.kit.db import make_engine
from setu.kit.uow import UnitOfWork
from tests.support.auth import DEFAULT_USER, ensure_user, token_for
from tests.support.world import build_world


def _app_and_token(url: str, *, lock_timeout_s: float):
    from setu.app.main import create_app

    engine = make_engine(url, busy_timeout_s=lock_timeout_s)
    d = dict(DEFAULT_USER)
    ensure_user(engine, d.pop("username"), **d)
    return engine, create_app(engine), token_for(engine, DEFAULT_USER["username"])


def _events(engine, kind: str) -> int:
    assert security_events.flush(engine, 30)
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        return uow.session.scalar(select(func.count()).select_from(SecurityEvent).where(SecurityEvent.kind == kind))


def test_a_held_write_lock_stalls_no_refusal_and_no_read_and_writers_get_503(sqlite_url):
    """The probe's stalled-read run: another connection holds SQLite's write lock (as a long import
    does); an anonymous refusal and an authenticated read answer at once, an API write answers
    503 problem+json with Retry-After once the (short) lock timeout passes, and the refusals made
    meanwhile are all recorded when the lock is released."""
    engine, app, token = _app_and_token(sqlite_url, lock_timeout_s=1.0)
    w = build_world(engine, n_parts=2)
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the long import
    holder.execute("UPDATE catalog_part SET name = name")
    try:
        with TestClient(app) as c:
            for _ in range(5):
                t0 = time.perf_counter()
                r = c.get("/api/v1/parts")
                assert r.status_code == 401 and time.perf_counter() - t0 < 0.5
            t0 = time.perf_counter()
            r = c.get("/api/v1/parts", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200 and time.perf_counter() - t0 < 0.5, r.text
            t0 = time.perf_counter()
            r = c.post("/api/v1/sites", headers={"Authorization": f"Bearer {token}"},
                       json={"code": "NEW1", "name": "New", "kind": "base", "organisation_id": str(w.depot_org_id),
                             "echelon": 1})
            took = time.perf_counter() - t0
            assert r.status_code == 503, r.text
            assert r.headers["content-type"] == "application/problem+json" and int(r.headers["retry-after"]) >= 1
            assert "busy" in r.json()["detail"] and 0.9 < took < 3.0
            assert security_events.stats(engine)["recorded"] == 0  # queued, not lost, while the lock is held
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _events(engine, "authn_required") == 5  # nothing lost: written once the lock was free
    assert security_events.stats(engine)["failed"] == 0
    engine.dispose()


def test_health_reports_unrecorded_security_events(client):
    r = client.get("/health")
    assert r.status_code == 200
    assert set(r.json()["security_events"]) >= {"queued", "recorded", "dropped", "failed"}


def test_put_stock_needs_the_version_read_and_refuses_a_stale_one(client, engine):
    w = build_world(engine, n_parts=1)
    body = {"part_id": str(w.part_ids[0]), "site_id": str(w.base_id), "serviceable": 9}
    r = client.put("/api/v1/stock", json=body)
    assert r.status_code == 428 and r.json()["errors"][0]["field"] == "version", r.text
    pos = client.get("/api/v1/stock", params={"part_id": str(w.part_ids[0])}).json()["items"][0]
    r = client.put("/api/v1/stock", json={**body, "version": pos["version"]})
    assert r.status_code == 200 and r.json()["serviceable"] == 9
    r = client.put("/api/v1/stock", json={**body, "version": pos["version"]})  # what another client read
    assert r.status_code == 409, r.text
    r = client.put("/api/v1/stock", json=body, headers={"If-Match": f'"{pos["version"] + 1}"'})
    assert r.status_code == 200
    # a new position needs no version; the second creator (who read "absent") must say so
    body2 = {"part_id": str(w.part_ids[0]), "site_id": str(w.depot_id), "serviceable": 1}
    assert client.put("/api/v1/stock", json=body2).status_code == 200
    assert client.put("/api/v1/stock", json=body2).status_code == 428
    # increments stay lock-based: no version
    r = client.post(f"/api/v1/stock/{w.part_ids[0]}/{w.base_id}/adjust", json={"serviceable": 1})
    assert r.status_code == 200


def test_every_patch_needs_the_version_read(client, engine):
    w = build_world(engine, n_parts=1)
    for path in (f"/api/v1/parts/{w.part_ids[0]}", f"/api/v1/sites/{w.base_id}",
                 f"/api/v1/equipment-units/{w.unit_ids[0]}",
                 f"/api/v1/organisations/{w.depot_org_id}"):
        field = "status" if "units" in path else "name"
        value = "down_maintenance" if field == "status" else "renamed"
        r = client.patch(path, json={field: value})
        assert r.status_code == 428, (path, r.status_code, r.text)
        version = client.get(path).json()["version"]
        r = client.patch(path, json={field: value}, headers={"If-Match": f'W/"{version}"'})
        assert r.status_code == 200, (path, r.text)
        r = client.patch(path, json={field: value, "version": version})
        assert r.status_code == 409, (path, r.text)
        r = client.patch(path, json={field: value}, headers={"If-Match": "not-a-version"})
        assert r.status_code == 422


def test_four_clients_read_then_put_lose_no_update(sqlite_url):
    """The probe's lost-update run: 4 clients each read the position and PUT serviceable + 1,
    re-reading on 409. Every accepted PUT is counted in the final value (0 lost updates)."""
    engine, app, token = _app_and_token(sqlite_url, lock_timeout_s=10.0)
    w = build_world(engine, n_parts=1)
    part, site = str(w.part_ids[0]), str(w.base_id)
    start = 5
    accepted = [0] * 4
    conflicts = [0] * 4
    errors: list[str] = []
    per_client = 25

    def client(i: int) -> None:
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as c:
            done = 0
            while done < per_client:
                pos = c.get("/api/v1/stock", params={"part_id": part, "site_id": site}).json()["items"][0]
                r = c.put("/api/v1/stock", json={"part_id": part, "site_id": site,
                                                 "serviceable": pos["serviceable"] + 1, "version": pos["version"]})
                if r.status_code == 200:
                    accepted[i] += 1
                    done += 1
                elif r.status_code == 409:
                    conflicts[i] += 1
                else:
                    errors.append(f"{r.status_code} {r.text[:200]}")
                    return

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:3]
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as c:
        final = c.get("/api/v1/stock", params={"part_id": part, "site_id": site}).json()["items"][0]
    assert sum(accepted) == 4 * per_client
    assert final["serviceable"] == start + sum(accepted)  # zero lost updates
    engine.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_put_demand_replacing_a_month_needs_the_version(client, engine):
    w = build_world(engine, n_parts=1)
    body = {"part_id": str(w.part_ids[0]), "site_id": str(w.base_id), "period": "2030-01-01", "quantity": 2}
    r = client.put("/api/v1/demand", json=body)
    assert r.status_code == 200
    v = r.json()["version"]
    assert client.put("/api/v1/demand", json={**body, "quantity": 3}).status_code == 428
    assert client.put("/api/v1/demand", json={**body, "quantity": 3, "version": v}).status_code == 200
    assert client.put("/api/v1/demand", json={**body, "quantity": 4, "version": v}).status_code == 409
