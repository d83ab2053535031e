"""Pacing caps across every play: per contact, per account and per agent mailbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from churnguard.store.models import Sequence, Touch

CUSTOMER_KINDS = ("step", "call_offer")


@dataclass(frozen=True)
class Caps:
    contact_min_days: int
    account_max_per_week: int
    mailbox_max_per_day: int


def blocked_until(session: Session, caps: Caps, *, contact_email: str, account_id: str, identity_id: str, now: datetime) -> datetime | None:
    """Return when the next touch may go out under the caps, or None when it may go now."""
    waits: list[datetime] = []

    last_to_contact = session.scalar(
        select(func.max(Touch.sent_at)).where(func.lower(Touch.to_addr) == contact_email.lower(), Touch.kind.in_(CUSTOMER_KINDS))
    )
    if last_to_contact is not None and caps.contact_min_days > 0:
        allowed = last_to_contact + timedelta(days=caps.contact_min_days)
        if allowed > now:
            waits.append(allowed)

    week_ago = now - timedelta(days=7)
    account_sends = list(
        session.scalars(
            select(Touch.sent_at)
            .join(Sequence, Sequence.id == Touch.sequence_id)
            .where(Sequence.account_id == account_id, Touch.kind.in_(CUSTOMER_KINDS), Touch.sent_at > week_ago)
            .order_by(Touch.sent_at)
        )
    )
    if len(account_sends) >= caps.account_max_per_week:
        waits.append(account_sends[-caps.account_max_per_week] + timedelta(days=7))

    day_ago = now - timedelta(days=1)
    mailbox_sends = list(
        session.scalars(
            select(Touch.sent_at).where(Touch.identity_id == identity_id, Touch.sent_at > day_ago).order_by(Touch.sent_at)
        )
    )
    if len(mailbox_sends) >= caps.mailbox_max_per_day:
        waits.append(mailbox_sends[-caps.mailbox_max_per_day] + timedelta(days=1))

    return max(waits) if waits else None

