"""Write and verify audit events.

Each entry stores the hash of the entry before it and a SHA-256 over its own fields plus
that previous hash, so editing, deleting or reordering any entry breaks the chain from
that point on. The database also forbids UPDATE and DELETE on the table (see the first
migration). Entries are written in the caller's transaction, beside the state change they
record, so a rolled-back change leaves no entry behind.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from churnguard.clock import ensure_utc
from churnguard.domain import AuditType
from churnguard.store.models import AuditEvent

GENESIS = "0" * 64
# Any fixed number works; it only has to be the same in every process.
_POSTGRES_LOCK_ID = 7_311_452


@dataclass(frozen=True)
class AuditEntry:
    type: AuditType
    at: datetime
    identity_id: str | None = None
    authorized_by: str | None = None
    signal_key: str | None = None
    account_id: str | None = None
    sequence_id: int | None = None
    touch_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    first_bad_id: int | None = None
    reason: str = ""


def record(session: Session, entry: AuditEntry) -> AuditEvent:
    """Append ``entry`` to the chain inside the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        # Serialize appenders so two transactions cannot both extend the same tail.
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _POSTGRES_LOCK_ID})

    previous = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    prev_hash = previous or GENESIS
    row = AuditEvent(
        at=ensure_utc(entry.at),
        type=entry.type.value,
        identity_id=entry.identity_id,
        authorized_by=entry.authorized_by,
        signal_key=entry.signal_key,
        account_id=entry.account_id,
        sequence_id=entry.sequence_id,
        touch_id=entry.touch_id,
        detail=entry.detail,
        prev_hash=prev_hash,
    )
    row.hash = entry_hash(row, prev_hash)

    session.add(row)
    session.flush()
    return row


def entry_hash(row: AuditEvent, prev_hash: str) -> str:
    """Hash an entry's fields together with the previous entry's hash."""
    fields = {
        "at": ensure_utc(row.at).isoformat(),
        "type": row.type,
        "identity_id": row.identity_id,
        "authorized_by": row.authorized_by,
        "signal_key": row.signal_key,
        "account_id": row.account_id,
        "sequence_id": row.sequence_id,
        "touch_id": row.touch_id,
        "detail": row.detail,
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def verify(session: Session) -> VerifyResult:
    """Walk the chain in id order and report the first entry that does not fit."""
    prev_hash = GENESIS
    count = 0
    for row in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        count += 1
        if row.prev_hash != prev_hash:
            return VerifyResult(False, count, row.id, "previous-hash link broken (entry deleted or reordered)")
        if row.hash != entry_hash(row, prev_hash):
            return VerifyResult(False, count, row.id, "hash mismatch (entry edited)")
        prev_hash = row.hash

    return VerifyResult(True, count)
