"""Bounce, out-of-office and auto-reply detection on hand-built messages."""

from __future__ import annotations

from datetime import date

import pytest

from churnguard.domain import MessageKind
from churnguard.replies.nonhuman import detect_nonhuman
from churnguard.replies.parse import parse_message


def _dsn(status_type: str, action: str, status: str, third_part: str) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.test>\r\n"
        "To: agent+t-AbC123@example.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Return-Path: <>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        f"--B\r\nContent-Type: {status_type}\r\n\r\n"
        "Reporting-MTA: dns; mx.example.test\r\n\r\n"
        "Final-Recipient: rfc822; casey@example.com\r\n"
        f"Action: {action}\r\nStatus: {status}\r\n\r\n"
        f"--B\r\n{third_part}\r\n--B--\r\n"
    ).encode("utf-8")


_ATTACHED = ("Content-Type: message/rfc822\r\n\r\nMessage-ID: <touch-7@example.test>\r\n"
             "From: agent@example.test\r\nTo: casey@example.com\r\nSubject: hi\r\n\r\nhi\r\n")
_HEADERS_ONLY = ("Content-Type: text/rfc822-headers\r\n\r\nMessage-ID: <touch-8@example.test>\r\n"
                 "From: agent@example.test\r\n")


def _detect(raw: bytes):
    return detect_nonhuman(parse_message(raw))


def test_dsn_permanent_failure():
    result = _detect(_dsn("message/delivery-status", "failed", "5.1.1", _ATTACHED))

    assert result is not None
    assert result.kind is MessageKind.BOUNCE
    assert result.bounced_addresses == ["casey@example.com"]
    assert result.permanent is True
    assert result.original_message_id == "touch-7@example.test"
    assert result.envelope_token == "AbC123"


def test_dsn_delay_is_temporary():
    result = _detect(_dsn("message/delivery-status", "delayed", "4.4.1", _HEADERS_ONLY))

    assert result is not None
    assert result.kind is MessageKind.BOUNCE
    assert result.permanent is False
    assert result.original_message_id == "touch-8@example.test"


def test_global_delivery_status():
    result = _detect(_dsn("message/global-delivery-status", "failed", "5.1.1", _HEADERS_ONLY))

    assert result is not None
    assert result.kind is MessageKind.BOUNCE
    assert result.bounced_addresses == ["casey@example.com"]


def test_successful_delivery_report_is_no_bounce():
    result = _detect(_dsn("message/delivery-status", "delivered", "2.0.0", _HEADERS_ONLY))

    assert result is not None
    assert result.kind is MessageKind.AUTO_REPLY


@pytest.mark.parametrize(
    ("subject", "body", "sent", "expected"),
    [
        ("Out of Office", "I am out of the office and back on March 3.", "2026", date(2026, 3, 3)),
        ("Abwesenheitsnotiz", "Ich bin nicht im Büro und zurück am 03.03.2027.", "2026",
         date(2027, 3, 3)),
        ("Réponse automatique", "Je suis absent, de retour le 3 mars.", "2026", date(2026, 3, 3)),
        ("Respuesta automática", "Estoy fuera de la oficina hasta el 3 de marzo.", "2026",
         date(2026, 3, 3)),
        ("Resposta automática", "Estou de férias, retorno em 3 de março.", "2026",
         date(2026, 3, 3)),
        ("Automatisch antwoord", "Ik ben afwezig tot 3 maart.", "2026", date(2026, 3, 3)),
        ("Risposta automatica", "Sono fuori ufficio, rientro il 3 marzo.", "2026",
         date(2026, 3, 3)),
        ("自動応答", "3月3日まで不在にしております。", "2026", date(2026, 3, 3)),
        ("Out of Office", "I'm away until 2026-03-10 with limited access.", "2026",
         date(2026, 3, 10)),
    ],
)
def test_out_of_office_with_header(make_raw, subject, body, sent, expected):
    raw = make_raw(body, Subject=subject, Auto_Submitted="auto-replied",
                   Date=f"Mon, 02 Feb {sent} 09:00:00 +0000")
    result = _detect(raw)

    assert result is not None
    assert result.kind is MessageKind.OUT_OF_OFFICE
    assert result.return_date == expected


def test_year_rolls_over_for_past_month(make_raw):
    raw = make_raw("I am on vacation, back on January 5.", Subject="Out of office",
                   X_Autoreply="yes", Date="Mon, 21 Dec 2026 09:00:00 +0000")

    assert _detect(raw).return_date == date(2027, 1, 5)


@pytest.mark.parametrize(
    "body",
    [
        "Hello, I am currently out of the office and will be back on Monday.",
        "Ich bin derzeit nicht im Büro und ab dem 3. März wieder erreichbar.",
        "Je suis absente jusqu'au 3 mars. En cas d'urgence, contactez le support.",
        "Estoy de vacaciones hasta el lunes. Para temas urgentes escriba a soporte.",
    ],
)
def test_out_of_office_without_headers(make_raw, body):
    result = _detect(make_raw(body, Subject="Re: Checking in"))

    assert result is not None
    assert result.kind is MessageKind.OUT_OF_OFFICE


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-generated"},
        {"X_Autorespond": "yes"},
        {"Precedence": "bulk"},
        {"X_Auto_Response_Suppress": "All"},
        {"List_Id": "<news.example.com>"},
        {"List_Unsubscribe": "<https://example.com/u>"},
        {"Return_Path": "<>"},
    ],
)
def test_auto_reply_headers(make_raw, headers):
    result = _detect(make_raw("Thank you, your ticket was received.", **headers))

    assert result is not None
    assert result.kind is MessageKind.AUTO_REPLY


def test_person_writing_is_human(make_raw):
    assert _detect(make_raw("Sure, Thursday at 3pm works.")) is None


def test_person_mentioning_vacation_is_human(make_raw):
    assert _detect(make_raw("I was on vacation last week, sorry. Yes, let's talk.")) is None


def test_rule_forwarded_message_stays_human(make_raw):
    raw = make_raw("Sure, Thursday at 3pm works.", Return_Path="<>",
                   Resent_From="casey@example.com", Auto_Submitted="auto-forwarded")

    assert _detect(raw) is None


def test_person_writing_about_failure_is_human(make_raw):
    raw = make_raw("My last mail could not be delivered to your colleague, can you check?")

    assert _detect(raw) is None
