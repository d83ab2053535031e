"""Parsing raw bytes into InboundMessage, including broken and oddly encoded mail."""

from __future__ import annotations

import pytest

from churnguard.errors import MessageParseError
from churnguard.replies.parse import parse_message


def test_parse_basic_fields(make_raw):
    raw = make_raw("Hello there", In_Reply_To="<touch-1@example.test>",
                   References="<touch-0@example.test> <touch-1@example.test>")
    msg = parse_message(raw)

    assert msg.message_id == "reply-1@example.com"
    assert msg.in_reply_to == "touch-1@example.test"
    assert msg.references == ["touch-0@example.test", "touch-1@example.test"]
    assert msg.from_addr == "casey@example.com"
    assert msg.from_name == "Casey Customer"
    assert msg.to_addrs == ["agent@example.test"]
    assert msg.text == "Hello there"
    assert msg.raw == raw


def test_parse_date_is_aware(make_raw):
    msg = parse_message(make_raw("x", Date="Tue, 03 Mar 2026 10:00:00 -0000"))

    assert msg.date is not None
    assert msg.date.tzinfo is not None


def test_parse_bad_date_is_none(make_raw):
    assert parse_message(make_raw("x", Date="yesterday-ish")).date is None


def test_encoded_comma_stays_one_address(make_raw):
    raw = make_raw("x", From="=?utf-8?Q?Doe=2C_Jane?= <jane@example.com>",
                   Cc="=?utf-8?B?TcO8bGxlciwgSm9l?= <joe@example.com>, ")
    msg = parse_message(raw)

    assert msg.from_name == "Doe, Jane"
    assert msg.from_addr == "jane@example.com"
    assert msg.cc_addrs == ["joe@example.com"]


def test_trailing_comma_in_cc(make_raw):
    msg = parse_message(make_raw("x", Cc="a@example.com, b@example.com,"))

    assert msg.cc_addrs == ["a@example.com", "b@example.com"]


def test_bracketed_exchange_message_id(make_raw):
    msg = parse_message(make_raw("x", Message_ID="<[ABC123@exchange.example.com]>"))

    assert msg.message_id == "ABC123@exchange.example.com"


def test_encoded_subject(make_raw):
    msg = parse_message(make_raw("x", Subject="Re: =?utf-8?q?na=C3=AFve?= =?utf-8?q?_caf=C3=A9?="))

    assert msg.subject == "Re: naïve café"


def test_raw_8bit_header_is_decoded():
    raw = "From: Zoë <zoe@example.com>\r\nSubject: Grüße\r\n\r\nHallo".encode("utf-8")
    msg = parse_message(raw)

    assert msg.subject == "Grüße"
    assert msg.from_name == "Zoë"


@pytest.mark.parametrize(
    ("payload", "charset", "expected"),
    [
        ("Grüße aus Köln", "utf-8", "Grüße aus Köln"),
        ("Grüße aus Köln", "iso-8859-1", "Grüße aus Köln"),
        ("日本語のテキスト", "iso-2022-jp", "日本語のテキスト"),
        ("繁體中文測試內容", "big5", "繁體中文測試內容"),
        ("Ça va très bien", "cp1252", "Ça va très bien"),
        ("Привет", "koi8-r", "Привет"),
    ],
)
def test_declared_charsets(payload, charset, expected):
    head = f"From: a@example.com\r\nContent-Type: text/plain; charset={charset}\r\n\r\n"
    msg = parse_message(head.encode("ascii") + payload.encode(charset))

    assert msg.text == expected


@pytest.mark.parametrize(
    ("payload", "codec"),
    [
        ("Grüße aus Köln", "utf-8"),
        ("Ça va très bien, merci €", "cp1252"),
        ("日本語のテキストです", "iso-2022-jp"),
        ("繁體中文測試內容，謝謝", "big5"),
    ],
)
def test_undeclared_charsets(payload, codec):
    raw = b"From: a@example.com\r\nSubject: x\r\n\r\n" + payload.encode(codec)

    assert parse_message(raw).text == payload


def test_unknown_declared_charset_falls_back():
    head = b"From: a@example.com\r\nContent-Type: text/plain; charset=x-made-up-9\r\n\r\n"

    assert parse_message(head + "café".encode("utf-8")).text == "café"


def test_html_only_body_becomes_text():
    raw = (
        b"From: a@example.com\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{color:red}</style></head><body><p>Sounds good</p>"
        b"<blockquote>old text</blockquote></body></html>"
    )
    text = parse_message(raw).text

    assert "Sounds good" in text
    assert "> old text" in text
    assert "color" not in text


def test_plain_part_preferred_over_html():
    raw = (
        b"From: a@example.com\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nplain version\r\n"
        b"--b\r\nContent-Type: text/html\r\n\r\n<p>html version</p>\r\n--b--\r\n"
    )

    assert parse_message(raw).text.strip() == "plain version"


@pytest.mark.parametrize(
    "raw",
    [b"", b"   \r\n", bytes(range(256)) * 4, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"hello world"],
)
def test_non_email_raises(raw):
    with pytest.raises(MessageParseError) as caught:
        parse_message(raw)

    assert "RFC 5322" in str(caught.value)


def test_error_message_has_no_content():
    with pytest.raises(MessageParseError) as caught:
        parse_message(b"secret customer words without headers")

    assert "secret" not in str(caught.value)
