"""Audit permissions: reading and exporting the hash-chained audit log and the security events.
Administrators of a party and system administrators read them."""
from __future__ import annotations

from setu.kit.access import declare

declare("audit.entry.read", roles=["admin"], administration=True, sysadmin=True)
declare("audit.security_event.read", roles=["admin"], administration=True, sysadmin=True)
declare("audit.key.update", roles=["admin"], administration=True,
        description="trust the other party's signing key, import its signed chain heads")
