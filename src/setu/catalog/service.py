"""Catalog use cases: parts, equipment types, bills of material, interchangeability. Services never commit."""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from setu.catalog import repository as repo
from setu.catalog import rules
from setu.catalog.models import BomLine, EquipmentType, Interchange, Part
from setu.catalog.schemas import (
    BomLineCreate, BomLineUpdate, EquipmentTypeCreate, EquipmentTypeUpdate, InterchangeCreate, InterchangeUpdate,
    PartCreate, PartFilter, PartUpdate,
)
from setu.identity.models import Organisation, Party
from setu.kit.access import require, require_object
from setu.kit.crud import apply_update, flush, get_or_404
from setu.kit.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from setu.kit.listing import Page, paginate
from setu.kit.uow import UnitOfWork


def list_parts(
    uow: UnitOfWork, *, filters: PartFilter | None = None, sort: str | None = None, cursor: str | None = None,
    limit: int = 50, with_total: bool = True,
) -> Page[Part]:
    require(uow.actor, "catalog.part.read")
    f = filters or PartFilter()
    stmt = repo.parts(f.q, f.kind, f.manufacturer_code, f.has_nsn)
    return paginate(uow.session, stmt, model=Part, sortable=repo.PART_SORT, sort=sort or "part_number",
                    cursor=cursor, limit=limit, with_total=with_total)


def get_part(uow: UnitOfWork, *, part_id: uuid.UUID) -> Part:
    require(uow.actor, "catalog.part.read")
    return get_or_404(uow.session, Part, part_id, "part")


def get_part_to_edit(uow: UnitOfWork, *, part_id: uuid.UUID) -> Part:
    """The part for its edit form: 404 when missing, 403 when the other party maintains it (the
    form is refused up front, as the save would be)."""
    require(uow.actor, "catalog.part.update")
    part = get_or_404(uow.session, Part, part_id, "part")
    _maintains(uow, part.owner_party_id, "catalog.part.update")
    return part


def part_ids_by_identity(uow: UnitOfWork) -> dict[tuple[str, str], uuid.UUID]:
    """(manufacturer code, normalised part number) -> part id, for every part of the shared
    catalog (what an import resolves its part references against)."""
    require(uow.actor, "catalog.part.read")
    return repo.part_ids_by_identity(uow.session)


def _check_unique(uow: UnitOfWork, part: Part) -> None:
    s = uow.session
    other = repo.part_by_identity(s, part.manufacturer_code, part.part_number)
    if other is not None and other.id != part.id:
        raise Conflict(
            f"part {part.manufacturer_code} {part.part_number} already exists",
            [FieldError("part_number", f"{part.manufacturer_code} {part.part_number} already exists")],
        )
    if part.nsn:
        other = repo.part_by_nsn(s, part.nsn)
        if other is not None and other.id != part.id:
            raise Conflict(f"NSN {part.nsn} is already on part {other.manufacturer_code} {other.part_number}",
                           [FieldError("nsn", f"already on part {other.manufacturer_code} {other.part_number}")])


def _maintains(uow: UnitOfWork, owner_party_id, permission: str,
               refusal: str = "this record is maintained by the other party") -> None:
    """Both parties read the shared catalog; only the party that maintains a record changes it:
    the object rule ``own_party`` declared on ``<resource>.update`` (catalog/policies.py), refused
    as ``permission`` (the one the caller exercises)."""
    rule = permission.rpartition(".")[0] + ".update"
    try:
        require_object(uow.actor, rule, owner_party_id=owner_party_id)
    except PermissionDenied:
        raise PermissionDenied(refusal, permission=permission) from None


def create_part(uow: UnitOfWork, *, data: PartCreate) -> Part:
    require(uow.actor, "catalog.part.create")
    part = Part(**data.model_dump(), owner_party_id=uow.actor.party_id)
    _check_unique(uow, part)
    uow.session.add(part)
    flush(uow.session, "part", {"nsn": "nsn", "part_number": "part_number"})
    return part


def update_part(uow: UnitOfWork, *, part_id: uuid.UUID, data: PartUpdate) -> Part:
    require(uow.actor, "catalog.part.update")
    part = get_or_404(uow.session, Part, part_id, "part")
    _maintains(uow, part.owner_party_id, "catalog.part.update")
    apply_update(part, data, "part")
    if part.kind == "consumable" and part.condemnation_rate != 1.0:
        raise ValidationFailed("part", [FieldError("condemnation_rate", "a consumable part is always condemned (1.0)")])
    _check_unique(uow, part)
    flush(uow.session, "part", {"nsn": "nsn"})
    return part


# -- equipment types -------------------------------------------------------------------------

def list_equipment_types(uow: UnitOfWork, *, q: str | None = None, category: str | None = None,
                         sort: str | None = None, cursor: str | None = None, limit: int = 50) -> Page[EquipmentType]:
    require(uow.actor, "catalog.equipment_type.read")
    return paginate(uow.session, repo.equipment_types(q, category), model=EquipmentType, sortable=repo.TYPE_SORT,
                    sort=sort, cursor=cursor, limit=limit)


def get_equipment_type(uow: UnitOfWork, *, equipment_type_id: uuid.UUID) -> EquipmentType:
    require(uow.actor, "catalog.equipment_type.read")
    return get_or_404(uow.session, EquipmentType, equipment_type_id, "equipment type")


def create_equipment_type(uow: UnitOfWork, *, data: EquipmentTypeCreate) -> EquipmentType:
    require(uow.actor, "catalog.equipment_type.create")
    get_or_404(uow.session, Party, data.origin_party_id, "party")
    try:  # the party that creates a type maintains it (object rule own_party of catalog.equipment_type.update)
        require_object(uow.actor, "catalog.equipment_type.update", owner_party_id=data.origin_party_id)
    except PermissionDenied:
        raise ValidationFailed("equipment type", [FieldError(
            "origin_party_id", "equipment types are maintained by their origin party: use your own party")]) from None
    if data.oem_organisation_id:
        get_or_404(uow.session, Organisation, data.oem_organisation_id, "organisation")
    et = EquipmentType(**data.model_dump())
    uow.session.add(et)
    flush(uow.session, "equipment type", {"code": "code"})
    return et


def get_equipment_type_to_edit(uow: UnitOfWork, *, equipment_type_id: uuid.UUID) -> EquipmentType:
    """The equipment type for its edit form: 404 when missing, 403 when the other party maintains it."""
    require(uow.actor, "catalog.equipment_type.update")
    et = get_or_404(uow.session, EquipmentType, equipment_type_id, "equipment type")
    _maintains(uow, et.origin_party_id, "catalog.equipment_type.update",
               "equipment types are maintained by their origin party")
    return et


def update_equipment_type(uow: UnitOfWork, *, equipment_type_id: uuid.UUID, data: EquipmentTypeUpdate) -> EquipmentType:
    require(uow.actor, "catalog.equipment_type.update")
    et = get_or_404(uow.session, EquipmentType, equipment_type_id, "equipment type")
    _maintains(uow, et.origin_party_id, "catalog.equipment_type.update",
               "equipment types are maintained by their origin party")
    if data.oem_organisation_id:
        get_or_404(uow.session, Organisation, data.oem_organisation_id, "organisation")
    apply_update(et, data, "equipment type")
    flush(uow.session, "equipment type")
    return et


# -- bills of material -------------------------------------------------------------------------

def add_bom_line(uow: UnitOfWork, *, data: BomLineCreate) -> BomLine:
    """Add a child under the equipment type (no parent) or under a parent assembly.

    The parent must itself be in the same equipment's bill; no part may contain itself; the
    indenture level is the parent's level + 1.
    """
    require(uow.actor, "catalog.bom.create")
    s = uow.session
    et = get_or_404(s, EquipmentType, data.equipment_type_id, "equipment type")
    _maintains(uow, et.origin_party_id, "catalog.bom.create")
    get_or_404(s, Part, data.child_part_id, "part")
    level = 1
    lines = repo.bom_lines_of_type(s, data.equipment_type_id)
    if data.parent_part_id is not None:
        get_or_404(s, Part, data.parent_part_id, "part")
        parent_lines = [ln for ln in lines if ln.child_part_id == data.parent_part_id]
        if not parent_lines:
            raise ValidationFailed("bill of material", [FieldError(
                "parent_part_id", "the parent assembly is not in this equipment's bill of material")])
        level = min(ln.level for ln in parent_lines) + 1
        edges = [(ln.parent_part_id, ln.child_part_id) for ln in lines if ln.parent_part_id is not None]
        if rules.bom_cycle(edges, (data.parent_part_id, data.child_part_id)):
            raise ValidationFailed("bill of material", [FieldError(
                "child_part_id", "would make the assembly contain itself")])
    for ln in lines:
        if ln.parent_part_id == data.parent_part_id and ln.child_part_id == data.child_part_id:
            raise Conflict("bill of material line already exists",
                           [FieldError("child_part_id", "is already a component of this parent")])
    line = BomLine(**data.model_dump(), level=level)
    s.add(line)
    flush(s, "bill of material line")
    return line


def get_bom_line(uow: UnitOfWork, *, line_id: uuid.UUID) -> BomLine:
    require(uow.actor, "catalog.bom.read")
    return get_or_404(uow.session, BomLine, line_id, "bill of material line")


def update_bom_line(uow: UnitOfWork, *, line_id: uuid.UUID, data: BomLineUpdate) -> BomLine:
    """Change a line's quantity per assembly or failure share (by the equipment's maintainer)."""
    require(uow.actor, "catalog.bom.update")
    line = get_or_404(uow.session, BomLine, line_id, "bill of material line")
    et = get_or_404(uow.session, EquipmentType, line.equipment_type_id, "equipment type")
    _maintains(uow, et.origin_party_id, "catalog.bom.update")
    apply_update(line, data, "bill of material line")
    flush(uow.session, "bill of material line")
    return line


def list_bom_lines(uow: UnitOfWork, *, equipment_type_id: uuid.UUID | None = None,
                   parent_part_id: uuid.UUID | None = None, child_part_id: uuid.UUID | None = None,
                   level: int | None = None, q: str | None = None, sort: str | None = None,
                   cursor: str | None = None, limit: int = 50) -> Page[BomLine]:
    """Bill of material lines of every equipment type (the shared catalog), filtered and paged."""
    require(uow.actor, "catalog.bom.read")
    stmt = repo.bom_lines(equipment_type_id, parent_part_id, child_part_id, level, q)
    return paginate(uow.session, stmt, model=BomLine, sortable=repo.BOM_SORT, sort=sort, cursor=cursor, limit=limit)


def bom_tree(uow: UnitOfWork, *, equipment_type_id: uuid.UUID) -> list[dict]:
    """The equipment's bill of material as nested dicts (aggregate -> component -> part)."""
    require(uow.actor, "catalog.bom.read")
    s = uow.session
    lines = repo.bom_lines_of_type(s, equipment_type_id)
    parts = {p.id: p for p in repo.parts_with_ids(s, {ln.child_part_id for ln in lines})}
    by_parent: dict[uuid.UUID | None, list[BomLine]] = {}
    for ln in lines:
        by_parent.setdefault(ln.parent_part_id, []).append(ln)

    def build(parent: uuid.UUID | None, depth: int) -> list[dict]:
        out = []
        for ln in sorted(by_parent.get(parent, []), key=lambda x: parts[x.child_part_id].part_number):
            p = parts[ln.child_part_id]
            out.append({"line": ln, "part": p,
                        "children": build(p.id, depth + 1) if depth < 10 else []})
        return out

    return build(None, 0)


def bom_level(uow: UnitOfWork, *, equipment_type_id: uuid.UUID,
              parent_part_id: uuid.UUID | None = None) -> list[dict]:
    """One level of the equipment's bill of material: the lines directly under ``parent_part_id``
    (None: the aggregates under the equipment itself), each with its part and how many components
    it has, sorted by part number. The page opens a level when the user expands it, so a type with
    thousands of lines answers with the first level only."""
    require(uow.actor, "catalog.bom.read")
    s = uow.session
    get_or_404(s, EquipmentType, equipment_type_id, "equipment type")
    if parent_part_id is not None:
        get_or_404(s, Part, parent_part_id, "part")
    lines = repo.bom_children(s, equipment_type_id, parent_part_id)
    parts = {p.id: p for p in repo.parts_with_ids(s, {ln.child_part_id for ln in lines})}
    counts = repo.bom_child_counts(s, equipment_type_id, [ln.child_part_id for ln in lines])
    out = [{"line": ln, "part": parts[ln.child_part_id], "n_children": counts.get(ln.child_part_id, 0)}
           for ln in lines]
    out.sort(key=lambda n: n["part"].part_number)
    return out


def bom_size(uow: UnitOfWork, *, equipment_type_id: uuid.UUID) -> int:
    """How many lines the equipment's bill of material has (all levels)."""
    require(uow.actor, "catalog.bom.read")
    return repo.bom_line_count(uow.session, equipment_type_id)


def where_used(uow: UnitOfWork, *, part_id: uuid.UUID) -> list[dict]:
    """Every bill of material line that uses the part: equipment type, parent assembly, qty."""
    require(uow.actor, "catalog.bom.read")
    s = uow.session
    get_or_404(s, Part, part_id, "part")
    out = []
    for ln in repo.where_used(s, part_id):
        out.append({
            "line": ln,
            "equipment_type": s.get(EquipmentType, ln.equipment_type_id),
            "parent": s.get(Part, ln.parent_part_id) if ln.parent_part_id else None,
        })
    return out


# -- interchangeability ------------------------------------------------------------------------

def add_interchange(uow: UnitOfWork, *, data: InterchangeCreate) -> Interchange:
    require(uow.actor, "catalog.interchange.create")
    s = uow.session
    get_or_404(s, Part, data.replaced_part_id, "part")
    new_part = get_or_404(s, Part, data.replacing_part_id, "part")
    _maintains(uow, new_part.owner_party_id, "catalog.interchange.create")
    link = Interchange(**data.model_dump())
    s.add(link)
    flush(s, "interchangeability", {"replaced_part_id": "replacing_part_id"})
    return link


def get_interchange(uow: UnitOfWork, *, interchange_id: uuid.UUID) -> Interchange:
    require(uow.actor, "catalog.interchange.read")
    return get_or_404(uow.session, Interchange, interchange_id, "interchangeability")


def update_interchange(uow: UnitOfWork, *, interchange_id: uuid.UUID, data: InterchangeUpdate) -> Interchange:
    require(uow.actor, "catalog.interchange.update")
    link = get_or_404(uow.session, Interchange, interchange_id, "interchangeability")
    new_part = get_or_404(uow.session, Part, link.replacing_part_id, "part")
    _maintains(uow, new_part.owner_party_id, "catalog.interchange.update")
    apply_update(link, data, "interchangeability")
    if link.code == "as_set" and not link.set_code:
        raise ValidationFailed("interchangeability", [FieldError("set_code", "required when code is as_set")])
    flush(uow.session, "interchangeability")
    return link


def list_interchanges(uow: UnitOfWork, *, part_id: uuid.UUID | None = None) -> list[Interchange]:
    require(uow.actor, "catalog.interchange.read")
    return repo.interchanges(uow.session, {part_id} if part_id else None)


def page_interchanges(uow: UnitOfWork, *, part_id: uuid.UUID | None = None, code: str | None = None,
                      q: str | None = None, sort: str | None = None, cursor: str | None = None,
                      limit: int = 50) -> Page[Interchange]:
    """Interchangeability links, filtered and paged (``part_id``: either side of the link)."""
    require(uow.actor, "catalog.interchange.read")
    stmt = repo.interchange_list(part_id, code, q)
    return paginate(uow.session, stmt, model=Interchange, sortable=repo.INTERCHANGE_SORT, sort=sort, cursor=cursor,
                    limit=limit)


def family_heads(uow: UnitOfWork) -> tuple[dict[uuid.UUID, uuid.UUID], dict[uuid.UUID, uuid.UUID]]:
    """Demand and stock aggregation heads for every part that has interchangeability links."""
    require(uow.actor, "catalog.interchange.read")
    links = [(x.replaced_part_id, x.replacing_part_id, x.code) for x in repo.interchanges(uow.session)]
    return rules.resolve_families(links)


# -- reads for other capabilities: plain frozen data -------------------------------------------------

@dataclass(frozen=True)
class PartFacts:
    """What other capabilities read of a part (a frozen copy, no session attached)."""

    id: uuid.UUID
    manufacturer_code: str
    part_number: str
    name: str
    kind: str
    unit_price: Decimal
    currency: str
    condemnation_rate: float
    repair_turnaround_days: int | None
    procurement_lead_time_days: int
    mtbf_hours: float | None


def _part_facts(p: Part) -> PartFacts:
    return PartFacts(p.id, p.manufacturer_code, p.part_number, p.name, p.kind, p.unit_price, p.currency,
                     p.condemnation_rate, p.repair_turnaround_days, p.procurement_lead_time_days, p.mtbf_hours)


def part_facts(uow: UnitOfWork, *, part_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, PartFacts]:
    """The parts of ``part_ids`` that exist (both parties read the shared catalog), by id."""
    require(uow.actor, "catalog.part.read")
    ids = list(dict.fromkeys(part_ids))
    return {p.id: _part_facts(p) for p in repo.parts_by_ids(uow.session, ids)}


def existing_part_ids(uow: UnitOfWork, *, part_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Which of ``part_ids`` name a part."""
    require(uow.actor, "catalog.part.read")
    return repo.existing_part_ids(uow.session, list(dict.fromkeys(part_ids)))


@dataclass(frozen=True)
class EquipmentTypeFacts:
    """What other capabilities read of an equipment type."""

    id: uuid.UUID
    code: str
    name: str
    operating_hours_per_year: float


def equipment_type_facts(uow: UnitOfWork, *, equipment_type_ids: Iterable[uuid.UUID]
                         ) -> dict[uuid.UUID, EquipmentTypeFacts]:
    """The equipment types of ``equipment_type_ids`` that exist (shared records), by id."""
    require(uow.actor, "catalog.bom.read")
    ids = list(dict.fromkeys(equipment_type_ids))
    return {t.id: EquipmentTypeFacts(t.id, t.code, t.name, float(t.operating_hours_per_year or 0.0))
            for t in repo.equipment_types_by_ids(uow.session, ids)} if ids else {}


@dataclass(frozen=True)
class BomExplosion:
    """Bills of material as arrays (one read, shared by forecasting, readiness and imports).

    Lines, all (L,): ``equipment`` index into ``equipment_type_ids``, ``parent`` (-1 directly
    under the equipment) and ``child`` indices into ``part_ids``, ``quantity_per_assembly``,
    ``failure_share`` (NaN where the line gives none), ``level`` (the indenture level stored on
    the line) and ``line_ids``; lines in the order the database returns them.
    Per (equipment, part) reached, all (K,): ``qpe_equipment``, ``qpe_part`` and
    ``qpe_quantity``, the cumulative quantity of the part in one equipment
    (:func:`setu.engine.bom.quantity_per_equipment`: the sum over the paths of the product of the
    quantities per assembly), in depth-first order. ``part_ids`` and ``equipment_type_ids`` are
    sorted by their text form."""

    equipment_type_ids: tuple[uuid.UUID, ...]
    part_ids: tuple[uuid.UUID, ...]
    line_ids: tuple[uuid.UUID, ...]
    equipment: np.ndarray
    parent: np.ndarray
    child: np.ndarray
    quantity_per_assembly: np.ndarray
    failure_share: np.ndarray
    level: np.ndarray
    qpe_equipment: np.ndarray
    qpe_part: np.ndarray
    qpe_quantity: np.ndarray

    @property
    def n_lines(self) -> int:
        return len(self.line_ids)

    def derived_levels(self) -> np.ndarray:
        """The indenture level of every line as the structure gives it (:func:`setu.engine.bom.bom_levels`)."""
        from setu.engine.bom import bom_levels

        return bom_levels(self.equipment, self.parent, self.child)


def explode_bom(uow: UnitOfWork, *, equipment_type_id: uuid.UUID | Iterable[uuid.UUID] | None = None) -> BomExplosion:
    """The bills of material of one equipment type, several (an iterable of ids) or every one
    (None) as frozen arrays (:class:`BomExplosion`). The catalog is shared: both parties read
    every bill (``catalog.bom.read``); scoping of units and stock stays with the caller."""
    from setu.engine.bom import quantity_per_equipment

    require(uow.actor, "catalog.bom.read")
    if equipment_type_id is None:
        ids = None
    elif isinstance(equipment_type_id, uuid.UUID):
        ids = [equipment_type_id]
    else:
        ids = list(dict.fromkeys(equipment_type_id))
    rows = repo.bom_line_rows(uow.session, ids) if ids is None or ids else []
    types = tuple(sorted({r[1] for r in rows}, key=str))
    parts = tuple(sorted({r[3] for r in rows} | {r[2] for r in rows if r[2] is not None}, key=str))
    t_ix = {t: i for i, t in enumerate(types)}
    p_ix = {p: i for i, p in enumerate(parts)}
    eq = np.array([t_ix[r[1]] for r in rows], dtype=np.int64)
    par = np.array([-1 if r[2] is None else p_ix[r[2]] for r in rows], dtype=np.int64)
    ch = np.array([p_ix[r[3]] for r in rows], dtype=np.int64)
    qpa = np.array([float(r[4]) for r in rows], dtype=float)
    qe, qp, qq = quantity_per_equipment(eq, par, ch, qpa)
    return BomExplosion(
        equipment_type_ids=types, part_ids=parts, line_ids=tuple(r[0] for r in rows), equipment=eq, parent=par,
        child=ch, quantity_per_assembly=qpa,
        failure_share=np.array([np.nan if r[5] is None else float(r[5]) for r in rows], dtype=float),
        level=np.array([int(r[6]) for r in rows], dtype=np.int64), qpe_equipment=qe, qpe_part=qp, qpe_quantity=qq)


def equipment_type_by_code(uow: UnitOfWork, *, code: str) -> EquipmentTypeFacts | None:
    """The equipment type with this code, or None."""
    require(uow.actor, "catalog.bom.read")
    t = repo.equipment_type_by_code(uow.session, code)
    return None if t is None else EquipmentTypeFacts(t.id, t.code, t.name, float(t.operating_hours_per_year or 0.0))
