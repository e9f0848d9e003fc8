"""Catalog imports (parts, bills of material): all-or-nothing, every error as `row N, column C: message`,
dry run, the catalog's own rules and policies.

Run over SQLite and (when SETU_TEST_POSTGRES_URL is set) PostgreSQL via the ``engine`` fixture.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from setu.catalog.models import BomLine, Part
from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork

from tests.support.tables import (
    PART_HEADER, counts, member_of, messages, part_row, parts_by_pn, run_import, seed, set_owner, tables,
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


# -- bom -----------------------------------------------------------------------------------------

BOM_HEADER = [c.name for c in tables.IMPORT_COLUMNS["bom"]]


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


# -- the catalog's policies: only the party that maintains a record changes it -------------------


def test_parts_import_may_not_change_a_part_the_other_party_maintains(db, tmp_path):
    set_owner(db, "A1", "RUS")
    clerk = member_of(db, "ORG-DEPOT")  # India
    p = write_csv(tmp_path / "p.csv", PART_HEADER, [
        part_row("IND01", "N1", "New Indian part"),
        part_row("RUS01", "A1", "Radar module, renamed"),            # Russia maintains A1
        part_row("RUS01", "B2", "Filter, renamed"),                   # reference data: the installation's
    ])
    before = counts(db)
    res = run_import(db, "parts", p, actor=clerk)
    assert messages(res) == [
        "row 3, column part_number: RUS01 A1: this record is maintained by the other party",
        "row 4, column part_number: RUS01 B2: this record is maintained by the other party",
    ]
    assert counts(db) == before and parts_by_pn(db)["A1"].name == "Radar module"
    # unchanged rows of the other party's parts pass (an exported file re-imported); a new part is
    # maintained by the importer's party, and Russia's engineer may change A1
    same = write_csv(tmp_path / "same.csv", ["manufacturer_code", "part_number", "name"],
                     [["RUS01", "A1", "Radar module"], ["IND01", "N1", "New Indian part"]])
    res = run_import(db, "parts", same, actor=clerk)
    assert res.ok and (res.created, res.unchanged) == (1, 1), messages(res)
    assert parts_by_pn(db)["N1"].owner_party_id == clerk.party_id
    res = run_import(db, "parts", p, actor=member_of(db, "ORG-OEM"))  # N1 unchanged, A1 Russia's, B2 nobody's
    assert [m.split(":")[0] for m in messages(res)] == ["row 4, column part_number"]


def test_bom_import_checks_the_maintainer_and_the_cycle_for_a_member_of_a_party(db, tmp_path):
    _parts(db, tmp_path, "AGG", "CMP")
    before = counts(db)
    lines = [["S400", "", "", "RUS01", "AGG", "1", ""],
             ["S400", "RUS01", "AGG", "RUS01", "CMP", "1", ""],
             ["S400", "RUS01", "CMP", "RUS01", "AGG", "1", ""]]       # AGG inside CMP inside AGG
    p = write_csv(tmp_path / "bom.csv", BOM_HEADER, lines)
    # Russia maintains the S400: its engineer gets the cycle (catalog.rules), nothing is written
    res = run_import(db, "bom", p, actor=member_of(db, "ORG-OEM"))
    cycle = "column child_part_number: makes an assembly contain itself (cycle through "
    got = messages(res)
    assert len(got) == 2 and got[0].startswith("row 3, " + cycle) and got[1].startswith("row 4, " + cycle)
    assert counts(db) == before
    # India may not change Russia's bill at all
    ok = write_csv(tmp_path / "ok.csv", BOM_HEADER, lines[:2])
    res = run_import(db, "bom", ok, actor=member_of(db, "ORG-DEPOT"))
    assert messages(res) == [
        f"row {n}, column equipment_type: the bill of material of this equipment type: this record is maintained "
        "by the other party" for n in (2, 3)]
    assert counts(db) == before
    res = run_import(db, "bom", ok, actor=member_of(db, "ORG-OEM"))
    assert res.ok and res.created == 2, messages(res)
