"""A 50 MB parts file: every error found, nothing changed; then imported whole, in bulk.

Slow (a minute or more on two cores): ``pytest -m slow tests/catalog/test_tables_large.py``.
"""
from __future__ import annotations

import csv
import time

import pytest

from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork

from tests.support.tables import PART_HEADER, counts, messages, seed, tables

pytestmark = pytest.mark.slow
SIZE = 50 * 1024 * 1024


def make_parts_csv(path, size: int = SIZE) -> int:
    """Write a realistic parts file of ``size`` bytes; returns the number of data rows."""
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(PART_HEADER)
        while fh.tell() < size:
            rep = n % 3 == 0
            w.writerow([f"RUS{n % 50:02d}", f"PN-{n:07d}", f"5840-01-{n // 10000:03d}-{n % 10000:04d}", f"9S{n:05d}",
                        f"Spare part number {n} for radar", "EA", f"{n % 5000}.{n % 100:02d}", "RUB",
                        "repairable" if rep else "consumable", "0.15" if rep else "1", "30" if rep else "", "120",
                        "", f"{500 + n % 1000}.5"])
            n += 1
    return n


def test_50mb_file_with_bad_rows_reports_them_all_and_changes_nothing(engine, tmp_path):
    seed(engine)
    path = tmp_path / "big.csv"
    n = make_parts_csv(path)
    with open(path, "a", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["RUS07", "PN-0000007", "", "", "duplicate", "", "", "", "", "", "", "", "", ""])
        w.writerow(["RUS01", "BAD1", "5840-01-123-4567", "", "NSN of A1", "", "", "", "", "", "", "", "", ""])
        w.writerow(["RUS01", "BAD2", "", "", "price", "", "x", "", "", "", "", "", "", ""])
    before = counts(engine)
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        res = tables.import_file(uow, "parts", path)
    assert res.rows == n + 3
    assert messages(res) == [
        f"row {n + 2}, column part_number: RUS07 PN-0000007 is also on row 9 (a part may appear once per file)",
        f"row {n + 3}, column nsn: 5840-01-123-4567 is already on part RUS01 A1",
        f"row {n + 4}, column unit_price: 'x' is not a number",
    ]
    assert counts(engine) == before


def test_50mb_file_imports_in_bulk(engine, tmp_path, record_property):
    path = tmp_path / "big.csv"
    n = make_parts_csv(path)
    before = counts(engine)
    t0 = time.perf_counter()
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        res = tables.import_file(uow, "parts", path)
        assert res.ok, messages(res)[:5]
        uow.commit()
    seconds = time.perf_counter() - t0
    record_property("seconds", round(seconds, 1))
    print(f"\n50 MB parts CSV: {n} rows imported in {seconds:.1f} s")
    after = counts(engine)
    assert res.created == n and after["catalog_part"] == before["catalog_part"] + n
