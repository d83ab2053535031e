"""Transports and the Maildir mailbox, without any real mail server."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from churnguard.errors import ConfigError, TransportError, UnsupportedFeature
from churnguard.mail.mailbox import MailboxCursor, MaildirMailbox
from churnguard.mail.maildir import MaildirTransport, maildir_path
from churnguard.mail.message import build_message, make_message_id
from churnguard.mail.smtp import SmtpTransport
from churnguard.mail.transport import DKIM_BY_US, MemoryTransport, requires

ENVELOPE = {"envelope_from": "agent+t-tok1@agent.test", "recipients": ["customer@customer.test"]}


def test_memory_transport_records_each_send(make_message) -> None:  # noqa: ANN001
    transport = MemoryTransport()
    msg = make_message()
    receipt = transport.send(build_message(msg), message_id=msg.message_id, **ENVELOPE)

    assert receipt == "memory-1"
    assert transport.was_sent(msg.message_id) is True
    assert transport.was_sent("<other@agent.test>") is False
    assert transport.messages_to("Customer@customer.test")[0].envelope_from == "agent+t-tok1@agent.test"


def test_memory_transport_fails_on_request() -> None:
    transport = MemoryTransport()
    transport.fail_next(retryable=True)
    transport.fail_next(retryable=False)

    with pytest.raises(TransportError) as temporary:
        transport.send(b"x", message_id="<1@agent.test>", **ENVELOPE)
    with pytest.raises(TransportError) as permanent:
        transport.send(b"x", message_id="<1@agent.test>", **ENVELOPE)
    assert temporary.value.retryable and not permanent.value.retryable
    assert transport.sent == []
    transport.send(b"x", message_id="<1@agent.test>", **ENVELOPE)
    assert len(transport.sent) == 1


def test_memory_transport_failure_after_accept_is_visible_to_was_sent() -> None:
    transport = MemoryTransport()
    transport.fail_next(after_accept=True)
    with pytest.raises(TransportError):
        transport.send(b"x", message_id="<lost-ack@agent.test>", **ENVELOPE)
    assert transport.was_sent("<lost-ack@agent.test>") is True


@pytest.mark.parametrize("recipients", [[], ["no-at-sign"], ["a b@customer.test"], ["<x@customer.test>"]])
def test_transports_reject_bad_envelopes(recipients: list[str]) -> None:
    with pytest.raises(TransportError):
        MemoryTransport().send(b"x", envelope_from="agent@agent.test", recipients=recipients, message_id="<1@a.test>")


def test_requires_names_transport_and_feature() -> None:
    transport = MemoryTransport(name="hosted", capabilities=frozenset())
    with pytest.raises(UnsupportedFeature) as raised:
        requires(transport, DKIM_BY_US)
    assert raised.value.transport == "hosted"
    assert raised.value.feature == DKIM_BY_US
    assert "hosted" in str(raised.value)
    assert DKIM_BY_US in str(raised.value)
    requires(MemoryTransport(), DKIM_BY_US)


def test_maildir_transport_delivers_and_keeps_a_sent_copy(tmp_path: Path, make_message) -> None:  # noqa: ANN001
    transport = MaildirTransport(tmp_path, sent_folder_owner="agent@agent.test")
    msg = make_message()
    raw = build_message(msg)
    transport.send(raw, envelope_from="agent+t-tok1@agent.test",
                   recipients=["customer+news@customer.test"], message_id=msg.message_id)

    inbox, _ = MaildirMailbox(tmp_path / "customer.test" / "customer" / "Maildir").fetch_new("INBOX", None)
    assert [m.raw for m in inbox] == [b"Return-Path: <agent+t-tok1@agent.test>\r\n" + raw]
    sent, _ = MaildirMailbox(maildir_path(tmp_path, "agent@agent.test")).fetch_new("Sent", None)
    assert [m.raw for m in sent] == [raw]
    assert transport.was_sent(msg.message_id) is True
    assert transport.was_sent(make_message_id("another", "agent.test")) is False


def test_maildir_transport_was_sent_is_false_before_any_send(tmp_path: Path) -> None:
    transport = MaildirTransport(tmp_path, sent_folder_owner="agent@agent.test")
    assert transport.was_sent("<x@agent.test>") is False


def test_maildir_path_rejects_traversal(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        maildir_path(tmp_path, "../x@customer.test")
    with pytest.raises(ConfigError):
        maildir_path(tmp_path, "x@..")


def _deliver(transport: MaildirTransport, make_message, key: str) -> str:  # noqa: ANN001
    msg = make_message(message_id=make_message_id(key, "agent.test"))
    transport.send(build_message(msg), message_id=msg.message_id, **ENVELOPE)
    return msg.message_id


def test_maildir_mailbox_reads_incrementally_across_reopen(tmp_path: Path, make_message) -> None:  # noqa: ANN001
    transport = MaildirTransport(tmp_path, sent_folder_owner="agent@agent.test")
    box_path = tmp_path / "customer.test" / "customer" / "Maildir"
    first_ids = [_deliver(transport, make_message, f"k{i}") for i in range(2)]

    first, cursor = MaildirMailbox(box_path).fetch_new("INBOX", None)
    assert [m.uid for m in first] == [1, 2]
    assert all(m.folder == "INBOX" for m in first)
    assert sorted(_message_id(m.raw) for m in first) == sorted(first_ids)

    # A reader marks the old ones seen (new/ -> cur/), as Dovecot does; UIDs must not move.
    for name in os.listdir(box_path / "new"):
        os.rename(box_path / "new" / name, box_path / "cur" / f"{name}:2,S")
    third_id = _deliver(transport, make_message, "k3")

    saved = MailboxCursor.from_json(cursor.to_json())
    again, cursor2 = MaildirMailbox(box_path).fetch_new("INBOX", saved)
    assert [(m.uid, _message_id(m.raw)) for m in again] == [(3, third_id)]
    assert cursor2.last_uid == 3
    assert cursor2.uidvalidity == cursor.uidvalidity
    assert MaildirMailbox(box_path).fetch_new("INBOX", cursor2)[0] == []


def test_maildir_mailbox_starts_over_when_uidvalidity_changes(tmp_path: Path, make_message) -> None:  # noqa: ANN001
    transport = MaildirTransport(tmp_path, sent_folder_owner="agent@agent.test")
    box_path = tmp_path / "customer.test" / "customer" / "Maildir"
    _deliver(transport, make_message, "k1")
    _, cursor = MaildirMailbox(box_path).fetch_new("INBOX", None)

    (box_path / MaildirMailbox.UID_MAP).unlink()
    again, fresh = MaildirMailbox(box_path).fetch_new("INBOX", cursor)
    assert len(again) == 1
    assert fresh.uidvalidity != cursor.uidvalidity


def test_maildir_mailbox_find_message_id(tmp_path: Path, make_message) -> None:  # noqa: ANN001
    transport = MaildirTransport(tmp_path, sent_folder_owner="agent@agent.test")
    wanted = _deliver(transport, make_message, "k1")
    box = MaildirMailbox(tmp_path / "customer.test" / "customer" / "Maildir")
    assert box.find_message_id("INBOX", wanted)
    assert not box.find_message_id("INBOX", wanted.replace("@", "x@"))
    assert not box.find_message_id("Archive", wanted)


def test_cursor_json_round_trip_and_errors() -> None:
    cursor = MailboxCursor(uidvalidity=17, last_uid=42)
    assert MailboxCursor.from_json(cursor.to_json()) == cursor
    with pytest.raises(ConfigError):
        MailboxCursor.from_json("{not json")
    with pytest.raises(ConfigError):
        MailboxCursor.from_json('{"uidvalidity": 1}')


def test_smtp_transport_reuses_one_connection(fake_smtp, make_message) -> None:  # noqa: ANN001
    port, script, _ = fake_smtp
    raws = [build_message(make_message(message_id=make_message_id(f"k{i}", "agent.test"))) for i in range(3)]
    with SmtpTransport("127.0.0.1", port, security="none", timeout=5) as transport:
        receipts = [transport.send(raw, message_id=f"<{i}@agent.test>", **ENVELOPE) for i, raw in enumerate(raws)]

    assert receipts == ["smtp:2.0.0 Ok: queued as Q1", "smtp:2.0.0 Ok: queued as Q2", "smtp:2.0.0 Ok: queued as Q3"]
    assert [r.replace(b"\r\n", b"\n") for r in script.received] == [r.replace(b"\r\n", b"\n") for r in raws]
    assert script.sessions == 1
    assert transport.was_sent("<0@agent.test>") is None


@pytest.mark.parametrize(
    ("where", "reply", "retryable"),
    [
        ("rcpt_reply", "451 4.3.0 try again later", True),
        ("rcpt_reply", "550 5.1.1 no such user", False),
        ("data_reply", "452 4.3.1 insufficient storage", True),
        ("data_reply", "554 5.7.1 rejected by policy", False),
    ],
)
def test_smtp_reply_codes_map_to_retryable(fake_smtp, make_message, where: str, reply: str, retryable: bool) -> None:  # noqa: ANN001
    port, script, _ = fake_smtp
    setattr(script, where, reply)
    with SmtpTransport("127.0.0.1", port, security="none", timeout=5) as transport:
        with pytest.raises(TransportError) as raised:
            transport.send(build_message(make_message()), message_id="<1@agent.test>", **ENVELOPE)
        assert raised.value.retryable is retryable
        assert reply.split()[0] in str(raised.value)

        setattr(script, where, None)  # the connection stays usable for the next message
        assert transport.send(build_message(make_message()), message_id="<2@agent.test>", **ENVELOPE)
    assert script.sessions == 1


def test_smtp_reconnects_after_the_server_dropped_an_idle_connection(fake_smtp, make_message) -> None:  # noqa: ANN001
    port, script, _ = fake_smtp
    raw = build_message(make_message())
    with SmtpTransport("127.0.0.1", port, security="none", timeout=5) as transport:
        transport.send(raw, message_id="<1@agent.test>", **ENVELOPE)
        transport._conn.sock.shutdown(socket.SHUT_RDWR)  # as when the server drops an idle connection
        transport.send(raw, message_id="<2@agent.test>", **ENVELOPE)
    assert len(script.received) == 2, script
    assert script.sessions == 2, script


def test_smtp_connection_refused_is_retryable(make_message) -> None:  # noqa: ANN001
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransportError) as raised:
        SmtpTransport("127.0.0.1", port, security="none", timeout=2).send(
            build_message(make_message()), message_id="<1@agent.test>", **ENVELOPE
        )
    assert raised.value.retryable


def test_smtp_settings_are_checked_and_secrets_hidden() -> None:
    with pytest.raises(ConfigError):
        SmtpTransport("mail.example.com", 587, username="u", password="p", security="none")
    with pytest.raises(ConfigError):
        SmtpTransport("127.0.0.1", 25, security="ssl")  # type: ignore[arg-type]
    transport = SmtpTransport("127.0.0.1", 25, username="agent@agent.test", password="hunter2-canary", security="none")
    assert "hunter2-canary" not in repr(transport)


def _message_id(raw: bytes) -> str:
    for line in raw.split(b"\r\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode()
    return ""


def test_maildir_crash_before_sent_copy_is_not_delivered_twice(tmp_path: Path, make_message, monkeypatch) -> None:  # noqa: ANN001
    msg = make_message()
    raw = build_message(msg)
    transport = MaildirTransport(tmp_path, sent_folder_owner="agent@agent.test")

    def crash(self, raw: bytes) -> str:  # noqa: ANN001
        raise SystemExit("killed between delivery and the sent copy")

    monkeypatch.setattr(MaildirTransport, "_store_sent_copy", crash)
    with pytest.raises(SystemExit):
        transport.send(raw, envelope_from="agent@agent.test", recipients=["customer@customer.test"], message_id=msg.message_id)
    monkeypatch.undo()

    restarted = MaildirTransport(tmp_path, sent_folder_owner="agent@agent.test")
    assert restarted.was_sent(msg.message_id) is False
    restarted.send(raw, envelope_from="agent@agent.test", recipients=["customer@customer.test"], message_id=msg.message_id)
    inbox = tmp_path / "customer.test" / "customer" / "Maildir" / "new"
    assert len(list(inbox.iterdir())) == 1
    assert restarted.was_sent(msg.message_id) is True
