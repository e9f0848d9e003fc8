"""Audit permissions: reading and exporting the hash-chained audit log and the security events.
Administrators of a party and system administrators read them."""
from __future__ import annotations

from setu.kit.access import declare

declare("audit.entry.read", roles=["admin"], administration=True, sysadmin=True)
declare("audit.security_event.read", roles=["admin"], administration=True, sysadmin=True)
