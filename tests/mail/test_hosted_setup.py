"""``mail.transport``/``mail.mailbox`` = hosted_api, end to end against the loopback API server only."""

from __future__ import annotations

import base64
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from sqlalchemy import select

from churnguard.errors import ConfigError
from churnguard.mail.hosted import HostedApiMailbox, HostedApiTransport
from churnguard.mail.hosted_loopback import LoopbackApi
from churnguard.mail_setup import make_mailbox, make_transport
from churnguard.store.models import Identity, MailboxCursorRow, Reply
from tests.loop.conftest import AGENT, CUSTOMER, START, add_collapsing_account, make_loop  # noqa: F401

KEY = "hosted-test-key-not-secret"


@pytest.fixture
def backend() -> None:
    return None  # SQLite only: this checks the wiring, not the state store


@pytest.fixture
def api(monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("CG_TEST_HOSTED_KEY", KEY)
    with LoopbackApi(KEY) as server:
        yield server


def hosted_settings(api: LoopbackApi, **overrides: str) -> dict[str, str]:
    settings = {
        "mail.transport": "hosted_api", "mail.mailbox": "hosted_api", "mail.hosted_api_url": api.url,
        "mail.hosted_api_key_env": "CG_TEST_HOSTED_KEY", "mail.hosted_inbox_id": "inbox-agent",
    }
    settings.update(overrides)
    return settings


def reply_to(sent: dict, text: str) -> bytes:
    reply = EmailMessage()
    reply["From"] = f"Pat Lee <{CUSTOMER}>"
    reply["To"] = AGENT.address
    reply["Subject"] = "Re: " + sent["subject"]
    reply["Date"] = format_datetime(START)
    reply["Message-ID"] = "<hosted-reply-1@customer.example.org>"
    reply["In-Reply-To"] = sent["messageId"]
    reply.set_content(text + "\n")
    return reply.as_bytes()


def test_hosted_loop_sends_reads_and_keeps_cursor(make_loop, api) -> None:  # noqa: ANN001, F811
    loop = make_loop(**hosted_settings(api))
    add_collapsing_account(loop.workspace)
    loop.run()

    assert len(api.state.sent) == 1
    check_in = api.state.sent[0]
    assert check_in["inboxId"] == "inbox-agent"
    assert check_in["to"] == [CUSTOMER]
    assert "List-Unsubscribe" in check_in["headers"]

    api.state.deliver(reply_to(check_in, "We moved to another vendor last month, so please close this out."), "<hosted-reply-1@customer.example.org>")
    loop.run(days=1)
    loop.run(days=1)

    with loop.workspace.db.transaction() as session:
        replies = session.scalars(select(Reply)).all()
        cursor = session.get(MailboxCursorRow, (AGENT.id, "INBOX"))
    assert len(replies) == 1
    assert replies[0].touch_id is not None
    assert cursor is not None
    assert cursor.token == "1"


def test_hosted_setup_builds_adapters(make_loop, api) -> None:  # noqa: ANN001, F811
    loop = make_loop(**hosted_settings(api))
    with loop.workspace.db.transaction() as session:
        identity = session.get(Identity, AGENT.id)
    assert isinstance(make_transport(loop.workspace, identity), HostedApiTransport)
    assert isinstance(make_mailbox(loop.workspace, identity), HostedApiMailbox)


@pytest.mark.parametrize("missing", ["mail.hosted_api_url", "mail.hosted_inbox_id", "key"])
def test_hosted_setup_names_missing_setting(make_loop, api, monkeypatch, missing: str) -> None:  # noqa: ANN001, F811
    overrides = {} if missing == "key" else {missing: ""}
    loop = make_loop(**hosted_settings(api, **overrides))
    if missing == "key":
        monkeypatch.delenv("CG_TEST_HOSTED_KEY")
    with loop.workspace.db.transaction() as session:
        identity = session.get(Identity, AGENT.id)
    with pytest.raises(ConfigError) as raised:
        make_transport(loop.workspace, identity)
    assert ("CG_TEST_HOSTED_KEY" if missing == "key" else missing) in str(raised.value)
    assert KEY not in str(raised.value)
