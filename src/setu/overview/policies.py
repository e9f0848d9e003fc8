"""Overview permissions: the programme overview (home page). Every business user reads it; it
shows only what the user may see in each capability."""
from __future__ import annotations

from setu.kit.access import declare

declare("overview.dashboard.read")
