"""Recognise delivery failure reports and read which addresses failed.

Three layers, most reliable first: an RFC 3464 report (``message/delivery-status`` or the
RFC 6533 ``message/global-delivery-status``), then flufl.bounce's detectors for the many
non-standard formats, then a narrow heuristic (a failure subject plus a failure sentence).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from email import message_from_string
from email.message import Message

from flufl.bounce import all_failures

from churnguard.replies._charset import decode_bytes, header_to_text
from churnguard.replies.parse import message_ids, parse_addresses, part_text

log = logging.getLogger(__name__)

_STATUS_PARTS = ("message/delivery-status", "message/global-delivery-status")
_FAILED_ACTIONS = ("fail", "error", "delayed")
_STATUS_CODE = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")
_DAEMON = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mdaemon|mailerdaemon)@", re.I)
_FAILURE_SUBJECT = re.compile(
    r"undeliver|deliver(y|ies)? (status notification|failure|failed|has failed|problem)|"
    r"mail delivery failed|returned mail|returned to sender|failure notice|mail error|"
    r"could not be delivered|non[- ]?deliver|unzustellbar|nicht zustellbar|non remis|"
    r"no se puede entregar|não entregue|onbestelbaar",
    re.I,
)
_FAILURE_TEXT = re.compile(
    r"could not be delivered|cannot be delivered|couldn't be delivered|was not delivered|"
    r"undeliverable|delivery (has )?failed|permanent (error|failure)|user unknown|"
    r"no such (user|mailbox|recipient)|mailbox (unavailable|not found|is full)|"
    r"recipient address rejected|does not exist|unknown (user|recipient)",
    re.I,
)
_DAEMON_NAME = re.compile(
    r"mailer-daemon|postmaster|mail delivery|mail system|mail administrator|"
    r"delivery subsystem|mailerdaemon|mail-daemon|returned|bounce", re.I
)
_LOOSE_FAILURE_SUBJECT = re.compile(
    r"fail|error|return|bounce|warning|delay|delivery|deliver|notification|rejected|"
    r"problem|unknown|nicht|undelivered|status",
    re.I,
)
_LEADING_ADDRESS = re.compile(r"^\s*<?([^\s<>@:]+@[^\s<>:]+?)>?\s*:", re.M)
_BODY_MESSAGE_ID = re.compile(r"^message-id:\s*(<[^<>\s]+>)", re.I | re.M)


@dataclass
class BounceFinding:
    """The content of a failure report: failed addresses, permanence and the original message."""

    addresses: list[str] = field(default_factory=list)
    permanent: bool | None = None
    original_message_id: str | None = None
    reason: str = ""


def find_bounce(msg: Message, text: str) -> BounceFinding | None:
    """Return what ``msg`` reports as undeliverable, or None when it is no bounce."""
    status_parts = [part for part in msg.walk() if part.get_content_type() in _STATUS_PARTS]
    finding = _from_status_report(status_parts[0]) if status_parts else None
    if finding is None and status_parts and _reports_success(status_parts[0]):
        return None  # A report of successful delivery or relaying is no bounce.
    if finding is None:
        finding = _from_flufl(msg, text)
    if finding is None:
        finding = _from_heuristics(msg, text)
    if finding is not None and finding.original_message_id is None:
        finding.original_message_id = original_message_id(msg)
    return finding


def _from_status_report(part: Message) -> BounceFinding | None:
    failed: list[str] = []
    codes: list[str] = []
    for block in _status_blocks(part):
        action = block.get("action", "").strip().lower()
        status = block.get("status", "").strip()
        if not action.startswith(_FAILED_ACTIONS) and not status.startswith(("4", "5")):
            continue
        address = _recipient(block)
        if address and address not in failed:
            failed.append(address)
        codes.append(_status_class(action, status))

    if not failed and not codes:
        return None
    return BounceFinding(failed, _permanence(codes), None, "delivery status report")


def _status_class(action: str, status: str) -> str:
    """Return "5" for a final failure and "4" for a delay.

    The Action field decides: "failed" means the server gave up, even with a 4.x.x status
    such as 4.4.7 (delivery time expired). The status class counts only without an action.
    """
    if action.startswith("delayed"):
        return "4"
    if action.startswith(("fail", "error")):
        return "5"
    return status[:1]


def _permanence(codes: set[str] | list[str]) -> bool | None:
    """Map RFC 3463 status classes to permanent (5), temporary (4) or unknown."""
    if "5" in codes:
        return True
    if "4" in codes:
        return False
    return None


def _reports_success(part: Message) -> bool:
    actions = {block.get("action", "").strip().lower() for block in _status_blocks(part)}
    return bool(actions & {"delivered", "relayed", "expanded"})


def _status_blocks(part: Message) -> list[dict[str, str]]:
    """Return the per-recipient field blocks of a delivery-status part."""
    payload = part.get_payload()
    if isinstance(payload, list):  # The stdlib parses each block as a header-only message.
        text = "\n\n".join(block.as_string() for block in payload)
    else:
        raw = part.get_payload(decode=True) or b""
        text = decode_bytes(raw, part.get_content_charset()) if isinstance(raw, bytes) else ""
    blocks = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        fields = message_from_string(chunk.strip() + "\n\n")
        blocks.append({key.lower(): str(value) for key, value in fields.items()})
    return blocks


def _recipient(block: dict[str, str]) -> str:
    """Prefer Original-Recipient: it is the address we wrote to, before any forwarding."""
    for name in ("original-recipient", "final-recipient"):
        kind, separator, address = block.get(name, "").partition(";")
        if not separator:  # Some servers omit the address type: "Final-Recipient: <a@b>".
            kind, address = "rfc822", kind
        address = address.strip().strip("<>").lower()
        if kind.strip().lower() in ("rfc822", "utf-8") and "@" in address:
            return address
    return ""


def _from_flufl(msg: Message, text: str) -> BounceFinding | None:
    if not _has_bounce_hint(msg, text):
        return None  # flufl's loosest detectors match addresses in ordinary replies.
    try:
        temporary, permanent = all_failures(msg)
    except Exception:  # NOTE: flufl detectors can raise on odd input; treat as no finding.
        log.warning("flufl.bounce failed on a message; skipping its detectors", exc_info=True)
        return None
    if not temporary and not permanent:
        return None
    addresses = sorted({_decode_address(a) for a in (*permanent, *temporary)})
    return BounceFinding(addresses, bool(permanent), None, "non-standard bounce (flufl.bounce)")


def _has_bounce_hint(msg: Message, text: str) -> bool:
    """Tell whether anything about ``msg`` suggests a failure report worth scanning."""
    sender = header_to_text(msg.get("From")) + " " + header_to_text(msg.get("Sender"))
    subject = header_to_text(msg.get("Subject"))
    null_sender = msg.get("Return-Path") is not None and header_to_text(
        msg.get("Return-Path")) in ("<>", "")
    return bool(
        null_sender
        or _DAEMON_NAME.search(sender)
        or _FAILURE_SUBJECT.search(subject)
        or _LOOSE_FAILURE_SUBJECT.search(subject)
        or _FAILURE_TEXT.search(text)
        or msg.get_content_type() == "multipart/report"
    )


def _decode_address(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return text.strip().strip("<>").lower()


def _from_heuristics(msg: Message, text: str) -> BounceFinding | None:
    subject = header_to_text(msg.get("Subject"))
    sender = next((addr for _, addr in parse_addresses(msg.get_all("From", []))), "")
    failure_subject = bool(_FAILURE_SUBJECT.search(subject))
    failure_text = bool(_FAILURE_TEXT.search(text))
    if not failure_text or not (failure_subject or _DAEMON.match(sender)):
        return None

    codes = {match.group(1) for match in _STATUS_CODE.finditer(text)}
    addresses = _addresses_in_notice(text, sender) or _original_recipients(msg)
    return BounceFinding(addresses, _permanence(codes), None, "delivery failure notice")


def _addresses_in_notice(text: str, sender: str) -> list[str]:
    found: list[str] = []
    for match in _LEADING_ADDRESS.finditer(text):
        address = match.group(1).lower()
        if address != sender and not _DAEMON.match(address) and address not in found:
            found.append(address)
    return found


def _original_recipients(msg: Message) -> list[str]:
    original = _attached_original(msg)
    if original is None:
        return []
    return [addr for _, addr in parse_addresses(original.get_all("To", []))]


def _attached_original(msg: Message) -> Message | None:
    """Return the returned message (or its headers) attached to a report."""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                return payload[0]
        if ctype in ("text/rfc822-headers", "message/global-headers"):
            return message_from_string(part_text(part).strip() + "\n\n")
    return None


def original_message_id(msg: Message) -> str | None:
    """Return the Message-ID of the message that failed, from the attachment or the text."""
    original = _attached_original(msg)
    if original is not None:
        ids = message_ids(header_to_text(original.get("Message-ID")))
        if ids:
            return ids[0]
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            match = _BODY_MESSAGE_ID.search(part_text(part))
            if match:
                return match.group(1).strip("<>")
    return None
