"""Exports of every list to CSV and .xlsx; round trips through the importers; the CLI."""
from __future__ import annotations

from datetime import date

import pytest
from typer.testing import CliRunner

from setu.catalog.models import Interchange, Part
from setu.kit import tabular
from setu.kit.access import Actor, system_actor
from setu.kit.errors import PermissionDenied, ValidationFailed
from setu.kit.uow import UnitOfWork

from tests.support.tables import PART_HEADER, counts, messages, part_row, run_import, seed, tables, write_csv


@pytest.fixture
def db(engine, tmp_path):
    """The seed plus parts (one with a formula-like name), a bill, stock and demand, all imported."""
    seed(engine)
    rows = [part_row("RUS01", "AGG", "=Aggregate", kind="repairable", condemnation_rate="0.25", unit_price="1234.56",
                     nsn="1005-01-000-0001", origin_designation="9S32", repair_turnaround_days="30",
                     shelf_life_months="", mtbf_hours="1234.5", currency="RUB", unit_of_issue="SE"),
            part_row("RUS01", "CMP", "Component, with comma", unit_price="0.10"),
            part_row("ABC12", "00123", "Leading zeros", procurement_lead_time_days="0")]
    assert run_import(engine, "parts", write_csv(tmp_path / "seed_parts.csv", PART_HEADER, rows)).ok
    bom = [["S400", "", "", "RUS01", "AGG", "1", "0.6"], ["S400", "RUS01", "AGG", "RUS01", "CMP", "2.5", ""]]
    assert run_import(engine, "bom", write_csv(tmp_path / "seed_bom.csv",
                                               [c.name for c in tables.IMPORT_COLUMNS["bom"]], bom)).ok
    stock = [["RUS01", "AGG", "DEPOT1", "3", "1", "1", "2"], ["ABC12", "00123", "BASE1", "40", "0", "0", "0"]]
    assert run_import(engine, "stock", write_csv(tmp_path / "seed_stock.csv",
                                                 [c.name for c in tables.IMPORT_COLUMNS["stock"]], stock)).ok
    demand = [["RUS01", "AGG", "BASE1", f"2024-{m:02d}", str(m % 3)] for m in range(1, 13)]
    demand.append(["RUS01", "CMP", "DEPOT1", "2023-12", "0.5"])
    assert run_import(engine, "demand", write_csv(tmp_path / "seed_demand.csv",
                                                  [c.name for c in tables.IMPORT_COLUMNS["demand"]], demand)).ok
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        from sqlalchemy import select

        from setu.catalog.models import EquipmentType
        from setu.fleet.models import EquipmentUnit, Site

        et = uow.session.scalar(select(EquipmentType))
        base = uow.session.scalar(select(Site).where(Site.code == "BASE1"))
        uow.session.add(EquipmentUnit(serial="S400-001", equipment_type_id=et.id, site_id=base.id))
        pn = {p.part_number: p.id for p in uow.session.scalars(select(Part))}
        uow.session.add(Interchange(replaced_part_id=pn["B2"], replacing_part_id=pn["AGG"], code="two_way",
                                    effective_date=date(2024, 3, 1), remarks="SB 12"))
        from decimal import Decimal

        from setu.finance.models import ExchangeRate

        uow.session.add(ExchangeRate(from_currency="USD", to_currency="INR", rate=Decimal("83.25"),
                                     valid_from=date(2024, 1, 1), source="test fixing"))
        uow.commit()
    return engine


def export(engine, resource, filters=None, fmt="csv") -> bytes:
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        return b"".join(tables.export_bytes(uow, resource, filters, fmt=fmt))


def table_of(data: bytes, fmt: str) -> tuple[list[str], list[list[str]]]:
    with tabular.open_table_bytes(data, fmt) as t:
        return t.header, [cells for _, cells in t.rows()]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("resource", ["parts", "bom", "stock", "demand"])
def test_exported_files_reimport_unchanged(db, tmp_path, resource, fmt):
    data = export(db, resource, fmt=fmt)
    path = tmp_path / f"{resource}.{fmt}"
    path.write_bytes(data)
    before = counts(db)
    res = run_import(db, resource, path)
    assert res.ok, messages(res)
    n = len(table_of(data, fmt)[1])
    assert n > 0 and (res.rows, res.created, res.updated, res.unchanged) == (n, 0, 0, n)
    assert counts(db) == before
    # and the export of the re-imported data reads the same
    assert table_of(export(db, resource, fmt=fmt), fmt) == table_of(data, fmt)


def test_round_trip_into_an_empty_database_recreates_the_data(db, engine_factory_url, tmp_path):
    """Export from one database, import into another: the second's export equals the first's."""
    other = engine_factory_url
    seed(other)
    for resource in ("parts", "bom", "stock", "demand"):
        path = tmp_path / f"{resource}.xlsx"
        path.write_bytes(export(db, resource, fmt="xlsx"))
        res = run_import(other, resource, path)
        assert res.ok, messages(res)
    for resource in ("parts", "bom", "stock", "demand"):
        assert export(other, resource) == export(db, resource)


@pytest.fixture
def engine_factory_url(tmp_path, _sqlite_template):
    import shutil

    from setu.kit.db import make_engine

    path = tmp_path / "other.db"
    shutil.copy(_sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


def test_parts_csv_content_and_formula_guard(db):
    header, rows = table_of(export(db, "parts"), "csv")
    assert header == PART_HEADER
    by_pn = {r[1]: dict(zip(header, r)) for r in rows}
    agg = by_pn["AGG"]
    assert (agg["name"], agg["unit_price"], agg["nsn"], agg["condemnation_rate"], agg["mtbf_hours"]) == (
        "=Aggregate", "1234.56", "1005-01-000-0001", "0.25", "1234.5")
    assert by_pn["00123"]["procurement_lead_time_days"] == "0"
    raw = export(db, "parts").decode("utf-8-sig")
    assert ",'=Aggregate," in raw  # guarded against formula injection in the file itself


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("resource", tables.EXPORT_RESOURCES)
def test_every_list_exports(db, resource, fmt):
    header, rows = table_of(export(db, resource, fmt=fmt), fmt)
    assert header and rows and all(len(r) >= len(header) - 1 for r in rows)


def test_other_lists_content(db):
    assert table_of(export(db, "sites"), "csv") == (
        ["code", "name", "kind", "organisation", "echelon", "parent"],
        [["BASE1", "Air base", "base", "ORG-DEPOT", "2", "DEPOT1"],
         ["DEPOT1", "Central depot", "depot", "ORG-DEPOT", "1", ""]])
    assert table_of(export(db, "equipment-types"), "csv")[1] == [
        ["S400", "Long-range SAM", "air_defence_long_range", "RUS", "ORG-OEM", "500"]]
    assert table_of(export(db, "organisations", {"party": "rus"}), "csv")[1] == [
        ["ORG-OEM", "OEM", "oem", "RUS", "false"]]
    assert table_of(export(db, "equipment-units", {"site": "BASE1"}), "csv") == (
        ["serial", "equipment_type", "site", "status"], [["S400-001", "S400", "BASE1", "operational"]])
    assert table_of(export(db, "equipment-units", {"site": "DEPOT1"}), "csv")[1] == []


def test_interchanges_export(db):
    assert table_of(export(db, "interchanges"), "csv") == (
        ["replaced_manufacturer_code", "replaced_part_number", "replacing_manufacturer_code", "replacing_part_number",
         "code", "set_code", "effective_date", "remarks"],
        [["RUS01", "B2", "RUS01", "AGG", "two_way", "", "2024-03-01", "SB 12"]])
    assert table_of(export(db, "interchanges", {"part_number": "agg"}), "csv")[1][0][1] == "B2"
    assert table_of(export(db, "interchanges", {"code": "one_way"}), "csv")[1] == []


def test_export_filters(db):
    pns = lambda data: [r[1] for r in table_of(data, "csv")[1]]  # noqa: E731
    assert pns(export(db, "parts", {"q": "comma"})) == ["CMP"]
    assert pns(export(db, "parts", {"kind": "repairable"})) == ["A1", "AGG"]
    assert pns(export(db, "parts", {"has_nsn": "true"})) == ["A1", "AGG"]
    assert pns(export(db, "parts", {"has_nsn": False, "manufacturer_code": "rus01"})) == ["B2", "CMP"]
    assert [r[2] for r in table_of(export(db, "stock", {"site": "base1"}), "csv")[1]] == ["BASE1"]
    demand = table_of(export(db, "demand", {"from": "2024-03", "to": "2024-05-31", "site": "BASE1"}), "csv")[1]
    assert [r[3] for r in demand] == ["2024-03", "2024-04", "2024-05"]
    assert len(table_of(export(db, "demand", {"part_number": "cmp"}), "csv")[1]) == 1
    assert len(table_of(export(db, "bom", {"equipment_type": "nope"}), "csv")[1]) == 0


def test_export_rejects_unknown_filters_resources_and_formats(db):
    with UnitOfWork(system_actor("test"), engine=db) as uow:
        with pytest.raises(ValidationFailed) as ei:
            tables.export_rows(uow, "parts", {"colour": "red"})
        assert str(ei.value.errors[0]).startswith("colour: is not a filter of parts")
        with pytest.raises(ValidationFailed):
            tables.export_rows(uow, "spaceships")
        with pytest.raises(ValidationFailed):
            tables.export_bytes(uow, "parts", fmt="pdf")
        with pytest.raises(ValidationFailed):
            tables.export_rows(uow, "demand", {"from": "last year"})


def test_viewer_may_export_but_not_import(db, tmp_path):
    viewer = Actor(name="viewer", role="viewer")
    with UnitOfWork(viewer, engine=db) as uow:
        header, rows = tables.export_rows(uow, "parts")
        assert len(list(rows)) == 5
    p = write_csv(tmp_path / "p.csv", PART_HEADER, [part_row("RUS01", "V1", "x")])
    with UnitOfWork(viewer, write=True, engine=db) as uow:
        with pytest.raises(PermissionDenied):
            tables.import_file(uow, "parts", p)


# -- CLI -----------------------------------------------------------------------------------------


@pytest.fixture
def cli(db, settings_env):
    from setu.app.cli import app

    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_cli_import_errors_exit_2_with_error_file_and_nothing_changed(db, cli, tmp_path):
    src = write_csv(tmp_path / "in.csv", PART_HEADER, [part_row("RUS01", "N1", "ok"),
                                                       part_row("RUS01", "N2", "bad", unit_price="x")])
    before = counts(db)
    r = cli("import", "parts", str(src))
    assert r.exit_code == 2
    assert "row 3, column unit_price: 'x' is not a number" in r.output
    assert (tmp_path / "in.errors.csv").exists() and "nothing was changed" in r.output
    r = cli("import", "parts", str(src), "--errors", str(tmp_path / "mine.csv"))
    assert r.exit_code == 2 and (tmp_path / "mine.csv").exists()
    assert counts(db) == before


def test_cli_dry_run_then_import(db, cli, tmp_path):
    src = write_csv(tmp_path / "in.csv", PART_HEADER, [part_row("RUS01", "N1", "ok")])
    before = counts(db)
    r = cli("import", "parts", str(src), "--dry-run")
    assert r.exit_code == 0, r.output
    assert "would create 1" in r.output and "nothing was changed" in r.output
    assert counts(db) == before
    r = cli("import", "parts", str(src))
    assert r.exit_code == 0 and "created 1" in r.output
    assert counts(db)["catalog_part"] == before["catalog_part"] + 1


def test_cli_unsafe_or_missing_file(db, cli, tmp_path):
    p = tmp_path / "x.xlsx"
    p.write_text("not a workbook")
    r = cli("import", "stock", str(p))
    assert r.exit_code == 2 and "not an Excel .xlsx workbook" in r.output
    assert not (tmp_path / "x.errors.xlsx").exists()
    r = cli("import", "stock", str(tmp_path / "missing.csv"))
    assert r.exit_code == 2 and "no such file" in r.output


def test_cli_export_to_stdout_and_files(db, cli, tmp_path):
    r = cli("export", "parts", "--q", "comma")
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0] == ",".join(PART_HEADER)
    assert "RUS01,CMP" in r.output
    out = tmp_path / "stock.xlsx"
    r = cli("export", "stock", "--output", str(out), "--site", "DEPOT1")
    assert r.exit_code == 0, r.output
    assert table_of(out.read_bytes(), "xlsx")[1] == [["RUS01", "AGG", "DEPOT1", "3", "1", "1", "2"]]
    r = cli("export", "demand", "-f", "csv", "-o", str(tmp_path / "d.csv"), "--from", "2024-12")
    assert r.exit_code == 0 and len((tmp_path / "d.csv").read_text(encoding="utf-8-sig").splitlines()) == 2
    r = cli("export", "parts", "--format", "pdf")
    assert r.exit_code == 2


def test_cli_help_for_every_command(cli):
    for group, names in (("import", tables.IMPORT_RESOURCES), ("export", tables.EXPORT_RESOURCES)):
        r = cli(group, "--help")
        assert r.exit_code == 0
        for name in names:
            r = cli(group, name, "--help")
            assert r.exit_code == 0 and "Usage" in r.output, (group, name)
