"""The webhook inbox: record each inbound item once, then move its event into the event store.

Why an inbox: DuckDB (the default event store) lets one process at a time open its file for
writing, and ``churnguard run`` opens it on every pass. So a request never writes DuckDB. It
commits the item, its raw bytes, any account or contact change and its audit entry to the
state database in one transaction, and answers. ``flush_inbox`` then adds the pending events
to the event store, and leaves them pending when the store is busy, to be retried. Adding is
idempotent by event id, so a crash between adding and marking a row stored loses nothing and
doubles nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from churnguard.audit import AuditEntry, record
from churnguard.detect.eventstore import EventRecord, open_event_store
from churnguard.domain import AuditType, Described
from churnguard.store.inbound_models import InboundEvent
from churnguard.workspace import Workspace

log = logging.getLogger("churnguard.web.inbox")

_FLUSH_BATCH = 1000


class InboundStatus(Described):
    PENDING = "pending", "accepted; its event waits to be added to the event store"
    STORED = "stored", "accepted; its event is in the event store"
    APPLIED = "applied", "accepted; it changed an account or contact and carries no event"
    IGNORED = "ignored", "accepted and kept, but of a type churnguard does not act on"
    UNMATCHED = "unmatched", "accepted and kept, but no account matches it"
    REJECTED = "rejected", "kept for inspection only: it failed validation (note says why)"


@dataclass
class InboundItem:
    """One item to record: where it came from, its id there, its raw bytes and its outcome."""

    source: str
    external_id: str
    kind: str
    raw: bytes
    status: InboundStatus
    account_id: str | None = None
    note: str = ""
    occurred_at: datetime | None = None
    event: EventRecord | None = None
    audit_detail: dict[str, Any] = field(default_factory=dict)


def find_inbound(session: Session, source: str, external_id: str) -> InboundEvent | None:
    return session.scalar(select(InboundEvent).where(InboundEvent.source == source, InboundEvent.external_id == external_id))


def record_inbound(session: Session, item: InboundItem, now: datetime) -> InboundEvent | None:
    """Insert ``item`` and audit it in the caller's transaction; return None for a duplicate id.

    A savepoint around the insert lets a concurrent request with the same id lose the race
    without rolling back the caller's transaction.
    """
    if find_inbound(session, item.source, item.external_id) is not None:
        return None

    row = InboundEvent(
        source=item.source,
        external_id=item.external_id,
        kind=item.kind[:100],
        account_id=item.account_id,
        status=item.status.value,
        note=item.note[:300],
        received_at=now,
        occurred_at=item.occurred_at,
        stored_at=None,
        event=_event_json(item.event) if item.event is not None else None,
        raw=item.raw,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None

    if item.status is not InboundStatus.REJECTED:
        _audit(session, row, item, now)
    return row


def _audit(session: Session, row: InboundEvent, item: InboundItem, now: datetime) -> None:
    detail = {
        "source": row.source,
        "inbound_id": row.id,
        "external_id": row.external_id,
        "kind": row.kind,
        "status": row.status,
        **item.audit_detail,
    }
    record(session, AuditEntry(type=AuditType.WEBHOOK_RECEIVED, at=now, account_id=row.account_id, detail=detail))


def _event_json(event: EventRecord) -> dict[str, Any]:
    return {
        "id": event.id,
        "account_id": event.account_id,
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "quantity": float(event.quantity),
        "source": event.source,
        "properties": event.properties,
    }


def _event_record(data: dict[str, Any]) -> EventRecord:
    return EventRecord(
        id=data["id"],
        account_id=data["account_id"],
        type=data["type"],
        occurred_at=datetime.fromisoformat(data["occurred_at"]),
        quantity=float(data["quantity"]),
        source=data["source"],
        properties=dict(data["properties"]),
    )


@dataclass
class FlushResult:
    stored: int = 0
    pending: int = 0
    error: str | None = None


def flush_inbox(workspace: Workspace, *, batch: int = _FLUSH_BATCH) -> FlushResult:
    """Add every pending inbox event to the event store and mark its row stored.

    When the event store cannot be opened (DuckDB held by another process), the rows stay
    pending and ``error`` says why; the next call retries them.
    """
    result = FlushResult()
    while True:
        with workspace.db.session() as session:
            rows = list(session.execute(
                select(InboundEvent.id, InboundEvent.event)
                .where(InboundEvent.status == InboundStatus.PENDING.value)
                .order_by(InboundEvent.id)
                .limit(batch)
            ))
        if not rows:
            return result

        try:
            open_event_store(workspace).add(_event_record(event) for _, event in rows)
        except duckdb.Error as exc:
            result.pending = _count_pending(workspace)
            result.error = f"event store busy or unavailable ({type(exc).__name__}); {result.pending} events stay pending"
            log.warning("inbox flush deferred: %s", result.error)
            return result

        _mark_stored(workspace, [row_id for row_id, _ in rows])
        result.stored += len(rows)
        if len(rows) < batch:
            return result


def _mark_stored(workspace: Workspace, ids: list[int]) -> None:
    with workspace.db.transaction() as session:
        session.execute(
            update(InboundEvent)
            .where(InboundEvent.id.in_(ids), InboundEvent.status == InboundStatus.PENDING.value)
            .values(status=InboundStatus.STORED.value, stored_at=workspace.clock.now())
        )


def _count_pending(workspace: Workspace) -> int:
    with workspace.db.session() as session:
        query = select(func.count()).select_from(InboundEvent).where(InboundEvent.status == InboundStatus.PENDING.value)
        return int(session.scalar(query) or 0)
