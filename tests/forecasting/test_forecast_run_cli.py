"""`setu forecast run` over a real database (the settings' database; SQLite and PostgreSQL)."""
from __future__ import annotations

import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from setu.app.cli import app
from setu.forecasting.models import ForecastResult, ForecastRun
from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork
from tests.forecasting.test_forecast_service import add_history
from tests.support.world import build_world

runner = CliRunner()


def _runs(engine):
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        runs = list(uow.session.scalars(select(ForecastRun)))
        n = uow.session.scalar(select(func.count()).select_from(ForecastResult))
        return [(r.started_by, r.method, r.horizon, json.loads(r.params), r.n_series, r.status) for r in runs], n


def test_run_prints_a_summary_and_stores_the_run(settings_env, engine):
    w = build_world(engine)
    add_history(engine, w)
    res = runner.invoke(app, ["forecast", "run", "--method", "auto", "--horizon", "6", "--holdout", "3", "--seed", "5"])
    assert res.exit_code == 0, res.output
    assert "forecast run" in res.output and "3 series" in res.output
    assert "accuracy on the last 3 months" in res.output and "RMSSE" in res.output
    runs, n = _runs(engine)
    assert n == 3
    [(by, method, horizon, params, n_series, status)] = runs
    assert (by, method, horizon, n_series, status) == ("system:cli", "auto", 6, 3, "done")
    assert params["seed"] == 5 and params["holdout_months"] == 3


def test_filters_and_no_holdout(settings_env, engine):
    w = build_world(engine)
    add_history(engine, w)
    res = runner.invoke(app, ["forecast", "run", "--method", "sba", "--holdout", "0", "--site", str(w.depot_id), "-q"])
    assert res.exit_code == 0, res.output
    assert "1 series" in res.output and "accuracy" not in res.output
    assert _runs(engine)[1] == 1


def test_bad_options_exit_2_and_write_nothing(settings_env, engine):
    build_world(engine)
    res = runner.invoke(app, ["forecast", "run", "--method", "nope", "--horizon", "0"])
    assert res.exit_code == 2
    assert "option --method" in res.output and "option --horizon" in res.output
    res = runner.invoke(app, ["forecast", "run", "--method", "sba", "--site", "not-an-id"])
    assert res.exit_code == 2 and "option --site" in res.output
    res = runner.invoke(app, ["forecast", "run", "--method", "sba", "--part", "00000000-0000-0000-0000-000000000001"])
    assert res.exit_code == 2 and "not found" in res.output
    assert _runs(engine) == ([], 0)


def test_a_run_that_fails_is_recorded_as_failed_without_results(settings_env, engine):
    import dask

    w = build_world(engine)
    add_history(engine, w)
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):  # no scheduler listens on port 9
        res = runner.invoke(app, ["forecast", "run", "--method", "sba", "-q", "--scheduler", "tcp://127.0.0.1:9"])
    assert res.exit_code == 1
    assert "failed:" in res.output  # the error as Dask reports it
    runs, n = _runs(engine)
    assert n == 0 and [(r[0], r[4], r[5]) for r in runs] == [("system:cli", 0, "failed")]
