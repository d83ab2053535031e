"""Bounces and unsubscribe requests suppress the address and move or stop the sequence."""

from __future__ import annotations

from email import message_from_bytes, policy
from datetime import datetime, timezone
from email.message import EmailMessage

from sqlalchemy import select

from churnguard.demo.customers import delivery_status_notification
from churnguard.store.models import Contact, Sequence
from tests.loop.conftest import CUSTOMER, SECOND, START, add_collapsing_account
from tests.loop.test_loop_save import customer_reply, parse


def dsn_for(original: EmailMessage) -> bytes:
    headers = "".join(f"{name}: {original[name]}\r\n" for name in ("From", "To", "Subject", "Message-ID"))
    return delivery_status_notification(str(original["From"].addresses[0].addr_spec), CUSTOMER, headers, START)


def test_bounce_moves_sequence_to_next_contact(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace, contacts=2)
    loop.run()
    check_in = parse(loop.messages_for(CUSTOMER)[0])

    loop.deliver_to_agent(dsn_for(check_in))
    loop.run(days=0.1)

    # 17:24 UTC is after hours in Berlin: the step waits for 09:00 there (08:00 UTC in March).
    assert loop.messages_for(SECOND) == []
    with loop.workspace.db.transaction() as session:
        assert session.scalar(select(Sequence.due_at)) == datetime(2026, 3, 3, 8, 0, tzinfo=timezone.utc)
    loop.clock.set(datetime(2026, 3, 3, 8, 30, tzinfo=timezone.utc))
    loop.run()
    assert len(loop.messages_for(CUSTOMER)) == 1
    assert len(loop.messages_for(SECOND)) == 1
    with loop.workspace.db.transaction() as session:
        contact = session.scalar(select(Contact).where(Contact.email == CUSTOMER))
        assert (contact.suppressed, contact.suppression_reason) == (True, "bounced")


def test_unsubscribe_suppresses_and_stops(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    loop.run()
    check_in = parse(loop.messages_for(CUSTOMER)[0])

    loop.deliver_to_agent(customer_reply(check_in, "Please stop emailing me."))
    loop.run(days=1)
    loop.run(days=10)

    assert len(loop.messages_for(CUSTOMER)) == 1
    with loop.workspace.db.transaction() as session:
        assert session.scalar(select(Contact.suppressed).where(Contact.email == CUSTOMER)) is True
        sequence = session.scalar(select(Sequence))
        assert (sequence.state, sequence.stop_reason) == ("stopped", "unsubscribed")


def test_departed_notice_moves_to_next_contact(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace, contacts=2)
    loop.run()
    check_in = parse(loop.messages_for(CUSTOMER)[0])

    notice = parse(customer_reply(check_in, "Pat Lee is no longer with the company. This mailbox is not monitored.", quote=False))
    notice["Auto-Submitted"] = "auto-replied"
    loop.deliver_to_agent(notice.as_bytes())
    loop.clock.set(datetime(2026, 3, 3, 8, 30, tzinfo=timezone.utc))
    loop.run()

    assert len(loop.messages_for(SECOND)) == 1
    with loop.workspace.db.transaction() as session:
        contact = session.scalar(select(Contact).where(Contact.email == CUSTOMER))
        assert (contact.suppressed, contact.suppression_reason) == (True, "departed")


def _delay_notice(original: EmailMessage, number: int) -> bytes:
    raw = delivery_status_notification(str(original["From"].addresses[0].addr_spec), CUSTOMER,
                                       f"Message-ID: {original['Message-ID']}\r\n", START)
    raw = raw.replace(b"Action: failed", b"Action: delayed").replace(b"Status: 5.1.1", b"Status: 4.4.1")
    return raw.replace(b"Message-ID: <dsn.", f"Message-ID: <delay{number}.".encode(), 1)


def test_repeated_delay_notices_count_as_failure(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace, contacts=2)
    loop.run()
    check_in = parse(loop.messages_for(CUSTOMER)[0])

    for number in (1, 2):
        loop.deliver_to_agent(_delay_notice(check_in, number))
        loop.run(days=0.01)
    with loop.workspace.db.transaction() as session:
        assert session.scalar(select(Contact.suppressed).where(Contact.email == CUSTOMER)) is False

    loop.deliver_to_agent(_delay_notice(check_in, 3))
    loop.run(days=0.01)
    with loop.workspace.db.transaction() as session:
        contact = session.scalar(select(Contact).where(Contact.email == CUSTOMER))
        assert (contact.suppressed, contact.suppression_reason) == (True, "bounced")
