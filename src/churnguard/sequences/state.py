"""Sequence state changes, each audited in the same transaction."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from churnguard.audit import AuditEntry, record
from churnguard.domain import AuditType, SequenceState, StopReason
from churnguard.store.models import Identity, Sequence, SignalRow

log = logging.getLogger("churnguard.sequences")


def _audit(session: Session, sequence: Sequence, type_: AuditType, now: datetime, detail: dict) -> None:
    identity = session.get(Identity, sequence.identity_id)
    signal = session.get(SignalRow, sequence.signal_id) if sequence.signal_id else None
    record(
        session,
        AuditEntry(
            type=type_,
            at=now,
            identity_id=sequence.identity_id,
            authorized_by=identity.authorized_by if identity else None,
            signal_key=signal.key if signal else None,
            account_id=sequence.account_id,
            sequence_id=sequence.id,
            detail=detail,
        ),
    )


def close(session: Session, sequence: Sequence, state: SequenceState, now: datetime, reason: str | None) -> None:
    """End a sequence: it leaves the open set, so the play may run again for the account later."""
    if sequence.open_key is None:
        return
    sequence.state = state.value
    sequence.open_key = None
    sequence.due_at = None
    sequence.stop_reason = reason
    sequence.updated_at = now

    audit_type = {
        SequenceState.COMPLETED: AuditType.SEQUENCE_COMPLETED,
        SequenceState.HANDED_OFF: AuditType.HANDOFF,
    }.get(state, AuditType.SEQUENCE_STOPPED)
    _audit(session, sequence, audit_type, now, {"state": state.value, "reason": reason})
    log.info("sequence %s is %s (%s)", sequence.id, state.value, reason or "-")


def stop(session: Session, sequence: Sequence, reason: StopReason, now: datetime) -> None:
    close(session, sequence, SequenceState.STOPPED, now, reason.value)


def schedule(sequence: Sequence, state: SequenceState, due_at: datetime | None, now: datetime) -> None:
    sequence.state = state.value
    sequence.due_at = due_at
    sequence.updated_at = now


def audit(session: Session, sequence: Sequence, type_: AuditType, now: datetime, detail: dict) -> None:
    _audit(session, sequence, type_, now, detail)
