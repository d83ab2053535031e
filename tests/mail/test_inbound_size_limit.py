"""A reply over replies.max_message_bytes is kept raw, but neither parsed, classified nor acted on."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from sqlalchemy import select

from churnguard.store.models import Reply, Sequence
from tests.loop.conftest import AGENT, CUSTOMER, START, add_collapsing_account, make_loop  # noqa: F401

LIMIT = 20_000


@pytest.fixture
def backend() -> None:
    return None  # SQLite only: the limit is applied before anything is stored


def reply(to: bytes, text: str, number: int) -> bytes:
    original = message_from_bytes(to, policy=policy.default)
    message = EmailMessage()
    message["From"] = f"Pat Lee <{CUSTOMER}>"
    message["To"] = AGENT.address
    message["Subject"] = "Re: " + str(original["Subject"])
    message["Date"] = format_datetime(START)
    message["Message-ID"] = f"<size-{number}@customer.example.org>"
    message["In-Reply-To"] = str(original["Message-ID"])
    message.set_content(text + "\n")
    return message.as_bytes()


def test_oversized_reply_kept_raw_unread(make_loop) -> None:  # noqa: F811
    loop = make_loop(**{"replies.max_message_bytes": LIMIT})
    add_collapsing_account(loop.workspace)
    loop.run()
    [check_in] = loop.messages_for(CUSTOMER)

    huge = reply(check_in, "Please unsubscribe me.\n" + "padding line of a long log paste\n" * 1000, 1)
    assert len(huge) > LIMIT
    loop.deliver_to_agent(huge)
    loop.run(days=1)

    with loop.workspace.db.transaction() as session:
        [stored] = session.scalars(select(Reply)).all()
        sequence = session.scalar(select(Sequence))
    assert stored.kind == "unknown"
    assert stored.verdict == "unknown"
    assert stored.reasons == ["too_large"]
    assert stored.raw == huge
    assert stored.acted is False
    assert sequence.stop_reason is None


def test_reply_under_limit_is_read(make_loop) -> None:  # noqa: F811
    loop = make_loop(**{"replies.max_message_bytes": LIMIT})
    add_collapsing_account(loop.workspace)
    loop.run()
    [check_in] = loop.messages_for(CUSTOMER)

    loop.deliver_to_agent(reply(check_in, "Please unsubscribe me.", 2))
    loop.run(days=1)

    with loop.workspace.db.transaction() as session:
        [stored] = session.scalars(select(Reply)).all()
        sequence = session.scalar(select(Sequence))
    assert stored.kind == "human"
    assert stored.verdict == "unsubscribe"
    assert sequence.stop_reason == "unsubscribed"
