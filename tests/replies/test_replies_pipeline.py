"""read_reply end to end: own mail, machines, and human replies."""

from __future__ import annotations

import json

import pytest

from churnguard.domain import MessageKind, Verdict
from churnguard.errors import MessageParseError
from churnguard.replies import read_reply


def test_human_reply_is_stripped_and_classified(make_raw):
    body = ("Sure, Thursday 3pm works.\n\nOn Tue, Mar 3, 2026 at 10:00 AM Agent "
            "<agent@example.test> wrote:\n> Could we talk?\n")
    reading = read_reply(make_raw(body, In_Reply_To="<touch-1@example.test>"))

    assert reading.kind is MessageKind.HUMAN
    assert reading.verdict is Verdict.SAVE
    assert reading.reply_text == "Sure, Thursday 3pm works."
    assert reading.message.in_reply_to == "touch-1@example.test"


def test_own_address_is_own(make_raw):
    raw = make_raw("Checking in", From="Agent <Agent@Example.test>")
    reading = read_reply(raw, own_addresses={"agent@example.test"})

    assert reading.kind is MessageKind.OWN
    assert reading.verdict is Verdict.UNKNOWN


def test_own_message_id_is_own(make_raw):
    reading = read_reply(make_raw("x"), own_message_ids={"<reply-1@example.com>"})

    assert reading.kind is MessageKind.OWN


def test_out_of_office_maps_to_verdict(make_raw):
    raw = make_raw("I am out of the office, back on March 9.", Subject="Out of office",
                   Auto_Submitted="auto-replied")
    reading = read_reply(raw)

    assert reading.kind is MessageKind.OUT_OF_OFFICE
    assert reading.verdict is Verdict.OUT_OF_OFFICE
    assert reading.return_date is not None
    assert reading.to_json()["return_date"] == "2026-03-09"


def test_auto_reply_maps_to_verdict(make_raw):
    reading = read_reply(make_raw("Ticket received.", Auto_Submitted="auto-generated"))

    assert reading.verdict is Verdict.AUTO_REPLY


def test_bounce_maps_to_verdict(shared_data):
    raw = (shared_data / "sisimai" / "bsd" / "lhost-postfix-01.eml").read_bytes()
    reading = read_reply(raw)

    assert reading.verdict is Verdict.BOUNCE
    assert reading.to_json()["bounced_addresses"] == ["kijitora@example.org"]
    assert reading.permanent is True


def test_to_json_is_serialisable(make_raw):
    data = read_reply(make_raw("unsubscribe")).to_json()
    encoded = json.dumps(data)

    assert data["verdict"] == "unsubscribe"
    assert data["kind"] == "human"
    assert "confidence" in encoded


def test_garbage_raises():
    with pytest.raises(MessageParseError):
        read_reply(b"\x00\x01\x02 not mail")
