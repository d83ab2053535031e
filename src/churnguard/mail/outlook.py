"""Outlook conversation headers: ``Thread-Topic`` and ``Thread-Index``.

Exchange and Outlook group a conversation by these two headers. ``Thread-Index`` is the
base64 of a 22-byte header block (one reserved byte 0x01, the top 40 bits of a FILETIME,
a 16-byte GUID) followed by one 5-byte child block per reply. A reply copies the parent's
value and appends a block holding the time since the header block. The layout follows
Microsoft's PidTagConversationIndex description.

NOTE: grouping was not checked against a real Outlook or Exchange; tests check the layout.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime, timezone

from churnguard.mail.message import base_subject, _REPLY_PREFIX

_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)
_HEADER_BYTES = 22
_CHILD_BYTES = 5


def filetime(moment: datetime) -> int:
    """Return ``moment`` in 100-nanosecond ticks since 1601-01-01 UTC."""
    delta = moment.astimezone(timezone.utc) - _FILETIME_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def new_thread_index(now: datetime, seed: str) -> str:
    """Start a conversation index; ``seed`` makes the GUID stable for one touch."""
    stamp = (filetime(now) >> 24).to_bytes(5, "big")
    guid = hashlib.sha256(seed.encode("utf-8")).digest()[:16]
    return base64.b64encode(b"\x01" + stamp + guid).decode("ascii")


def child_thread_index(parent: str, now: datetime, seed: str) -> str | None:
    """Append one child block to ``parent``; None when ``parent`` is not a valid index."""
    try:
        blob = base64.b64decode("".join(parent.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(blob) < _HEADER_BYTES or (len(blob) - _HEADER_BYTES) % _CHILD_BYTES:
        return None

    start = int.from_bytes(blob[1:6], "big") << 24
    delta = max(0, filetime(now) - start)
    if delta >> 49 == 0:
        code = (delta >> 18) & 0x7FFF_FFFF
    else:
        code = 0x8000_0000 | ((delta >> 23) & 0x7FFF_FFFF)
    tail = hashlib.sha256(seed.encode("utf-8")).digest()[0]
    return base64.b64encode(blob + code.to_bytes(4, "big") + bytes([tail])).decode("ascii")


def thread_topic(subject: str) -> str:
    """Return the subject without reply prefixes, as Outlook writes Thread-Topic."""
    return _REPLY_PREFIX.sub("", subject).strip()


def outlook_headers(subject: str, now: datetime, seed: str, *, parent_topic: str = "",
                    parent_index: str = "") -> dict[str, str]:
    """Return Thread-Topic and Thread-Index for a message, continuing the parent's when given.

    The parent's topic is kept when it names the same conversation, so Outlook keeps grouping
    the messages even where the customer's client wrote the topic differently.
    """
    topic = thread_topic(subject)
    if parent_topic and base_subject(parent_topic) == base_subject(topic):
        topic = parent_topic.strip()
    headers = {"Thread-Topic": topic}
    if parent_index:
        child = child_thread_index(parent_index, now, seed)
        if child is not None:
            headers["Thread-Index"] = child
    else:
        headers["Thread-Index"] = new_thread_index(now, seed)
    return headers
