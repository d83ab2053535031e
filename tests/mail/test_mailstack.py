"""End to end against Postfix, Dovecot and OpenDKIM on 127.0.0.1 (the ``mailstack`` fixture)."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from churnguard.errors import ConfigError, TransportError
from churnguard.mail.dkim import sign_message, verify_message
from churnguard.mail.mailbox import ImapMailbox, MailboxCursor, RawInbound
from churnguard.mail.message import OutboundMessage, build_message, make_message_id
from churnguard.mail.smtp import SmtpTransport

pytestmark = pytest.mark.mailstack

AGENT = "agent@agent.test"


def submission(stack, **options) -> SmtpTransport:  # noqa: ANN001
    return SmtpTransport(stack.host, stack.submission_port, username=AGENT,
                         password=stack.password(AGENT), security="none", timeout=10, **options)


def imap(stack, user: str) -> ImapMailbox:  # noqa: ANN001
    return ImapMailbox(stack.host, stack.imap_port, user, stack.password(user), timeout=10)


def wait_for(box: ImapMailbox, cursor: MailboxCursor | None, count: int) -> tuple[list[RawInbound], MailboxCursor]:
    found: list[RawInbound] = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        new, cursor = box.fetch_new("INBOX", cursor)
        found += new
        if len(found) >= count:
            return found, cursor
        time.sleep(0.2)
    raise AssertionError(f"expected {count} new messages, got {len(found)}")


def send_signed(stack, transport: SmtpTransport, msg: OutboundMessage, key) -> bytes:  # noqa: ANN001
    raw = sign_message(build_message(msg), key)
    transport.send(raw, envelope_from=msg.return_path, recipients=[msg.to_addr], message_id=msg.message_id)
    return raw


def test_signed_submission_arrives_and_verifies(mailstack, dkim_key, make_message) -> None:  # noqa: ANN001
    mailstack.add_dkim_key(dkim_key)
    refs = [f"<{i}.{'b' * 40}@customer.test>" for i in range(10)]
    msg = make_message(
        to_addr="customer@customer.test", envelope_from="agent+t-e2e1@agent.test",
        message_id=make_message_id("e2e/1", "agent.test"), references=refs, in_reply_to=refs[-1],
        headers={"List-Unsubscribe": "<https://agent.test/u/e2e1>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    with submission(mailstack) as transport:
        sent = send_signed(mailstack, transport, msg, dkim_key)

    with imap(mailstack, "customer@customer.test") as box:
        found, _ = wait_for(box, None, 1)
        assert box.find_message_id("INBOX", msg.message_id)
    delivered = next(m.raw for m in found if msg.message_id.encode() in m.raw)

    assert delivered.endswith(sent.split(b"\r\n", 1)[1][-200:])
    assert b"Return-Path: <agent+t-e2e1@agent.test>" in delivered
    assert b"dkim=pass" in delivered.split(b"DKIM-Signature:")[0]  # the milter's verdict
    assert verify_message(delivered, mailstack.dkim_records)
    assert mailstack.opendkim_verify(delivered)
    assert not mailstack.opendkim_verify(delivered.replace(b"\r\nSubject:", b"\r\nSubject: x\r\nSubject:", 1).replace(b"Hi Zo", b"Yo Zo"))


def test_imap_fetch_is_incremental_across_connections(mailstack, dkim_key, make_message) -> None:  # noqa: ANN001
    mailstack.add_dkim_key(dkim_key)
    user = "buyer@customer.test"
    base = make_message(to_addr=user)
    with submission(mailstack) as transport:
        for i in range(2):
            send_signed(mailstack, transport, replace(base, message_id=make_message_id(f"inc/{i}", "agent.test")), dkim_key)
        with imap(mailstack, user) as box:
            first, cursor = wait_for(box, None, 2)
        assert [m.uid for m in first] == sorted(m.uid for m in first)

        stored = cursor.to_json()
        send_signed(mailstack, transport, replace(base, message_id=make_message_id("inc/2", "agent.test")), dkim_key)

    with imap(mailstack, user) as box:
        later, cursor2 = wait_for(box, MailboxCursor.from_json(stored), 1)
        assert len(later) == 1
        assert later[0].uid > cursor.last_uid
        assert make_message_id("inc/2", "agent.test").encode() in later[0].raw
        assert box.fetch_new("INBOX", cursor2)[0] == []

        stale = MailboxCursor(uidvalidity=(cursor2.uidvalidity or 0) + 1, last_uid=cursor2.last_uid)
        restarted, fresh = box.fetch_new("INBOX", stale)
        assert len(restarted) == 3
        assert fresh.uidvalidity == cursor2.uidvalidity


def test_sent_copy_lets_was_sent_reconcile(mailstack, dkim_key, make_message) -> None:  # noqa: ANN001
    mailstack.add_dkim_key(dkim_key)
    msg = make_message(to_addr="customer@customer.test", message_id=make_message_id("e2e/sent", "agent.test"))
    with imap(mailstack, AGENT) as sent_box, submission(mailstack, sent_mailbox=sent_box, append_sent_copy=True) as transport:
        assert transport.was_sent(msg.message_id) is False
        send_signed(mailstack, transport, msg, dkim_key)
        assert transport.was_sent(msg.message_id) is True
        assert transport.was_sent(make_message_id("never-sent", "agent.test")) is False


def test_wrong_password_is_a_config_error(mailstack, make_message) -> None:  # noqa: ANN001
    transport = SmtpTransport(mailstack.host, mailstack.submission_port, username=AGENT,
                              password="wrong-canary-pw", security="none", timeout=10)
    with pytest.raises(ConfigError) as raised:
        transport.send(build_message(make_message()), envelope_from=AGENT,
                       recipients=["customer@customer.test"], message_id="<x@agent.test>")
    assert "wrong-canary-pw" not in str(raised.value)
    with pytest.raises(ConfigError):
        imap(mailstack, AGENT).__class__(mailstack.host, mailstack.imap_port, AGENT, "wrong").fetch_new("INBOX", None)


@pytest.mark.parametrize("recipient", ["nobody@customer.test", "someone@elsewhere.test"])
def test_mx_port_rejects_unknown_and_foreign_recipients(mailstack, make_message, recipient: str) -> None:  # noqa: ANN001
    with SmtpTransport(mailstack.host, mailstack.smtp_port, security="none", timeout=10) as transport:
        with pytest.raises(TransportError) as raised:
            transport.send(build_message(make_message()), envelope_from=AGENT,
                           recipients=[recipient], message_id="<mx@agent.test>")
    assert raised.value.retryable is False
    assert " 5" in str(raised.value)
