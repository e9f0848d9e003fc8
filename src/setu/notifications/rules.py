"""Notification kinds and their e-mail defaults (pure)."""
from __future__ import annotations

#: kind -> (label, e-mail by default)
KINDS: dict[str, tuple[str, bool]] = {
    "assignment": ("A ticket or task addressed to you", True),
    "ticket_update": ("An answer or a change on a ticket you raised", True),
    "sla_warning": ("An SLA clock at 50 % or 75 % of its target", False),
    "sla_breach": ("An SLA target breached", True),
    "order_overdue": ("An order past its due date", True),
}


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"notification kind {kind!r} is not one of: {', '.join(KINDS)}")
    return kind


def wants_email(kind: str, preferences: dict[str, bool]) -> bool:
    """The user's choice for ``kind``, else the kind's default."""
    return preferences.get(kind, KINDS[kind][1])
