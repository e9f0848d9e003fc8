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


def test_parts_create_and_update_by_identity(db, tmp_path):
    p = write_csv(tmp_path / "p.csv", PART_HEADER, [
        part_row("rus01", " c 3 ", "Seal kit", nsn="5330011234568", unit_price="12.50", currency="inr",
                 unit_of_issue="kt", kind="consumable", shelf_life_months="24"),
        part_row("RUS01", "A1", "Radar module Mk2", kind="repairable", condemnation_rate="0.05",
                 nsn="5840-01-123-4567", unit_price="1200", mtbf_hours="850.5"),
    ])
    res = run_import(db, "parts", p)
    assert res.ok, messages(res)
    assert (res.rows, res.created, res.updated, res.unchanged) == (2, 1, 1, 0)
    parts = parts_by_pn(db)
    c3 = parts["C3"]
    assert (c3.manufacturer_code, c3.nsn, c3.unit_price, c3.currency, c3.unit_of_issue, c3.shelf_life_months) == (
        "RUS01", "5330-01-123-4568", Decimal("12.50"), "INR", "KT", 24)
    a1 = parts["A1"]
    assert (a1.name, a1.condemnation_rate, a1.unit_price, a1.mtbf_hours, a1.version) == (
        "Radar module Mk2", 0.05, Decimal("1200.00"), 850.5, 2)


def test_partial_columns_keep_the_other_values_of_existing_parts(db, tmp_path):
    p = write_csv(tmp_path / "p.csv", ["manufacturer_code", "part_number", "unit_price"],
                  [["RUS01", "A1", "999.99"], ["RUS01", "B2", ""]])
    res = run_import(db, "parts", p)
    assert res.ok and (res.updated, res.unchanged) == (1, 1), messages(res)
    a1 = parts_by_pn(db)["A1"]
    assert (a1.unit_price, a1.name, a1.kind, a1.nsn) == (Decimal("999.99"), "Radar module", "repairable",
                                                         "5840-01-123-4567")


def test_malformed_parts_report_every_error_and_change_nothing(db, tmp_path):
    before = counts(db)
    p = write_csv(tmp_path / "bad.csv", PART_HEADER, [
        part_row("RUS01", "OK1", "Fine"),
        part_row("RUS01", "X2", "Bad numbers", unit_price="abc", procurement_lead_time_days="ten",
                 condemnation_rate="2", kind="consumable"),
        part_row("R", "X3", "Bad identity and NSN", nsn="1234-56-789"),
        part_row("RUS01", "X4", "", unit_of_issue="BAG", currency="XYZ"),
        part_row("RUS01", "OK1", "Duplicate"),
        part_row("RUS01", "X6", "NSN of A1", nsn="5840-01-123-4567"),
        part_row("RUS01", "X7", "Unknown bureau", nsn="5840-98-123-4567"),
        part_row("RUS01", "X8", "Same NSN as X9", nsn="5840-01-555-0001"),
        part_row("RUS01", "X9", "Same NSN as X8", nsn="5840-01-555-0001"),
        part_row("RUS01", "X10", "Consumable with a rate", condemnation_rate="0.5"),
        part_row("RUS01", "X11", "Negative", unit_price="-1", mtbf_hours="0", repair_turnaround_days="1.5"),
    ])
    res = run_import(db, "parts", p)
    got = messages(res)
    assert got == [
        "row 3, column unit_price: 'abc' is not a number",
        "row 3, column condemnation_rate: Input should be less than or equal to 1 (got '2')",
        "row 3, column procurement_lead_time_days: 'ten' is not a whole number",
        "row 4, column manufacturer_code: 'R' must be 3 to 16 letters or digits (CAGE/NCAGE or origin "
        "manufacturer code)",
        "row 4, column nsn: '1234-56-789' is not a NATO stock number of the form NNNN-NN-NNN-NNNN",
        "row 5, column name: is required for a new part",
        "row 5, column unit_of_issue: 'BAG' is not a unit of issue; use one of EA, SE, KT, PR, M, L, KG, RO, BX, PG",
        "row 5, column currency: 'XYZ' is not a supported currency; use one of EUR, GBP, INR, RUB, USD",
        "row 6, column part_number: RUS01 OK1 is also on row 2 (a part may appear once per file)",
        "row 7, column nsn: 5840-01-123-4567 is already on part RUS01 A1",
        "row 8, column nsn: '5840-98-123-4567': 98 is not a known NATO codification bureau code",
        "row 10, column nsn: 5840-01-555-0001 is also given on row 9 (an NSN identifies one part)",
        "row 11, column condemnation_rate: a consumable part is always condemned (1.0)",
        "row 12, column unit_price: Input should be greater than or equal to 0 (got '-1')",
        "row 12, column repair_turnaround_days: '1.5' is not a whole number",
        "row 12, column mtbf_hours: Input should be greater than 0 (got '0')",
    ]
    assert not res.ok and res.rows == 11
    assert counts(db) == before


def test_wrong_columns_are_reported_on_row_1_with_the_row_errors(db, tmp_path):
    before = counts(db)
    p = write_csv(tmp_path / "cols.csv", ["part_number", "Name", "colour", "name", "unit_price"],
                  [["P1", "x", "red", "y", "zero"]])
    res = run_import(db, "parts", p)
    assert messages(res) == [
        "row 1, column colour: unknown column; the columns are " + ", ".join(PART_HEADER),
        "row 1, column name: appears twice (columns B and D)",
        "row 1, column manufacturer_code: required column is missing",
        "row 2, column unit_price: 'zero' is not a number",
    ]
    assert counts(db) == before


def test_values_under_unnamed_columns_are_errors(db, tmp_path):
    p = tmp_path / "extra.csv"
    p.write_text("manufacturer_code,part_number,name\nRUS01,P1,x,stray\nRUS01,P2,y,\n", encoding="utf-8")
    res = run_import(db, "parts", p)
    assert messages(res) == ["row 2, column D: has a value but the column has no name in row 1"]


def test_empty_file_is_an_error_and_header_only_changes_nothing(db, tmp_path):
    before = counts(db)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    res = run_import(db, "parts", empty)
    assert messages(res) == ["row 1, column (file): the file is empty: the first row must name the columns"]
    header_only = write_csv(tmp_path / "h.csv", PART_HEADER, [])
    res = run_import(db, "parts", header_only)
    assert res.ok and res.rows == 0
    assert counts(db) == before


def test_dry_run_validates_everything_and_changes_nothing(db, tmp_path):
    before = counts(db)
    p = write_csv(tmp_path / "p.csv", PART_HEADER, [part_row("RUS01", "N1", "New"),
                                                     part_row("RUS01", "A1", "Renamed", kind="repairable",
                                                              condemnation_rate="0.1", nsn="5840-01-123-4567",
                                                              unit_price="1000"),
                                                     part_row("RUS01", "B2", "Filter")])
    res = run_import(db, "parts", p, dry_run=True)
    assert res.ok and (res.created, res.updated, res.unchanged) == (1, 1, 1)
    assert res.summary() == ("3 row(s): would create 1, would update 1, would leave 1 unchanged; "
                             "dry run, nothing was changed")
    assert counts(db) == before
    bad = write_csv(tmp_path / "bad.csv", PART_HEADER, [part_row("RUS01", "N1", "New", kind="x")])
    res = run_import(db, "parts", bad, dry_run=True)
    assert messages(res) == ["row 2, column kind: Input should be 'repairable' or 'consumable' (got 'x')"]
    assert counts(db) == before


def test_nsn_may_move_between_parts_in_one_file(db, tmp_path):
    p = write_csv(tmp_path / "swap.csv", ["manufacturer_code", "part_number", "nsn"],
                  [["RUS01", "A1", "5840-01-999-0001"], ["RUS01", "B2", "5840-01-123-4567"]])
    res = run_import(db, "parts", p)
    assert res.ok, messages(res)
    parts = parts_by_pn(db)
    assert (parts["A1"].nsn, parts["B2"].nsn) == ("5840-01-999-0001", "5840-01-123-4567")


def test_every_imported_row_is_audited(db, tmp_path):
    before = counts(db)
    p = write_csv(tmp_path / "p.csv", PART_HEADER, [part_row("RUS01", f"N{i}", "New") for i in range(5)]
                  + [part_row("RUS01", "B2", "Filter renamed")])
    assert run_import(db, "parts", p).ok
    after = counts(db)
    assert after["catalog_part"] == before["catalog_part"] + 5
    assert after["audit_entry"] == before["audit_entry"] + 6


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
