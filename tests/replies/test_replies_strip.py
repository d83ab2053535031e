"""Quote and signature stripping on hand-written layouts."""

from __future__ import annotations

import pytest

from churnguard.replies.strip import strip_reply

CASES = {
    "gmail wrapped": "Sure, Thursday works.\n\nOn Tue, Mar 3, 2026 at 10:00 AM Agent Example <agent@\n"
                     "example.test> wrote:\n\n> Can we talk?\n",
    "outlook block": "Sure, Thursday works.\n\nFrom: Agent <agent@example.test>\n"
                     "Sent: Tuesday, March 3, 2026 10:00\nTo: Casey\nSubject: Checking in\n\nCan we talk?",
    "outlook tabs": "Sure, Thursday works.\n\nFrom:\tAgent <agent@example.test>\nSent:\tTuesday\n"
                    "To:\tCasey\nSubject:\tChecking in\n\nCan we talk?",
    "outlook bold": "Sure, Thursday works.\n________________________________\n*From:* Agent\n"
                    "*Sent:* Tuesday\n*To:* Casey\n*Subject:* Checking in\n\nCan we talk?",
    "original message": "Sure, Thursday works.\n\n-----Original Message-----\nFrom: Agent\n\nCan we talk?",
    "apple mail": "Sure, Thursday works.\n\n> On 3 Mar 2026, at 10:00, Agent <agent@example.test> wrote:\n"
                  ">\n> Can we talk?",
    "yahoo": "Sure, Thursday works.\n\n\n----- Original Message -----\nFrom: Agent\nTo: Casey\n"
             "Sent: Tuesday\nSubject: Checking in\n\nCan we talk?",
    "no angle quoting": "Sure, Thursday works.\n\nOn Tue, Mar 3, 2026, Agent wrote:\nCan we talk?",
    "forwarded": "Sure, Thursday works.\n\n---------- Forwarded message ---------\nFrom: Agent\n"
                 "Can we talk?",
    "begin forwarded": "Sure, Thursday works.\n\nBegin forwarded message:\n\nFrom: Agent\nCan we talk?",
    "german": "Sure, Thursday works.\n\nAm Di., 3. März 2026 um 10:00 Uhr schrieb Agent <agent@"
              "example.test>:\n> Can we talk?",
    "german outlook": "Sure, Thursday works.\n\nVon: Agent\nGesendet: Dienstag\nAn: Casey\n"
                      "Betreff: Hallo\n\nCan we talk?",
    "french": "Sure, Thursday works.\n\nLe mar. 3 mars 2026 à 10:00, Agent <agent@example.test> a "
              "écrit :\n> Can we talk?",
    "spanish": "Sure, Thursday works.\n\nEl mar, 3 mar 2026 a las 10:00, Agent (<agent@example.test>)"
               " escribió:\n> Can we talk?",
    "portuguese": "Sure, Thursday works.\n\nEm ter., 3 de mar. de 2026 às 10:00, Agent <agent@"
                  "example.test> escreveu:\n> Can we talk?",
    "dutch": "Sure, Thursday works.\n\nOp di 3 mrt. 2026 om 10:00 schreef Agent <agent@example.test>:"
             "\n> Can we talk?",
    "italian": "Sure, Thursday works.\n\nIl giorno mar 3 mar 2026 alle ore 10:00 Agent <agent@"
               "example.test> ha scritto:\n> Can we talk?",
    "japanese": "Sure, Thursday works.\n\n2026年3月3日(火) 10:00 Agent <agent@example.test>:\n"
                "> Can we talk?",
    "signature dash": "Sure, Thursday works.\n\n-- \nCasey Customer\nExample Corp",
    "iphone": "Sure, Thursday works.\n\nSent from my iPhone",
    "german iphone": "Sure, Thursday works.\n\nVon meinem iPhone gesendet",
    "sign-off": "Sure, Thursday works.\n\nBest regards,\nCasey Customer\nExample Corp",
    "bottom posting": "On Tue, Mar 3, 2026 at 10:00 AM Agent wrote:\n> Can we talk?\n\n"
                      "Sure, Thursday works.",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_strip_layouts(name):
    assert strip_reply(CASES[name]) == "Sure, Thursday works."


def test_strip_keeps_sent_from_sentence():
    text = "Here it is.\n\nSent from my desk, which is easier than my phone."

    assert strip_reply(text) == text


def test_strip_keeps_mid_line_dashes():
    text = "A fix -- not a signature.\n\nthanks for this"

    assert strip_reply(text) == text


def test_strip_keeps_one_liner_thanks():
    assert strip_reply("Thanks!") == "Thanks!"


def test_strip_inline_replies_keeps_own_lines():
    text = "On Tue, Agent <a@example.test> wrote:\n> question one?\nyes\n> question two?\nno"

    assert strip_reply(text) == "yes\nno"
