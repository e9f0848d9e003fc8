"""Demand imports: all-or-nothing, every error as `row N, column C: message`, sites scoped to the actor.

Run over SQLite and (when SETU_TEST_POSTGRES_URL is set) PostgreSQL via the ``engine`` fixture.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from setu.demand.models import DemandRecord
from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork

from tests.support.tables import (
    PART_HEADER, add_site_of, counts, member_of, messages, part_row, parts_by_pn, run_import, seed, tables,
    write_csv,
)


@pytest.fixture
def db(engine):
    seed(engine)
    return engine


# -- parts ---------------------------------------------------------------------------------------


# -- demand --------------------------------------------------------------------------------------

DEMAND_HEADER = [c.name for c in tables.IMPORT_COLUMNS["demand"]]


def test_demand_periods_and_upsert(db, tmp_path):
    p = write_csv(tmp_path / "d.csv", DEMAND_HEADER, [["RUS01", "A1", "BASE1", "2024-01", "3"],
                                                      ["RUS01", "A1", "BASE1", "2024-02-17", "0"],
                                                      ["RUS01", "B2", "DEPOT1", "2024/3", "2.5"]])
    res = run_import(db, "demand", p)
    assert res.ok and res.created == 3, messages(res)
    p2 = write_csv(tmp_path / "d2.csv", DEMAND_HEADER, [["RUS01", "A1", "BASE1", "2024-01-31", "4"],
                                                       ["RUS01", "A1", "BASE1", "2024-02", "0"]])
    res = run_import(db, "demand", p2)
    assert (res.created, res.updated, res.unchanged) == (0, 1, 1)
    with UnitOfWork(system_actor("test"), engine=db) as uow:
        got = sorted((r.period, r.quantity) for r in uow.session.scalars(select(DemandRecord)))
    assert got == [(date(2024, 1, 1), 4.0), (date(2024, 2, 1), 0.0), (date(2024, 3, 1), 2.5)]


def test_demand_errors(db, tmp_path):
    before = counts(db)
    p = write_csv(tmp_path / "d.csv", DEMAND_HEADER, [
        ["RUS01", "A1", "BASE1", "2024-13", "1"],
        ["RUS01", "A1", "BASE1", "Jan 2024", "-2"],
        ["RUS01", "A1", "BASE1", "2024-02-30", "nan"],
        ["RUS01", "A1", "BASE1", "2024-04", "1"],
        ["RUS01", "A1", "BASE1", "2024-04-15", "2"],
        ["RUS01", "A1", "BASE1", "", ""],
        ["RUS01", "A1", "BASE1", "1000-01", "1"],
        ["RUS01", "A1", "BASE1", "2024-05", "1e300"],
    ])
    res = run_import(db, "demand", p)
    assert messages(res) == [
        "row 2, column period: '2024-13' is not a valid date",
        "row 3, column period: 'Jan 2024' is not a month (YYYY-MM) or a date (YYYY-MM-DD)",
        "row 3, column quantity: '-2' must not be negative",
        "row 4, column period: '2024-02-30' is not a valid date",
        "row 4, column quantity: 'nan' is not a number",
        "row 6, column period: the same part, site and month are also on row 5",
        "row 7, column period: is required",
        "row 7, column quantity: is required",
        "row 8, column period: '1000-01' must be a month of the years 1950 to 2100",
        "row 9, column quantity: '1e300' is more than 1e+09 in one month",
    ]
    assert counts(db) == before


def test_xlsx_import_with_numbers_and_dates_typed_by_excel(db, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(DEMAND_HEADER)
    ws.append(["RUS01", "A1", "BASE1", date(2024, 5, 9), 3])
    ws.append(["RUS01", "A1", "BASE1", "2024-06", 1.5])
    ws.append(["RUS01", "A1", "BASE1", "2024-07", "=1+1"])  # a formula is never evaluated: empty -> error
    path = tmp_path / "d.xlsx"
    wb.save(path)
    before = counts(db)
    res = run_import(db, "demand", path)
    assert messages(res) == ["row 4, column quantity: is required"]
    assert counts(db) == before
    ws.delete_rows(4)
    wb.save(path)
    res = run_import(db, "demand", path)
    assert res.ok and res.created == 2


def test_demand_at_a_site_the_actor_may_not_see_is_an_unknown_site(db, tmp_path):
    add_site_of(db, "ORG-OEM", "PLANT1")
    p = write_csv(tmp_path / "d.csv", DEMAND_HEADER, [["RUS01", "A1", "BASE1", "2024-01", "3"],
                                                      ["RUS01", "A1", "PLANT1", "2024-01", "1"]])
    before = counts(db)
    res = run_import(db, "demand", p, actor=member_of(db, "ORG-DEPOT"))
    assert messages(res) == ["row 3, column site: no site 'PLANT1'"]
    assert counts(db) == before
