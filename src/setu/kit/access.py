"""The one permission engine: who is acting, and may they do this?

Every adapter builds an :class:`Actor` (the web session's user, the API token's user, or the
CLI's system actor) and passes it to services; services ask :func:`require` before they act and
repositories scope their queries with the actor's party (see each capability's ``policies.py``).

Permissions are dotted names ``<domain>.<resource>.<action>``, **declared once** in the registry
below: each capability's ``policies.py`` calls :func:`declare` for every name it uses, with the
roles and organisation kinds that may use it and the object rule that applies. An undeclared name
is refused (:class:`UnknownPermission`, a programming error), so ``"catalgo.part.update"`` fails
its first check instead of being granted to any clerk. Declarations are found by convention: the
first check of ``<domain>.x.y`` imports ``setu.<domain>.policies``.

What an actor may do is the intersection of:
- its role (viewer < clerk < approver < admin): by default the action decides (read: every role;
  create, update, import: clerk and up; approve: approver and up; delete: admin);
- the kind of its organisation: programme offices and quality authorities read; system
  administrators administer identity and audit and see no business data;
- the declared object rule, checked by the service on the record with :func:`require_object`
  (own party's data only; nobody approves their own request; only the counterparty confirms).
"""
from __future__ import annotations

import importlib
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from setu.kit.errors import PermissionDenied

ROLES = ("viewer", "clerk", "approver", "admin")
#: Actions each role may take on the resources of its scope (the default of a declaration).
ROLE_ACTIONS = {
    "viewer": {"read"},
    "clerk": {"read", "create", "update", "import"},
    "approver": {"read", "create", "update", "import", "approve"},
    "admin": {"read", "create", "update", "import", "approve", "delete"},
}
#: Organisation kinds whose members only read business data, whatever their role.
READ_ONLY_KINDS = {"programme_office"}


class UnknownPermission(LookupError):
    """A permission name nobody declared: a programming error (a typo), never a user's."""


#: Object rules a declaration may name; each is a function of the actor and facts about the record.
OBJECT_RULES: dict[str, Callable[..., bool]] = {
    # the record belongs to the actor's party (``owner_party_id``)
    "own_party": lambda actor, *, owner_party_id=None, **_: actor.system or (
        owner_party_id is not None and owner_party_id == actor.party_id),
    # the record belongs to the actor's organisation (``organisation_id``)
    "own_organisation": lambda actor, *, organisation_id=None, **_: actor.system or (
        organisation_id is not None and organisation_id == actor.organisation_id),
    # nobody decides their own request (``requested_by``: the requester's user name)
    "not_own_request": lambda actor, *, requested_by=None, **_: not requested_by or requested_by != actor.name,
    # a two-party record: the actor's party is one of ``parties`` and not ``recorded_by_party_id``
    "counterparty": lambda actor, *, parties=(), recorded_by_party_id=None, **_: actor.system or (
        actor.party_id in set(parties) and actor.party_id != recorded_by_party_id),
    # a record of two parties (a contract): the actor's party is one of ``parties``
    "party_to": lambda actor, *, parties=(), **_: actor.system or (
        actor.party_id is not None and actor.party_id in set(parties)),
}
_RULE_REFUSALS = {
    "own_party": "this record is maintained by the other party",
    "own_organisation": "this record belongs to another organisation",
    "not_own_request": "{actor} made this request and may not decide it: another approver must",
    "counterparty": "only the other party of this record may do this",
    "party_to": "your party is not a party to this record",
}


@dataclass(frozen=True)
class Permission:
    """One declared permission: who may use it, and the object rule the service applies."""

    name: str
    roles: frozenset[str]
    #: organisation kinds whose members may use it (None: every kind, read-only kinds only read)
    org_kinds: frozenset[str] | None = None
    #: system administrators may use it (installation administration, the directory)
    sysadmin: bool = False
    #: administration of one's own party (users, tokens, audit): admins only, never read-only kinds
    administration: bool = False
    #: any signed-in user, on themself (password, own tokens, own two-factor)
    self_service: bool = False
    object_rule: str | None = None
    description: str = ""

    @property
    def action(self) -> str:
        return self.name.rpartition(".")[2]

    def allows(self, actor: "Actor") -> bool:
        if actor.system:
            return True
        if self.self_service:
            return actor.user_id is not None
        if actor.sysadmin:
            return self.sysadmin
        if self.administration:
            return actor.role == "admin" and actor.organisation_kind not in READ_ONLY_KINDS
        if actor.organisation_kind in READ_ONLY_KINDS and self.action != "read":
            return False
        if self.org_kinds is not None and actor.organisation_kind not in self.org_kinds:
            return False
        return actor.role in self.roles


_REGISTRY: dict[str, Permission] = {}
_NAME = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*\.[a-z][a-z_]*$")


def declare(name: str, *, roles: Iterable[str] | None = None, org_kinds: Iterable[str] | None = None,
            sysadmin: bool = False, administration: bool = False, self_service: bool = False,
            object_rule: str | None = None, description: str = "") -> Permission:
    """Declare a permission (in a capability's ``policies.py``). Declaring the same name twice with
    other terms is an error; the same terms again (a re-import) are accepted."""
    if not _NAME.match(name):
        raise ValueError(f"permission {name!r} is not <domain>.<resource>.<action> in lower case")
    action = name.rpartition(".")[2]
    if roles is None:
        roles = [r for r in ROLES if action in ROLE_ACTIONS[r]] or ["admin"]
    unknown_roles = set(roles) - set(ROLES)
    if unknown_roles:
        raise ValueError(f"permission {name}: unknown roles {sorted(unknown_roles)}")
    if object_rule is not None and object_rule not in OBJECT_RULES:
        raise ValueError(f"permission {name}: unknown object rule {object_rule!r} (one of {sorted(OBJECT_RULES)})")
    perm = Permission(name, frozenset(roles), frozenset(org_kinds) if org_kinds is not None else None, sysadmin,
                      administration, self_service, object_rule, description)
    old = _REGISTRY.get(name)
    if old is not None and old != perm:
        raise ValueError(f"permission {name} is declared twice with different terms")
    _REGISTRY[name] = perm
    return perm


def permission(name: str) -> Permission:
    """The declaration of ``name``; its capability's ``policies`` module is imported on first use."""
    found = _REGISTRY.get(name)
    if found is None:
        domain = name.split(".", 1)[0]
        if domain.isidentifier():
            try:
                importlib.import_module(f"setu.{domain}.policies")
            except ModuleNotFoundError as exc:
                if exc.name not in (f"setu.{domain}", f"setu.{domain}.policies"):
                    raise
        found = _REGISTRY.get(name)
    if found is None:
        raise UnknownPermission(f"permission {name!r} is not declared in any policies registry")
    return found


def declared() -> dict[str, Permission]:
    """Every declaration made so far (import every capability's policies first: the app registry)."""
    return dict(_REGISTRY)


# Installation administration: commands of the installation's operator (the CLI's system actor).
for _name, _what in (("admin.server.run", "serve the web app and the API"),
                     ("admin.database.upgrade", "create or migrate the database"),
                     ("admin.database.grant", "prepare the application's database role"),
                     ("admin.demo.load", "load the demo data set")):
    declare(_name, roles=["admin"], administration=True, description=_what)


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

    def can(self, permission_name: str) -> bool:
        """May this actor use the permission at all (before any object rule)? Undeclared names raise
        :class:`UnknownPermission`."""
        return permission(permission_name).allows(self)

    @property
    def sees_all_parties(self) -> bool:
        """The CLI system actor and programme offices (leadership of both sides) see both parties."""
        return self.system or self.organisation_kind in READ_ONLY_KINDS


@dataclass(frozen=True)
class Caller:
    """Who is behind a request: the actor, how they signed in, and their web session's CSRF token."""

    actor: Actor
    via: str  # "token" or "session"
    csrf_token: str | None = None
    must_change_password: bool = False


def system_actor(name: str = "cli") -> Actor:
    """The actor of batch commands run by the installation's operator (`setu ...`)."""
    return Actor(name=f"system:{name}", role="admin", system=True)


def require(actor: Actor | None, permission: str) -> Actor:
    if actor is None:
        raise PermissionDenied(f"{permission}: sign in first")
    if not actor.can(permission):
        raise PermissionDenied(f"{permission} is not permitted for {actor.name}", permission=permission)
    return actor


def require_object(actor: Actor | None, permission_name: str, **facts) -> Actor:
    """:func:`require`, then the object rule the permission declares, on the facts of the record
    (``owner_party_id``, ``organisation_id``, ``requested_by``, ``parties`` ...). The one place
    object rules are evaluated."""
    require(actor, permission_name)
    perm = permission(permission_name)
    if perm.object_rule is not None and not OBJECT_RULES[perm.object_rule](actor, **facts):
        raise PermissionDenied(_RULE_REFUSALS[perm.object_rule].format(actor=actor.name), permission=permission_name)
    return actor


def require_not_own(actor: Actor, requested_by: str, permission: str) -> None:
    """Nobody approves (or rejects) their own request: the one rule every approval step calls.

    ``requested_by`` is the name of the actor who made the request (user names are unique)."""
    require(actor, permission)
    if requested_by and requested_by == actor.name:
        raise PermissionDenied(f"{actor.name} made this request and may not decide it: another approver must",
                               permission=permission)
