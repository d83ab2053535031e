"""Thread-Topic and Thread-Index on touches: a new index on a check-in, the customer's continued on an answer."""

from __future__ import annotations

import base64
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from churnguard.mail.outlook import new_thread_index
from tests.loop.conftest import AGENT, CUSTOMER, START, add_collapsing_account, make_loop  # noqa: F401


@pytest.fixture
def backend() -> None:
    return None  # SQLite only: the threading headers do not depend on the state store


def parse(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def outlook_reply(to: EmailMessage, index: str) -> bytes:
    reply = EmailMessage()
    reply["From"] = f"Pat Lee <{CUSTOMER}>"
    reply["To"] = str(to["From"])
    reply["Subject"] = "RE: " + str(to["Subject"])
    reply["Thread-Topic"] = str(to["Thread-Topic"]).upper()
    reply["Thread-Index"] = index
    reply["Date"] = format_datetime(START)
    reply["Message-ID"] = "<outlook-1@customer.example.org>"
    reply["In-Reply-To"] = str(to["Message-ID"])
    reply.set_content("Yes, a call would help. Thursday works.\n")
    return reply.as_bytes()


def test_call_offer_continues_customer_index(make_loop) -> None:  # noqa: F811
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    loop.run()
    check_in = parse(loop.messages_for(CUSTOMER)[0])
    assert len(base64.b64decode(str(check_in["Thread-Index"]))) == 22
    assert str(check_in["Thread-Topic"]) == str(check_in["Subject"])

    theirs = new_thread_index(START, "customer-outlook")
    loop.deliver_to_agent(outlook_reply(check_in, theirs))
    loop.run(days=1)

    offer = parse(next(raw for raw in loop.messages_for(CUSTOMER) if b"text/calendar" in raw))
    index = base64.b64decode(str(offer["Thread-Index"]))
    assert index[:22] == base64.b64decode(theirs)
    assert len(index) == 27
    assert str(offer["Thread-Topic"]) == str(check_in["Thread-Topic"]).upper()
