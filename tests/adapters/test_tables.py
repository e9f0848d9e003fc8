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
