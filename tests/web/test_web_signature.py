"""The signature scheme against the stripe package, which serves as the oracle."""

from __future__ import annotations

import time

import pytest
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st

from churnguard.web.signature import SignatureError, parse_header, sign, split_secrets, verify

SECRET = "whsec_oracle_secret"


def oracle(body: bytes, header: str, secret: str, tolerance: int = 300) -> bool:
    try:
        stripe.WebhookSignature.verify_header(body.decode("utf-8"), header, secret, tolerance)
    except stripe.SignatureVerificationError:
        return False
    return True


def ours(body: bytes, header: str, secret: str, tolerance: int = 300) -> bool:
    try:
        verify(header, body, (secret,), now=int(time.time()), tolerance=tolerance)
    except SignatureError:
        return False
    return True


@settings(max_examples=200, deadline=None)
@given(body=st.text(max_size=300), secret=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters=","), min_size=1, max_size=40),
       age=st.integers(min_value=-200, max_value=900), tamper=st.booleans())
def test_verify_agrees_with_stripe(body: str, secret: str, age: int, tamper: bool) -> None:
    raw = body.encode("utf-8")
    header = sign(secret, int(time.time()) - age, raw)
    sent = raw + b" " if tamper else raw

    assert ours(sent, header, secret) == oracle(sent, header, secret)


def test_stripe_accepts_our_signature() -> None:
    body = b'{"id": "evt_1", "object": "event"}'
    header = sign(SECRET, int(time.time()), body)

    event = stripe.Webhook.construct_event(body.decode(), header, SECRET)

    assert event["id"] == "evt_1"


def test_header_with_several_schemes() -> None:
    body = b"{}"
    now = int(time.time())
    good = sign(SECRET, now, body).split(",")[1]
    header = f"t={now},v1=deadbeef,{good},v0=ignored"

    assert verify(header, body, (SECRET,), now=now, tolerance=300) == now
    assert oracle(body, header, SECRET)


@pytest.mark.parametrize("header,fragment", [
    (None, "missing"),
    ("", "missing"),
    ("v1=abc", "no timestamp"),
    ("t=abc,v1=abc", "no timestamp"),
    ("t=123", "no v1"),
    ("t=123,v0=abc", "no v1"),
])
def test_parse_header_rejects(header: str | None, fragment: str) -> None:
    with pytest.raises(SignatureError, match=fragment):
        parse_header(header)


def test_future_timestamp_is_rejected() -> None:
    now = int(time.time())
    header = sign(SECRET, now + 301, b"{}")

    with pytest.raises(SignatureError, match="tolerance"):
        verify(header, b"{}", (SECRET,), now=now, tolerance=300)


def test_split_secrets() -> None:
    assert split_secrets(" whsec_a , whsec_b,,") == ("whsec_a", "whsec_b")
    assert split_secrets(None) == ()
