"""Building messages: ids, subjects, threading, 7-bit encoding, folding and DKIM."""

from __future__ import annotations

import re
from datetime import datetime
from email import policy
from email.parser import BytesParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from churnguard.errors import ConfigError
from churnguard.mail.dkim import dns_txt_record, generate_rsa_key, sign_message, verify_message
from churnguard.mail.message import build_message, make_message_id, reply_subject, thread_references
from tests.mail.conftest import LONG_NAME, UNICODE_SUBJECT


def parse(raw: bytes):  # noqa: ANN201
    return BytesParser(policy=policy.default).parsebytes(raw)


def test_message_id_is_stable_per_key_and_on_the_domain() -> None:
    first = make_message_id("acct-7/win_back/2", "Agent.Test")
    assert first == make_message_id("acct-7/win_back/2", "agent.test")
    assert first != make_message_id("acct-7/win_back/3", "agent.test")
    assert re.fullmatch(r"<cg\.[0-9a-f]{32}@agent\.test>", first)


@pytest.mark.parametrize("domain", ["", "a b.test", "x@agent.test"])
def test_message_id_rejects_a_bad_domain(domain: str) -> None:
    with pytest.raises(ConfigError):
        make_message_id("k", domain)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Quarterly review", "Re: Quarterly review"),
        ("Re: Quarterly review", "Re: Quarterly review"),
        ("RE: re: Aw: Quarterly review", "Re: Quarterly review"),
        ("Re[2]: Quarterly review", "Re: Quarterly review"),
        ("  Re:Re:   Quarterly review ", "Re: Quarterly review"),
        ("Fwd: Quarterly review", "Re: Fwd: Quarterly review"),
        ("Regarding pricing", "Re: Regarding pricing"),
        ("Re: naïve café", "Re: naïve café"),
    ],
)
def test_reply_subject_has_exactly_one_prefix(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


@given(st.text(max_size=60))
def test_reply_subject_is_idempotent(subject: str) -> None:
    once = reply_subject(subject)
    assert reply_subject(once) == once
    assert once.startswith("Re:")


def test_thread_references_appends_the_parent() -> None:
    assert thread_references(["<a@x.test>"], "<b@x.test>") == ["<a@x.test>", "<b@x.test>"]
    assert thread_references([], "<b@x.test>") == ["<b@x.test>"]
    assert thread_references(["<b@x.test>"], "<b@x.test>") == ["<b@x.test>"]


def test_thread_references_keeps_root_and_latest_when_long() -> None:
    chain = [f"<{i}@x.test>" for i in range(30)]
    refs = thread_references(chain, "<parent@x.test>", limit=10)
    assert len(refs) == 10
    assert refs[0] == "<0@x.test>"
    assert refs[-1] == "<parent@x.test>"
    assert refs[1:-1] == chain[-8:]


def test_thread_references_rejects_a_tiny_limit() -> None:
    with pytest.raises(ValueError):
        thread_references([], "<p@x.test>", limit=1)


def test_build_is_7bit_crlf_and_round_trips(make_message) -> None:  # noqa: ANN001
    refs = [f"<{i}.{'f' * 30}@customer.test>" for i in range(10)]
    msg = make_message(in_reply_to=refs[-1], references=refs, reply_to="agent+t-abc@agent.test")
    raw = build_message(msg)

    assert raw.isascii()
    assert b"\n" not in raw.replace(b"\r\n", b"")
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in header_block.split(b"\r\n")) <= 78

    back = parse(raw)
    assert back["Subject"] == UNICODE_SUBJECT
    assert back["To"].addresses[0].display_name == LONG_NAME
    assert back["To"].addresses[0].addr_spec == "customer@customer.test"
    assert back["From"].addresses[0].display_name == "Åsa Agent"
    assert back["References"].split() == refs
    assert back["In-Reply-To"] == refs[-1]
    assert back["Message-ID"] == msg.message_id
    assert back["Reply-To"] == "agent+t-abc@agent.test"
    assert back.get_content().replace("\r\n", "\n") == msg.text_body
    assert back["Content-Transfer-Encoding"] == "quoted-printable"


def test_short_non_ascii_body_is_quoted_printable_not_8bit(make_message) -> None:  # noqa: ANN001
    raw = build_message(make_message(text_body="Danke schön\n"))
    assert b"Content-Transfer-Encoding: quoted-printable" in raw
    assert b"sch=C3=B6n" in raw


def test_extra_headers_and_calendar_part(make_message) -> None:  # noqa: ANN001
    ical = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nSUMMARY:Café chat\r\nEND:VCALENDAR\r\n".encode()
    headers = {
        "List-Unsubscribe": "<https://agent.test/u/tok123>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Thread-Topic": "naïve café",
    }
    back = parse(build_message(make_message(headers=headers, calendar=ical)))

    assert back["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert back["Thread-Topic"] == "naïve café"
    parts = list(back.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/calendar"]
    assert parts[1].get_param("method") == "REQUEST"
    assert parts[1].get_content().encode() == ical


@pytest.mark.parametrize(
    "change",
    [
        {"headers": {"Subject": "second subject"}},
        {"headers": {"X-Bad": "a\r\nBcc: someone@customer.test"}},
        {"headers": {"Bad Name": "x"}},
        {"message_id": "no-brackets@agent.test"},
        {"references": ["<ok@x.test>", "broken"]},
        {"date": datetime(2026, 3, 2, 9, 30)},
        {"to_addr": "zoë@customer.test"},
    ],
)
def test_build_rejects_unsafe_fields(make_message, change: dict) -> None:  # noqa: ANN001
    with pytest.raises(ConfigError):
        build_message(make_message(**change))


def test_dkim_survives_parse_and_reserialize(make_message, dkim_key) -> None:  # noqa: ANN001
    refs = [f"<{i}.{'a' * 40}@customer.test>" for i in range(10)]
    headers = {"List-Unsubscribe": "<https://agent.test/u/t1>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    signed = sign_message(build_message(make_message(references=refs, in_reply_to=refs[-1], headers=headers)), dkim_key)
    records = {dkim_key.record_name: dns_txt_record(dkim_key)}

    reparsed = BytesParser(policy=policy.compat32).parsebytes(signed).as_bytes(
        policy=policy.compat32.clone(linesep="\r\n")
    )
    assert verify_message(signed, records)
    assert verify_message(reparsed, records)
    assert verify_message(signed.replace(b"\r\n", b"\n"), records)


def test_dkim_signature_tags(make_message, dkim_key) -> None:  # noqa: ANN001
    signed = sign_message(build_message(make_message()), dkim_key)
    signature = parse(signed)["DKIM-Signature"]
    tags = dict(t.strip().split("=", 1) for t in "".join(signature.split()).split(";") if t)
    signed_names = tags["h"].split(":")

    assert tags["c"] == "relaxed/relaxed"
    assert "l" not in tags
    for name in ("in-reply-to", "references", "list-unsubscribe", "list-unsubscribe-post"):
        assert name in signed_names
    for name in ("from", "to", "subject", "date", "message-id", "references"):
        assert signed_names.count(name) == 2, name


@pytest.mark.parametrize(
    "tamper",
    [
        lambda raw: raw.replace(b"\r\nSubject:", b"\r\nSubject: Pay now\r\nSubject:", 1),
        lambda raw: raw.replace(b"\r\nFrom:", b"\r\nFrom: boss@agent.test\r\nFrom:", 1),
        lambda raw: raw + b"extra footer\r\n",
        lambda raw: raw.replace(b"Hi Zo", b"Yo Zo", 1),
    ],
)
def test_dkim_detects_tampering(make_message, dkim_key, tamper) -> None:  # noqa: ANN001
    signed = sign_message(build_message(make_message()), dkim_key)
    records = {dkim_key.record_name: dns_txt_record(dkim_key)}
    assert verify_message(signed, records)
    assert not verify_message(tamper(signed), records)


def test_dkim_fails_with_another_key(make_message, dkim_key) -> None:  # noqa: ANN001
    other = generate_rsa_key("agent.test", "cgtest")
    signed = sign_message(build_message(make_message()), dkim_key)
    assert not verify_message(signed, {other.record_name: dns_txt_record(other)})
    assert not verify_message(signed, {})


def test_dkim_key_repr_hides_the_private_key(dkim_key) -> None:  # noqa: ANN001
    assert b"PRIVATE KEY" in dkim_key.private_pem
    assert "PRIVATE" not in repr(dkim_key)
    assert "MII" not in repr(dkim_key)
    assert dns_txt_record(dkim_key).startswith("v=DKIM1; k=rsa; p=MII")
    assert dkim_key.record_name == "cgtest._domainkey.agent.test"


def test_dkim_rejects_a_key_of_another_domain(make_message) -> None:  # noqa: ANN001
    foreign = generate_rsa_key("customer.test", "s1")
    with pytest.raises(ConfigError, match="customer.test"):
        sign_message(build_message(make_message()), foreign)
