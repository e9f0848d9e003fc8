"""Identity permissions: the directory of parties and organisations, users, API tokens, and what
every signed-in user may do on their own account. System administrators administer users and
tokens of the installation and read the directory; party administrators do so for their party."""
from __future__ import annotations

from setu.kit.access import declare

declare("identity.party.read", sysadmin=True)
declare("identity.organisation.read", sysadmin=True)
declare("identity.organisation.create")
declare("identity.organisation.update")
for _resource in ("user", "token"):
    for _action in ("read", "create", "update"):
        declare(f"identity.{_resource}.{_action}", roles=["admin"], administration=True, sysadmin=True)
declare("identity.self.read", self_service=True, description="one's own account")
declare("identity.self.update", self_service=True, description="one's own password, tokens and two-factor")
