"""A relay hop that re-encodes 8-bit bodies, between us and Postfix: our signature survives it.

The hop is the loopback proxy with ``downgrade_8bit``, which turns every 8-bit part into
quoted-printable as a relay that cannot pass 8BITMIME on does. Our messages are 7-bit before
signing, so the hop has nothing to change and the signature verifies at the far end. An
8-bit message signed with the same key is the control: the hop re-encodes it and its
signature fails, which shows the hop really rewrites what it can.
"""

from __future__ import annotations

import time
from email.utils import format_datetime
from datetime import datetime, timezone

import pytest

from churnguard.mail.dkim import sign_message, verify_message
from churnguard.mail.mailbox import ImapMailbox
from churnguard.mail.message import build_message, make_message_id
from churnguard.mail.smtp import SmtpTransport
from tests.mail.smtp_proxy import SmtpProxy, downgrade_8bit

pytestmark = pytest.mark.mailstack

AGENT = "agent@agent.test"
CUSTOMER = "buyer@customer.test"


def delivered(stack, message_id: str) -> bytes:  # noqa: ANN001
    with ImapMailbox(stack.host, stack.imap_port, CUSTOMER, stack.password(CUSTOMER), timeout=10) as box:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            found, _ = box.fetch_new("INBOX", None)
            for item in found:
                if message_id.encode() in item.raw:
                    return item.raw
            time.sleep(0.3)
    raise AssertionError(f"{message_id} did not arrive")


def send_through(hop: SmtpProxy, stack, raw: bytes, message_id: str) -> None:  # noqa: ANN001
    with SmtpTransport("127.0.0.1", hop.port, username=AGENT, password=stack.password(AGENT), security="none", timeout=10) as smtp:
        smtp.send(raw, envelope_from=AGENT, recipients=[CUSTOMER], message_id=message_id)


def eight_bit_message(message_id: str) -> bytes:
    head = [
        f"From: Agent <{AGENT}>", f"To: <{CUSTOMER}>", "Subject: 8-bit control",
        f"Date: {format_datetime(datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc))}", f"Message-ID: {message_id}",
        "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit",
    ]
    return ("\r\n".join(head) + "\r\n\r\nGrüße aus Köln, naïve café.\r\n").encode("utf-8")


def test_downgrade_rewrites_only_8bit_parts() -> None:
    raw = eight_bit_message("<x@agent.test>")
    out = downgrade_8bit(raw)
    assert b"Content-Transfer-Encoding: quoted-printable" in out
    assert b"Gr=C3=BC=C3=9Fe" in out
    assert downgrade_8bit(out) == out


def test_signature_survives_a_reencoding_hop(mailstack, dkim_key, make_message) -> None:  # noqa: ANN001
    mailstack.add_dkim_key(dkim_key)
    ours = make_message(to_addr=CUSTOMER, message_id=make_message_id("relay/ours", "agent.test"))
    control_id = make_message_id("relay/control", "agent.test")
    signed = sign_message(build_message(ours), dkim_key)
    control = sign_message(eight_bit_message(control_id), dkim_key)
    assert max(signed) < 0x80
    assert verify_message(control, mailstack.dkim_records)

    with SmtpProxy((mailstack.host, mailstack.submission_port), rewrite=downgrade_8bit) as hop:
        send_through(hop, mailstack, signed, ours.message_id)
        send_through(hop, mailstack, control, control_id)
    assert hop.phases.count("relayed") == 2

    ours_out = delivered(mailstack, ours.message_id)
    assert verify_message(ours_out, mailstack.dkim_records)
    assert mailstack.opendkim_verify(ours_out)
    assert b"dkim=pass" in ours_out.split(b"DKIM-Signature:")[0]

    control_out = delivered(mailstack, control_id)
    assert b"Gr=C3=BC=C3=9Fe" in control_out
    assert not verify_message(control_out, mailstack.dkim_records)
    assert not mailstack.opendkim_verify(control_out)
