"""Fleet use cases: sites, equipment units, stock positions. Services never commit."""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from setu.catalog.models import EquipmentType, Part
from setu.fleet import policies
from setu.fleet import repository as repo
from setu.fleet.models import EquipmentUnit, Site, StockPosition
from setu.fleet.rules import UNIT_STATUS_COLOURS, UNIT_STATUS_LABELS  # noqa: F401  (read by the overview)
from setu.fleet.schemas import (
    EquipmentUnitCreate, EquipmentUnitUpdate, SiteCreate, SiteUpdate, StockAdjust, StockPositionSet,
)
from setu.identity.models import Organisation
from setu.kit.access import require
from setu.kit.crud import apply_update, check_version, flush, get_or_404
from setu.kit.errors import Conflict, FieldError, ValidationFailed
from setu.kit.inputs import MAX_INT
from setu.kit.listing import Page, paginate
from setu.kit.uow import UnitOfWork

# -- sites -----------------------------------------------------------------------------------


def list_sites(uow: UnitOfWork, *, q: str | None = None, kind: str | None = None, echelon: int | None = None,
               sort: str | None = None, cursor: str | None = None, limit: int = 50) -> Page[Site]:
    require(uow.actor, "fleet.site.read")
    scope = policies.visible_site_ids(uow.actor)
    return paginate(uow.session, repo.sites(q, kind, echelon, scope), model=Site, sortable=repo.SITE_SORT,
                    sort=sort, cursor=cursor, limit=limit)


def get_site(uow: UnitOfWork, *, site_id: uuid.UUID) -> Site:
    require(uow.actor, "fleet.site.read")
    return _site(uow, site_id)


def site_ids_by_code(uow: UnitOfWork) -> dict[str, uuid.UUID]:
    """Upper-case site code -> id of every site the actor may see: another party's site is not in
    it, exactly like a missing one (what imports resolve their site references against)."""
    require(uow.actor, "fleet.site.read")
    return repo.site_ids_by_code(uow.session, policies.visible_site_ids(uow.actor))


def _site(uow: UnitOfWork, site_id: uuid.UUID, what: str = "site") -> Site:
    return repo.scoped_get(uow.session, Site, site_id, what, policies.visible_site_ids(uow.actor))


def check_site_visible(uow: UnitOfWork, *, site_id: uuid.UUID, what: str = "site") -> None:
    """404 unless the actor may see the site (another party's site is as unknown as a missing one):
    the check other capabilities make before recording anything at a site."""
    _site(uow, site_id, what)


def _check_site_parent(uow: UnitOfWork, site: Site) -> None:
    if site.parent_id is None:
        return
    parent = _site(uow, site.parent_id, "parent site")
    if parent.id == site.id:
        raise ValidationFailed("site", [FieldError("parent_id", "a site cannot resupply itself")])
    if parent.echelon >= site.echelon:
        raise ValidationFailed("site", [FieldError("parent_id", "the parent must be a depot (a higher echelon)")])


def create_site(uow: UnitOfWork, *, data: SiteCreate) -> Site:
    require(uow.actor, "fleet.site.create")
    org = get_or_404(uow.session, Organisation, data.organisation_id, "organisation")
    if not policies.may_use_organisation(uow.actor, org):
        raise ValidationFailed("site", [FieldError("organisation_id", "is not an organisation of yours")])
    site = Site(**data.model_dump())
    _check_site_parent(uow, site)
    uow.session.add(site)
    flush(uow.session, "site", {"code": "code"})
    return site


def update_site(uow: UnitOfWork, *, site_id: uuid.UUID, data: SiteUpdate) -> Site:
    require(uow.actor, "fleet.site.update")
    site = _site(uow, site_id)
    if data.parent_id is not None:  # before the change: a missing parent must not reach the flush
        _site(uow, data.parent_id, "parent site")
    apply_update(site, data, "site")
    _check_site_parent(uow, site)
    flush(uow.session, "site")
    return site


# -- equipment units -------------------------------------------------------------------------


def unit_counts_by_status(uow: UnitOfWork, *, equipment_type_id: uuid.UUID | None = None) -> dict[str, int]:
    require(uow.actor, "fleet.equipment_unit.read")
    return repo.unit_counts_by_status(uow.session, policies.visible_site_ids(uow.actor),
                                      equipment_type_id=equipment_type_id)


def list_equipment_units(uow: UnitOfWork, *, q: str | None = None, equipment_type_id: uuid.UUID | None = None,
                         site_id: uuid.UUID | None = None, status: str | None = None, sort: str | None = None,
                         cursor: str | None = None, limit: int = 50) -> Page[EquipmentUnit]:
    require(uow.actor, "fleet.equipment_unit.read")
    scope = policies.visible_site_ids(uow.actor)
    return paginate(uow.session, repo.equipment_units(q, equipment_type_id, site_id, status, scope),
                    model=EquipmentUnit,
                    sortable=repo.UNIT_SORT, sort=sort, cursor=cursor, limit=limit)


def get_equipment_unit(uow: UnitOfWork, *, unit_id: uuid.UUID) -> EquipmentUnit:
    require(uow.actor, "fleet.equipment_unit.read")
    return _unit(uow, unit_id)


def _unit(uow: UnitOfWork, unit_id: uuid.UUID) -> EquipmentUnit:
    return repo.scoped_get(uow.session, EquipmentUnit, unit_id, "equipment unit",
                           policies.visible_site_ids(uow.actor))


def create_equipment_unit(uow: UnitOfWork, *, data: EquipmentUnitCreate) -> EquipmentUnit:
    require(uow.actor, "fleet.equipment_unit.create")
    get_or_404(uow.session, EquipmentType, data.equipment_type_id, "equipment type")
    _site(uow, data.site_id)
    unit = EquipmentUnit(**data.model_dump())
    uow.session.add(unit)
    flush(uow.session, "equipment unit", {"serial": "serial"})
    return unit


def update_equipment_unit(uow: UnitOfWork, *, unit_id: uuid.UUID, data: EquipmentUnitUpdate) -> EquipmentUnit:
    require(uow.actor, "fleet.equipment_unit.update")
    unit = _unit(uow, unit_id)
    if data.site_id:
        _site(uow, data.site_id)
    apply_update(unit, data, "equipment unit")
    flush(uow.session, "equipment unit")
    return unit


# -- stock -----------------------------------------------------------------------------------


def list_stock(uow: UnitOfWork, *, part_id: uuid.UUID | None = None, site_id: uuid.UUID | None = None,
               q: str | None = None, sort: str | None = None, cursor: str | None = None,
               limit: int = 50) -> Page[StockPosition]:
    require(uow.actor, "fleet.stock.read")
    scope = policies.visible_site_ids(uow.actor)
    # Counted once, on the first page of a filtered list; never for the whole fleet's stock or later pages.
    filtered = bool(part_id or site_id or (q and q.strip()))
    return paginate(uow.session, repo.stock_positions(part_id, site_id, scope, q), model=StockPosition,
                    sortable=repo.STOCK_SORT, sort=sort or "-serviceable", cursor=cursor, limit=limit,
                    with_total=filtered and not cursor)


def get_stock_position(uow: UnitOfWork, *, position_id: uuid.UUID) -> StockPosition:
    """One stock position at a site the actor sees (another party's answers 404, like a missing one)."""
    require(uow.actor, "fleet.stock.read")
    return repo.scoped_get(uow.session, StockPosition, position_id, "stock position",
                           policies.visible_site_ids(uow.actor))


def set_stock(uow: UnitOfWork, *, data: StockPositionSet, versioned: bool = False) -> StockPosition:
    """Set a position's counts, creating it when the part has none at the site.

    ``versioned`` (the API): replacing an existing position needs the version the caller read
    (428 without it, 409 when stale), so read-then-PUT clients cannot overwrite each other."""
    require(uow.actor, "fleet.stock.update")
    s = uow.session
    get_or_404(s, Part, data.part_id, "part")
    _site(uow, data.site_id)
    pos = repo.stock_position_for_update(s, data.part_id, data.site_id)
    if pos is None:
        if versioned and data.version is not None:
            raise Conflict("stock position was removed or never existed; reload and try again",
                           [FieldError("version", "is stale; reload and try again")])
        pos = StockPosition(part_id=data.part_id, site_id=data.site_id)
        s.add(pos)
    elif versioned:
        check_version(pos, data.version, "stock position")
    for k in ("serviceable", "unserviceable", "in_repair", "on_order"):
        setattr(pos, k, getattr(data, k))
    flush(s, "stock position")
    return pos


def adjust_stock(uow: UnitOfWork, *, part_id: uuid.UUID, site_id: uuid.UUID, data: StockAdjust) -> StockPosition:
    """Add to a position's counts under a row lock, so concurrent adjustments lose nothing."""
    require(uow.actor, "fleet.stock.update")
    s = uow.session
    _site(uow, site_id)
    pos = repo.stock_position_for_update(s, part_id, site_id)
    if pos is None:
        get_or_404(s, Part, part_id, "part")
        pos = StockPosition(part_id=part_id, site_id=site_id, serviceable=0, unserviceable=0, in_repair=0, on_order=0)
        s.add(pos)
    errors = []
    for k in ("serviceable", "unserviceable", "in_repair", "on_order"):
        new = (getattr(pos, k) or 0) + getattr(data, k)
        if new < 0:
            errors.append(FieldError(k, f"would fall below zero ({getattr(pos, k) or 0} on hand, change {getattr(data, k)})"))
        elif new > MAX_INT:
            errors.append(FieldError(
                k, f"would exceed {MAX_INT} ({getattr(pos, k) or 0} on hand, change {getattr(data, k)})"))
        else:
            setattr(pos, k, new)
    if errors:
        raise ValidationFailed("stock adjustment", errors)
    flush(s, "stock position")
    return pos


def stock_totals(uow: UnitOfWork) -> dict[str, int]:
    require(uow.actor, "fleet.stock.read")
    row = repo.stock_totals(uow.session, policies.visible_site_ids(uow.actor))
    return dict(zip(("serviceable", "unserviceable", "in_repair", "on_order"), map(int, row)))


def stock_by_site(uow: UnitOfWork, *, part_id: uuid.UUID, by_family: bool = False) -> list[dict]:
    """Stock of a part per visible site; with ``by_family`` the stock of the parts that may fill
    its demand is pooled in (interchangeability resolved, see catalog.rules.resolve_families)."""
    require(uow.actor, "fleet.stock.read")
    from setu.catalog.service import family_heads

    get_or_404(uow.session, Part, part_id, "part")
    part_ids = [part_id]
    if by_family:
        _, stock_heads = family_heads(uow)
        head = stock_heads.get(part_id, part_id)
        part_ids = sorted({head, part_id} | {p for p, h in stock_heads.items() if h == head}, key=str)
    scope = policies.visible_site_ids(uow.actor)
    sites = {s.id: s for s in repo.sites_stocking(uow.session, part_ids)}
    out = []
    for site_id, *vals in repo.stock_sums_by_site(uow.session, part_ids, scope):
        site = sites[site_id]
        out.append({"site_id": site_id, "site_code": site.code, "site_name": site.name, "part_ids": part_ids,
                    **dict(zip(("serviceable", "unserviceable", "in_repair", "on_order"), map(int, vals)))})
    return sorted(out, key=lambda r: r["site_code"])


# -- reads for other capabilities: plain frozen data -------------------------------------------------

@dataclass(frozen=True)
class SiteFacts:
    """What other capabilities read of a site."""

    id: uuid.UUID
    code: str
    name: str
    echelon: int
    parent_id: uuid.UUID | None


@dataclass(frozen=True)
class StockFacts:
    """A stock position's counts (what other capabilities read of it)."""

    part_id: uuid.UUID
    site_id: uuid.UUID
    serviceable: int
    unserviceable: int
    in_repair: int
    on_order: int


def unit_counts(uow: UnitOfWork, *, equipment_type_id: uuid.UUID | None = None,
                site_ids: Iterable[uuid.UUID] | None = None, echelon: int | None = None
                ) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
    """``(equipment_type_id, site_id, units)`` of every type and site with units, at the sites the
    actor may see (optionally one type, some sites, one echelon)."""
    require(uow.actor, "fleet.equipment_unit.read")
    return repo.unit_counts(uow.session, policies.visible_site_ids(uow.actor), equipment_type_id=equipment_type_id,
                            site_ids=list(site_ids) if site_ids else None, echelon=echelon)


def site_facts(uow: UnitOfWork, *, site_ids: Iterable[uuid.UUID], scoped: bool = True) -> dict[uuid.UUID, SiteFacts]:
    """The sites of ``site_ids``, by id: those the actor may see, or (``scoped=False``) any, for
    a caller that names the depots above bases the actor sees (a base's parent depot is part of
    its supply chain even where the depot belongs to the other party)."""
    require(uow.actor, "fleet.site.read")
    ids = list(dict.fromkeys(site_ids))
    if not ids:
        return {}
    scope = policies.visible_site_ids(uow.actor) if scoped else None
    return {s.id: SiteFacts(s.id, s.code, s.name, s.echelon, s.parent_id)
            for s in repo.sites_by_ids(uow.session, ids, scope)}


def visible_site_ids_among(uow: UnitOfWork, *, site_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Which of ``site_ids`` name a site the actor may see."""
    require(uow.actor, "fleet.site.read")
    ids = list(dict.fromkeys(site_ids))
    return repo.site_ids_among(uow.session, ids, policies.visible_site_ids(uow.actor)) if ids else set()


def stock_facts(uow: UnitOfWork, *, part_ids: Iterable[uuid.UUID], site_ids: Iterable[uuid.UUID]
                ) -> dict[tuple[uuid.UUID, uuid.UUID], StockFacts]:
    """Stock positions of ``part_ids`` x ``site_ids`` by (part, site) (the caller names the
    sites: bases it may see and their depots)."""
    require(uow.actor, "fleet.stock.read")
    sites = list(dict.fromkeys(site_ids))
    parts = list(dict.fromkeys(part_ids))
    if not sites or not parts:
        return {}
    return {(p.part_id, p.site_id): StockFacts(p.part_id, p.site_id, int(p.serviceable), int(p.unserviceable),
                                               int(p.in_repair), int(p.on_order))
            for p in repo.positions_of(uow.session, parts, sites)}
