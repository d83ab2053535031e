"""CR, LF and NUL in any header field are rejected with an error that names the header, not the value."""

from __future__ import annotations

import pytest

from churnguard.errors import ConfigError, InputError, TransportError
from churnguard.mail.message import build_message
from churnguard.mail.transport import MemoryTransport, check_envelope

BREAKERS = ["\r\nBcc: evil@attacker.test", "\nX-Evil: 1", "\rX", "nul\x00x"]
FIELDS = [
    ("to_name", "To"), ("from_name", "From"), ("subject", "Subject"), ("to_addr", "To"),
    ("from_addr", "From"), ("reply_to", "Reply-To"), ("envelope_from", "Return-Path"),
]


@pytest.mark.parametrize("breaker", BREAKERS, ids=["crlf", "lf", "cr", "nul"])
@pytest.mark.parametrize(("field", "header"), FIELDS)
def test_build_rejects_header_breakers(make_message, field: str, header: str, breaker: str) -> None:  # noqa: ANN001
    value = f"pat{breaker}@customer.test" if field.endswith("addr") or field in ("reply_to", "envelope_from") else f"Pat{breaker}"
    with pytest.raises(InputError) as raised:
        build_message(make_message(**{field: value}))
    assert f"header {header} " in str(raised.value)
    assert breaker.strip() not in str(raised.value)
    assert "customer.test" not in str(raised.value)


@pytest.mark.parametrize("breaker", BREAKERS, ids=["crlf", "lf", "cr", "nul"])
def test_extra_header_breakers_rejected(make_message, breaker: str) -> None:  # noqa: ANN001
    with pytest.raises(ConfigError, match="header X-Note "):
        build_message(make_message(headers={"X-Note": f"note{breaker}"}))


def test_envelope_with_nul_fails_one_touch() -> None:
    with pytest.raises(TransportError) as raised:
        check_envelope("memory", "agent@agent.test", ["nul\x00x@customer.test"])
    assert raised.value.retryable is False
    assert "nul" not in str(raised.value)
    with pytest.raises(TransportError):
        MemoryTransport().send(b"x", envelope_from="agent\x00@agent.test", recipients=["c@customer.test"], message_id="<a@agent.test>")


def test_clean_message_still_builds(make_message) -> None:  # noqa: ANN001
    raw = build_message(make_message())
    assert b"\x00" not in raw
    assert raw.count(b"\r\nTo: ") == 1
