"""`setu readiness plan EQUIPMENT_TYPE_CODE (--budget B | --target A) [--save]` over the database."""
from __future__ import annotations

from sqlalchemy import func, select
from typer.testing import CliRunner

from setu.app.cli import app
from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork
from setu.readiness.models import ReadinessPlan
from tests.support.world import make_world

runner = CliRunner()


def _plans(engine) -> list[ReadinessPlan]:
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        rows = list(uow.session.scalars(select(ReadinessPlan)))
        return [(r.created_by, r.party_id, float(r.budget) if r.budget is not None else None, float(r.cost))
                for r in rows]


def test_plan_prints_and_saves(engine, settings_env):
    make_world(engine, second_base=True)
    r = runner.invoke(app, ["readiness", "plan", "FTR", "--budget", "1000"])
    assert r.exit_code == 0, r.output
    assert "availability today" in r.stdout and "FTR" in r.stdout
    assert _plans(engine) == []  # not saved without --save
    r = runner.invoke(app, ["readiness", "plan", "FTR", "--budget", "1000", "--save", "--name", "cli"])
    assert r.exit_code == 0, r.output
    assert "saved plan" in r.stdout
    (created_by, party, budget, cost), = _plans(engine)
    assert created_by == "system:cli" and party is None and budget == 1000.0 and cost <= 1000


def test_target_mode(engine, settings_env):
    make_world(engine, second_base=True)
    r = runner.invoke(app, ["readiness", "plan", "FTR", "--target", "0.999"])
    assert r.exit_code == 0, r.output
    assert "target met" in r.stdout


def test_bad_input_exit_2_nothing_saved(engine, settings_env):
    make_world(engine)
    for args, field in ((["FTR", "--budget", "-1", "--save"], "budget"),
                        (["FTR", "--target", "1.5", "--save"], "target"),
                        (["FTR", "--save"], "budget"),
                        (["NOPE", "--budget", "10", "--save"], "EQUIPMENT_TYPE_CODE")):
        r = runner.invoke(app, ["readiness", "plan", *args])
        assert r.exit_code == 2, (args, r.output)
        assert f"field {field}" in r.output
    assert _plans(engine) == []
