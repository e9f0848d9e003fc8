"""Helpers for the import/export tests: a seeded database, file writers, table counts."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import func, select

from setu.app import transfer
from setu.catalog.models import BomLine, Part
from setu.catalog.schemas import PartCreate
from setu.catalog.service import create_part
from setu.demand.models import DemandRecord
from setu.fleet.models import EquipmentType, Site, StockPosition
from setu.identity.models import Organisation, Party
from setu.kit.access import system_actor
from setu.kit.audit import AuditEntry
from setu.kit.tabular import write_table
from setu.kit.uow import UnitOfWork

PART_HEADER = [c.name for c in transfer.IMPORT_COLUMNS["parts"]]


def seed(engine) -> None:
    """Two parties, an OEM and a depot, sites DEPOT1 / BASE1, equipment type S400, parts A1 and B2."""
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        s = uow.session
        ind = Party(code="IND", name="India", role="operator", currency="INR")
        rus = Party(code="RUS", name="Russia", role="origin", currency="RUB")
        s.add_all([ind, rus])
        s.flush()
        depot_org = Organisation(party_id=ind.id, code="ORG-DEPOT", name="Depot org", kind="depot")
        oem = Organisation(party_id=rus.id, code="ORG-OEM", name="OEM", kind="oem")
        s.add_all([depot_org, oem])
        s.flush()
        depot = Site(code="DEPOT1", name="Central depot", kind="depot", organisation_id=depot_org.id, echelon=1)
        s.add(depot)
        s.flush()
        s.add(Site(code="BASE1", name="Air base", kind="base", organisation_id=depot_org.id, echelon=2,
                   parent_id=depot.id))
        s.add(EquipmentType(code="S400", name="Long-range SAM", category="air_defence_long_range",
                            origin_party_id=rus.id, oem_organisation_id=oem.id, operating_hours_per_year=500))
        s.flush()
        create_part(uow, data=PartCreate(manufacturer_code="RUS01", part_number="A1", name="Radar module",
                                         kind="repairable", condemnation_rate=0.1, unit_price="1000.00",
                                         nsn="5840-01-123-4567"))
        create_part(uow, data=PartCreate(manufacturer_code="RUS01", part_number="B2", name="Filter"))
        uow.commit()


def counts(engine) -> dict[str, int]:
    """Row counts of the tables an import may touch, plus a checksum of the parts' data."""
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        s = uow.session
        out = {m.__tablename__: s.scalar(select(func.count()).select_from(m))
               for m in (Part, BomLine, StockPosition, DemandRecord, AuditEntry)}
        out["part_versions"] = s.scalar(select(func.coalesce(func.sum(Part.version), 0)))
        out["stock_versions"] = s.scalar(select(func.coalesce(func.sum(StockPosition.version), 0)))
        return out


def write_csv(path: Path, header: list[str], rows: list[list[object]], *, delimiter: str = ",") -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter)
    w.writerow(header)
    for r in rows:
        w.writerow(r)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def write_file(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    if path.suffix == ".csv":
        return write_csv(path, header, rows)
    write_table(path, header, rows)
    return path


def run_import(engine, resource: str, path: Path, *, dry_run: bool = False) -> transfer.ImportResult:
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        res = transfer.import_file(uow, resource, path, dry_run=dry_run)
        if res.ok and not dry_run:
            uow.commit()
    return res


def messages(res: transfer.ImportResult) -> list[str]:
    return [str(e) for e in res.errors]


def part_row(mfr: str, pn: str, name: str = "Widget", **kw: object) -> list[object]:
    vals = {"manufacturer_code": mfr, "part_number": pn, "name": name, **kw}
    return [vals.get(h, "") for h in PART_HEADER]
