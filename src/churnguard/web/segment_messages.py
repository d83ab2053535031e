"""Segment messages: validate one ``track``/``identify``/``group`` call and apply it.

Accounts are Segment groups: a ``group`` call links a ``userId`` to the account whose id is
the ``groupId`` (and may update the account's name and plan); ``context.groupId`` on any
call ties that call, and its user, to an account directly. ``identify`` adds or updates the
user's contact on the linked account. ``track`` becomes an event of the linked account, its
type the event name in snake case ("Report Exported" is ``report_exported``). Only ids and
the event name are copied into the event; the whole message stays in the inbox.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from churnguard.clock import ensure_utc
from churnguard.detect.eventstore import EventRecord, event_id
from churnguard.store.inbound_models import SegmentUser
from churnguard.store.models import Account, Contact
from churnguard.web.inbox import InboundItem, InboundStatus

SOURCE = "segment"
HANDLED_TYPES = ("track", "identify", "group")
KEPT_TYPES = ("page", "screen", "alias")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


class MessageError(ValueError):
    """A Segment message that cannot be accepted; the text says which field is wrong."""


@dataclass(frozen=True)
class SegmentMessage:
    type: str
    message_id: str
    user_id: str | None
    group_id: str | None
    occurred_at: datetime
    data: dict[str, Any]


def parse_message(data: Any, received_at: datetime, default_type: str | None = None) -> SegmentMessage:
    """Validate one message and compute its id and time, or raise MessageError."""
    if not isinstance(data, dict):
        raise MessageError("a message must be a JSON object")
    kind = data.get("type", default_type)
    if default_type and kind != default_type:
        raise MessageError(f"field 'type' is {kind!r} but this endpoint takes {default_type!r}")
    if kind not in HANDLED_TYPES + KEPT_TYPES:
        raise MessageError(f"invalid field 'type' {kind!r}; use track, identify or group")

    user_id, anonymous_id = _id(data, "userId"), _id(data, "anonymousId")
    if user_id is None and anonymous_id is None:
        raise MessageError("missing field 'userId' or 'anonymousId'")
    if kind == "track" and not (isinstance(data.get("event"), str) and data["event"].strip()):
        raise MessageError("missing field 'event' (the name of the tracked action)")
    if kind == "group" and _id(data, "groupId") is None:
        raise MessageError("missing field 'groupId'")

    context = data.get("context") if isinstance(data.get("context"), dict) else {}
    group_id = _id(data, "groupId") if kind == "group" else _id(context, "groupId")
    return SegmentMessage(kind, _message_id(data), user_id, group_id, _occurred_at(data, received_at), data)


def _id(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if isinstance(value, bool) or value is None or value == "":
        return None
    if not isinstance(value, (str, int)):
        raise MessageError(f"invalid field '{name}': expected a string")
    text = str(value)
    if len(text) > 200:
        raise MessageError(f"invalid field '{name}': longer than 200 characters")
    return text


def _message_id(data: dict[str, Any]) -> str:
    given = _id(data, "messageId")
    if given is not None:
        return given
    # Without a messageId, the same message sent twice still gets the same id.
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:40]


def _occurred_at(data: dict[str, Any], received_at: datetime) -> datetime:
    """Pick the event time the way Segment does: ``timestamp``, else a skew-corrected client time."""
    timestamp = _time(data, "timestamp")
    if timestamp is not None:
        return timestamp
    original, sent = _time(data, "originalTimestamp"), _time(data, "sentAt")
    if original is not None and sent is not None:
        return received_at - (sent - original)
    return original or received_at


def _time(data: dict[str, Any], name: str) -> datetime | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MessageError(f"invalid field '{name}': expected an ISO 8601 string")
    try:
        return ensure_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise MessageError(f"invalid field '{name}': {value[:40]!r} is not an ISO 8601 time") from None


def event_type(name: str) -> str:
    """Turn a Segment event name into a churnguard event type: ``Signed In`` -> ``signed_in``."""
    slug = _NOT_WORD.sub("_", name.strip().lower()).strip("_")
    return slug[:64] or "track"


def apply_message(session: Session, message: SegmentMessage, raw: bytes, now: datetime) -> InboundItem:
    """Apply one valid message to accounts and contacts and return the inbox item that records it."""
    item = InboundItem(source=SOURCE, external_id=message.message_id, kind=message.type, raw=raw,
                       status=InboundStatus.IGNORED, occurred_at=message.occurred_at,
                       audit_detail={"segment_type": message.type})
    if message.type in KEPT_TYPES:
        item.note = f"{message.type} calls are kept but not used"
        return item

    account = _account(session, message)
    if account is None:
        item.status = InboundStatus.UNMATCHED
        item.note = "no account: send context.groupId or a group call for this user first"
        return item

    item.account_id = account.id
    contact_id = _apply_traits(session, account, message) if message.type != "track" else None
    _link_user(session, message.user_id, account.id, contact_id, now)
    if message.type == "track":
        item.status = InboundStatus.PENDING
        item.event = _event(message, account.id)
    else:
        item.status = InboundStatus.APPLIED
    return item


def _account(session: Session, message: SegmentMessage) -> Account | None:
    if message.group_id is not None:
        return session.get(Account, message.group_id)
    if message.user_id is None:
        return None
    link = session.get(SegmentUser, message.user_id)
    return session.get(Account, link.account_id) if link is not None else None


def _link_user(session: Session, user_id: str | None, account_id: str, contact_id: int | None, now: datetime) -> None:
    if user_id is None:
        return
    link = session.get(SegmentUser, user_id)
    if link is None:
        session.add(SegmentUser(user_id=user_id, account_id=account_id, contact_id=contact_id, updated_at=now))
        session.flush()
        return
    if link.account_id != account_id:
        link.contact_id = None
    link.account_id = account_id
    link.contact_id = contact_id if contact_id is not None else link.contact_id
    link.updated_at = now


def _apply_traits(session: Session, account: Account, message: SegmentMessage) -> int | None:
    traits = message.data.get("traits") if isinstance(message.data.get("traits"), dict) else {}
    if message.type == "group":
        for field in ("name", "plan"):
            if isinstance(traits.get(field), str) and traits[field].strip():
                setattr(account, field, traits[field].strip()[:200])
        return None
    return _upsert_contact(session, account.id, traits, message.data)


def _upsert_contact(session: Session, account_id: str, traits: dict[str, Any], data: dict[str, Any]) -> int | None:
    email = traits.get("email")
    if not isinstance(email, str) or "@" not in email or len(email) > 320:
        return None

    email = email.strip()
    query = select(Contact).where(Contact.account_id == account_id, Contact.email == email)
    contact = session.scalar(query.limit(1))
    if contact is None:
        contact = Contact(account_id=account_id, email=email)
        session.add(contact)

    name = _name(traits)
    if name:
        contact.name = name[:200]
    if isinstance(traits.get("title"), str):
        contact.title = traits["title"][:200]
    context = data.get("context") if isinstance(data.get("context"), dict) else {}
    if isinstance(context.get("timezone"), str) and context["timezone"]:
        contact.timezone = context["timezone"][:64]
    if isinstance(context.get("locale"), str) and context["locale"]:
        contact.language = context["locale"].replace("_", "-").split("-")[0].lower()[:16]
    session.flush()
    return contact.id


def _name(traits: dict[str, Any]) -> str:
    if isinstance(traits.get("name"), str) and traits["name"].strip():
        return traits["name"].strip()
    parts = [traits.get(key) for key in ("firstName", "lastName", "first_name", "last_name")]
    return " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())


def _event(message: SegmentMessage, account_id: str) -> EventRecord:
    quantity = message.data.get("properties", {}).get("quantity") if isinstance(message.data.get("properties"), dict) else None
    if isinstance(quantity, bool) or not isinstance(quantity, (int, float)):
        quantity = 1.0
    properties = {"event": message.data["event"][:200], "user_id": message.user_id, "message_id": message.message_id}
    return EventRecord(event_id(SOURCE, message.message_id), account_id, event_type(message.data["event"]),
                       message.occurred_at, float(quantity), SOURCE, properties)
