"""Outbound messages and their RFC 5322 bytes.

``build_message`` serialises with the stdlib ``email`` package under the compat32 policy.
The newer ``policy.SMTP`` folder of Python 3.11.7 moves the space between two RFC 2047
encoded words outside them, where decoders drop it, so a subject like
"dashboards – naïve café" came back with a word glued to the next one. compat32's
``Header`` keeps spaces inside the encoded words. Every header is encoded and folded here,
and bodies are quoted-printable, so the bytes are 7-bit and survive relays unchanged.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.charset import BASE64, QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr

from churnguard.errors import ConfigError, InputError

# compat32 folds at 78 columns and leaves encoded words intact; CRLF is what SMTP carries.
WIRE_POLICY = policy.compat32.clone(linesep="\r\n", max_line_length=78)

# Room for one encoded word: "=?utf-8?b?" + payload + "?=" stays within RFC 2047's 75.
_MAX_WORD_BYTES = 40
_ATEXT = re.compile(r"^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+$")
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|antw|wg|r)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_MSG_ID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")
# CR or LF would end the header line and let the rest of a value become a header of its own.
# NUL is not allowed in a header at all (RFC 5322), and C programs cut a string at it.
_HEADER_BREAKERS = re.compile(r"[\r\n\x00]")


@dataclass
class OutboundMessage:
    """One message to send, with every header churnguard sets itself."""

    from_addr: str
    from_name: str
    to_addr: str
    to_name: str
    subject: str
    text_body: str
    message_id: str
    date: datetime
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    reply_to: str | None = None
    envelope_from: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    calendar: bytes | None = None

    @property
    def return_path(self) -> str:
        """The SMTP envelope sender: the VERP-style address when set, else From."""
        return self.envelope_from or self.from_addr


def make_message_id(key: str, domain: str) -> str:
    """Derive a Message-ID from an idempotency key, so a retried send reuses the same id."""
    if not domain or "@" in domain or any(c.isspace() for c in domain):
        raise ConfigError(f"invalid Message-ID domain {domain!r}: use a bare host name")
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<cg.{digest}@{domain.lower()}>"


def reply_subject(subject: str) -> str:
    """Return the subject with exactly one leading "Re: " and stacked prefixes removed."""
    base = _REPLY_PREFIX.sub("", subject).strip()
    return f"Re: {base}" if base else "Re:"


def base_subject(subject: str) -> str:
    """Return the subject without reply prefixes, case-folded, for matching a thread."""
    return " ".join(_REPLY_PREFIX.sub("", subject).split()).casefold()


def thread_references(parent_references: list[str], parent_id: str, limit: int = 10) -> list[str]:
    """Build a reply's References: the parent's chain plus the parent, trimmed to ``limit``.

    A long chain keeps its first id (the thread root) and the most recent ones.
    """
    if limit < 2:
        raise ValueError(f"references limit must be at least 2, got {limit}")
    chain = [ref for ref in parent_references if ref != parent_id]
    chain.append(parent_id)
    if len(chain) <= limit:
        return chain
    return [chain[0], *chain[-(limit - 1):]]


def build_message(msg: OutboundMessage) -> bytes:
    """Serialise ``msg`` to 7-bit RFC 5322 bytes with CRLF line endings."""
    _check_header_values(msg)
    _check_ids(msg)
    mime = _body(msg)
    _set_headers(mime, msg)
    return mime.as_bytes(policy=WIRE_POLICY)


def encode_text_header(value: str, name: str) -> str | Header:
    """Return an unstructured header value, RFC 2047-encoded when it is not ASCII."""
    if value.isascii():
        return value
    return Header(value, "utf-8", header_name=name)


def encode_address(name: str, addr: str) -> str:
    """Format "display name <addr>", with only the non-ASCII words of the name encoded.

    Runs of non-ASCII words become encoded words that carry their inner spaces, and ASCII
    words stay plain. Decoders ignore the space between two adjacent encoded words, and
    Python 3.11's address parser keeps it, so avoiding adjacent ones keeps both right.
    """
    if not addr.isascii():
        raise ConfigError("an address with non-ASCII characters needs SMTPUTF8; use an ASCII address")
    if not name:
        return addr
    if name.isascii():
        return formataddr((name, addr))
    return " ".join([*_phrase_tokens(name), f"<{addr}>"])


def _phrase_tokens(name: str) -> list[str]:
    tokens: list[str] = []
    run: list[str] = []
    for word in name.split():
        if _ATEXT.match(word):
            tokens.extend(_encode_run(run))
            run = []
            tokens.append(word)
        else:
            run.append(word)
    tokens.extend(_encode_run(run))
    return tokens


def _encode_run(words: list[str]) -> list[str]:
    if not words:
        return []
    encoded: list[str] = []
    chunk = ""
    for word in words:
        candidate = f"{chunk} {word}" if chunk else word
        if chunk and len(candidate.encode("utf-8")) > _MAX_WORD_BYTES:
            encoded.append(_encoded_word(chunk))
            # NOTE: this space sits between two encoded words. RFC 2047 decoders drop it but
            # Python 3.11's address parser keeps it, so one of them misreads names this long.
            candidate = word
        chunk = candidate
    encoded.append(_encoded_word(chunk))
    return encoded


def _encoded_word(text: str) -> str:
    return Header(text, "utf-8", maxlinelen=998).encode()


def _check_header_values(msg: OutboundMessage) -> None:
    """Raise InputError naming the header when a field holds CR, LF or NUL; the value stays out of the message."""
    fields = [
        ("From", msg.from_name), ("From", msg.from_addr), ("To", msg.to_name), ("To", msg.to_addr),
        ("Subject", msg.subject), ("Reply-To", msg.reply_to or ""), ("Message-ID", msg.message_id),
        ("In-Reply-To", msg.in_reply_to or ""), ("References", " ".join(msg.references)),
        ("Return-Path", msg.envelope_from or ""),
    ]
    for name, value in fields:
        if _HEADER_BREAKERS.search(value):
            raise InputError(
                f"header {name} contains a CR, LF or NUL character; "
                "fix the stored contact name, address or subject before the message is sent"
            )


def _check_ids(msg: OutboundMessage) -> None:
    for label, value in [("Message-ID", msg.message_id), ("In-Reply-To", msg.in_reply_to)]:
        if value is not None and not _MSG_ID.match(value):
            raise ConfigError(f"{label} {value!r} is not of the form <local@domain>")
    for ref in msg.references:
        if not _MSG_ID.match(ref):
            raise ConfigError(f"References entry {ref!r} is not of the form <local@domain>")
    if msg.date.tzinfo is None:
        raise ConfigError("the message date must be timezone-aware")


def _body(msg: OutboundMessage) -> Message:
    text = MIMEText(_normalise_newlines(msg.text_body), "plain", _charset(QP))
    if msg.calendar is None:
        return text
    try:
        ical = msg.calendar.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("the calendar attachment is not UTF-8 text") from None
    calendar = MIMEText(ical, "calendar", _charset(BASE64))
    calendar.set_param("method", "REQUEST")
    outer = MIMEMultipart("mixed")
    for part in (text, calendar):
        del part["MIME-Version"]
        outer.attach(part)
    return outer


def _charset(body_encoding: int) -> Charset:
    charset = Charset("utf-8")
    charset.header_encoding = BASE64
    charset.body_encoding = body_encoding
    return charset


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _set_headers(mime: Message, msg: OutboundMessage) -> None:
    # The MIME classes put their own headers first; the envelope-like ones read better on top.
    body_headers = [(name, mime[name]) for name in ("MIME-Version", "Content-Type", "Content-Transfer-Encoding") if name in mime]
    for name, _ in body_headers:
        del mime[name]

    for name, value in _top_headers(msg):
        mime[name] = value
    for name, value in msg.headers.items():
        _check_extra_header(name, value)
        mime[name] = encode_text_header(value, name)
    for name, value in body_headers:
        mime[name] = value


def _top_headers(msg: OutboundMessage) -> list[tuple[str, str | Header]]:
    headers: list[tuple[str, str | Header]] = [
        ("From", encode_address(msg.from_name, msg.from_addr)),
        ("To", encode_address(msg.to_name, msg.to_addr)),
        ("Subject", encode_text_header(msg.subject, "Subject")),
        ("Date", format_datetime(msg.date)),
        ("Message-ID", msg.message_id),
    ]
    if msg.reply_to:
        headers.append(("Reply-To", encode_address("", msg.reply_to)))
    if msg.in_reply_to:
        headers.append(("In-Reply-To", msg.in_reply_to))
    if msg.references:
        headers.append(("References", " ".join(msg.references)))
    return headers


_RESERVED = {"from", "to", "cc", "subject", "date", "message-id", "reply-to", "in-reply-to",
             "references", "mime-version", "content-type", "content-transfer-encoding"}


def _check_extra_header(name: str, value: str) -> None:
    if name.lower() in _RESERVED:
        raise ConfigError(f"header {name} is set from the message fields; remove it from headers")
    if not re.match(r"^[!-9;-~]+$", name):
        raise ConfigError(f"invalid header name {name!r}")
    if _HEADER_BREAKERS.search(value):
        raise ConfigError(f"header {name} contains a CR, LF or NUL character")
