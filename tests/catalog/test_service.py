from decimal import Decimal

import pytest
from sqlalchemy import func, select

from setu.catalog import service
from setu.catalog.models import BomLine, Part
from setu.catalog.schemas import BomLineCreate, InterchangeCreate, PartCreate, PartFilter, PartUpdate
from setu.kit.access import Actor, system_actor
from setu.kit.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from setu.kit.uow import UnitOfWork
from tests.support.world import build_world

ACTOR = system_actor("test")


def count(engine, model):
    with UnitOfWork(ACTOR, engine=engine) as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_create_and_read_part(engine):
    with UnitOfWork(ACTOR, write=True, engine=engine) as uow:
        p = service.create_part(uow, data=PartCreate(manufacturer_code="k0123", part_number="ab 1", name="Wheel",
                                                     unit_price="12.34", currency="inr"))
        uow.commit()
    with UnitOfWork(ACTOR, engine=engine) as uow:
        got = service.get_part(uow, part_id=p.id)
        assert (got.manufacturer_code, got.part_number, got.currency) == ("K0123", "AB1", "INR")
        assert got.unit_price == Decimal("12.34")
        assert got.nsn is None  # parts of the origin country usually have none


def test_money_is_exact_and_refuses_sub_cent_amounts():
    from pydantic import ValidationError
    with pytest.raises(ValidationError, match="decimal places"):
        PartCreate(manufacturer_code="k0123", part_number="x", name="n", unit_price="12.345")


def test_duplicate_identity_refused_and_nothing_written(engine):
    build_world(engine)
    before = count(engine, Part)
    with UnitOfWork(ACTOR, write=True, engine=engine) as uow:
        with pytest.raises(Conflict) as exc:
            service.create_part(uow, data=PartCreate(manufacturer_code="RSK01", part_number="pn-0000", name="dup"))
        assert exc.value.errors[0].field == "part_number"
    assert count(engine, Part) == before


def test_duplicate_nsn_refused(engine):
    build_world(engine)
    with UnitOfWork(ACTOR, write=True, engine=engine) as uow:
        with pytest.raises(Conflict, match="NSN 1560-72-000-0001"):
            service.create_part(uow, data=PartCreate(manufacturer_code="X1234", part_number="N1", name="n",
                                                     nsn="1560-72-000-0001"))


def test_update_with_stale_version_is_refused(engine):
    w = build_world(engine)
    with UnitOfWork(ACTOR, write=True, engine=engine) as uow:
        p = service.update_part(uow, part_id=w.part_ids[0], data=PartUpdate(name="renamed", version=1))
        uow.commit()
        assert p.version == 2
    with UnitOfWork(ACTOR, write=True, engine=engine) as uow:
        with pytest.raises(Conflict, match="changed by someone else"):
            service.update_part(uow, part_id=w.part_ids[0], data=PartUpdate(name="again", version=1))
    with UnitOfWork(ACTOR, engine=engine) as uow:
        assert service.get_part(uow, part_id=w.part_ids[0]).name == "renamed"


def test_consumable_must_be_condemned(engine):
    w = build_world(engine)
    with UnitOfWork(ACTOR, write=True, engine=engine) as uow:
        with pytest.raises(ValidationFailed) as exc:
            service.update_part(uow, part_id=w.part_ids[1], data=PartUpdate(condemnation_rate=0.5, version=1))
        assert exc.value.errors[0].field == "condemnation_rate"


def test_missing_part_is_404(engine):
    import uuid
    with UnitOfWork(ACTOR, engine=engine) as uow:
        with pytest.raises(NotFound):
            service.get_part(uow, part_id=uuid.uuid4())


def test_list_search_filter_and_cursor_pages(engine):
    build_world(engine, n_parts=7)
    with UnitOfWork(ACTOR, engine=engine) as uow:
        seen, cursor = [], None
        while True:
            page = service.list_parts(uow, sort="-part_number", cursor=cursor, limit=3)
            seen += [p.part_number for p in page.items]
            assert page.total == 7
            cursor = page.next_cursor
            if not cursor:
                break
        assert seen == sorted(seen, reverse=True) and len(set(seen)) == 7
        hits = service.list_parts(uow, filters=PartFilter(q="part 3")).items
        assert [p.part_number for p in hits] == ["PN-0003"]
        with_nsn = service.list_parts(uow, filters=PartFilter(has_nsn=True)).items
        assert all(p.nsn for p in with_nsn) and len(with_nsn) == 4
        assert {p.kind for p in service.list_parts(uow, filters=PartFilter(kind="consumable")).items} == {"consumable"}


def test_bad_sort_and_cursor_named(engine):
    with UnitOfWork(ACTOR, engine=engine) as uow:
        with pytest.raises(ValidationFailed) as exc:
            service.list_parts(uow, sort="secret")
        assert exc.value.errors[0].field == "sort"
        with pytest.raises(ValidationFailed) as exc:
            service.list_parts(uow, cursor="garbage!")
        assert exc.value.errors[0].field == "cursor"


def test_bom_levels_where_used_and_cycles(engine):
    w = build_world(engine, n_parts=4)
    a, b, c, d = w.part_ids
    with UnitOfWork(ACTOR, write=True, engine=engine) as uow:
        line = service.add_bom_line(uow, data=BomLineCreate(equipment_type_id=w.type_id, parent_part_id=b,
                                                            child_part_id=c, quantity_per_assembly=4))
        assert line.level == 3
        uow.commit()
    with UnitOfWork(ACTOR, write=True, engine=engine) as uow:
        with pytest.raises(ValidationFailed, match="bill of material") as exc:
            service.add_bom_line(uow, data=BomLineCreate(equipment_type_id=w.type_id, parent_part_id=c,
                                                         child_part_id=a))
        assert exc.value.errors[0].field == "child_part_id"
        with pytest.raises(ValidationFailed) as exc:
            service.add_bom_line(uow, data=BomLineCreate(equipment_type_id=w.type_id, parent_part_id=d,
                                                         child_part_id=c))
        assert exc.value.errors[0].field == "parent_part_id"
    with UnitOfWork(ACTOR, engine=engine) as uow:
        tree = service.bom_tree(uow, equipment_type_id=w.type_id)
        assert tree[0]["part"].id == a
        assert tree[0]["children"][0]["part"].id == b
        assert tree[0]["children"][0]["children"][0]["part"].id == c
        used = service.where_used(uow, part_id=c)
        assert used[0]["parent"].id == b and used[0]["equipment_type"].code == "FTR"
    assert count(engine, BomLine) == 3


def test_interchange_and_family_demand(engine):
    from setu.demand.service import demand_history
    w = build_world(engine, n_parts=3)
    with UnitOfWork(ACTOR, write=True, engine=engine) as uow:
        service.add_interchange(uow, data=InterchangeCreate(replaced_part_id=w.part_ids[0],
                                                            replacing_part_id=w.part_ids[2], code="one_way"))
        uow.commit()
    with UnitOfWork(ACTOR, engine=engine) as uow:
        own = demand_history(uow, part_id=w.part_ids[2])
        fam = demand_history(uow, part_id=w.part_ids[2], by_family=True)
        assert own == [] and sum(q for _, q in fam) == sum(m % 3 for m in range(1, 13))


def test_as_set_needs_set_code():
    import uuid
    with pytest.raises(ValueError, match="set_code"):
        InterchangeCreate(replaced_part_id=uuid.uuid4(), replacing_part_id=uuid.uuid4(), code="as_set")


def test_viewer_cannot_write(engine):
    viewer = Actor(name="v", role="viewer")
    with UnitOfWork(viewer, write=True, engine=engine) as uow:
        with pytest.raises(PermissionDenied):
            service.create_part(uow, data=PartCreate(manufacturer_code="X1234", part_number="1", name="n"))


def test_write_needs_an_actor(engine):
    with pytest.raises(PermissionDenied, match="without an actor"):
        UnitOfWork(None, write=True, engine=engine)


def test_bom_line_and_interchange_updates(engine):
    from setu.catalog.schemas import BomLineUpdate, InterchangeUpdate
    w = build_world(engine, n_parts=3)
    with UnitOfWork(ACTOR, write=True, engine=engine) as uow:
        link = service.add_interchange(uow, data=InterchangeCreate(replaced_part_id=w.part_ids[0],
                                                                   replacing_part_id=w.part_ids[2], code="one_way"))
        line = service.where_used(uow, part_id=w.part_ids[1])[0]["line"]
        uow.commit()
    with UnitOfWork(ACTOR, write=True, engine=engine) as uow:
        updated = service.update_bom_line(uow, line_id=line.id, data=BomLineUpdate(quantity_per_assembly=3,
                                                                                    version=line.version))
        assert updated.quantity_per_assembly == 3
        with pytest.raises(ValidationFailed) as exc:
            service.update_interchange(uow, interchange_id=link.id, data=InterchangeUpdate(code="as_set",
                                                                                          version=link.version))
        assert exc.value.errors[0].field == "set_code"
        uow.commit()
    with UnitOfWork(ACTOR, write=True, engine=engine) as uow:
        v = service.get_interchange(uow, interchange_id=link.id).version
        service.update_interchange(uow, interchange_id=link.id, data=InterchangeUpdate(code="two_way", version=v))
        uow.commit()
    with UnitOfWork(ACTOR, engine=engine) as uow:
        assert service.get_interchange(uow, interchange_id=link.id).code == "two_way"
        assert service.get_bom_line(uow, line_id=line.id).quantity_per_assembly == 3


def test_bom_line_of_another_maintainer_cannot_change(engine):
    from setu.catalog.schemas import BomLineUpdate
    w = build_world(engine, n_parts=2)
    operator_clerk = Actor(name="in", role="clerk", party_id=w.operator_id, organisation_kind="depot")
    with UnitOfWork(ACTOR, engine=engine) as uow:
        line_id = service.where_used(uow, part_id=w.part_ids[1])[0]["line"].id
    with UnitOfWork(operator_clerk, write=True, engine=engine) as uow:
        with pytest.raises(PermissionDenied):
            service.update_bom_line(uow, line_id=line_id, data=BomLineUpdate(quantity_per_assembly=9, version=1))
