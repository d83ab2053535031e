"""Decide whether a machine wrote an inbound message: a bounce, an absence notice or another
automatic reply. Bounces are checked first because many of them also carry
``Auto-Submitted``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from churnguard.domain import MessageKind
from churnguard.replies.bounce import find_bounce
from churnguard.replies.departed import departure_kind
from churnguard.replies.ooo import find_return_date, looks_out_of_office
from churnguard.replies._charset import header_to_text
from churnguard.replies.parse import InboundMessage

_ENVELOPE_TOKEN = re.compile(r"\+t-([A-Za-z0-9._=-]+)@")
_TOKEN_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To", "X-Envelope-To")
_SUPPRESS_VALUES = re.compile(r"\b(all|oof|autoreply)\b", re.I)
_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
_VENDOR_FLAGS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply",
                 "X-Autoreply-From", "X-Mail-Autoreply", "X-Vacation")
# Headers a mail rule adds when it forwards a person's message.
_RULE_FORWARD = ("Resent-From", "Resent-Message-ID", "X-Forwarded-For", "X-Forwarded-To",
                 "X-MS-Exchange-Inbox-Rules-Loop")
# Slashed dates are read month first only in English text.
_ENGLISH = re.compile(r"\b(the|and|my|office|until|back)\b", re.I)


@dataclass
class NonHuman:
    """The machine-written kind of a message, with what the machine reported."""

    kind: MessageKind
    reason: str
    bounced_addresses: list[str] = field(default_factory=list)
    permanent: bool | None = None
    return_date: date | None = None
    original_message_id: str | None = None
    envelope_token: str | None = None
    departed: str | None = None
    """``left`` or ``unmonitored`` when nobody reads the address any more, else None."""


def detect_nonhuman(msg: InboundMessage) -> NonHuman | None:
    """Return the non-human kind of ``msg``, or None when a person wrote it."""
    token = envelope_token(msg)
    bounce = find_bounce(msg.headers, msg.text)
    if bounce is not None:
        return NonHuman(MessageKind.BOUNCE, bounce.reason, bounce.addresses, bounce.permanent,
                        None, bounce.original_message_id, token)

    header_reason = automatic_header_reason(msg)
    departed = departure_kind(msg.subject, msg.text)
    if departed is not None and (header_reason is not None or not _forwarded_by_rule(msg)):
        reason = f"{departed} notice ({header_reason or 'text only'})"
        return NonHuman(MessageKind.AUTO_REPLY, reason, original_message_id=msg.in_reply_to,
                        envelope_token=token, departed=departed)

    if looks_out_of_office(msg.subject, msg.text, header_reason is not None):
        reason = f"absence notice ({header_reason or 'text only'})"
        return NonHuman(MessageKind.OUT_OF_OFFICE, reason, return_date=_return_date(msg),
                        original_message_id=msg.in_reply_to, envelope_token=token)

    if header_reason is not None:
        return NonHuman(MessageKind.AUTO_REPLY, header_reason,
                        original_message_id=msg.in_reply_to, envelope_token=token)
    return None


def automatic_header_reason(msg: InboundMessage) -> str | None:
    """Name the header that marks ``msg`` as automatic (RFC 3834 and vendor forms), if any."""
    auto_submitted = msg.header("Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith(("no", "auto-forwarded")):
        return f"Auto-Submitted: {auto_submitted}"
    for name in _VENDOR_FLAGS:
        if msg.header(name) and msg.header(name).lower() not in ("no", "false", "0"):
            return f"{name} header"
    if _SUPPRESS_VALUES.search(msg.header("X-Auto-Response-Suppress")):
        return "X-Auto-Response-Suppress header"
    if msg.header("X-Apple-Action").upper() == "VACATION":
        return "X-Apple-Action: VACATION"

    precedence = msg.header("Precedence").lower()
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    if msg.header("List-Id") or msg.header("List-Unsubscribe"):
        return "mailing-list headers"
    if _empty_return_path(msg) and not _forwarded_by_rule(msg):
        return "empty Return-Path"
    return None


def _empty_return_path(msg: InboundMessage) -> bool:
    values = msg.headers.get_all("Return-Path") or []
    return any(str(value).strip() in ("<>", "") for value in values)


def _forwarded_by_rule(msg: InboundMessage) -> bool:
    return any(msg.headers.get(name) is not None for name in _RULE_FORWARD)


def envelope_token(msg: InboundMessage) -> str | None:
    """Return the VERP token of an address like ``agent+t-TOKEN@example.com``, if any."""
    for name in _TOKEN_HEADERS:
        for value in msg.headers.get_all(name) or []:
            match = _ENVELOPE_TOKEN.search(header_to_text(value))
            if match:
                return match.group(1)
    return None


def _return_date(msg: InboundMessage) -> date | None:
    sent = msg.date.date() if msg.date else None
    text = f"{msg.subject}\n{msg.text}"
    return find_return_date(text, sent, day_first=not _ENGLISH.search(text))
