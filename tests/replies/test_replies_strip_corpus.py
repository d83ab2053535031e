"""Score strip_reply on public reply corpora and hold a floor.

Expected texts come from each corpus's own ground truth. talon: the visible reply is "Hello"
unless a sibling ``*_reply_text`` file gives it. github-email_reply_parser and
mail-parser-reply: the fragments their upstream test suites assert as the visible reply, read
as (phrases that must stay, phrases that must go). Files those suites do not cover carry this
project's own reading and are marked ``own``.
"""

from __future__ import annotations

import re
from pathlib import Path

from churnguard.replies.parse import parse_message
from churnguard.replies.strip import strip_reply

# Upstream talon keeps signatures in the expected text; strip_reply removes them on purpose.
_SIGNATURE_START = re.compile(r"^(-- ?|Sent from my \w+|Sent with \w+.*)$")

# name: (exact text or None, phrases that must stay, phrases that must go)
GITHUB = {
    "correct_sig": ("this is an email with a correct -- signature.", [], ["rick"]),
    "email_1_1": (None, ["Hi folks", "Java HTTP API"], ["riak-users", "-Abhishek"]),
    "email_1_2": (None, ["Hi,", "You can list the keys"], ["What is the best way", "riak-users"]),
    "email_1_3": (None, ["Oh thanks.", "Having the function"], ["Russell Brown", "-Abhishek"]),
    "email_1_4": ("Awesome! I haven't had another problem with it.", [], []),
    "email_1_5": (None, ["One: Here's what", "goes on and on\nfor a while."], []),
    "email_1_6": (None, ["I get proper rendering as well."], ["Was this caching"]),
    "email_1_7": (":+1:", [], []),
    "email_1_8": (None, ["I will reply under this one", "and under this."],
                  ["okay?", "Hey there, this is my signature"]),
    "email_2_1": ("Outlook with a reply", [], []),
    "email_2_2": ("Outlook with a reply directly above line", [], []),
    "email_2_3": ("Outlook with a reply directly above line", [], []),  # own
    "email_BlackBerry": ("Here is another email", [], []),
    "email_bullets": ("test 2 this should list second\n\nand have spaces\n\nand retain this "
                      "formatting\n\n   - how about bullets\n   - and another", [], []),
    "email_iPhone": ("Here is another email", [], []),
    "email_multi_word_sent_from_my_mobile_device": ("Here is another email", [], []),
    "email_one_is_not_on": (None, ["One outstanding question"], ["The good news"]),
    "email_sent_from_my_not_signature": (
        "Here is another email\n\nSent from my desk, is much easier then my mobile phone.", [], []),
    "email_sig_delimiter_in_middle_of_line": (
        None, ["And here is a fix -- this is not a signature.", "kthxbai"], []),
    "greedy_on": (None, ["On your remote host", "the tunnel is not working."], ["odd issue"]),
    "pathological": (None, ["I think you're onto something."], ["debugging output"]),
}

MAIL_PARSER_REPLY = {
    "begins_with_signature": (None, ["I have sent an invite"], ["Regards,", "10.30 AM pacific"]),
    "caution": (None, ["Below THIS and THAT file"], ["CAUTION:"]),  # own
    "caution2": (None, ["I am trying to place an order"], ["Disclaimer"]),  # own
    "email_2_3": ("Outlook with a reply above headers using unusual format", [], []),
    "email_3_1": (None, ["First reply."], ["This is my second test reply", "Fourth reply"]),
    "email_danish_1": (None, ["Hej Peter,"], ["Med venlig hilsen", "Hvordan går det"]),
    "email_danish_2": (None, ["Jeg har modtaget filerne."], ["Hilsen\nSøren", "Her er filerne"]),
    "email_danish_3": (None, ["Svar."], ["Oprindelig besked"]),
    "email_danish_4": (None, ["Svar."], ["Oprindelig meddelelse"]),
    "email_danish_5": (None, ["Svar."], ["Kh\nPeter"]),
    "email_gmail": (None, ["This is a test for inbox"], ["That way people"]),  # own
    "email_headers_no_delimiter": ("And another reply!", [], []),
    "email_ja_1_1": (None, ["こんにちは"], []),
    "email_ja_1_2": (None, ["お世話になっております。織田です。", "それでは 11:00 にお待ちしております。"],
                     ["かしこまりました"]),
    "email_nl_1_1": (None, ["Hallo allemaal"], ["riak-gebruikers"]),
    "email_nl_1_2": ("Outlook met een antwoord", [], []),
    "email_partial_quote_header": (None, ["the tunnel is not working."], ["odd issue"]),  # own
    "email_pl_1_1": (None, ["Czesc Anno", "Jak się masz?"], ["Pozdrawiam"]),
    "email_pl_1_2": (None, ["Czesc Anno"], ["Dnia 28 lutego", "Wszystko w porządku"]),
    "email_pl_1_3": (None, ["Jak się masz?"], ["Z powazaniem"]),
    "email_sent_from_BlackBerry": ("Here is another email", [], []),
    "email_sent_from_iPhone": ("Here is another email", [], []),
    "email_sent_from_multi_word_mobile_device": ("Here is another email", [], []),
    "email_sent_from_not_signature": (
        "Here is another email\n\nSent from my desk, is much easier than my mobile phone.", [], []),
    "email_sv_anon_1": (None, ["Berättar gärna."], ["Ursäkta mitt sena svar"]),
    "email_swedish_1": (None, ["Ursäkta mitt sena svar!"], ["Jag har försökt"]),
    "email_swedish_2": (None, ["Hello Anna,"], ["/John", "Hej John"]),
    "forward": (None, ["Can I get 1 Arrival Notice"], []),  # own
    "multi_header": (None, ["No problem."], ["Unfortunately"]),  # own
    "multiline_on": ("", [], []),
    "multiline_on_de": ("", [], []),
    "outlook": (None, ["What is the best way"], ["Get Outlook for iOS"]),  # own
}

# Measured with this code: talon 12/12, github 21/21, mail-parser-reply 38/39 (multiline_on).
FLOOR = 0.95


def _squash(text: str) -> str:
    return re.sub(r"\n\s*\n+", "\n\n", text.strip())


def _passes(output: str, expected: tuple[str | None, list[str], list[str]]) -> bool:
    exact, keep, drop = expected
    if exact is not None and _squash(output) != _squash(exact):
        return False
    return all(phrase in output for phrase in keep) and not any(p in output for p in drop)


def _talon_expected(eml: Path) -> str:
    sibling = eml.with_name(f"{eml.stem}_reply_text")
    if not sibling.exists():
        return "Hello"
    reply_lines = []
    for line in sibling.read_text(encoding="utf-8").splitlines():
        if _SIGNATURE_START.match(line.strip()):
            break
        reply_lines.append(line)
    return "\n".join(reply_lines).strip()


def _score(results: dict[str, bool]) -> float:
    failed = sorted(name for name, ok in results.items() if not ok)
    score = sum(results.values()) / len(results)
    print(f"strip score {sum(results.values())}/{len(results)} = {score:.2f}; failed: {failed}")
    return score


def test_strip_talon_standard_replies(shared_data):
    emls = sorted((shared_data / "talon" / "standard_replies").glob("*.eml"))
    assert len(emls) >= 10
    results = {}
    for eml in emls:
        output = strip_reply(parse_message(eml.read_bytes()).text)
        results[eml.name] = _squash(output) == _squash(_talon_expected(eml))

    assert _score(results) >= FLOOR


def _score_folder(folder: Path, table: dict) -> float:
    results = {}
    for name, expected in table.items():
        text = (folder / f"{name}.txt").read_text(encoding="utf-8")
        results[name] = _passes(strip_reply(text), expected)
    return _score(results)


def test_strip_github_corpus(shared_data):
    assert _score_folder(shared_data / "github-email_reply_parser" / "emails", GITHUB) >= FLOOR


def test_strip_mail_parser_reply_corpus(shared_data):
    folder = shared_data / "mail-parser-reply" / "emails"
    shared = {name: GITHUB[name] for name in ("email_1_3", "email_1_4", "email_1_5", "email_1_6",
                                              "email_1_8", "email_2_1", "email_bullets")}

    assert _score_folder(folder, {**shared, **MAIL_PARSER_REPLY}) >= FLOOR
