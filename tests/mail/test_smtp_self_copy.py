"""The hidden self copy that lets ``SmtpTransport.was_sent`` settle a send cut short by a crash."""

from __future__ import annotations

import time

import pytest

from churnguard.errors import ConfigError, TransportError
from churnguard.mail.smtp import SmtpTransport

AGENT = "agent@agent.test"
RAW = b"From: agent@agent.test\r\nTo: c@customer.test\r\nMessage-ID: <m1@agent.test>\r\nSubject: hi\r\n\r\nhello\r\n"


class FolderStub:
    """A mailbox whose folders hold Message-IDs, some arriving only after a delay."""

    def __init__(self, **folders: list[str]) -> None:
        self.folders = folders
        self.later: dict[str, tuple[float, str]] = {}
        self.searches: list[str] = []

    def find_message_id(self, folder: str, message_id: str) -> bool:
        self.searches.append(folder)
        due = self.later.get(message_id)
        if due and time.monotonic() >= due[0]:
            self.folders.setdefault(due[1], []).append(message_id)
        return message_id in self.folders.get(folder, [])

    def fetch_new(self, folder, cursor):  # noqa: ANN001, ANN201
        raise NotImplementedError


def transport(port: int, box: FolderStub, **options: object) -> SmtpTransport:
    return SmtpTransport("127.0.0.1", port, security="none", timeout=5, sent_mailbox=box, self_copy=AGENT, **options)  # type: ignore[arg-type]


def test_self_copy_is_an_envelope_recipient_only(fake_smtp) -> None:  # noqa: ANN001
    port, script, _ = fake_smtp
    with transport(port, FolderStub()) as smtp:
        smtp.send(RAW, envelope_from="agent+t-1@agent.test", recipients=["c@customer.test"], message_id="<m1@agent.test>")
    assert script.envelopes == [["c@customer.test", AGENT]]
    assert script.received == [RAW]  # the headers do not name the copy


def test_refused_self_copy_stops_before_data(fake_smtp) -> None:  # noqa: ANN001
    port, script, _ = fake_smtp
    script.refused.add(AGENT)
    with transport(port, FolderStub()) as smtp, pytest.raises(TransportError) as raised:
        smtp.send(RAW, envelope_from="agent+t-1@agent.test", recipients=["c@customer.test"], message_id="<m1@agent.test>")
    assert script.received == []
    assert not raised.value.retryable
    assert "own address" in str(raised.value)


def test_was_sent_waits_for_a_late_copy(fake_smtp) -> None:  # noqa: ANN001
    port, _, _ = fake_smtp
    box = FolderStub()
    box.later["<m1@agent.test>"] = (time.monotonic() + 0.5, "INBOX")
    assert transport(port, box, copy_wait=5).was_sent("<m1@agent.test>") is True
    assert transport(port, FolderStub(), copy_wait=0.3).was_sent("<m1@agent.test>") is False


def test_sent_folder_copy_answers_at_once(fake_smtp) -> None:  # noqa: ANN001
    port, _, _ = fake_smtp
    box = FolderStub(Sent=["<m1@agent.test>"])
    assert transport(port, box, copy_wait=60).was_sent("<m1@agent.test>") is True
    assert box.searches == ["Sent"]


def test_self_copy_needs_a_mailbox() -> None:
    with pytest.raises(ConfigError):
        SmtpTransport("127.0.0.1", 25, security="none", self_copy=AGENT)
