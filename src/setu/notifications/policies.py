"""Notification permissions: every signed-in user reads and marks their own notifications and sets
their own e-mail preferences (self-service); nobody sees another user's."""
from __future__ import annotations

from setu.kit.access import declare

declare("notifications.self.read", self_service=True, description="one's own notifications")
declare("notifications.self.update", self_service=True, description="mark one's notifications read; e-mail preferences")
