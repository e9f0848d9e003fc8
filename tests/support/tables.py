"""Helpers for the import/export tests: the gathered tables, a seeded database, file writers, table counts."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import func, select

from setu.app.registry import tables as _gathered
from setu.catalog.schemas import PartCreate
from setu.catalog.service import create_part
from setu.demand.models import DemandRecord
from setu.catalog.models import BomLine, EquipmentType, Part
from setu.fleet.models import Site, StockPosition
from setu.identity.models import Organisation, Party
from setu.kit.access import Actor, system_actor
from setu.kit.audit import AuditEntry
from setu.kit.tabular import ImportResult, write_table
from setu.kit.uow import UnitOfWork

#: every capability's import/export specs (``<cap>/tables.py``), as the CLI and the web use them
tables = _gathered()
PART_HEADER = [c.name for c in tables.IMPORT_COLUMNS["parts"]]


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


def run_import(engine, resource: str, path: Path, *, dry_run: bool = False, actor=None) -> ImportResult:
    with UnitOfWork(actor or system_actor("test"), write=True, engine=engine) as uow:
        res = tables.import_file(uow, resource, path, dry_run=dry_run)
        if res.ok and not dry_run:
            uow.commit()
    return res


def messages(res: ImportResult) -> list[str]:
    return [str(e) for e in res.errors]


def part_row(mfr: str, pn: str, name: str = "Widget", **kw: object) -> list[object]:
    vals = {"manufacturer_code": mfr, "part_number": pn, "name": name, **kw}
    return [vals.get(h, "") for h in PART_HEADER]


def parts_by_pn(engine) -> dict:
    from types import SimpleNamespace

    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        cols = [c.key for c in Part.__table__.columns]
        return {p.part_number: SimpleNamespace(**{c: getattr(p, c) for c in cols})
                for p in uow.session.scalars(select(Part))}


def member_of(engine, org_code: str, role: str = "clerk") -> Actor:
    """A (non-system) actor of the organisation ``org_code`` of the seed, e.g. ORG-DEPOT (India's
    depot) or ORG-OEM (Russia's OEM)."""
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        org = uow.session.scalar(select(Organisation).where(Organisation.code == org_code))
        return Actor(name=f"{org_code.lower()}.{role}", party_id=org.party_id, organisation_id=org.id,
                     organisation_kind=org.kind, role=role)


def add_site_of(engine, org_code: str, code: str) -> None:
    """A site of another organisation (a plant of ORG-OEM, say)."""
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        org = uow.session.scalar(select(Organisation).where(Organisation.code == org_code))
        uow.session.add(Site(code=code, name=f"Site {code}", kind="plant", organisation_id=org.id, echelon=2))
        uow.commit()


def set_owner(engine, part_number: str, party_code: str | None) -> None:
    """Make the party ``party_code`` the maintainer of a part of the seed."""
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        s = uow.session
        party = s.scalar(select(Party).where(Party.code == party_code)) if party_code else None
        part = s.scalar(select(Part).where(Part.part_number == part_number))
        part.owner_party_id = party.id if party else None
        uow.commit()
