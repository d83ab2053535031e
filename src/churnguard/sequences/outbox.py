"""Send each touch exactly once.

A touch is written with its final bytes and Message-ID (state ``pending``) and committed
before the transport sees it. It is marked ``sending`` in its own commit just before the
transport call, and ``sent`` after. A process killed in between leaves ``sending``; the
next pass asks the transport whether a message with that Message-ID went out (the sent
copy or the server's record) before it tries again, so nothing is sent twice or lost.

Revocation: the transport call runs inside a transaction that first re-reads the identity
under a shared row lock (FOR SHARE on PostgreSQL; on SQLite the transaction takes the single
write lock first) and records the send before it commits. ``identity revoke`` takes the
exclusive lock, so it waits for sends in flight, and a send that starts after the revoke
commits sees the revoked identity and cancels the touch instead.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from churnguard.audit import AuditEntry, record
from churnguard.domain import AuditType, TouchState
from churnguard.errors import TransportError
from churnguard.identity import lock_identity, refusal
from churnguard.mail.dkim import DkimKey, sign_message
from churnguard.mail.message import OutboundMessage, build_message
from churnguard.mail.transport import Transport
from churnguard.store.db import Database
from churnguard.store.models import Identity, Sequence, SignalRow, Touch

log = logging.getLogger("churnguard.outbox")

# Touch kinds that belong to a step of an open sequence; they are canceled when the
# sequence ends before they go out. Other kinds (call offers, notes to the CSM) are the
# sequence's last words and still go out after it ends.
STEP_KINDS = frozenset({"step"})


@dataclass(frozen=True)
class PreparedTouch:
    key: str
    kind: str
    message: OutboundMessage
    dkim_key: DkimKey
    # Further signatures (an Ed25519 key beside the RSA one); RSA always signs first.
    extra_keys: tuple[DkimKey, ...] = ()


def envelope_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def prepare(
    session: Session, sequence: Sequence, step_id: int | None, prepared: PreparedTouch, now: datetime
) -> Touch:
    """Store the touch with its signed bytes; return the existing one if the key was used."""
    existing = session.scalar(select(Touch).where(Touch.idempotency_key == prepared.key))
    if existing is not None:
        return existing

    raw = sign_message(build_message(prepared.message), prepared.dkim_key, *prepared.extra_keys)
    touch = Touch(
        idempotency_key=prepared.key,
        message_id=prepared.message.message_id,
        sequence_id=sequence.id,
        step_id=step_id,
        identity_id=sequence.identity_id,
        kind=prepared.kind,
        state=TouchState.PENDING.value,
        to_addr=prepared.message.to_addr,
        envelope_token=envelope_token(prepared.key),
        subject=prepared.message.subject,
        in_reply_to=prepared.message.in_reply_to,
        raw=raw,
        created_at=now,
    )
    session.add(touch)
    session.flush()
    return touch


OnSent = Callable[[Session, Touch, datetime], None]


def _claim(session: Session, touch_id: int, lease: timedelta) -> bool:
    """Move a touch from pending to sending only if it is still pending.

    The condition sits in the UPDATE itself, so of two workers racing for the same touch
    exactly one sees a row changed, whatever the isolation level.
    """
    result = session.execute(
        update(Touch)
        .where(Touch.id == touch_id, Touch.state == TouchState.PENDING.value)
        .values(state=TouchState.SENDING.value, lease_until=datetime.now(timezone.utc) + lease)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount == 1


class Outbox:
    """Deliver pending touches, each through its identity's transport."""

    def __init__(
        self,
        db: Database,
        transport_for: Callable[[str], Transport],
        on_sent: OnSent,
        now: Callable[[], datetime],
        *,
        lease: timedelta = timedelta(minutes=10),
        exclusive: bool = False,
    ) -> None:
        """``lease`` bounds how long a worker may hold a touch in "sending" before another worker
        reconciles it; ``exclusive`` says this is the only worker, so every such touch is stale.
        """
        self.db = db
        self.transport_for = transport_for
        self.on_sent = on_sent
        self.now = now
        self.lease = lease
        self.exclusive = exclusive

    def reconcile(self) -> int:
        """Resolve touches left in ``sending`` by a crash; return how many were settled."""
        with self.db.transaction() as session:
            query = select(Touch.id).where(Touch.state == TouchState.SENDING.value)
            if not self.exclusive:
                wall_now = datetime.now(timezone.utc)
                query = query.where(or_(Touch.lease_until.is_(None), Touch.lease_until < wall_now))
            stuck = list(session.scalars(query))

        settled = 0
        for touch_id in stuck:
            with self.db.transaction() as session:
                touch = session.get(Touch, touch_id)
                if touch is None or touch.state != TouchState.SENDING.value:
                    continue
                transport = self.transport_for(touch.identity_id)
                sent = transport.was_sent(touch.message_id)
                if sent is True:
                    self._mark_sent(session, touch, "reconciled", transport.name)
                    settled += 1
                elif sent is False:
                    touch.state = TouchState.PENDING.value
                    log.info("touch %s was not sent before the crash; it will be sent", touch.id)
                    settled += 1
                else:
                    log.error(
                        "touch %s is in 'sending' and the %s transport cannot tell whether it went out; "
                        "check the mailbox and mark it by hand",
                        touch.id,
                        transport.name,
                    )
        return settled

    def deliver_pending(self) -> int:
        """Send every pending touch; return how many went out."""
        with self.db.transaction() as session:
            pending = list(
                session.scalars(select(Touch.id).where(Touch.state == TouchState.PENDING.value).order_by(Touch.id))
            )
        return sum(1 for touch_id in pending if self.deliver(touch_id))

    def deliver(self, touch_id: int) -> bool:
        """Send one touch if it may still go out; return True when the transport accepted it."""
        with self.db.transaction() as session:
            touch = session.get(Touch, touch_id)
            if touch is None or touch.state != TouchState.PENDING.value:
                return False
            if not self._may_send(session, touch):
                return False
            if not _claim(session, touch_id, self.lease):
                return False  # another worker claimed it between our read and this update
            raw, envelope, recipient, message_id = touch.raw, self._envelope(session, touch), touch.to_addr, touch.message_id
            identity_id = touch.identity_id

        transport = self.transport_for(identity_id)
        with self.db.transaction() as session:
            touch = self._hold_identity(session, touch_id, identity_id)
            if touch is None:
                return False
            try:
                receipt = transport.send(raw or b"", envelope_from=envelope, recipients=[recipient], message_id=message_id)
            except TransportError as exc:
                failure = exc
            else:
                self._mark_sent(session, touch, receipt, transport.name)
                return True
        self._record_failure(touch_id, failure)
        return False

    def _hold_identity(self, session: Session, touch_id: int, identity_id: str) -> Touch | None:
        """Lock out revocation for the rest of this transaction and check the identity again.

        The touch's lease is renewed first: on SQLite that write takes the database's write
        lock, which a revoke needs too, so both dialects order a send and a revoke strictly.
        """
        session.execute(
            update(Touch)
            .where(Touch.id == touch_id)
            .values(lease_until=datetime.now(timezone.utc) + self.lease)
            .execution_options(synchronize_session=False)
        )
        identity = lock_identity(session, identity_id, shared=True)
        touch = session.get(Touch, touch_id, populate_existing=True)
        if touch is None or touch.state != TouchState.SENDING.value:
            return None
        reason = refusal(identity, identity_id, "mail:send")
        if reason is None:
            return touch
        touch.state = TouchState.CANCELED.value
        touch.error = "identity may not act"
        log.info("touch %s canceled before the transport call: identity %s may not send", touch.id, identity_id)
        return None

    def _may_send(self, session: Session, touch: Touch) -> bool:
        identity = session.get(Identity, touch.identity_id)
        sequence = session.get(Sequence, touch.sequence_id)
        reason = None
        if refusal(identity, touch.identity_id, "mail:send") is not None:
            reason = "identity may not act"
        elif touch.kind in STEP_KINDS and (sequence is None or sequence.open_key is None):
            reason = "sequence ended"
        if reason is None:
            return True

        touch.state = TouchState.CANCELED.value
        touch.error = reason
        log.info("touch %s canceled: %s", touch.id, reason)
        return False

    def _envelope(self, session: Session, touch: Touch) -> str:
        identity = session.get(Identity, touch.identity_id)
        assert identity is not None
        local, domain = identity.address.rsplit("@", 1)
        return f"{local}+t-{touch.envelope_token}@{domain}"

    def _mark_sent(self, session: Session, touch: Touch, receipt: str, transport_name: str) -> None:
        now = self.now()
        touch.state = TouchState.SENT.value
        touch.sent_at = now
        touch.receipt = receipt[:400]
        sequence = session.get(Sequence, touch.sequence_id)
        identity = session.get(Identity, touch.identity_id)
        signal = session.get(SignalRow, sequence.signal_id) if sequence and sequence.signal_id else None

        record(
            session,
            AuditEntry(
                type=AuditType.TOUCH_SENT,
                at=now,
                identity_id=touch.identity_id,
                authorized_by=identity.authorized_by if identity else None,
                signal_key=signal.key if signal else None,
                account_id=sequence.account_id if sequence else None,
                sequence_id=touch.sequence_id,
                touch_id=touch.id,
                detail={"kind": touch.kind, "message_id": touch.message_id, "transport": transport_name},
            ),
        )
        self.on_sent(session, touch, now)
        log.info("touch %s sent (sequence %s, kind %s)", touch.id, touch.sequence_id, touch.kind)

    def _record_failure(self, touch_id: int, exc: TransportError) -> None:
        with self.db.transaction() as session:
            touch = session.get(Touch, touch_id)
            assert touch is not None
            touch.error = str(exc)[:2000]
            if exc.retryable:
                touch.state = TouchState.PENDING.value
                log.warning("touch %s: temporary transport failure, will retry: %s", touch_id, exc)
                return

            touch.state = TouchState.FAILED.value
            sequence = session.get(Sequence, touch.sequence_id)
            record(
                session,
                AuditEntry(
                    type=AuditType.TOUCH_FAILED,
                    at=self.now(),
                    identity_id=touch.identity_id,
                    account_id=sequence.account_id if sequence else None,
                    sequence_id=touch.sequence_id,
                    touch_id=touch.id,
                    detail={"kind": touch.kind, "retryable": False},
                ),
            )
            log.error("touch %s failed permanently: %s", touch_id, exc)
