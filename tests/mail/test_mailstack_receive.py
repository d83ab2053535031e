"""Waiting for mail with IMAP IDLE or polling, and two DKIM signatures checked by OpenDKIM."""

from __future__ import annotations

import threading
import time
from email import message_from_bytes

import pytest

from churnguard.mail.dkim import generate_ed25519_key, verify_signatures
from churnguard.mail.mailbox import ImapMailbox
from churnguard.mail.message import make_message_id
from tests.mail.test_mailstack import imap, send_signed, submission, wait_for

pytestmark = pytest.mark.mailstack

CUSTOMER = "customer@customer.test"


def _send_later(stack, make_message, key, delay: float, tag: str) -> threading.Thread:  # noqa: ANN001
    def run() -> None:
        time.sleep(delay)
        with submission(stack) as transport:
            send_signed(stack, transport, make_message(message_id=make_message_id(tag, "agent.test")), key)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


class _NoIdle(ImapMailbox):
    """A mailbox whose server seems to lack IDLE, to exercise the polling path."""

    def _connect(self):  # noqa: ANN202
        client = super()._connect()
        offered = client.capabilities()
        client.capabilities = lambda: tuple(c for c in offered if c != b"IDLE")
        return client


def test_idle_wakes_on_delivery(mailstack, dkim_key, make_message) -> None:  # noqa: ANN001
    mailstack.add_dkim_key(dkim_key)
    with imap(mailstack, CUSTOMER) as box:
        _, cursor = box.fetch_new("INBOX", None)
        sender = _send_later(mailstack, make_message, dkim_key, 1.0, "idle-wake")
        started = time.monotonic()
        woke = box.wait_for_changes("INBOX", timeout=30)
        elapsed = time.monotonic() - started
        sender.join()
        assert woke
        assert elapsed < 25
        found, _ = wait_for(box, cursor, 1)
        assert len(found) == 1


def test_idle_times_out_without_mail(mailstack) -> None:  # noqa: ANN001
    with imap(mailstack, "buyer@customer.test") as box:
        assert box.wait_for_changes("INBOX", timeout=1.5) is False


def test_polling_fallback_notices_delivery(mailstack, dkim_key, make_message) -> None:  # noqa: ANN001
    mailstack.add_dkim_key(dkim_key)
    box = _NoIdle(mailstack.host, mailstack.imap_port, CUSTOMER, mailstack.password(CUSTOMER), timeout=10)
    with box:
        sender = _send_later(mailstack, make_message, dkim_key, 1.0, "poll-wake")
        woke = box.wait_for_changes("INBOX", timeout=30, poll_interval=0.3)
        sender.join()
        assert woke


def test_rsa_and_ed25519_signatures_pass_opendkim(mailstack, dkim_key, make_message) -> None:  # noqa: ANN001
    ed_key = generate_ed25519_key("agent.test", "cged")
    mailstack.add_dkim_key(dkim_key)
    mailstack.add_dkim_key(ed_key)
    with imap(mailstack, CUSTOMER) as box, submission(mailstack) as transport:
        _, cursor = box.fetch_new("INBOX", None)
        msg = make_message(message_id=make_message_id("two-signatures", "agent.test"))
        from churnguard.mail.dkim import sign_message
        from churnguard.mail.message import build_message

        raw = sign_message(build_message(msg), dkim_key, ed_key)
        transport.send(raw, envelope_from=msg.return_path, recipients=[msg.to_addr], message_id=msg.message_id)
        found, _ = wait_for(box, cursor, 1)

    delivered = found[0].raw
    results = " ".join(str(v) for v in message_from_bytes(delivered).get_all("Authentication-Results", []))
    assert "dkim=pass" in results
    assert "header.s=cgtest" in " ".join(results.split()) or "header.b=" in results
    assert verify_signatures(delivered, mailstack.dkim_records) == [True, True]
    assert mailstack.opendkim_verify(delivered)
