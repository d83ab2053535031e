"""Absence, departure and unmonitored-mailbox notices in eight languages, read before any classifier."""

from __future__ import annotations

from datetime import date

import pytest

from churnguard.domain import MessageKind, Verdict
from churnguard.replies.nonhuman import detect_nonhuman
from churnguard.replies.parse import parse_message
from churnguard.replies.pipeline import read_reply

SENT = "Tue, 03 Mar 2026 10:00:00 +0000"

ABSENCE = [
    ("I am out of the office until March 16, 2026 with limited access to email.", date(2026, 3, 16)),
    ("Ich bin bis zum 16.03.2026 nicht im Büro. In dringenden Fällen wenden Sie sich an meine Vertretung.", date(2026, 3, 16)),
    ("Je suis absente jusqu'au 16 mars 2026. Pour toute urgence, contactez le support.", date(2026, 3, 16)),
    ("Estoy fuera de la oficina hasta el 16 de marzo de 2026. Para urgencias escriba a soporte.", date(2026, 3, 16)),
    ("Estou fora do escritório até 16 de março de 2026. Em caso de urgência contacte o suporte.", date(2026, 3, 16)),
    ("Ik ben afwezig tot en met 16 maart 2026. Voor dringende zaken kunt u terecht bij support.", date(2026, 3, 16)),
    ("Sono fuori ufficio fino al 16 marzo 2026. Per urgenze contattare il supporto.", date(2026, 3, 16)),
    ("3月16日まで不在にしております。お急ぎの場合はサポートまでご連絡ください。", date(2026, 3, 16)),
]

DEPARTED = [
    ("Pat Lee is no longer with the company. Please write to the team address instead.", "left"),
    ("Frau Lee hat das Unternehmen verlassen. Bitte wenden Sie sich an das Team.", "left"),
    ("Pat Lee ne fait plus partie de la société. Merci d'écrire à l'équipe.", "left"),
    ("Pat Lee ya no trabaja en la empresa. Escriba al equipo, por favor.", "left"),
    ("Pat Lee deixou a empresa. Por favor escreva para a equipa.", "left"),
    ("Pat Lee is niet meer werkzaam bij ons bedrijf. Mail het team.", "left"),
    ("Pat Lee non lavora più qui. Scrivete al team.", "left"),
    ("李は退職いたしました。今後はチームまでご連絡ください。", "left"),
    ("This mailbox is not monitored. Replies to this address are not read.", "unmonitored"),
    ("Dieses Postfach wird nicht überwacht.", "unmonitored"),
    ("Cette adresse n'est pas surveillée.", "unmonitored"),
    ("Este buzón no se supervisa.", "unmonitored"),
    ("Esta caixa de correio não é monitorada.", "unmonitored"),
    ("Deze mailbox wordt niet gelezen.", "unmonitored"),
    ("Questa casella non è monitorata.", "unmonitored"),
    ("このメールアドレスは現在使用されておりません。", "unmonitored"),
]


@pytest.mark.parametrize(("body", "returns"), ABSENCE)
@pytest.mark.parametrize("headers", [{}, {"Auto_Submitted": "auto-replied"}])
def test_absence_notice_and_return_date(make_raw, body: str, returns: date, headers: dict) -> None:  # noqa: ANN001
    result = detect_nonhuman(parse_message(make_raw(body, Subject="Re: Checking in", Date=SENT, **headers)))
    assert result is not None
    assert result.kind is MessageKind.OUT_OF_OFFICE
    assert result.return_date == returns


@pytest.mark.parametrize(("body", "kind"), DEPARTED)
def test_departure_notice(make_raw, body: str, kind: str) -> None:  # noqa: ANN001
    reading = read_reply(make_raw(body, Auto_Submitted="auto-replied"))
    assert reading.kind is MessageKind.AUTO_REPLY
    assert reading.departed == kind
    assert reading.to_json()["departed"] == kind


def test_departure_notice_without_headers(make_raw) -> None:  # noqa: ANN001
    reading = read_reply(make_raw("Pat Lee has left the company. Please contact the team."))
    assert reading.departed == "left"


def test_vacation_reply_is_no_unsubscribe(make_raw) -> None:  # noqa: ANN001
    body = ("I am out of the office until 16 March. Please do not email me in the meantime; "
            "to stop these notices, unsubscribe from the list.")
    reading = read_reply(make_raw(body, Auto_Submitted="auto-replied"))
    assert reading.verdict is Verdict.OUT_OF_OFFICE
    assert reading.verdict is not Verdict.UNSUBSCRIBE


@pytest.mark.parametrize("body", [
    "Thanks, I will check with the person who has left the room and get back to you.",
    "Our old admin is no longer involved, but yes, let's talk on Thursday.",
    "Is this mailbox monitored? I wrote twice.",
])
def test_person_mentioning_colleagues_stays_human(make_raw, body: str) -> None:  # noqa: ANN001
    assert detect_nonhuman(parse_message(make_raw(body))) is None


def test_rule_forwarded_departure_text_stays_human(make_raw) -> None:  # noqa: ANN001
    raw = make_raw("FYI: Pat Lee is no longer with the company, I am taking over. Let's talk.",
                   Resent_From="casey@example.com")
    assert detect_nonhuman(parse_message(raw)) is None
