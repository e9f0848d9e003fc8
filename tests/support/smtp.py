"""A real SMTP server on loopback (aiosmtpd) for the e-mail of notifications: every message it
receives is kept in ``server.messages`` (``email.message.EmailMessage``)."""
from __future__ import annotations

import time
from email import message_from_bytes, policy

import pytest

from tests.support.live_server import free_port


class _Keep:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        msg = message_from_bytes(envelope.content, policy=policy.default)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 OK"


class LoopbackSmtp:
    def __init__(self, handler: _Keep, port: int) -> None:
        self.handler, self.port = handler, port

    @property
    def messages(self) -> list:
        return self.handler.messages

    def wait_for(self, to: str, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in self.messages:
                if to in str(m["To"]):
                    return m
            time.sleep(0.05)
        raise AssertionError(f"no e-mail to {to} within {timeout} s; got {[str(m['To']) for m in self.messages]}")


@pytest.fixture
def smtp_server(monkeypatch):
    """Start aiosmtpd on 127.0.0.1 and point SETU_SMTP_HOST/PORT at it (settings re-read)."""
    from aiosmtpd.controller import Controller

    from setu.kit.settings import get_settings

    handler = _Keep()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SETU_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SETU_SMTP_PORT", str(port))
    monkeypatch.setenv("SETU_SMTP_SENDER", "setu@test.invalid")
    get_settings.cache_clear()
    try:
        yield LoopbackSmtp(handler, port)
    finally:
        controller.stop()
        get_settings.cache_clear()
