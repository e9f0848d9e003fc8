"""The one permission engine: who is acting, and may they do this?

Every adapter builds an :class:`Actor` (the web session's user, the API token's user, or the
CLI's system actor) and passes it to services; services ask :func:`require` before they act and
repositories scope their queries with the actor's party (see each capability's ``policies.py``).
Permissions are dotted names ``<domain>.<resource>.<action>``.

What an actor may do is the intersection of:
- its role (viewer < clerk < approver < admin): which actions;
- the kind of its organisation: programme offices and quality authorities read; system
  administrators administer identity and audit and see no business data;
- object rules in the services (own party's data only; nobody approves their own request).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from setu.kit.errors import PermissionDenied

ROLES = ("viewer", "clerk", "approver", "admin")
#: Actions each role may take on the resources of its scope.
ROLE_ACTIONS = {
    "viewer": {"read"},
    "clerk": {"read", "create", "update", "import"},
    "approver": {"read", "create", "update", "import", "approve"},
    "admin": {"read", "create", "update", "import", "approve", "delete"},
}
#: Organisation kinds whose members only read business data, whatever their role.
READ_ONLY_KINDS = {"programme_office"}
#: Resources of installation administration: system administrators work only here (plus reading
#: the directory of parties and organisations); party administrators too, for their own party.
ADMIN_RESOURCES = {"identity.user", "identity.token", "audit.entry", "audit.security_event"}
DIRECTORY = {"identity.party.read", "identity.organisation.read"}
#: Permissions any signed-in user has on themself (password change, own tokens, own 2FA).
SELF_SERVICE = {"identity.self.read", "identity.self.update"}


@dataclass(frozen=True)
class Actor:
    """Who acts. ``system=True`` is the installation's own CLI actor (all permissions)."""

    name: str
    user_id: uuid.UUID | None = None
    party_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    organisation_kind: str | None = None
    role: str = "viewer"
    system: bool = False
    sysadmin: bool = False
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def can(self, permission: str) -> bool:
        if self.system:
            return True
        if permission in SELF_SERVICE:
            return self.user_id is not None
        resource, _, action = permission.rpartition(".")
        if self.sysadmin:
            return resource in ADMIN_RESOURCES or permission in DIRECTORY
        if resource in ADMIN_RESOURCES:
            return self.role == "admin" and self.organisation_kind not in READ_ONLY_KINDS
        if self.organisation_kind in READ_ONLY_KINDS and action != "read":
            return False
        return action in ROLE_ACTIONS.get(self.role, set())

    @property
    def sees_all_parties(self) -> bool:
        """The CLI system actor and programme offices (leadership of both sides) see both parties."""
        return self.system or self.organisation_kind in READ_ONLY_KINDS


def system_actor(name: str = "cli") -> Actor:
    """The actor of batch commands run by the installation's operator (`setu ...`)."""
    return Actor(name=f"system:{name}", role="admin", system=True)


def require(actor: Actor | None, permission: str) -> Actor:
    if actor is None:
        raise PermissionDenied(f"{permission}: sign in first")
    if not actor.can(permission):
        raise PermissionDenied(f"{permission} is not permitted for {actor.name}", permission=permission)
    return actor


def require_not_own(actor: Actor, requested_by: str, permission: str) -> None:
    """Nobody approves (or rejects) their own request: the one rule every approval step calls.

    ``requested_by`` is the name of the actor who made the request (user names are unique)."""
    require(actor, permission)
    if requested_by and requested_by == actor.name:
        raise PermissionDenied(f"{actor.name} made this request and may not decide it: another approver must",
                               permission=permission)
