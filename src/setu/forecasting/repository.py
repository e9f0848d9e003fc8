"""Forecasting queries: runs and their results, scoped to what the actor may see."""
from __future__ import annotations

import uuid

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from setu.fleet import policies as fleet_policies
from setu.forecasting.models import ForecastResult, ForecastRun
from setu.kit.access import Actor

RUN_SORT = {"started_at": ForecastRun.started_at, "method": ForecastRun.method, "n_series": ForecastRun.n_series}
RESULT_SORT = {"mean": ForecastResult.mean, "q99": ForecastResult.q99, "rmsse": ForecastResult.rmsse,
               "method": ForecastResult.method, "demand_class": ForecastResult.demand_class,
               "lead_time_mean": ForecastResult.lead_time_mean}


def runs_visible(actor: Actor):
    """Runs the actor may see: every run for the system actor and programme offices; else its own
    party's runs and the installation's batch runs (whose results are still filtered by site)."""
    if actor.sees_all_parties:
        return None
    if actor.party_id is None:
        return ForecastRun.party_id.is_(None)
    return or_(ForecastRun.party_id.is_(None), ForecastRun.party_id == actor.party_id)


def results(actor: Actor, run_id: uuid.UUID, *, part_id=None, site_id=None, method=None, demand_class=None):
    stmt = select(ForecastResult).where(ForecastResult.run_id == run_id)
    scope = fleet_policies.visible_site_ids(actor)
    if scope is not None:
        stmt = stmt.where(ForecastResult.site_id.in_(scope))
    if part_id:
        stmt = stmt.where(ForecastResult.part_id == part_id)
    if site_id:
        stmt = stmt.where(ForecastResult.site_id == site_id)
    if method:
        stmt = stmt.where(or_(ForecastResult.method == method,
                              ForecastResult.method.startswith(f"{method}+", autoescape=True),
                              ForecastResult.method.startswith(f"{method}|", autoescape=True)))
    if demand_class:
        stmt = stmt.where(ForecastResult.demand_class == demand_class)
    return stmt


def runs(actor: Actor, status: str | None = None) -> Select:
    stmt = select(ForecastRun)
    cond = runs_visible(actor)
    if cond is not None:
        stmt = stmt.where(cond)
    if status:
        stmt = stmt.where(ForecastRun.status == status)
    return stmt


def run(session: Session, actor: Actor, run_id: uuid.UUID) -> ForecastRun | None:
    return session.scalar(runs(actor).where(ForecastRun.id == run_id))


def latest_run(session: Session, actor: Actor, part_id: uuid.UUID | None = None) -> ForecastRun | None:
    """The newest finished run the actor may see (with a visible result for ``part_id``, if given)."""
    stmt = runs(actor, "done")
    if part_id is not None:
        sub = results(actor, ForecastRun.id, part_id=part_id).with_only_columns(ForecastResult.id)
        stmt = stmt.where(sub.exists())
    return session.scalar(stmt.order_by(ForecastRun.finished_at.desc(), ForecastRun.id.desc()).limit(1))


def done_result_rates(session: Session, actor: Actor, part_ids, site_ids, run_id=None):
    """``(part, site, mean, vmr, run_id, method, finished_at)`` of the finished runs' results the
    actor may see for ``part_ids`` x ``site_ids`` (of run ``run_id`` only, when given)."""
    stmt = (select(ForecastResult.part_id, ForecastResult.site_id, ForecastResult.mean,
                   ForecastResult.variance_to_mean, ForecastResult.run_id, ForecastResult.method,
                   ForecastRun.finished_at)
            .join(ForecastRun, ForecastRun.id == ForecastResult.run_id)
            .where(ForecastRun.status == "done", ForecastResult.part_id.in_(part_ids),
                   ForecastResult.site_id.in_(site_ids)))
    if run_id is not None:
        stmt = stmt.where(ForecastResult.run_id == run_id)
    scope = fleet_policies.visible_site_ids(actor)
    if scope is not None:
        stmt = stmt.where(ForecastResult.site_id.in_(scope))
    cond = runs_visible(actor)
    if cond is not None:
        stmt = stmt.where(cond)
    return session.execute(stmt)


def run_overview_rows(session: Session, actor: Actor, run_ids: list[uuid.UUID]):
    stmt = (select(ForecastResult.run_id, func.count(), func.count(ForecastResult.rmsse), func.avg(ForecastResult.rmsse),
                   func.avg(ForecastResult.scaled_bias), func.avg(ForecastResult.mase))
            .where(ForecastResult.run_id.in_(run_ids)).group_by(ForecastResult.run_id))
    scope = fleet_policies.visible_site_ids(actor)
    if scope is not None:
        stmt = stmt.where(ForecastResult.site_id.in_(scope))
    return session.execute(stmt)


def add_results(session: Session, rows: list[dict]) -> None:
    session.execute(insert(ForecastResult), rows)
