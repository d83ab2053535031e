"""Parse the raw bytes of an inbound email into an :class:`InboundMessage`.

Parsing is lenient: unknown charsets, RFC 2047 names with commas, trailing commas in Cc and
bracketed Exchange Message-IDs all produce a usable message. Only bytes that are not an email
at all raise :class:`~churnguard.errors.MessageParseError`.
"""

from __future__ import annotations

import email
import email.utils
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import Message

from churnguard.errors import MessageParseError
from churnguard.replies._charset import decode_bytes, header_source, header_to_text
from churnguard.replies._html import html_to_text

# Headers of which at least one must be present for bytes to count as an email.
_EMAIL_HEADERS = {
    "from", "to", "subject", "date", "message-id", "received", "return-path",
    "content-type", "mime-version", "delivered-to", "sender", "reply-to", "cc",
}
_ANGLE_ID = re.compile(r"<([^<>\s]+)>")
_HEADER_LINE = re.compile(rb"^(From |[\x21-\x39\x3b-\x7e]+:)")


@dataclass
class InboundMessage:
    """One inbound email, decoded. ``raw`` keeps the exact bytes so a reading can be replayed."""

    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    from_addr: str
    from_name: str
    to_addrs: list[str]
    cc_addrs: list[str]
    subject: str
    date: datetime | None
    text: str
    headers: Message = field(repr=False)
    raw: bytes = field(repr=False)

    def header(self, name: str) -> str:
        """Return one header decoded to text, or an empty string."""
        return header_to_text(self.headers.get(name))


def parse_message(raw: bytes) -> InboundMessage:
    """Parse ``raw`` leniently and raise MessageParseError only for bytes that are not email."""
    _check_looks_like_email(raw)
    msg = email.message_from_bytes(raw)
    if not any(key.lower() in _EMAIL_HEADERS for key in msg.keys()):
        raise MessageParseError(
            f"the input ({len(raw)} bytes) has no email headers. Pass the raw RFC 5322 message."
        )

    from_name, from_addr = _first_address(msg.get_all("From", []))
    return InboundMessage(
        message_id=normalize_message_id(header_to_text(msg.get("Message-ID"))),
        in_reply_to=normalize_message_id(header_to_text(msg.get("In-Reply-To"))),
        references=message_ids(header_to_text(msg.get("References"))),
        from_addr=from_addr,
        from_name=from_name,
        to_addrs=[a for _, a in parse_addresses(msg.get_all("To", []))],
        cc_addrs=[a for _, a in parse_addresses(msg.get_all("Cc", []))],
        subject=header_to_text(msg.get("Subject")),
        date=_parse_date(msg.get("Date")),
        text=body_text(msg),
        headers=msg,
        raw=raw,
    )


def _check_looks_like_email(raw: bytes) -> None:
    if not isinstance(raw, (bytes, bytearray)):
        raise MessageParseError(f"expected the raw message as bytes, got {type(raw).__name__}")
    if not raw.strip():
        raise MessageParseError("the input is empty. Pass the raw RFC 5322 message.")
    first_line = raw.lstrip(b"\r\n").split(b"\n", 1)[0]
    if not _HEADER_LINE.match(first_line):
        raise MessageParseError(
            f"the input ({len(raw)} bytes) does not start with a header line. "
            "Pass the raw RFC 5322 message."
        )


def normalize_message_id(value: str | None) -> str | None:
    """Return a Message-ID without angle brackets, tolerating Exchange's square brackets."""
    ids = message_ids(value or "")
    return ids[0] if ids else None


def message_ids(value: str) -> list[str]:
    """Return every Message-ID in a header value, without angle brackets."""
    found = _ANGLE_ID.findall(value)
    if not found:
        found = [token for token in value.replace(",", " ").split() if "@" in token]
    return [_clean_id(token) for token in found if _clean_id(token)]


def _clean_id(token: str) -> str:
    return token.strip().strip("<>").strip("[]").strip()


def parse_addresses(values: list[object]) -> list[tuple[str, str]]:
    """Split address headers into (display name, lower-cased address) pairs.

    Addresses are split before display names are decoded, so an RFC 2047 encoded comma
    stays inside its name. Empty entries (a trailing comma) are dropped.
    """
    raw_values = [_raw_header(value) for value in values]
    pairs: list[tuple[str, str]] = []
    for name, addr in email.utils.getaddresses(raw_values):
        addr = addr.strip().strip("<>").strip()
        if not addr or "@" not in addr:
            continue
        pairs.append((header_to_text(name), addr.lower()))
    return pairs


def _raw_header(value: object) -> str:
    return " ".join(header_source(value).split())


def _first_address(values: list[object]) -> tuple[str, str]:
    pairs = parse_addresses(values)
    if pairs:
        return pairs[0]
    fallback = header_to_text(values[0]) if values else ""
    return fallback, ""


def _parse_date(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def body_text(msg: Message) -> str:
    """Return the best body as text: the first inline text/plain, else converted HTML."""
    plain, markup = _first_text_parts(msg)
    if plain is not None and plain.strip():
        return plain
    if markup is not None:
        return html_to_text(markup)
    return plain or ""


def _first_text_parts(msg: Message) -> tuple[str | None, str | None]:
    plain: str | None = None
    markup: str | None = None
    for part in _own_parts(msg):
        ctype = part.get_content_type()
        if ctype not in ("text/plain", "text/html") or _is_attachment(part):
            continue
        text = part_text(part)
        if ctype == "text/plain" and plain is None:
            plain = text
        elif ctype == "text/html" and markup is None:
            markup = text
    return plain, markup


def _own_parts(msg: Message) -> list[Message]:
    """Leaf parts of this message, not descending into attached messages."""
    if not msg.is_multipart():
        return [msg]
    leaves: list[Message] = []
    for part in msg.get_payload():
        if not isinstance(part, Message) or part.get_content_maintype() == "message":
            continue
        leaves.extend(_own_parts(part))
    return leaves


def _is_attachment(part: Message) -> bool:
    disposition = str(part.get("Content-Disposition", "")).lower()
    return disposition.startswith("attachment")


def part_text(part: Message) -> str:
    """Decode one leaf part to text, whatever its transfer encoding and charset."""
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = str(part.get_payload() or "").encode("utf-8", "surrogateescape")
    if not isinstance(payload, bytes):
        return ""
    text = decode_bytes(payload, part.get_content_charset())
    return text.replace("\r\n", "\n").replace("\r", "\n")
