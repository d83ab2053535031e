"""Write and verify audit events.

Each entry stores the hash of the entry before it and a SHA-256 over its own fields plus
that previous hash, so editing, deleting or reordering any entry breaks the chain from
that point on. Every ``CHECKPOINT_EVERY`` entries the head is signed with the workspace's
Ed25519 audit key (see ``checkpoint``), so a chain rewritten end to end still fails to
verify. The database also forbids UPDATE and DELETE on the table (see the first
migration, and ``roles`` for PostgreSQL privileges). Entries are written in the caller's transaction, beside the state change they
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
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from churnguard.audit.checkpoint import CHECKPOINT_EVERY, checkpoint_problem, sign_head, workspace_signer
from churnguard.store.models import AuditEvent
from churnguard.store.vault_models import AuditCheckpoint

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
    checkpoints: int = 0


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
    if row.id % CHECKPOINT_EVERY == 0:
        sign_head(session)
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


def verify(session: Session, public_key: Ed25519PublicKey | None = None) -> VerifyResult:
    """Walk the chain in id order and report the first entry that does not fit.

    Signed checkpoints are checked against ``public_key`` when given, else against the
    workspace's own audit key. When a checkpoint no longer matches, the result names the
    first entry after the last checkpoint that still matches.
    """
    if public_key is None:
        signer = workspace_signer(session)
        public_key = signer.public_key() if signer is not None else None
    checkpoints = {c.upto_id: c for c in session.scalars(select(AuditCheckpoint))}
    prev_hash, count, vouched, checked = GENESIS, 0, 0, 0
    for row in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        count += 1
        if row.prev_hash != prev_hash:
            return VerifyResult(False, count, row.id, "previous-hash link broken (entry deleted or reordered, or one inserted)", checked)
        if row.hash != entry_hash(row, prev_hash):
            return VerifyResult(False, count, row.id, "hash mismatch (entry edited)", checked)
        prev_hash = row.hash

        checkpoint = checkpoints.pop(row.id, None)
        if checkpoint is not None:
            problem = checkpoint_problem(checkpoint, row, count, public_key)
            if problem:
                return VerifyResult(False, count, _first_after(session, vouched), problem, checked)
            vouched, checked = row.id, checked + 1

    if checkpoints:
        missing = min(checkpoints)
        return VerifyResult(False, count, missing, f"entry {missing} is signed by a checkpoint but missing (deleted)", checked)
    return VerifyResult(True, count, checkpoints=checked)


def _first_after(session: Session, entry_id: int) -> int | None:
    return session.scalar(select(AuditEvent.id).where(AuditEvent.id > entry_id).order_by(AuditEvent.id).limit(1))
