"""Stock imports: all-or-nothing, every error as `row N, column C: message`, sites scoped to the actor.

Run over SQLite and (when SETU_TEST_POSTGRES_URL is set) PostgreSQL via the ``engine`` fixture.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from setu.fleet.models import StockPosition
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


# -- stock ---------------------------------------------------------------------------------------

STOCK_HEADER = [c.name for c in tables.IMPORT_COLUMNS["stock"]]


def test_stock_sets_counts_and_upserts(db, tmp_path):
    p = write_csv(tmp_path / "s.csv", STOCK_HEADER, [["RUS01", "A1", "depot1", "5", "1", "2", "3"],
                                                     ["rus01", "b 2", "BASE1", "10", "", "", ""]])
    res = run_import(db, "stock", p)
    assert res.ok and res.created == 2, messages(res)
    p2 = write_csv(tmp_path / "s2.csv", ["manufacturer_code", "part_number", "site", "serviceable"],
                   [["RUS01", "A1", "DEPOT1", "7"], ["RUS01", "B2", "BASE1", "10"]])
    res = run_import(db, "stock", p2)
    assert (res.created, res.updated, res.unchanged) == (0, 1, 1)
    with UnitOfWork(system_actor("test"), engine=db) as uow:
        rows = sorted((sp.serviceable, sp.unserviceable, sp.in_repair, sp.on_order, sp.version)
                      for sp in uow.session.scalars(select(StockPosition)))
    assert rows == [(7, 1, 2, 3, 2), (10, 0, 0, 0, 1)]


def test_stock_errors(db, tmp_path):
    before = counts(db)
    p = write_csv(tmp_path / "s.csv", STOCK_HEADER, [
        ["RUS01", "A1", "DEPOT1", "5", "0", "0", "0"],
        ["RUS01", "ZZ9", "DEPOT1", "1", "0", "0", "0"],
        ["RUS01", "A1", "MOON", "-1", "2.5", "x", ""],
        ["RUS01", "A1", "depot1", "1", "0", "0", "0"],
        ["", "A1", "", "1", "1", "1", "1"],
    ])
    res = run_import(db, "stock", p)
    assert messages(res) == [
        "row 3, column part_number: no part RUS01 ZZ9 in the catalog",
        "row 4, column site: no site 'MOON'",
        "row 4, column serviceable: '-1' must not be negative",
        "row 4, column unserviceable: '2.5' is not a whole number",
        "row 4, column in_repair: 'x' is not a whole number",
        "row 5, column site: the same part and site are also on row 2",
        "row 6, column manufacturer_code: is required",
        "row 6, column site: is required",
    ]
    assert counts(db) == before


def test_a_site_the_actor_may_not_see_is_an_unknown_site(db, tmp_path):
    """India's depot clerk names Russia's plant: "no site", exactly like a missing one; nothing changes."""
    add_site_of(db, "ORG-OEM", "PLANT1")
    clerk = member_of(db, "ORG-DEPOT")
    p = write_csv(tmp_path / "s.csv", STOCK_HEADER, [["RUS01", "A1", "BASE1", "5", "", "", ""],
                                                     ["RUS01", "A1", "PLANT1", "3", "", "", ""],
                                                     ["RUS01", "B2", "NOWHERE", "1", "", "", ""]])
    before = counts(db)
    res = run_import(db, "stock", p, actor=clerk)
    assert messages(res) == ["row 3, column site: no site 'PLANT1'", "row 4, column site: no site 'NOWHERE'"]
    assert counts(db) == before
    # the plant's own organisation sees it; the system actor sees every site
    oem = member_of(db, "ORG-OEM")
    ok = write_csv(tmp_path / "ok.csv", STOCK_HEADER, [["RUS01", "A1", "PLANT1", "3", "", "", ""]])
    assert run_import(db, "stock", ok, actor=oem, dry_run=True).ok
    assert messages(run_import(db, "stock", ok, actor=clerk, dry_run=True)) == ["row 2, column site: no site 'PLANT1'"]
