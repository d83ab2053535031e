"""Key and ownership operations: rotate, shred, move an account to another identity."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from churnguard.audit import AuditEntry, record
from churnguard.domain import AuditType, SequenceState, TouchState
from churnguard.errors import StateError
from churnguard.keyprovider import create_master_key
from churnguard.store.db import Database
from churnguard.store.models import Account, Identity, Reply, Sequence, Touch
from churnguard.store.vault_models import DataKey
from churnguard.vault.keyring import ACTIVE, RETIRED, SHREDDED, wrap_aad
from churnguard.vault.sealing import keyring_for, mark_for_reseal


def shred(session: Session, owner: str, now: datetime, *, by: str | None = None) -> int:
    """Destroy every version of ``owner``'s data key; return how many were destroyed."""
    rows = list(session.scalars(select(DataKey).where(DataKey.owner == owner)))
    for row in rows:
        row.wrapped = None
        row.state = SHREDDED
        row.retired_at = now
    keyring_for(session.get_bind()).forget(owner)
    record(session, AuditEntry(AuditType.KEY_SHREDDED, now, identity_id=owner, authorized_by=by, detail={"versions": [r.version for r in rows]}))
    return len(rows)


def rotate_data_key(session: Session, owner: str, now: datetime, *, by: str | None = None) -> int:
    """Start a new version of ``owner``'s data key; older data stays readable under the old one."""
    rows = list(session.scalars(select(DataKey).where(DataKey.owner == owner).order_by(DataKey.version)))
    if any(row.state == SHREDDED for row in rows):
        raise StateError(f"the data key of {owner!r} was shredded; it cannot be rotated")
    for row in rows:
        if row.state == ACTIVE:
            row.state, row.retired_at = RETIRED, now
    ring = keyring_for(session.get_bind())
    version = (rows[-1].version + 1) if rows else 1
    session.add(ring.new_row(owner, version, now))
    ring.forget(owner)
    record(session, AuditEntry(AuditType.KEY_ROTATED, now, identity_id=owner, authorized_by=by, detail={"kind": "data", "version": version}))
    return version


def rotate_master(db: Database, keys_dir: Path, *, by: str | None = None) -> tuple[str, int]:
    """Make a new master key current and re-wrap every data key under it, one row at a time.

    Readers keep working throughout: each row names the master key that wraps it, and both
    keys stay in the key folder. Returns the new key id and how many data keys were re-wrapped.
    """
    new_id, _ = create_master_key(keys_dir)
    ring = keyring_for(db.engine)
    ring._provider = None  # re-read the folder, now with the new current key
    with db.session() as session:
        ids = list(session.execute(select(DataKey.owner, DataKey.version).where(DataKey.wrapped.is_not(None))))

    moved = 0
    for owner, version in ids:
        with db.transaction() as session:
            row = session.get(DataKey, (owner, version), with_for_update=True)
            if row is None or row.wrapped is None or row.master_key_id == new_id:
                continue
            plain = ring.provider.unwrap(row.master_key_id, row.wrapped, wrap_aad(owner, version))
            row.master_key_id, row.wrapped = ring.provider.wrap(plain, wrap_aad(owner, version))
            moved += 1
    with db.transaction() as session:
        now = datetime.now(timezone.utc)
        record(session, AuditEntry(AuditType.KEY_ROTATED, now, authorized_by=by, detail={"kind": "master", "master_key_id": new_id, "rewrapped": moved}))
    return new_id, moved


@dataclass
class Moved:
    sequences: list[int] = field(default_factory=list)
    canceled_touches: list[int] = field(default_factory=list)


def cancel_pending(session: Session, touch: Touch, reason: str) -> None:
    """Cancel a touch that never reached the transport and free its key for a new owner."""
    mark_for_reseal([touch])
    touch.state = TouchState.CANCELED.value
    touch.error = reason
    touch.idempotency_key = f"{touch.idempotency_key}:released:{touch.id}"
    touch.envelope_token = hashlib.sha256(touch.idempotency_key.encode()).hexdigest()[:20]
    touch.message_id = f"<released.{touch.id}.{touch.message_id.strip('<>')}>"


def move_sequence(session: Session, sequence: Sequence, target: Identity, now: datetime, moved: Moved) -> None:
    """Hand an open sequence to ``target``: its unsent step is drafted again by the new owner."""
    pending = list(session.scalars(select(Touch).where(Touch.sequence_id == sequence.id, Touch.state == TouchState.PENDING.value)))
    for touch in pending:
        cancel_pending(session, touch, "identity revoked; the new owner drafts it again")
        moved.canceled_touches.append(touch.id)
    sequence.identity_id = target.id
    if pending and sequence.state in (SequenceState.SCHEDULED.value, SequenceState.WAITING.value):
        sequence.state, sequence.due_at = SequenceState.SCHEDULED.value, now
    sequence.updated_at = now
    mark_for_reseal([sequence])
    mark_for_reseal(session.scalars(select(Touch).where(Touch.sequence_id == sequence.id)))
    mark_for_reseal(session.scalars(select(Reply).where(Reply.sequence_id == sequence.id)))
    moved.sequences.append(sequence.id)


def reassign_account(session: Session, account_id: str, target: Identity, now: datetime, *, by: str | None = None) -> Moved:
    """Move an account, its open sequences and their history to ``target``, sealed under its key."""
    account = session.get(Account, account_id)
    if account is None:
        raise StateError(f"account {account_id!r} not found")
    previous = account.owner_identity_id
    account.owner_identity_id = target.id  # the flush re-seals the account, its contacts and signals
    moved = Moved()
    query = select(Sequence).where(Sequence.account_id == account_id, Sequence.open_key.is_not(None))
    for sequence in session.scalars(query):
        move_sequence(session, sequence, target, now, moved)
    record(
        session,
        AuditEntry(
            AuditType.ACCOUNT_REASSIGNED, now, identity_id=target.id, authorized_by=by, account_id=account_id,
            detail={"from": previous, "to": target.id, "sequences": moved.sequences, "canceled_touches": moved.canceled_touches},
        ),
    )
    return moved
