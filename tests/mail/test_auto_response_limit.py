"""At most one automatic response per sender and period, and none to an automatic message."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import select

from churnguard.replies.pipeline import read_reply
from churnguard.sequences.inbox import claim_auto_response
from churnguard.store.mail_models import AutoResponse
from churnguard.store.models import Reply, Sequence, Touch
from tests.loop.conftest import AGENT, CUSTOMER, START, add_collapsing_account, backend, make_loop  # noqa: F401

PERIOD = timedelta(hours=168)


def answer(to: bytes, text: str, number: int, **headers: str) -> bytes:
    original = message_from_bytes(to, policy=policy.default)
    reply = EmailMessage()
    reply["From"] = f"Pat Lee <{CUSTOMER}>"
    reply["To"] = str(original["From"])
    reply["Subject"] = "Re: " + str(original["Subject"])
    reply["Date"] = format_datetime(START)
    reply["Message-ID"] = f"<answer-{number}@customer.example.org>"
    reply["In-Reply-To"] = str(original["Message-ID"])
    for name, value in headers.items():
        reply[name.replace("_", "-")] = value
    reply.set_content(text + "\n")
    return reply.as_bytes()


def check_ins(loop) -> list[bytes]:  # noqa: ANN001
    return [raw for raw in loop.messages_for(CUSTOMER) if b"text/calendar" not in raw]


def test_second_yes_from_same_sender_goes_to_csm(make_loop) -> None:  # noqa: F811
    loop = make_loop()
    add_collapsing_account(loop.workspace, "acct-1")
    add_collapsing_account(loop.workspace, "acct-2")
    loop.run()
    first, second = check_ins(loop)[:2]

    loop.deliver_to_agent(answer(first, "Yes, a call would help. Thursday?", 1))
    loop.deliver_to_agent(answer(second, "Yes, let us talk this week.", 2))
    loop.run(days=1)

    offers = [raw for raw in loop.messages_for(CUSTOMER) if b"text/calendar" in raw]
    assert len(offers) == 1
    with loop.workspace.db.transaction() as session:
        assert len(session.scalars(select(AutoResponse)).all()) == 1
        stops = sorted(session.scalars(select(Sequence.stop_reason)))
        assert stops == ["auto_response_limit", "reply_save"]
        limited = [r for r in session.scalars(select(Reply)) if "auto_response_limit" in (r.reasons or [])]
        assert len(limited) == 1
        notes = session.scalars(select(Touch).where(Touch.kind == "handoff_note")).all()
        assert any("Hand-off" in (note.subject or "") for note in notes)


def test_zero_period_answers_both(make_loop) -> None:  # noqa: F811
    loop = make_loop(**{"mail.auto_response_period_hours": 0.0})
    add_collapsing_account(loop.workspace, "acct-1")
    add_collapsing_account(loop.workspace, "acct-2")
    loop.run()
    first, second = check_ins(loop)[:2]

    loop.deliver_to_agent(answer(first, "Yes, a call would help. Thursday?", 1))
    loop.deliver_to_agent(answer(second, "Yes, let us talk this week.", 2))
    loop.run(days=1)

    assert len([raw for raw in loop.messages_for(CUSTOMER) if b"text/calendar" in raw]) == 2


def test_claim_follows_period_and_kind(make_loop) -> None:  # noqa: F811
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    loop.run()
    [check_in] = check_ins(loop)
    human = read_reply(answer(check_in, "Yes please, call me.", 1), own_addresses={AGENT.address})
    automatic = read_reply(
        answer(check_in, "I am away until Monday.", 2, Auto_Submitted="auto-replied"), own_addresses={AGENT.address}
    )

    with loop.workspace.db.transaction() as session:
        reply = Reply(dedupe_key="t1", identity_id=AGENT.id, kind="human", verdict="save", raw=b"", received_at=START)
        session.add(reply)
        session.flush()
        assert claim_auto_response(session, AGENT.id, reply, automatic, "call_offer", START, PERIOD) == "automatic_message"
        assert claim_auto_response(session, AGENT.id, reply, human, "call_offer", START, PERIOD) is None
        session.flush()
        later = START + timedelta(hours=100)
        assert claim_auto_response(session, AGENT.id, reply, human, "call_offer", later, PERIOD) == "auto_response_limit"
        after_period = START + PERIOD + timedelta(minutes=1)
        assert claim_auto_response(session, AGENT.id, reply, human, "call_offer", after_period, PERIOD) is None
