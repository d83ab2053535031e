"""The hosted agent-mail API adapter against a loopback server speaking its wire format."""

from __future__ import annotations

import pytest

from churnguard.errors import ConfigError, TransportError, UnsupportedFeature
from churnguard.mail.hosted import HostedApiClient, HostedApiMailbox, HostedApiTransport
from churnguard.mail.hosted_loopback import LoopbackApi
from churnguard.mail.message import build_message, make_message_id
from churnguard.mail.transport import DKIM_BY_US, requires

KEY = "test-key-not-secret"


@pytest.fixture
def api():  # noqa: ANN201
    with LoopbackApi(KEY) as server:
        yield server


def _client(api: LoopbackApi, key: str = KEY, sleeps: list | None = None) -> HostedApiClient:
    recorded = sleeps if sleeps is not None else []
    return HostedApiClient(api.url, key, timeout=5, max_retries=3, sleep=recorded.append)


def test_send_posts_camel_case_json_with_threading(api, make_message) -> None:  # noqa: ANN001
    parent = make_message_id("parent", "agent.test")
    msg = make_message(in_reply_to=parent, references=[parent], headers={"List-Unsubscribe": "<https://u.example.com/u/1.x>"})
    transport = HostedApiTransport(_client(api), "inbox-1")
    receipt = transport.send(build_message(msg), envelope_from="agent@agent.test", recipients=["customer@customer.test"],
                             message_id=msg.message_id)
    sent = api.state.sent[0]
    assert receipt == "hosted_api:out-1"
    assert sent["inboxId"] == "inbox-1"
    assert sent["messageId"] == msg.message_id
    assert sent["inReplyTo"] == parent
    assert sent["references"] == [parent]
    assert sent["subject"] == msg.subject
    assert "naïve café" in sent["text"]
    assert sent["headers"]["List-Unsubscribe"] == "<https://u.example.com/u/1.x>"
    assert transport.was_sent(msg.message_id) is True
    assert transport.was_sent("<other@agent.test>") is False


def test_reply_endpoint(api, make_message) -> None:  # noqa: ANN001
    transport = HostedApiTransport(_client(api), "inbox-1")
    transport.reply("in-7", build_message(make_message()))
    assert api.state.sent[0]["replyTo"] == "in-7"


def test_rate_limit_is_retried_after_backoff(api, make_message) -> None:  # noqa: ANN001
    api.state.rate_limit_next = 2
    api.state.retry_after = "1.5"
    sleeps: list[float] = []
    transport = HostedApiTransport(_client(api, sleeps=sleeps), "inbox-1")
    transport.send(build_message(make_message()), envelope_from="agent@agent.test",
                   recipients=["customer@customer.test"], message_id="<m@agent.test>")
    assert sleeps == [1.5, 1.5]
    assert len(api.state.sent) == 1


def test_rate_limit_that_persists_is_a_retryable_error(api, make_message) -> None:  # noqa: ANN001
    api.state.rate_limit_next = 10
    api.state.retry_after = "not a number"
    sleeps: list[float] = []
    transport = HostedApiTransport(_client(api, sleeps=sleeps), "inbox-1")
    with pytest.raises(TransportError, match="429") as caught:
        transport.send(build_message(make_message()), envelope_from="agent@agent.test",
                       recipients=["customer@customer.test"], message_id="<m@agent.test>")
    assert caught.value.retryable
    assert sleeps == [0.5, 1.0, 2.0]
    assert api.state.sent == []


def test_wrong_key_is_a_permanent_error_naming_the_code(api, make_message) -> None:  # noqa: ANN001
    transport = HostedApiTransport(_client(api, key="wrong"), "inbox-1")
    with pytest.raises(TransportError, match=r"401 \(unauthorized\)") as caught:
        transport.send(build_message(make_message()), envelope_from="agent@agent.test",
                       recipients=["customer@customer.test"], message_id="<m@agent.test>")
    assert not caught.value.retryable
    assert "wrong" not in str(caught.value)


def test_calendar_part_is_an_unsupported_feature(api, make_message) -> None:  # noqa: ANN001
    transport = HostedApiTransport(_client(api), "inbox-1")
    invite = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    with pytest.raises(UnsupportedFeature, match="hosted_api transport does not support calendar_parts"):
        transport.send(build_message(make_message(calendar=invite)), envelope_from="agent@agent.test",
                       recipients=["customer@customer.test"], message_id="<m@agent.test>")
    with pytest.raises(UnsupportedFeature, match="dkim_by_us"):
        requires(transport, DKIM_BY_US)


def test_mailbox_pages_with_the_cursor(api, make_message) -> None:  # noqa: ANN001
    for index in range(5):
        api.state.deliver(build_message(make_message(message_id=make_message_id(f"in-{index}", "agent.test"))), f"<in-{index}>")
    box = HostedApiMailbox(_client(api), "inbox-1", page_size=2)
    first, cursor = box.fetch_new("INBOX", None)
    assert len(first) == 5
    assert cursor.token == "5"
    again, cursor = box.fetch_new("INBOX", cursor)
    assert again == []
    api.state.deliver(build_message(make_message()), "<late>")
    late, cursor = box.fetch_new("INBOX", cursor)
    assert [m.uid for m in late] == [6]
    assert box.find_message_id("INBOX", "<in-3>") is True


def test_client_rejects_plain_http_off_loopback_and_hides_the_key() -> None:
    with pytest.raises(ConfigError, match="https"):
        HostedApiClient("http://api.example.com", KEY)
    assert KEY not in repr(HostedApiClient("https://api.example.com", KEY))
