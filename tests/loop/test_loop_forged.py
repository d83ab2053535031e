"""A reply that cites our Message-ID but comes from someone else cannot act for the contact."""

from __future__ import annotations

from sqlalchemy import select

from churnguard.store.models import Contact, Reply, Sequence
from tests.loop.conftest import CUSTOMER, add_collapsing_account
from tests.loop.test_loop_save import customer_reply, parse


def _forge(raw: bytes, sender: str) -> bytes:
    message = parse(raw)
    message.replace_header("From", sender)
    return message.as_bytes()


def test_stranger_cannot_unsubscribe_contact(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    loop.run()
    check_in = parse(loop.messages_for(CUSTOMER)[0])

    loop.deliver_to_agent(_forge(customer_reply(check_in, "Please stop emailing me."), "Mallory <mallory@elsewhere.example.net>"))
    loop.run(days=0.1)

    with loop.workspace.db.transaction() as session:
        assert session.scalar(select(Contact.suppressed)) is False
        assert session.scalar(select(Sequence.open_key)) is not None
        assert "sender_stranger" in session.scalar(select(Reply)).reasons


def test_stranger_cannot_book_a_call(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    loop.run()
    check_in = parse(loop.messages_for(CUSTOMER)[0])

    loop.deliver_to_agent(_forge(customer_reply(check_in, "Sure, Thursday 3pm works for a call."), "mallory@elsewhere.example.net"))
    loop.run(days=0.1)

    assert len(loop.messages_for(CUSTOMER)) == 1
    assert loop.messages_for("mallory@elsewhere.example.net") == []


def test_colleague_reply_goes_to_csm(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    loop.run()
    check_in = parse(loop.messages_for(CUSTOMER)[0])

    loop.deliver_to_agent(_forge(customer_reply(check_in, "Sure, happy to talk next week."), "Sam Ortiz <sam.ortiz@customer.example.org>"))
    loop.run(days=0.1)

    assert len(loop.messages_for(CUSTOMER)) == 1
    assert len(loop.messages_for("dana@csm.example.com")) == 1
    with loop.workspace.db.transaction() as session:
        sequence = session.scalar(select(Sequence))
        assert (sequence.state, sequence.stop_reason) == ("handed_off", "colleague_replied")
