"""Tables of sentiment intake: one row per ticket, survey response or scored inbound mail.

The text of a record (subject, body, comment, the requester's address and the phrases the
model picked) is account data: it lives only in ``sealed``, an AES-256-GCM ciphertext under
the data key of the account's owner, written and read by ``churnguard.sentiment.records``.
The plain columns hold ids, dates, scores and states, which detection and listings need.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from churnguard.store.models import Base


class SentimentRecord(Base):
    """A ticket, a survey response or a cold inbound message, matched to an account or kept unmatched."""

    __tablename__ = "sentiment_records"
    __table_args__ = (
        UniqueConstraint("source", "kind", "external_id", name="uq_sentiment_records_source_kind_external_id"),
        Index("ix_sentiment_records_account_time", "account_id", "occurred_at"),
        Index("ix_sentiment_records_match", "match"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # ticket, survey or mail
    external_id: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[str | None] = mapped_column(String(128))
    contact_id: Mapped[int | None] = mapped_column(Integer)
    match: Mapped[str] = mapped_column(String(16))  # account_id, address, domain or unmatched
    note: Mapped[str] = mapped_column(String(300), default="")
    occurred_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(32), default="")
    priority: Mapped[str] = mapped_column(String(32), default="")
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    survey_type: Mapped[str] = mapped_column(String(8), default="")  # nps or csat
    survey_score: Mapped[float | None] = mapped_column(Float)
    satisfaction: Mapped[str] = mapped_column(String(16), default="")
    sentiment: Mapped[float | None] = mapped_column(Float)
    sentiment_label: Mapped[str] = mapped_column(String(16), default="")
    language: Mapped[str] = mapped_column(String(8), default="")
    key_owner: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
