"""The generic import machinery over every capability's tables: error files, Excel safety, uploads
held in memory, progress, delimiters.

Run over SQLite and (when SETU_TEST_POSTGRES_URL is set) PostgreSQL via the ``engine`` fixture.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork

from tests.support.tables import (
    PART_HEADER, counts, messages, part_row, parts_by_pn, run_import, seed, tables, write_csv, write_file,
)

DEMAND_HEADER = [c.name for c in tables.IMPORT_COLUMNS["demand"]]


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
    err = tables.write_error_file(src, tables.default_error_path(src), res.errors)
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
    err = tables.write_error_file(src, tmp_path / "out.csv", res.errors)
    text = err.read_text(encoding="utf-8-sig")
    assert "row 1, column colour: unknown column" in text.splitlines()[1]


# -- Excel ---------------------------------------------------------------------------------------


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
        res = tables.import_bytes(uow, "parts", data, "csv", dry_run=True)
    assert messages(res) == ["row 3, column kind: Input should be 'repairable' or 'consumable' (got '?')"]
    err = tables.error_file_bytes(data, "csv", res.errors)
    with tabular.open_table_bytes(err, "csv") as t:
        assert [cells[-1] for _, cells in t.rows()] == ["", messages(res)[0]]
    xlsx = tabular.xlsx_bytes(PART_HEADER, [part_row("RUS01", "U1", "ok")])
    with UnitOfWork(system_actor("test"), write=True, engine=db) as uow:
        res = tables.import_bytes(uow, "parts", xlsx, "xlsx")
        assert res.ok and res.created == 1
        uow.commit()
    with UnitOfWork(system_actor("test"), write=True, engine=db) as uow:
        res = tables.import_bytes(uow, "parts", b"not a zip", "xlsx")
    assert [e.field for e in res.errors] == ["(file)"]
    assert counts(db)["catalog_part"] == before["catalog_part"] + 1


def test_progress_reports_reading_then_writing(db, tmp_path):
    p = write_csv(tmp_path / "p.csv", PART_HEADER, [part_row("RUS01", f"PR{i}", "x") for i in range(4500)])
    seen: list[tuple[str, int, int]] = []
    with UnitOfWork(system_actor("test"), write=True, engine=db) as uow:
        res = tables.import_file(uow, "parts", p, progress=lambda *a: seen.append(a))
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
    err = tables.write_error_file(p, tmp_path / "semi.errors.csv", res.errors)
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
        res = tables.import_file(uow, "demand", p, progress=progress)
        assert res.ok, messages(res)
        uow.commit()
    assert seen["reading"] and all(seen["reading"])  # nobody waits while the file is checked
    assert seen["writing"] and not any(seen["writing"][1:])  # the write phase holds the lock
    engine.dispose()
