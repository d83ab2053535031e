"""Tables of the mail layer: the automatic responses sent, which limit how often we answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from churnguard.store.models import Base


class AutoResponse(Base):
    """One automatic response (such as a call offer) sent to an address because of its message.

    A second automatic response to the same address from the same identity is allowed only
    after ``mail.auto_response_period_hours``, so two automatic mailers cannot start a loop.
    """

    __tablename__ = "auto_responses"
    __table_args__ = (Index("ix_auto_responses_identity_recipient_sent", "identity_id", "recipient", "sent_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    identity_id: Mapped[str] = mapped_column(ForeignKey("identities.id"))
    recipient: Mapped[str] = mapped_column(String(320))
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"))
    kind: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime]
