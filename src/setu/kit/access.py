"""The one permission engine: who is acting, and may they do this?

Every adapter builds an :class:`Actor` (the web session's user, the API token's user, or the
CLI's system actor) and passes it to services; services ask :func:`require` before they act and
repositories scope queries with the actor's party. Permissions are dotted names
``<domain>.<resource>.<action>``.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from setu.kit.errors import PermissionDenied

ROLES = ("viewer", "clerk", "approver", "admin")
#: Actions each role may take on any resource of its scope.
ROLE_ACTIONS = {
    "viewer": {"read"},
    "clerk": {"read", "create", "update", "import"},
    "approver": {"read", "create", "update", "import", "approve"},
    "admin": {"read", "create", "update", "import", "approve", "delete", "admin"},
}


@dataclass(frozen=True)
class Actor:
    """Who acts. ``party_id`` None with ``system=True`` is the installation's own CLI actor."""

    name: str
    user_id: uuid.UUID | None = None
    party_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    organisation_kind: str | None = None
    role: str = "viewer"
    system: bool = False
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def can(self, permission: str) -> bool:
        if self.system:
            return True
        action = permission.rsplit(".", 1)[-1]
        return action in ROLE_ACTIONS.get(self.role, set())

    def sees_all_parties(self) -> bool:
        return self.system


def system_actor(name: str = "cli") -> Actor:
    """The actor of batch commands run by the installation's operator (`setu ...`)."""
    return Actor(name=f"system:{name}", role="admin", system=True)


def require(actor: Actor | None, permission: str) -> Actor:
    if actor is None:
        raise PermissionDenied(f"{permission}: no actor")
    if not actor.can(permission):
        raise PermissionDenied(f"{permission}: not permitted for role {actor.role}")
    return actor
