"""Fleet queries: sites, equipment units, stock."""
from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from setu.catalog.models import Part
from setu.fleet.models import EquipmentUnit, Site, StockPosition
from setu.kit.listing import search_clause

SITE_SORT = {"code": Site.code, "name": Site.name, "echelon": Site.echelon}
UNIT_SORT = {"serial": EquipmentUnit.serial, "status": EquipmentUnit.status, "updated_at": EquipmentUnit.updated_at}
STOCK_SORT = {"serviceable": StockPosition.serviceable, "updated_at": StockPosition.updated_at}


# -- scopes: subqueries of site ids (fleet.policies decides which one an actor gets) ----------------

def no_site_ids() -> Select:
    """A subquery of no site ids."""
    return select(Site.id).where(Site.id.is_(None))


def party_site_ids(party_id: uuid.UUID) -> Select:
    """A subquery of the ids of the sites of every organisation of a party."""
    from setu.identity.models import Organisation

    return select(Site.id).join(Organisation, Site.organisation_id == Organisation.id).where(
        Organisation.party_id == party_id)


def organisation_site_ids(organisation_id: uuid.UUID | None) -> Select:
    """A subquery of the ids of one organisation's sites."""
    return select(Site.id).where(Site.organisation_id == organisation_id)


def sites(q: str | None = None, kind: str | None = None, echelon: int | None = None,
          scope: Select | None = None) -> Select:
    stmt = select(Site)
    if scope is not None:
        stmt = stmt.where(Site.id.in_(scope))
    if (c := search_clause(q, Site.code, Site.name)) is not None:
        stmt = stmt.where(c)
    if kind:
        stmt = stmt.where(Site.kind == kind)
    if echelon:
        stmt = stmt.where(Site.echelon == echelon)
    return stmt


def site_ids_by_code(session: Session, scope: Select | None = None) -> dict[str, uuid.UUID]:
    """Upper-case code -> id of the sites in ``scope`` (None: every site)."""
    stmt = select(Site.id, Site.code)
    if scope is not None:
        stmt = stmt.where(Site.id.in_(scope))
    return {c.upper(): i for i, c in session.execute(stmt)}


def equipment_units(q: str | None = None, equipment_type_id: uuid.UUID | None = None,
                    site_id: uuid.UUID | None = None, status: str | None = None, scope: Select | None = None) -> Select:
    stmt = select(EquipmentUnit)
    if scope is not None:
        stmt = stmt.where(EquipmentUnit.site_id.in_(scope))
    if (c := search_clause(q, EquipmentUnit.serial)) is not None:
        stmt = stmt.where(c)
    if equipment_type_id:
        stmt = stmt.where(EquipmentUnit.equipment_type_id == equipment_type_id)
    if site_id:
        stmt = stmt.where(EquipmentUnit.site_id == site_id)
    if status:
        stmt = stmt.where(EquipmentUnit.status == status)
    return stmt


def stock_positions(part_id: uuid.UUID | None = None, site_id: uuid.UUID | None = None,
                    scope: Select | None = None, q: str | None = None) -> Select:
    """Stock positions at the sites in ``scope``; ``q`` searches the part (number, name, NSN) and the
    site (code, name)."""
    stmt = select(StockPosition)
    if scope is not None:
        stmt = stmt.where(StockPosition.site_id.in_(scope))
    if (c := search_clause(q, Part.part_number, Part.name, Part.nsn)) is not None:
        site_match = select(Site.id).where(search_clause(q, Site.code, Site.name))
        stmt = stmt.where(or_(StockPosition.part_id.in_(select(Part.id).where(c)),
                              StockPosition.site_id.in_(site_match)))
    if part_id:
        stmt = stmt.where(StockPosition.part_id == part_id)
    if site_id:
        stmt = stmt.where(StockPosition.site_id == site_id)
    return stmt


def stock_position_for_update(session: Session, part_id: uuid.UUID, site_id: uuid.UUID) -> StockPosition | None:
    """The position, row-locked until commit (PostgreSQL FOR UPDATE; SQLite holds the write lock
    from BEGIN IMMEDIATE)."""
    return session.scalar(
        select(StockPosition)
        .where(StockPosition.part_id == part_id, StockPosition.site_id == site_id)
        .with_for_update()
    )


def scoped_get(session: Session, model, id_, what: str, scope: Select | None, *, site_attr: str = "site_id"):
    """Fetch one row the actor may see; another party's row is "not found", like a missing one."""
    from setu.kit.crud import get_or_404
    from setu.kit.errors import NotFound

    obj = get_or_404(session, model, id_, what)
    if scope is not None:
        site_id = obj.id if model is Site else getattr(obj, site_attr)
        if session.scalar(select(Site.id).where(Site.id == site_id, Site.id.in_(scope))) is None:
            raise NotFound(f"{what} {id_} not found")
    return obj


# -- reads for other capabilities (through fleet.service) -----------------------------------------

def unit_counts(session: Session, scope: Select | None, *, equipment_type_id: uuid.UUID | None = None,
                site_ids: list[uuid.UUID] | None = None, echelon: int | None = None) -> list[tuple]:
    """``(equipment_type_id, site_id, units)`` per type and site, at the sites of ``scope``."""
    from sqlalchemy import func

    stmt = select(EquipmentUnit.equipment_type_id, EquipmentUnit.site_id, func.count())
    if echelon is not None:
        stmt = stmt.join(Site, Site.id == EquipmentUnit.site_id).where(Site.echelon == echelon)
    if equipment_type_id is not None:
        stmt = stmt.where(EquipmentUnit.equipment_type_id == equipment_type_id)
    stmt = stmt.group_by(EquipmentUnit.equipment_type_id, EquipmentUnit.site_id)
    if scope is not None:
        stmt = stmt.where(EquipmentUnit.site_id.in_(scope))
    if site_ids:
        stmt = stmt.where(EquipmentUnit.site_id.in_(site_ids))
    return [(t, s, int(n)) for t, s, n in session.execute(stmt)]


def sites_by_ids(session: Session, site_ids: list[uuid.UUID], scope: Select | None = None) -> list[Site]:
    stmt = select(Site).where(Site.id.in_(site_ids))
    if scope is not None:
        stmt = stmt.where(Site.id.in_(scope))
    return list(session.scalars(stmt))


def site_ids_among(session: Session, site_ids: list[uuid.UUID], scope: Select | None) -> set[uuid.UUID]:
    stmt = select(Site.id).where(Site.id.in_(site_ids))
    if scope is not None:
        stmt = stmt.where(Site.id.in_(scope))
    return set(session.scalars(stmt))


def positions_of(session: Session, part_ids: list[uuid.UUID], site_ids: list[uuid.UUID],
                 chunk: int = 500) -> list[StockPosition]:
    out: list[StockPosition] = []
    for i in range(0, len(part_ids), chunk):
        out.extend(session.scalars(select(StockPosition).where(StockPosition.part_id.in_(part_ids[i:i + chunk]),
                                                               StockPosition.site_id.in_(site_ids))))
    return out


# -- summaries (fleet.service) ----------------------------------------------------------------------

def unit_counts_by_status(session: Session, scope: Select | None, *,
                          equipment_type_id: uuid.UUID | None = None) -> dict[str, int]:
    """Units per status at the sites of ``scope`` (None: every site), of one type when given."""
    from sqlalchemy import func

    stmt = select(EquipmentUnit.status, func.count()).group_by(EquipmentUnit.status)
    if scope is not None:
        stmt = stmt.where(EquipmentUnit.site_id.in_(scope))
    if equipment_type_id:
        stmt = stmt.where(EquipmentUnit.equipment_type_id == equipment_type_id)
    return {k: v for k, v in session.execute(stmt)}


def stock_totals(session: Session, scope: Select | None) -> tuple:
    """Sums of serviceable, unserviceable, in repair and on order (0 when none) at the sites of ``scope``."""
    from sqlalchemy import func

    stmt = select(
        func.coalesce(func.sum(StockPosition.serviceable), 0), func.coalesce(func.sum(StockPosition.unserviceable), 0),
        func.coalesce(func.sum(StockPosition.in_repair), 0), func.coalesce(func.sum(StockPosition.on_order), 0),
    )
    if scope is not None:
        stmt = stmt.where(StockPosition.site_id.in_(scope))
    return tuple(session.execute(stmt).one())


def sites_stocking(session: Session, part_ids: list[uuid.UUID]) -> list[Site]:
    """The sites holding a stock position of any of ``part_ids`` (unscoped: look-ups for rows
    that :func:`stock_sums_by_site` has already scoped)."""
    return list(session.scalars(select(Site).where(Site.id.in_(select(StockPosition.site_id).where(
        StockPosition.part_id.in_(part_ids))))))


def stock_sums_by_site(session: Session, part_ids: list[uuid.UUID], scope: Select | None) -> list[tuple]:
    """``(site_id, serviceable, unserviceable, in_repair, on_order)`` summed over ``part_ids`` per
    site of ``scope``."""
    from sqlalchemy import func

    cols = (StockPosition.serviceable, StockPosition.unserviceable, StockPosition.in_repair, StockPosition.on_order)
    stmt = (select(StockPosition.site_id, *[func.sum(c) for c in cols])
            .where(StockPosition.part_id.in_(part_ids)).group_by(StockPosition.site_id))
    if scope is not None:
        stmt = stmt.where(StockPosition.site_id.in_(scope))
    return [tuple(r) for r in session.execute(stmt)]


# -- imports and exports (fleet.tables) -------------------------------------------------------------

def stock_rows_by_key(session: Session, site_ids, counts) -> dict[tuple, dict]:
    """(part id, site id) -> the position's id, version, keys and the ``counts`` columns, for the
    positions at ``site_ids`` (one query, no ORM objects)."""
    out: dict[tuple, dict] = {}
    for r in session.execute(select(StockPosition.id, StockPosition.version, StockPosition.part_id,
                                    StockPosition.site_id, *[StockPosition.__table__.c[c] for c in counts])
                             .where(StockPosition.site_id.in_(site_ids))):
        d = dict(r._mapping)
        out[(d["part_id"], d["site_id"])] = d
    return out


def stock_export(counts, scope: Select | None, *, site_code: str | None = None) -> Select:
    """Stock positions at the sites of ``scope`` as export rows: part identity, site code and the
    ``counts`` columns, by site and part. ``site_code`` given (not None) filters, even empty."""
    sp = stock_positions(scope=scope).subquery()
    stmt = (select(Part.manufacturer_code, Part.part_number, Site.code, *[sp.c[c] for c in counts])
            .join(Part, Part.id == sp.c.part_id).join(Site, Site.id == sp.c.site_id)
            .order_by(Site.code, Part.manufacturer_code, Part.part_number))
    if site_code is not None:
        stmt = stmt.where(Site.code == site_code)
    return stmt
