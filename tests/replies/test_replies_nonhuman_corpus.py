"""Bounce and auto-reply detection on public corpora.

Expected bounced addresses are the ones flufl.bounce 6.0.0's own detector tests assert for
each sample (compared case-insensitively), and ``True`` marks its temporary failures.
"""

from __future__ import annotations

import pytest

from churnguard.domain import MessageKind
from churnguard.replies.nonhuman import detect_nonhuman
from churnguard.replies.parse import parse_message

_EX = "example.com"
FLUFL_EXPECTED: dict[str, tuple[set[str], bool]] = {
    "postfix_01.txt": ({"xxxxx@local.ie"}, False),
    "postfix_02.txt": ({"yyyyy@digicool.com"}, False),
    "postfix_03.txt": ({"ttttt@ggggg.com"}, False),
    "postfix_04.txt": ({"userx@mail1.example.com"}, False),
    "postfix_05.txt": ({"userx@example.net"}, False),
    "exim_01.txt": ({"userx@its.example.nl"}, False),
    "sendmail_01.txt": ({"zzzzz@shaft.coal.nl", "zzzzz@nfg.nl"}, False),
    "simple_01.txt": ({"bbbsss@example.com"}, False),
    "simple_02.txt": ({"userx@example.net"}, False),
    "simple_04.txt": ({f"userx@{_EX}"}, False),
    "newmailru_01.txt": ({"zzzzz@newmail.ru"}, False),
    "hotpop_01.txt": ({f"userx@{_EX}"}, False),
    "microsoft_03.txt": ({f"userx@{_EX}"}, False),
    "simple_05.txt": ({"userx@example.net"}, False),
    "simple_06.txt": ({f"userx@{_EX}"}, False),
    "simple_07.txt": ({"userx@example.net"}, False),
    "simple_08.txt": ({"userx@example.de"}, False),
    "simple_09.txt": ({"userx@example.de"}, False),
    "simple_10.txt": ({f"userx@{_EX}"}, False),
    "simple_11.txt": ({f"userx@{_EX}"}, False),
    "simple_12.txt": ({"userx@example.ac.jp"}, False),
    "simple_13.txt": ({"userx@example.fr"}, False),
    "simple_14.txt": ({f"userx@{_EX}", f"usery@{_EX}"}, False),
    "simple_15.txt": ({"userx@example.be"}, False),
    "simple_16.txt": ({f"userx@{_EX}"}, False),
    "simple_17.txt": ({f"userx@{_EX}"}, False),
    "simple_18.txt": ({f"userx@{_EX}"}, False),
    "simple_19.txt": ({"userx@example.com.ar"}, False),
    "simple_20.txt": ({f"userx@{_EX}"}, False),
    "simple_23.txt": ({"userx@example.it"}, False),
    "simple_24.txt": ({f"userx@{_EX}"}, False),
    "simple_25.txt": ({f"userx@{_EX}"}, False),
    "simple_26.txt": ({"userx@example.it"}, False),
    "simple_27.txt": ({"userx@example.net.py"}, False),
    "simple_29.txt": ({f"userx@{_EX}"}, False),
    "simple_30.txt": ({f"userx@{_EX}"}, False),
    "simple_31.txt": ({"userx@example.fr"}, False),
    "simple_32.txt": ({f"userx@{_EX}"}, False),
    "simple_33.txt": ({f"userx@{_EX}"}, False),
    "simple_34.txt": ({"roland@example.com"}, False),
    "simple_36.txt": ({f"userx@{_EX}"}, False),
    "simple_37.txt": ({"user@example.edu"}, False),
    "simple_38.txt": ({f"userx@{_EX}"}, False),
    "simple_39.txt": ({"userx@example.ru"}, False),
    "simple_41.txt": ({f"userx@{_EX}"}, False),
    "simple_44.txt": ({"user@example.com"}, False),
    "simple_45.txt": ({"subscriber@earthlink.net"}, False),
    "bounce_02.txt": ({f"userx@{_EX}"}, False),
    "bounce_03.txt": ({"userx@example.uk"}, False),
    "yahoo_12.txt": ({"user@yahoo.com"}, False),
    "simple_03.txt": ({"userx@example.za"}, True),
    "simple_21.txt": ({f"userx@{_EX}"}, True),
    "simple_22.txt": ({"user@example.org"}, True),
    "simple_28.txt": ({f"userx@{_EX}"}, True),
    "simple_35.txt": ({"calvin@example.com"}, True),
    "simple_40.txt": ({"user@example.com"}, True),
    "groupwise_01.txt": ({"userx@example.edu"}, False),
    "groupwise_02.txt": ({f"userx@{_EX}"}, False),
    "yale_01.txt": ({"userx@cs.yale.edu", "userx@yale.edu"}, False),
    "dsn_01.txt": ({f"userx@{_EX}"}, False),
    "dsn_02.txt": ({"zzzzz@example.uk"}, False),
    "dsn_03.txt": ({"userx@example.be"}, False),
    "dsn_04.txt": ({"userx@example.ch"}, False),
    "dsn_05.txt": ({"userx@example.cz"}, True),
    "dsn_06.txt": ({f"userx@{_EX}"}, True),
    "dsn_07.txt": ({"userx@example.nz"}, True),
    "dsn_08.txt": ({"userx@example.de"}, True),
    "dsn_09.txt": ({f"userx@{_EX}"}, False),
    "dsn_10.txt": ({"anne.person@dom.ain"}, False),
    "dsn_11.txt": ({"joem@example.com"}, False),
    "dsn_12.txt": ({"userx@example.jp"}, False),
    "dsn_13.txt": ({f"userx@{_EX}"}, False),
    "dsn_14.txt": ({"userx@example.com.dk"}, False),
    "dsn_15.txt": ({f"userx@{_EX}"}, False),
    "dsn_16.txt": ({f"userx@{_EX}"}, False),
    "dsn_17.txt": ({"userx@example.fi"}, True),
    "dsn_18.txt": ({"email@replaced.net"}, False),
    "microsoft_01.txt": ({f"userx@{_EX}"}, False),
    "microsoft_02.txt": ({f"userx@{_EX}"}, False),
    "microsoft_04.txt": ({f"userx@{_EX}"}, False),
    "smtp32_01.txt": ({"userx@example.ph"}, False),
    "smtp32_02.txt": ({f"userx@{_EX}"}, False),
    "smtp32_03.txt": ({f"userx@{_EX}"}, False),
    "smtp32_04.txt": ({"after_another@example.net", "one_bad_address@example.net"}, False),
    "smtp32_05.txt": ({f"userx@{_EX}"}, False),
    "smtp32_06.txt": ({"absolute_garbage_addr@example.net"}, False),
    "smtp32_07.txt": ({f"userx@{_EX}"}, False),
    "qmail_01.txt": ({"userx@example.de"}, False),
    "qmail_02.txt": ({f"userx@{_EX}"}, False),
    "qmail_03.txt": ({"userx@example.jp"}, False),
    "qmail_04.txt": ({"userx@example.au"}, False),
    "qmail_05.txt": ({f"userx@{_EX}"}, False),
    "qmail_06.txt": ({"ntl@xxx.com"}, False),
    "qmail_07.txt": ({"user@example.net"}, False),
    "llnl_01.txt": ({"user1@example.gov"}, False),
    "netscape_01.txt": ({"aaaaa@corel.com", "bbbbb@corel.com"}, False),
    "yahoo_01.txt": ({f"userx@{_EX}"}, False),
    "yahoo_02.txt": ({"userx@example.es"}, False),
    "yahoo_03.txt": ({f"userx@{_EX}"}, False),
    "yahoo_04.txt": ({"userx@example.es", "usery@example.uk"}, False),
    "yahoo_05.txt": ({f"userx@{_EX}", f"usery@{_EX}"}, False),
    "yahoo_06.txt": ({f"user{c}@{_EX}" for c in "xyza"}, False),
    "yahoo_07.txt": ({f"user{c}@{_EX}" for c in "wxyz"}, False),
    "yahoo_08.txt": ({f"user{c}@{_EX}" for c in "abcdef"}, False),
    "yahoo_09.txt": ({f"userx@{_EX}", f"usery@{_EX}"}, False),
    "yahoo_10.txt": ({f"user{c}@{_EX}" for c in "xyz"}, False),
    "yahoo_11.txt": ({"bad_user@aol.com"}, False),
    "yahoo_13.txt": ({"bogus-address@example.net"}, False),
    "sina_01.txt": ({"userx@sina.com", "usery@sina.com"}, False),
    "aol_01.txt": ({"screenname@aol.com"}, False),
    "caiwireless_01.txt": ({f"userx@{_EX}"}, False),
}
# Real bounces in which flufl.bounce's tests expect no address.
FLUFL_BOUNCES_WITHOUT_ADDRESS = {"dumbass_01.txt", "bounce_01.txt", "simple_42.txt",
                                 "simple_43.txt"}
# Samples in that folder that are not bounces: a person's reply and an auto-reply.
FLUFL_NOT_BOUNCES = {"groupwise_03.txt": None, "qmail_08.txt": "automatic"}


def _read(path):
    return detect_nonhuman(parse_message(path.read_bytes()))


def test_every_flufl_sample_is_classified(shared_data):
    names = {p.name for p in (shared_data / "flufl-bounce" / "data").glob("*.txt")}
    known = set(FLUFL_EXPECTED) | FLUFL_BOUNCES_WITHOUT_ADDRESS | set(FLUFL_NOT_BOUNCES)

    assert names - known == set()


def test_flufl_bounces_and_addresses(shared_data):
    folder = shared_data / "flufl-bounce" / "data"
    present = {name: case for name, case in FLUFL_EXPECTED.items() if (folder / name).exists()}
    wrong = []
    for name, (expected, temporary) in present.items():
        result = _read(folder / name)
        if result is None or result.kind is not MessageKind.BOUNCE:
            wrong.append((name, "not a bounce"))
            continue
        got = {address.lower() for address in result.bounced_addresses}
        if not expected <= got:
            wrong.append((name, sorted(got)))
        if temporary and result.permanent is not False:
            wrong.append((name, f"permanent={result.permanent}"))
    print(f"flufl bounces: {len(present) - len(wrong)}/{len(present)} exact")

    assert wrong == []


@pytest.mark.parametrize("name", sorted(FLUFL_BOUNCES_WITHOUT_ADDRESS))
def test_flufl_bounce_without_address(shared_data, name):
    result = _read(shared_data / "flufl-bounce" / "data" / name)

    assert result is not None
    assert result.kind is MessageKind.BOUNCE


def test_flufl_human_sample_stays_human(shared_data):
    assert _read(shared_data / "flufl-bounce" / "data" / "groupwise_03.txt") is None


def test_flufl_auto_reply_sample_is_automatic(shared_data):
    result = _read(shared_data / "flufl-bounce" / "data" / "qmail_08.txt")

    assert result is not None
    assert result.kind in (MessageKind.AUTO_REPLY, MessageKind.OUT_OF_OFFICE)


def test_sisimai_lhost_samples_are_bounces(shared_data):
    paths = sorted((shared_data / "sisimai" / "bsd").glob("lhost-*.eml"))
    assert len(paths) >= 10
    for path in paths:
        result = _read(path)

        assert result is not None, path.name
        assert result.kind is MessageKind.BOUNCE, path.name
        assert result.bounced_addresses, path.name


def test_sisimai_rfc3834_samples_are_automatic(shared_data):
    paths = sorted((shared_data / "sisimai" / "bsd").glob("rfc3834-*.eml"))
    assert len(paths) == 3
    for path in paths:
        result = _read(path)

        assert result is not None, path.name
        assert result.kind in (MessageKind.OUT_OF_OFFICE, MessageKind.AUTO_REPLY), path.name


def test_sisimai_rfc3834_return_date(shared_data):
    result = _read(shared_data / "sisimai" / "bsd" / "rfc3834-01.eml")

    assert result is not None
    assert result.return_date is not None
    assert result.return_date.isoformat() == "2005-05-05"


def test_sisimai_not_samples_are_not_bounces(shared_data):
    paths = sorted((shared_data / "sisimai" / "not").glob("*.eml"))
    assert paths
    for path in paths:
        result = _read(path)

        assert result is None or result.kind is not MessageKind.BOUNCE, path.name


def _human_texts(shared_data):
    for path in sorted((shared_data / "talon").rglob("*.eml")):
        yield path.name, path.read_bytes()
    for corpus in ("github-email_reply_parser", "mail-parser-reply"):
        for path in sorted((shared_data / corpus / "emails").glob("*.txt")):
            head = b"From: person@example.com\r\nSubject: Re: hello\r\n"
            head += b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
            yield f"{corpus}/{path.name}", head + path.read_bytes()


def test_human_replies_are_not_automatic(shared_data):
    misread = []
    count = 0
    for name, raw in _human_texts(shared_data):
        count += 1
        result = detect_nonhuman(parse_message(raw))
        if result is not None:
            misread.append((name, result.kind.value, result.reason))

    assert count > 60
    assert misread == []
