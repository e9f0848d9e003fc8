"""Fleet rules: what an equipment unit's status means, as the pages and the overview show it."""
from __future__ import annotations

#: Status of an equipment unit -> (label, Bootstrap colour of its badge).
UNIT_STATUS_LABELS: dict[str, tuple[str, str]] = {
    "operational": ("Operational", "success"),
    "down_maintenance": ("Down: maintenance", "warning"),
    "down_parts": ("Down: awaiting parts", "danger"),
}
#: Colours of the statuses in charts.
UNIT_STATUS_COLOURS = {"operational": "#198754", "down_maintenance": "#ffc107", "down_parts": "#dc3545"}
