"""Read an agent mailbox incrementally and record each inbound message once.

The folder cursor (UIDVALIDITY and last UID) moves in the same transaction as the reply
row, so a crash in the middle of a batch resumes with the next unprocessed message and
never records one twice.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from churnguard.domain import AuditType, MessageKind, Verdict
from churnguard.errors import MessageParseError
from churnguard.mail.mailbox import Mailbox, MailboxCursor, RawInbound
from churnguard.mail.message import base_subject
from churnguard.replies.classify import Classification
from churnguard.replies.pipeline import ReplyReading, read_reply
from churnguard.sequences import state
from churnguard.store.db import Database
from churnguard.store.mail_models import AutoResponse
from churnguard.store.models import Contact, Identity, MailboxCursorRow, Reply, Sequence, Touch

log = logging.getLogger("churnguard.inbox")

INBOX = "INBOX"
DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024

Act = Callable[[Session, Reply, ReplyReading, Sequence | None, datetime], None]


@dataclass
class InboxReport:
    read: int = 0
    own: int = 0
    duplicates: int = 0
    unreadable: int = 0
    too_large: int = 0
    by_verdict: dict[str, int] = field(default_factory=dict)


def read_mailbox(
    db: Database,
    identity_id: str,
    mailbox: Mailbox,
    act: Act,
    now: datetime,
    *,
    max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    classify: Callable[[str], Classification] | None = None,
) -> InboxReport:
    """Fetch new messages for one identity and record and act on each of them once.

    A message larger than ``max_bytes`` is kept raw, unparsed and unclassified, because
    parsing and classifying tens of megabytes blocks the worker for a minute or more.
    """
    report = InboxReport()
    with db.transaction() as session:
        identity = session.get(Identity, identity_id)
        if identity is None or identity.state != "active":
            return report  # a suspended or revoked identity's mailbox is not read
        address = identity.address.lower()
        cursor = _load_cursor(session, identity_id)

    items, new_cursor = mailbox.fetch_new(INBOX, cursor)
    # Mid-batch the API token stays the one the batch was read with, because a token names a
    # page and not a message. A crash re-reads that page, and the dedupe key skips what is stored.
    batch_token = cursor.token if cursor else None
    for item in items:
        with db.transaction() as session:
            _save_cursor(session, identity_id, MailboxCursor(new_cursor.uidvalidity, item.uid, batch_token))
            if len(item.raw) > max_bytes:
                _keep_unread(session, identity_id, item, now, "too_large", kind="unknown")
                report.too_large += 1
                continue
            try:
                with session.begin_nested():
                    _process(session, identity_id, address, item, act, now, report, classify=classify)
            except Exception as exc:  # one bad message must not stop the mailbox for good
                log.exception("message uid %s of identity %s could not be processed; kept for review", item.uid, identity_id)
                _keep_unread(session, identity_id, item, now, f"processing failed: {type(exc).__name__}")
                report.unreadable += 1

    with db.transaction() as session:
        _save_cursor(session, identity_id, new_cursor)
    return report


def _process(
    session: Session,
    identity_id: str,
    address: str,
    item: RawInbound,
    act: Act,
    now: datetime,
    report: InboxReport,
    *,
    classify: Callable[[str], Classification] | None = None,
) -> None:
    report.read += 1
    try:
        reading = read_reply(item.raw, own_addresses={address}, classify=classify)
    except MessageParseError as exc:
        _keep_unread(session, identity_id, item, now, str(exc))
        report.unreadable += 1
        return

    message_id = angle(reading.message.message_id)
    if reading.kind == MessageKind.OWN or _is_ours(session, message_id):
        report.own += 1
        return

    # The bytes are part of the key: two different messages that share a Message-ID (a
    # broken client) are both kept, while the same message read twice is recorded once.
    dedupe_key = f"{identity_id}:{message_id or ''}:{hashlib.sha256(item.raw).hexdigest()}"
    if session.scalar(select(Reply.id).where(Reply.dedupe_key == dedupe_key)) is not None:
        report.duplicates += 1
        return

    touch = match_touch(session, identity_id, reading)
    sequence = session.get(Sequence, touch.sequence_id) if touch else None
    reply = Reply(
        dedupe_key=dedupe_key,
        message_id=message_id,
        identity_id=identity_id,
        sequence_id=sequence.id if sequence else None,
        touch_id=touch.id if touch else None,
        kind=reading.kind.value,
        verdict=reading.verdict.value,
        confidence=reading.confidence,
        reply_text=reading.reply_text,
        reasons=list(reading.reasons),
        raw=item.raw,
        received_at=now,
    )
    session.add(reply)
    session.flush()
    report.by_verdict[reading.verdict.value] = report.by_verdict.get(reading.verdict.value, 0) + 1

    if sequence is not None:
        detail = {"reply_id": reply.id, "kind": reply.kind, "verdict": reply.verdict, "confidence": round(reply.confidence, 3)}
        state.audit(session, sequence, AuditType.REPLY_RECEIVED, now, detail)
    act(session, reply, reading, sequence, now)
    reply.acted = True
    log.info("reply %s recorded (sequence %s, kind %s, verdict %s)", reply.id, reply.sequence_id, reply.kind, reply.verdict)


def angle(message_id: str | None) -> str | None:
    """Write a Message-ID the way touches store it: in angle brackets."""
    if not message_id:
        return None
    return message_id if message_id.startswith("<") else f"<{message_id}>"


def _is_ours(session: Session, message_id: str | None) -> bool:
    """Return True for a Message-ID we issued: our own copy, wherever it was synced from."""
    if not message_id:
        return False
    return session.scalar(select(Touch.id).where(Touch.message_id == message_id)) is not None


def match_touch(session: Session, identity_id: str, reading: ReplyReading) -> Touch | None:
    """Find the touch a message replies to: In-Reply-To, References, the bounce's ids, then the sender."""
    message = reading.message
    candidates = [message.in_reply_to, *reversed(message.references), reading.original_message_id]
    for candidate in candidates:
        message_id = angle(candidate)
        if not message_id:
            continue
        touch = session.scalar(select(Touch).where(Touch.message_id == message_id, Touch.identity_id == identity_id))
        if touch is not None:
            return touch

    if reading.envelope_token:
        touch = session.scalar(select(Touch).where(Touch.envelope_token == reading.envelope_token))
        if touch is not None and touch.identity_id == identity_id:
            return touch

    if message.in_reply_to or message.references:
        return None  # it answers a conversation that is not ours
    return _match_by_sender(session, identity_id, message.from_addr, message.subject)


def _match_by_sender(session: Session, identity_id: str, sender: str | None, subject: str | None) -> Touch | None:
    """Last resort: the newest touch this identity sent to that address in a thread with the same subject."""
    if not sender or not subject:
        return None
    query = (
        select(Touch)
        .join(Sequence, Sequence.id == Touch.sequence_id)
        .join(Contact, Contact.id == Sequence.contact_id)
        .where(Touch.identity_id == identity_id, func.lower(Touch.to_addr) == sender.lower(), Touch.kind == "step")
        .order_by(Touch.id.desc())
    )
    wanted = base_subject(subject)
    for touch in session.scalars(query):
        if base_subject(touch.subject) == wanted:
            return touch
    return None


def _keep_unread(
    session: Session, identity_id: str, item: RawInbound, now: datetime, reason: str, *, kind: str = "unreadable"
) -> None:
    """Store a message that was not read (unparseable or too large) with its raw bytes, for review."""
    digest = hashlib.sha256(item.raw).hexdigest()
    dedupe_key = f"{identity_id}:{digest}"
    if session.scalar(select(Reply.id).where(Reply.dedupe_key == dedupe_key)) is not None:
        return
    session.add(
        Reply(
            dedupe_key=dedupe_key,
            identity_id=identity_id,
            kind=kind,
            verdict=Verdict.UNKNOWN.value,
            reasons=[reason],
            raw=item.raw,
            received_at=now,
        )
    )
    log.warning("message uid %s in %s (%d bytes) was not read and was kept for review: %s", item.uid, item.folder, len(item.raw), reason)


def _load_cursor(session: Session, identity_id: str) -> MailboxCursor | None:
    row = session.get(MailboxCursorRow, (identity_id, INBOX))
    return MailboxCursor(row.uidvalidity, row.last_uid, row.token) if row else None


def _save_cursor(session: Session, identity_id: str, cursor: MailboxCursor) -> None:
    row = session.get(MailboxCursorRow, (identity_id, INBOX))
    if row is None:
        row = MailboxCursorRow(identity_id=identity_id, folder=INBOX)
        session.add(row)
    row.uidvalidity = cursor.uidvalidity
    row.last_uid = cursor.last_uid
    row.token = cursor.token


def claim_auto_response(
    session: Session, identity_id: str, reply: Reply, reading: ReplyReading, kind: str, now: datetime, period: timedelta
) -> str | None:
    """Record an automatic response to the sender of ``reading``; return why it may not be sent, or None.

    Nothing automatic answers an automatic message, and each sender gets at most one
    automatic response per ``period`` from one identity, so two responders cannot loop. The
    record is written in the caller's transaction, together with the response's touch.
    """
    sender = (reading.message.from_addr or "").strip().lower()
    if reading.kind != MessageKind.HUMAN or not sender:
        return "automatic_message"
    recent = select(AutoResponse.id).where(
        AutoResponse.identity_id == identity_id,
        AutoResponse.recipient == sender,
        AutoResponse.sent_at > now - period,
    )
    if session.scalar(recent.limit(1)) is not None:
        return "auto_response_limit"
    session.add(AutoResponse(identity_id=identity_id, recipient=sender, reply_id=reply.id, kind=kind, sent_at=now))
    return None
