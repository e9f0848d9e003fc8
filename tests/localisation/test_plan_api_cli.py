"""The planner over the API (a background job with progress: 202 + job id, the plan its result)
and the CLI (`setu localisation plan`), with bad input refused naming the field."""
from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from setu.kit import jobs
from setu.localisation.schemas import demo_scenario
from tests.support.auth import ensure_user, token_for
from tests.support.jobs import wait_job

KEYS = {"budget", "total_cost", "availability_without", "availability_with", "choices"}


def test_the_planner_runs_as_a_job_and_refuses_bad_scenarios(engine, tmp_path):
    from setu.app.main import create_app

    ensure_user(engine, "ind.planner")
    h = {"Authorization": f"Bearer {token_for(engine, 'ind.planner')}"}
    jobs.configure(engine, jobs_url=f"sqlite:///{tmp_path / 'jobs.db'}")
    try:
        with TestClient(create_app(engine, jobs_workers=1)) as c:
            r = c.post("/api/v1/localisation/plans", json={"budget": "300000000", "years": 3}, headers=h)
            assert r.status_code == 202, r.text
            job = wait_job(c, r.json()["job_id"], headers=h)
            assert job["state"] == "succeeded", job
            res = job["result"]
            assert KEYS <= set(res) and res["years"] == 3 and res["budget"] == ["300000000"] * 3
            assert res["availability_with"] >= res["availability_without"]
            assert res["milp"]["objective"] >= res["greedy"]["objective"] - 1e-12
            bad = demo_scenario()
            del bad["candidates"][0]["demand_per_year"]
            r = c.post("/api/v1/localisation/plans", json={"scenario": bad}, headers=h)
            assert r.status_code == 422 and "demand_per_year" in r.text
    finally:
        jobs.forget_queues()


def test_cli_plan_demo_and_file(tmp_path):
    from setu.app.cli import app

    runner = CliRunner()
    out = tmp_path / "plan.json"
    r = runner.invoke(app, ["localisation", "plan", "--demo-scenario", "--output", str(out)])
    assert r.exit_code == 0, r.output
    plan = json.loads(out.read_text())
    assert KEYS <= set(plan)
    spent = sum(float(c["cost"]) for c in plan["choices"])
    assert abs(spent - float(plan["total_cost"])) < 0.01
    for y in range(plan["years"]):
        assert sum(float(c["cost"]) for c in plan["choices"] if c["year"] == y + 1) <= float(plan["budget"][y])
    sc = tmp_path / "s.json"
    sc.write_text(json.dumps(demo_scenario()))
    out2 = tmp_path / "plan2.json"
    r = runner.invoke(app, ["localisation", "plan", "--scenario", str(sc), "--budget", "1000", "--years", "2",
                            "--output", str(out2)])
    assert r.exit_code == 0, r.output
    assert json.loads(out2.read_text())["choices"] == []  # nothing fits a budget of 1,000 INR
    r = runner.invoke(app, ["localisation", "plan", "--scenario", str(sc), "--budget", "lots", "--output", str(out2)])
    assert r.exit_code == 2 and "--budget" in r.output
    r = runner.invoke(app, ["localisation", "plan", "--output", str(out2)])
    assert r.exit_code == 2 and "--demo-scenario" in r.output
