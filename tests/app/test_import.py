"""Imports: all-or-nothing, every error as `row N, column C: message`, dry run, error files.

Run over SQLite and (when SETU_TEST_POSTGRES_URL is set) PostgreSQL via the ``engine`` fixture.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from setu.app import transfer
from setu.catalog.models import BomLine, Part
from setu.demand.models import DemandRecord
from setu.fleet.models import StockPosition
from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork

from ._import_fixtures import PART_HEADER, counts, messages, part_row, run_import, seed, write_csv, write_file


@pytest.fixture
def db(engine):
    seed(engine)
    return engine


def parts_by_pn(engine) -> dict[str, SimpleNamespace]:
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        cols = [c.key for c in Part.__table__.columns]
        return {p.part_number: SimpleNamespace(**{c: getattr(p, c) for c in cols})
                for p in uow.session.scalars(select(Part))}


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


# -- error file ----------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_error_file_keeps_every_row_and_reimports_once_fixed(db, tmp_path, suffix):
    from setu.kit.tabular import open_table

    src = write_file(tmp_path / f"in{suffix}", PART_HEADER, [
        part_row("RUS01", "G1", "Good"),
        part_row("RUS01", "G2", "Bad price", unit_price="1,5"),
        part_row("RUS01", "G3", "Bad kind", kind="spare"),
    ])
    before = counts(db)
    res = run_import(db, "parts", src)
    assert len(res.errors) == 2 and counts(db) == before
    err = transfer.write_error_file(src, transfer.default_error_path(src), res.errors)
    assert err.name == f"in.errors{suffix}"
    with open_table(err) as t:
        assert t.header == PART_HEADER + ["errors"]
        rows = list(t.rows())
    assert [r[0] for r in rows] == [2, 3, 4]
    assert rows[0][1][-1] == ""
    assert rows[1][1][-1] == "row 3, column unit_price: '1,5' is not a number"
    assert rows[2][1][-1].startswith("row 4, column kind: ")
    # the user fixes the two cells and imports the error file itself
    fixed = [r[1][:-1] + [r[1][-1]] for r in rows]
    fixed[1][PART_HEADER.index("unit_price")] = "1.5"
    fixed[2][PART_HEADER.index("kind")] = "consumable"
    again = write_file(tmp_path / f"fixed{suffix}", PART_HEADER + ["errors"], fixed)
    res = run_import(db, "parts", again)
    assert res.ok and res.created == 3, messages(res)
    assert parts_by_pn(db)["G2"].unit_price == Decimal("1.50")


def test_error_file_of_a_header_error_names_it(db, tmp_path):
    src = write_csv(tmp_path / "h.csv", ["manufacturer_code", "part_number", "colour"], [["RUS01", "P", "red"]])
    res = run_import(db, "parts", src)
    err = transfer.write_error_file(src, tmp_path / "out.csv", res.errors)
    text = err.read_text(encoding="utf-8-sig")
    assert "row 1, column colour: unknown column" in text.splitlines()[1]


# -- bom -----------------------------------------------------------------------------------------

BOM_HEADER = [c.name for c in transfer.IMPORT_COLUMNS["bom"]]


def _parts(db, tmp_path, *pns: str) -> None:
    p = write_csv(tmp_path / "bom_parts.csv", PART_HEADER, [part_row("RUS01", pn, f"Part {pn}") for pn in pns])
    assert run_import(db, "parts", p).ok


def test_bom_multi_level_with_parents_later_in_the_file(db, tmp_path):
    _parts(db, tmp_path, "AGG", "CMP", "LEAF")
    p = write_csv(tmp_path / "bom.csv", BOM_HEADER, [
        ["s400", "RUS01", "CMP", "RUS01", "LEAF", "4", "0.25"],  # its parent comes two rows later
        ["S400", "", "", "RUS01", "AGG", "1", ""],
        ["S400", "RUS01", "AGG", "RUS01", "CMP", "2", "0.5"],
    ])
    res = run_import(db, "bom", p)
    assert res.ok and res.created == 3, messages(res)
    with UnitOfWork(system_actor("test"), engine=db) as uow:
        got = {(uow.session.get(Part, ln.child_part_id).part_number, ln.level, ln.quantity_per_assembly,
                ln.failure_share) for ln in uow.session.scalars(select(BomLine))}
    assert got == {("AGG", 1, 1.0, None), ("CMP", 2, 2.0, 0.5), ("LEAF", 3, 4.0, 0.25)}
    # same file again: nothing changes; a new quantity updates the line
    assert run_import(db, "bom", p).unchanged == 3
    p2 = write_csv(tmp_path / "bom2.csv", BOM_HEADER, [["S400", "RUS01", "AGG", "RUS01", "CMP", "3", "0.5"]])
    res = run_import(db, "bom", p2)
    assert (res.updated, res.created) == (1, 0)


def test_bom_unknown_references_cycles_and_orphans_are_errors(db, tmp_path):
    _parts(db, tmp_path, "AGG", "CMP", "LEAF")
    before = counts(db)
    p = write_csv(tmp_path / "bom.csv", BOM_HEADER, [
        ["S400", "", "", "RUS01", "AGG", "1", ""],
        ["S400", "RUS01", "AGG", "RUS01", "CMP", "1", ""],
        ["S400", "RUS01", "CMP", "RUS01", "AGG", "1", ""],          # AGG inside CMP inside AGG
        ["T72", "", "", "RUS01", "AGG", "1", ""],                     # unknown equipment type
        ["S400", "RUS01", "NOPE", "RUS01", "LEAF", "1", ""],         # unknown parent
        ["S400", "RUS01", "LEAF", "RUS01", "LEAF", "1", ""],         # contains itself
        ["S400", "", "", "RUS01", "CMP", "0", "1.5"],                 # bad numbers
        ["S400", "RUS01", "", "RUS01", "LEAF", "x", ""],             # half a parent, bad qty
        ["S400", "", "", "RUS01", "AGG", "2", ""],                    # duplicate of row 2
    ])
    res = run_import(db, "bom", p)
    got = messages(res)
    # the cycle AGG -> CMP -> AGG is found together with the row errors
    cycle = "column child_part_number: makes an assembly contain itself (cycle through "
    assert got[0].startswith("row 3, " + cycle) and got[1].startswith("row 4, " + cycle)
    assert {"RUS01 AGG", "RUS01 CMP"} == set(got[0][len("row 3, " + cycle):-1].split(" → "))
    assert got[2:] == [
        "row 5, column equipment_type: no equipment type 'T72'",
        "row 6, column parent_part_number: no part RUS01 NOPE in the catalog",
        "row 7, column child_part_number: a part cannot contain itself",
        "row 8, column quantity_per_assembly: Input should be greater than 0",
        "row 8, column failure_share: Input should be less than or equal to 1",
        "row 9, column parent_part_number: is required",
        "row 9, column quantity_per_assembly: 'x' is not a number",
        "row 10, column child_part_number: the same line (equipment type, parent, child) is also on row 2",
    ]
    assert counts(db) == before
    # an orphan: the parent is in no line of this equipment's bill
    p = write_csv(tmp_path / "bom2.csv", BOM_HEADER, [
        ["S400", "", "", "RUS01", "AGG", "1", ""],
        ["S400", "RUS01", "B2", "RUS01", "LEAF", "1", ""],
    ])
    res = run_import(db, "bom", p)
    assert messages(res) == [
        "row 3, column parent_part_number: the parent RUS01 B2 is not in the bill of material of this equipment "
        "type; add a line for it first (it may be in this file)"]
    assert counts(db) == before


# -- stock ---------------------------------------------------------------------------------------

STOCK_HEADER = [c.name for c in transfer.IMPORT_COLUMNS["stock"]]


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


# -- demand --------------------------------------------------------------------------------------

DEMAND_HEADER = [c.name for c in transfer.IMPORT_COLUMNS["demand"]]


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


# -- Excel ---------------------------------------------------------------------------------------


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


@pytest.mark.parametrize("content", [b"manufacturer_code,part_number\nRUS01,Z\n", b"PK\x03\x04garbage" * 10])
def test_non_xlsx_renamed_xlsx_is_a_clear_error_and_changes_nothing(db, tmp_path, content):
    p = tmp_path / "parts.xlsx"
    p.write_bytes(content)
    before = counts(db)
    res = run_import(db, "parts", p)
    assert len(res.errors) == 1 and res.errors[0].field == "(file)"
    assert "xlsx" in res.errors[0].message
    assert counts(db) == before


def test_zip_bomb_xlsx_import_is_refused_and_changes_nothing(db, tmp_path):
    import zipfile

    from setu.kit.tabular import write_table

    src = tmp_path / "src.xlsx"
    write_table(src, PART_HEADER, [part_row("RUS01", "Q1", "x")])
    bomb = tmp_path / "bomb.xlsx"
    pad = b" " * (80 << 20)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", pad + b"<sheetData>", 1)
            zout.writestr(info.filename, data)
    before = counts(db)
    res = run_import(db, "parts", bomb)
    assert [e.field for e in res.errors] == ["(file)"] and "zip bomb" in res.errors[0].message
    assert counts(db) == before


# -- uploads held in memory (the web layer), progress, delimiters ----------------------------------


def test_upload_bytes_import_and_error_file_bytes(db, tmp_path):
    from setu.kit import tabular

    data = b"".join(tabular.iter_csv_bytes(PART_HEADER, [part_row("RUS01", "U1", "ok"),
                                                         part_row("RUS01", "U2", "bad", kind="?")]))
    before = counts(db)
    with UnitOfWork(system_actor("test"), write=True, engine=db) as uow:
        res = transfer.import_bytes(uow, "parts", data, "csv", dry_run=True)
    assert messages(res) == ["row 3, column kind: Input should be 'repairable' or 'consumable' (got '?')"]
    err = transfer.error_file_bytes(data, "csv", res.errors)
    with tabular.open_table_bytes(err, "csv") as t:
        assert [cells[-1] for _, cells in t.rows()] == ["", messages(res)[0]]
    xlsx = tabular.xlsx_bytes(PART_HEADER, [part_row("RUS01", "U1", "ok")])
    with UnitOfWork(system_actor("test"), write=True, engine=db) as uow:
        res = transfer.import_bytes(uow, "parts", xlsx, "xlsx")
        assert res.ok and res.created == 1
        uow.commit()
    with UnitOfWork(system_actor("test"), write=True, engine=db) as uow:
        res = transfer.import_bytes(uow, "parts", b"not a zip", "xlsx")
    assert [e.field for e in res.errors] == ["(file)"]
    assert counts(db)["catalog_part"] == before["catalog_part"] + 1


def test_progress_reports_reading_then_writing(db, tmp_path):
    p = write_csv(tmp_path / "p.csv", PART_HEADER, [part_row("RUS01", f"PR{i}", "x") for i in range(4500)])
    seen: list[tuple[str, int, int]] = []
    with UnitOfWork(system_actor("test"), write=True, engine=db) as uow:
        res = transfer.import_file(uow, "parts", p, progress=lambda *a: seen.append(a))
    assert res.ok and res.created == 4500
    phases = [a[0] for a in seen]
    assert phases.index("writing") > max(i for i, ph in enumerate(phases) if ph == "reading")
    assert seen[-1] == ("writing", 4500, 4500)
    reading = [a for a in seen if a[0] == "reading"]
    assert reading[-1][1] == reading[-1][2] == p.stat().st_size


def test_semicolon_csv_gets_a_semicolon_error_file(db, tmp_path):
    p = write_csv(tmp_path / "semi.csv", PART_HEADER, [part_row("RUS01", "S1", "x", unit_price="1,5")], delimiter=";")
    res = run_import(db, "parts", p)
    assert messages(res) == ["row 2, column unit_price: '1,5' is not a number"]
    err = transfer.write_error_file(p, tmp_path / "semi.errors.csv", res.errors)
    assert err.read_text(encoding="utf-8-sig").splitlines()[0] == ";".join(PART_HEADER + ["errors"])


def test_an_import_reads_and_validates_outside_the_write_lock(sqlite_url, tmp_path):
    """How a large import avoids starving everyone else: while it reads and checks its rows,
    another writer can still take SQLite's write lock; only the write phase holds it."""
    import sqlite3

    from setu.kit.db import make_engine

    engine = make_engine(sqlite_url)
    seed(engine)
    rows = [["RUS01", "A1", "BASE1", f"{2000 + m // 12}-{m % 12 + 1:02d}", "1"] for m in range(240)]
    p = write_csv(tmp_path / "d.csv", DEMAND_HEADER, rows)
    seen: dict[str, list[bool]] = {"reading": [], "writing": []}

    def lock_free() -> bool:
        other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()

    def progress(phase: str, done: int, total: int) -> None:
        if phase in seen and len(seen[phase]) < 3:
            seen[phase].append(lock_free())

    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        res = transfer.import_file(uow, "demand", p, progress=progress)
        assert res.ok, messages(res)
        uow.commit()
    assert seen["reading"] and all(seen["reading"])  # nobody waits while the file is checked
    assert seen["writing"] and not any(seen["writing"][1:])  # the write phase holds the lock
    engine.dispose()
