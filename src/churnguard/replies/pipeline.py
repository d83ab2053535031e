"""Read one inbound message end to end: parse, sort out machines, strip, classify."""

from __future__ import annotations

from collections.abc import Callable, Set
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from churnguard.domain import MessageKind, Verdict
from churnguard.replies.classify import Classification, classify_reply
from churnguard.replies.nonhuman import detect_nonhuman
from churnguard.replies.parse import InboundMessage, parse_message
from churnguard.replies.strip import strip_reply

_KIND_VERDICTS = {
    MessageKind.BOUNCE: Verdict.BOUNCE,
    MessageKind.OUT_OF_OFFICE: Verdict.OUT_OF_OFFICE,
    MessageKind.AUTO_REPLY: Verdict.AUTO_REPLY,
    MessageKind.OWN: Verdict.UNKNOWN,
}


@dataclass
class ReplyReading:
    """The reading of one inbound message, kept next to the parsed message it came from."""

    kind: MessageKind
    verdict: Verdict
    confidence: float
    reply_text: str
    bounced_addresses: list[str]
    permanent: bool | None
    return_date: date | None
    reasons: list[str]
    message: InboundMessage = field(repr=False)
    original_message_id: str | None = None
    envelope_token: str | None = None
    departed: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict: no customer text beyond the visible reply."""
        return {
            "kind": self.kind.value,
            "verdict": self.verdict.value,
            "confidence": self.confidence,
            "reply_text": self.reply_text,
            "bounced_addresses": list(self.bounced_addresses),
            "permanent": self.permanent,
            "return_date": self.return_date.isoformat() if self.return_date else None,
            "reasons": list(self.reasons),
            "message_id": self.message.message_id,
            "in_reply_to": self.message.in_reply_to,
            "original_message_id": self.original_message_id,
            "envelope_token": self.envelope_token,
            "departed": self.departed,
        }


def read_reply(
    raw: bytes,
    *,
    own_addresses: Set[str] = frozenset(),
    own_message_ids: Set[str] = frozenset(),
    classify: Callable[[str], Classification] | None = None,
) -> ReplyReading:
    """Parse ``raw`` and return its reading; raises MessageParseError for non-email bytes.

    ``classify`` gives human replies their verdict; the offline model is the default.
    """
    msg = parse_message(raw)
    if _is_own(msg, own_addresses, own_message_ids):
        return _reading(msg, MessageKind.OWN, 1.0, ["sent by churnguard"])

    machine = detect_nonhuman(msg)
    if machine is not None:
        reading = _reading(msg, machine.kind, 0.9, [machine.reason])
        reading.bounced_addresses = list(machine.bounced_addresses)
        reading.permanent = machine.permanent
        reading.return_date = machine.return_date
        reading.original_message_id = machine.original_message_id
        reading.envelope_token = machine.envelope_token
        reading.departed = machine.departed
        return reading

    visible = strip_reply(msg.text)
    result = (classify or classify_reply)(visible)
    return ReplyReading(MessageKind.HUMAN, result.verdict, result.confidence, visible, [], None,
                        None, list(result.reasons), msg, msg.in_reply_to)


def _is_own(msg: InboundMessage, addresses: Set[str], message_ids: Set[str]) -> bool:
    own = {address.lower() for address in addresses}
    ids = {value.strip("<>") for value in message_ids}
    if msg.from_addr and msg.from_addr in own:
        return True
    return msg.message_id is not None and msg.message_id in ids


def _reading(msg: InboundMessage, kind: MessageKind, confidence: float,
             reasons: list[str]) -> ReplyReading:
    return ReplyReading(kind, _KIND_VERDICTS[kind], confidence, "", [], None, None, reasons, msg)
