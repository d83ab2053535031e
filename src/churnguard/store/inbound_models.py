"""Tables of the webhook inbox: every accepted inbound item, and Segment user links.

The web server writes here and nowhere near the DuckDB event store, because DuckDB lets one
process at a time hold its file for writing while ``churnguard run`` scans it. A row whose
``status`` is ``pending`` carries the event to store in ``event``; the server's flusher
moves it into the event store and marks it ``stored``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, Session, mapped_column

from churnguard.store.models import Base


class InboundEvent(Base):
    """One accepted webhook item with its raw bytes, its outcome and its pending event."""

    __tablename__ = "inbound_events"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_inbound_events_source_external_id"),
        Index("ix_inbound_events_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(100))
    account_id: Mapped[str | None] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(300), default="")
    received_at: Mapped[datetime]
    occurred_at: Mapped[datetime | None]
    stored_at: Mapped[datetime | None]
    event: Mapped[dict[str, Any] | None]
    # NOTE: raw payloads are kept in plaintext until the vault's key provider can encrypt them.
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class SegmentUser(Base):
    """The account (and contact) a Segment ``userId`` belongs to, learned from group and identify calls."""

    __tablename__ = "segment_users"

    user_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(128), index=True)
    contact_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime]


REFERENCE_PREFIX = "inbound:"


def inbound_reference(row_id: int) -> str:
    """Build the reference a signal's evidence uses to point at an inbox row."""
    return f"{REFERENCE_PREFIX}{row_id}"


def load_inbound(session: Session, reference: str) -> InboundEvent | None:
    """Return the inbox row an ``inbound:<id>`` reference points at, or None."""
    prefix, _, number = reference.partition(":")
    if f"{prefix}:" != REFERENCE_PREFIX or not number.isdigit():
        return None
    return session.get(InboundEvent, int(number))


def cancel_reason_text(row: InboundEvent) -> str:
    """Return the reason text a kept cancel-form submission carries, or "" when it has none."""
    try:
        data = json.loads(row.raw)
    except ValueError:
        return ""
    text = data.get("reason_text") if isinstance(data, dict) else None
    return text if isinstance(text, str) else ""
