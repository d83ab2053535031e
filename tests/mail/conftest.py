"""Fixtures for the mail tests: sample messages, keys, a fake SMTP server and the mail stack."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest

from churnguard.mail.dkim import DkimKey, generate_rsa_key
from churnguard.mail.message import OutboundMessage, make_message_id


def pytest_configure(config: pytest.Config) -> None:
    # Registers the shared mailstack fixture once, whether or not tests/conftest.py also
    # lists it in pytest_plugins (pytest ignores a second registration of the same name).
    config.pluginmanager.import_plugin("tests.fixtures_mailstack")


LONG_NAME = "Zoë Ångström-Björklund de la Côte d'Ivoire Øresund Maréchal-Þórsdóttir Łukasiewicz"
UNICODE_SUBJECT = "Re: Quick question about the reporting dashboards – naïve café test"


@pytest.fixture(scope="session")
def dkim_key() -> DkimKey:
    return generate_rsa_key("agent.test", "cgtest")


@pytest.fixture
def make_message() -> Callable[..., OutboundMessage]:
    """Return a factory of sample messages; keyword arguments override any field."""

    def make(**overrides: object) -> OutboundMessage:
        fields: dict[str, object] = {
            "from_addr": "agent@agent.test",
            "from_name": "Åsa Agent",
            "to_addr": "customer@customer.test",
            "to_name": LONG_NAME,
            "subject": UNICODE_SUBJECT,
            "text_body": "Hi Zoë,\nthe dashboards – naïve café numbers are below.\n",
            "message_id": make_message_id("account-1/silent_churn/step-0", "agent.test"),
            "date": datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc),
        }
        fields.update(overrides)
        return OutboundMessage(**fields)  # type: ignore[arg-type]

    return make


@dataclass
class SmtpScript:
    """Replies the fake SMTP server sends, and the messages and sessions it received."""

    rcpt_reply: str | None = None
    data_reply: str | None = None
    refused: set[str] = field(default_factory=set)
    envelopes: list[list[str]] = field(default_factory=list)
    received: list[bytes] = field(default_factory=list)
    sessions: int = 0


class _Handler:
    def __init__(self, script: SmtpScript) -> None:
        self.script = script

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: ANN001
        self.script.sessions += 1  # smtplib sends EHLO once per connection
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001
        if self.script.rcpt_reply:
            return self.script.rcpt_reply
        if address in self.script.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        if self.script.data_reply:
            return self.script.data_reply
        self.script.received.append(envelope.original_content or envelope.content)
        self.script.envelopes.append(list(envelope.rcpt_tos))
        return f"250 2.0.0 Ok: queued as Q{len(self.script.received)}"


@pytest.fixture
def fake_smtp() -> Iterator[tuple[int, SmtpScript, object]]:
    """Run an aiosmtpd server on 127.0.0.1; yield (port, script, controller)."""
    from aiosmtpd.controller import Controller

    script = SmtpScript()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(_Handler(script), hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    try:
        yield port, script, controller
    finally:
        controller.stop()
