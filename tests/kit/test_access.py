import pytest

from setu.kit.access import Actor, require, system_actor
from setu.kit.errors import PermissionDenied


@pytest.mark.parametrize("role,action,allowed", [
    ("viewer", "read", True), ("viewer", "create", False), ("clerk", "update", True), ("clerk", "approve", False),
    ("approver", "approve", True), ("approver", "delete", False), ("admin", "delete", True),
])
def test_roles_grant_actions(role, action, allowed):
    assert Actor(name="a", role=role, organisation_kind="depot").can(f"catalog.part.{action}") is allowed


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
    assert require(system_actor(), "anything.at.all").system
