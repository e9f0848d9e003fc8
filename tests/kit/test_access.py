import uuid

import pytest

from setu.kit.access import (
    Actor, UnknownPermission, declare, declared, permission, require, require_object, system_actor,
)
from setu.kit.errors import PermissionDenied

for _action in ("read", "create", "update", "import", "approve", "delete"):
    declare(f"kittest.thing.{_action}")
declare("kittest.claim.confirm", roles=["approver", "admin"], object_rule="counterparty")
declare("kittest.plan.decide", roles=["approver"], object_rule="not_own_request")
declare("kittest.record.update", object_rule="own_party")
declare("kittest.lab.read", org_kinds=["quality_authority"])


@pytest.mark.parametrize("role,action,allowed", [
    ("viewer", "read", True), ("viewer", "create", False), ("clerk", "update", True), ("clerk", "approve", False),
    ("approver", "approve", True), ("approver", "delete", False), ("admin", "delete", True),
])
def test_roles_grant_actions_by_default(role, action, allowed):
    assert Actor(name="a", role=role, organisation_kind="depot").can(f"kittest.thing.{action}") is allowed


def test_a_misspelt_permission_is_refused_not_granted():
    clerk = Actor(name="c", role="clerk", organisation_kind="depot")
    assert clerk.can("catalog.part.update")
    with pytest.raises(UnknownPermission, match="catalgo.part.update"):
        clerk.can("catalgo.part.update")
    with pytest.raises(UnknownPermission):
        require(clerk, "catalog.part.updat")
    with pytest.raises(UnknownPermission):  # the system actor too: a typo in a command fails
        require(system_actor(), "anything.at.all")


def test_declarations_are_found_by_convention_and_checked():
    assert permission("readiness.plan.approve").object_rule == "not_own_request"
    assert "readiness.plan.approve" in declared()
    with pytest.raises(ValueError, match="twice"):
        declare("kittest.thing.read", roles=["admin"])
    declare("kittest.thing.read")  # the same terms again (a re-import) are accepted
    with pytest.raises(ValueError, match="object rule"):
        declare("kittest.other.read", object_rule="whoever")
    with pytest.raises(ValueError, match="lower case"):
        declare("Kit.thing")


def test_organisation_kinds_limit_a_declaration():
    assert Actor(name="q", role="viewer", organisation_kind="quality_authority").can("kittest.lab.read")
    assert not Actor(name="d", role="admin", organisation_kind="depot").can("kittest.lab.read")


def test_object_rules():
    ind, rus = uuid.uuid4(), uuid.uuid4()
    a = Actor(name="a", role="approver", party_id=ind, organisation_kind="depot")
    b = Actor(name="b", role="approver", party_id=rus, organisation_kind="oem")
    # only the counterparty of a two-party record confirms it
    require_object(b, "kittest.claim.confirm", parties=(ind, rus), recorded_by_party_id=ind)
    with pytest.raises(PermissionDenied, match="other party"):
        require_object(a, "kittest.claim.confirm", parties=(ind, rus), recorded_by_party_id=ind)
    # nobody decides their own request
    with pytest.raises(PermissionDenied, match="may not decide it"):
        require_object(a, "kittest.plan.decide", requested_by="a")
    require_object(a, "kittest.plan.decide", requested_by="someone-else")
    # own party's records only
    require_object(a, "kittest.record.update", owner_party_id=ind)
    with pytest.raises(PermissionDenied, match="maintained by the other party"):
        require_object(a, "kittest.record.update", owner_party_id=rus)


def test_programme_office_only_reads_but_sees_both_parties():
    a = Actor(name="p", role="admin", organisation_kind="programme_office")
    assert a.can("fleet.stock.read") and not a.can("fleet.stock.update") and a.sees_all_parties
    assert not a.can("identity.user.create")


def test_system_administrator_sees_no_business_data():
    a = Actor(name="s", role="admin", sysadmin=True)
    assert a.can("identity.user.create") and a.can("audit.entry.read") and a.can("identity.organisation.read")
    assert not a.can("catalog.part.read") and not a.can("fleet.stock.read")


def test_only_admins_administer():
    assert not Actor(name="c", role="approver").can("identity.user.create")
    assert Actor(name="c", role="admin").can("identity.user.create")


def test_require_names_the_permission():
    with pytest.raises(PermissionDenied, match="catalog.part.create"):
        require(Actor(name="v", role="viewer"), "catalog.part.create")
    with pytest.raises(PermissionDenied, match="sign in"):
        require(None, "catalog.part.read")
    assert require(system_actor(), "catalog.part.update").system
