"""The save loop on the embedded default and on PostgreSQL: signal, touch, reply, action."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import func, select

from churnguard.audit import verify
from churnguard.keys import load_dkim_key
from churnguard.mail.dkim import dns_txt_record, verify_message
from churnguard.store.models import AuditEvent, Reply, Sequence, Touch
from tests.loop.conftest import AGENT, CUSTOMER, START, add_collapsing_account


def parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def customer_reply(to: EmailMessage, text: str, *, quote: bool = True) -> bytes:
    reply = EmailMessage()
    reply["From"] = f"Pat Lee <{CUSTOMER}>"
    reply["To"] = str(to["From"])
    reply["Subject"] = "Re: " + str(to["Subject"])
    reply["Date"] = format_datetime(START)
    reply["Message-ID"] = "<reply-1@customer.example.org>"
    reply["In-Reply-To"] = str(to["Message-ID"])
    reply["References"] = str(to["Message-ID"])
    original = to.get_body(("plain",)).get_content()
    quoted = "\n".join("> " + line for line in original.splitlines()) if quote else ""
    reply.set_content(f"{text}\n\nOn Mon, Mar 2, 2026 at 9:00 AM Dana Reyes <{AGENT.address}> wrote:\n{quoted}\n")
    return reply.as_bytes()


def test_check_in_is_signed_and_grounded(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)

    loop.run()

    delivered = loop.messages_for(CUSTOMER)
    assert len(delivered) == 1
    key = load_dkim_key(loop.workspace.keys_dir, AGENT.id, "agent.example.com", f"cg-{AGENT.id}")
    raw = delivered[0].split(b"\r\n", 1)[1] if delivered[0].startswith(b"Return-Path") else delivered[0]
    assert verify_message(raw, {key.record_name: dns_txt_record(key)})

    message = parse(delivered[0])
    body = message.get_body(("plain",)).get_content()
    assert "Hi Pat" in body
    assert "from 180 in the 30 days before to 3 in the last 30 days" in body
    assert "dashboard views" in body and "report exports" in body
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_rescan_starts_nothing_twice(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)

    loop.run()
    loop.run()
    loop.run(days=0.5)

    with loop.workspace.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Sequence)) == 1
        assert session.scalar(select(func.count()).select_from(Touch)) == 1
    assert len(loop.messages_for(CUSTOMER)) == 1


def test_save_reply_gets_call_offer_in_thread(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    loop.run()
    check_in = parse(loop.messages_for(CUSTOMER)[0])

    loop.deliver_to_agent(customer_reply(check_in, "Sure, a call would help. Thursday 3pm?"))
    loop.run(days=1)

    delivered = loop.messages_for(CUSTOMER)
    assert len(delivered) == 2
    offer = parse(delivered[1])
    assert offer["In-Reply-To"] == "<reply-1@customer.example.org>"
    assert str(check_in["Message-ID"]) in str(offer["References"])
    assert str(offer["Subject"]) == "Re: " + str(check_in["Subject"])
    calendars = [part for part in offer.walk() if part.get_content_type() == "text/calendar"]
    assert len(calendars) == 1
    assert "METHOD:REQUEST" in calendars[0].get_content()

    notes = loop.messages_for(AGENT.csm_email)
    assert len(notes) == 1
    assert str(parse(notes[0])["Subject"]).startswith("Call offered:")

    with loop.workspace.db.transaction() as session:
        sequence = session.scalar(select(Sequence))
        assert (sequence.state, sequence.stop_reason) == ("stopped", "reply_save")
        reply = session.scalar(select(Reply))
        assert reply.verdict == "save"
        assert "Thursday" in reply.reply_text and "wrote:" not in reply.reply_text


def test_silence_brings_new_angle_then_handoff(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    loop.run()

    loop.run(days=3)
    assert len(loop.messages_for(CUSTOMER)) == 1
    loop.run(days=1)
    delivered = loop.messages_for(CUSTOMER)
    assert len(delivered) == 2
    first, second = parse(delivered[0]), parse(delivered[1])
    assert second["In-Reply-To"] == first["Message-ID"]
    assert str(second["Subject"]) == "Re: " + str(first["Subject"])
    assert first.get_body(("plain",)).get_content() != second.get_body(("plain",)).get_content()

    loop.run(days=5)
    handoffs = loop.messages_for(AGENT.csm_email)
    assert len(handoffs) == 1
    assert "Hand-off" in str(parse(handoffs[0])["Subject"])
    with loop.workspace.db.transaction() as session:
        assert session.scalar(select(Sequence.state)) == "handed_off"


def test_lost_reply_stops_and_tells_csm(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    loop.run()
    check_in = parse(loop.messages_for(CUSTOMER)[0])

    loop.deliver_to_agent(customer_reply(check_in, "Thanks, but we switched to another vendor and won't renew."))
    loop.run(days=1)
    loop.run(days=10)

    assert len(loop.messages_for(CUSTOMER)) == 1
    assert len(loop.messages_for(AGENT.csm_email)) == 1
    with loop.workspace.db.transaction() as session:
        sequence = session.scalar(select(Sequence))
        assert (sequence.state, sequence.stop_reason) == ("stopped", "reply_lost")


def test_auto_reply_is_recorded_not_answered(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    loop.run()
    check_in = parse(loop.messages_for(CUSTOMER)[0])

    vacation = parse(customer_reply(check_in, "I am out of the office until further notice.", quote=False))
    vacation["Auto-Submitted"] = "auto-replied"
    loop.deliver_to_agent(vacation.as_bytes())
    loop.run(days=1)

    assert len(loop.messages_for(CUSTOMER)) == 1
    with loop.workspace.db.transaction() as session:
        assert session.scalar(select(Reply.kind)) in ("out_of_office", "auto_reply")
        assert session.scalar(select(Sequence.state)) == "waiting"


def test_every_touch_is_audited_with_its_signal(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    loop.run()

    with loop.workspace.db.transaction() as session:
        sent = session.scalar(select(AuditEvent).where(AuditEvent.type == "touch.sent"))
        assert sent.identity_id == AGENT.id
        assert sent.authorized_by == AGENT.authorized_by
        assert sent.signal_key.startswith("silent_churn:acct-1:")
        assert sent.at == START
        assert verify(session).ok
