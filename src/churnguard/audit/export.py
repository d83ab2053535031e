"""Export audit entries and their signed checkpoints as JSON lines, for compliance."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from churnguard.clock import ensure_utc
from churnguard.store.models import AuditEvent
from churnguard.store.vault_models import AuditCheckpoint


def entry_json(row: AuditEvent) -> dict:
    return {
        "id": row.id,
        "at": ensure_utc(row.at).isoformat(),
        "type": row.type,
        "identity_id": row.identity_id,
        "authorized_by": row.authorized_by,
        "signal_key": row.signal_key,
        "account_id": row.account_id,
        "sequence_id": row.sequence_id,
        "touch_id": row.touch_id,
        "detail": row.detail,
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


def checkpoint_json(checkpoint: AuditCheckpoint) -> dict:
    return {
        "checkpoint": {
            "upto_id": checkpoint.upto_id,
            "upto_hash": checkpoint.upto_hash,
            "entries": checkpoint.entries,
            "at": ensure_utc(checkpoint.at).isoformat(),
            "public_key": checkpoint.public_key,
            "signature": checkpoint.signature,
        }
    }


def export_lines(session: Session, since: datetime | None = None) -> Iterator[str]:
    """Yield one JSON line per entry at or after ``since``, each checkpoint after the entry it signs."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    checkpoints = {c.upto_id: c for c in session.scalars(select(AuditCheckpoint))}
    for row in session.scalars(query):
        yield json.dumps(entry_json(row), sort_keys=True, default=str)
        if row.id in checkpoints:
            yield json.dumps(checkpoint_json(checkpoints[row.id]), sort_keys=True)
