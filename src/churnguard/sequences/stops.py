"""Stop conditions a play lists in ``stop_when``, checked before every step and on each pass."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from churnguard.detect.eventstore import EventStore
from churnguard.domain import StopReason
from churnguard.plays import Play
from churnguard.store.models import Account, Sequence, SignalRow

# Share of the earlier weekly activity that counts as "usage came back".
USAGE_RECOVERY_SHARE = 0.5

ACTIVITY_SINCE_SQL = """
SELECT COALESCE(SUM({measure}), 0) FROM events
WHERE account_id = :account_id AND occurred_at >= :start AND occurred_at < :end AND type NOT LIKE 'payment%'
  AND type NOT LIKE 'subscription%' AND type NOT LIKE 'stripe.%'"""


def stop_reason(session: Session, events: EventStore, play: Play, sequence: Sequence, now: datetime) -> StopReason | None:
    """Return the first stop condition of ``play`` that holds for ``sequence``, if any."""
    account = session.get(Account, sequence.account_id)
    if account is None:
        return StopReason.NO_CONTACT
    context = sequence.context or {}
    conditions = set(play.stop_when)

    if "account_churned" in conditions and account.status in ("canceled", "churned"):
        return StopReason.ACCOUNT_CHURNED
    if "resubscribed" in conditions and context.get("status") in ("canceled", "churned") and account.status == "active":
        return StopReason.RESUBSCRIBED
    if "payment_recovered" in conditions and _payment_recovered(session, events, account, sequence, context):
        return StopReason.PAYMENT_RECOVERED
    if "renewal_signed" in conditions and _renewed(account, context):
        return StopReason.RENEWAL_SIGNED
    if "usage_recovered" in conditions and _usage_recovered(session, events, sequence, now):
        return StopReason.USAGE_RECOVERED
    return None


PAID_AFTER_SQL = """
SELECT COUNT(*) FROM events
WHERE account_id = :account_id AND type = 'payment_succeeded' AND occurred_at > :after"""


def _payment_recovered(session: Session, events: EventStore, account: Account, sequence: Sequence, context: dict) -> bool:
    """A payment went through after the failure: in the billing events, or in the account's state."""
    if context.get("payment_status") == "failed" and account.payment_status == "ok":
        return True
    signal = session.get(SignalRow, sequence.signal_id) if sequence.signal_id else None
    failed_at = (signal.evidence or {}).get("failed_at") if signal else None
    if not failed_at:
        return False
    rows = events.query(PAID_AFTER_SQL, {"account_id": account.id, "after": datetime.fromisoformat(failed_at)})
    return bool(rows and rows[0][0])


def _renewed(account: Account, context: dict) -> bool:
    if account.attributes and account.attributes.get("renewal_signed"):
        return True
    before = context.get("renewal_date")
    return bool(before and account.renewal_date and account.renewal_date > date.fromisoformat(before))


def _usage_recovered(session: Session, events: EventStore, sequence: Sequence, now: datetime) -> bool:
    """Activity since the sequence started is back to at least half its earlier weekly level.

    Only activity after the start counts, so the signal's own window can never end the
    sequence before it begins; the measure (events or quantity) is the signal's.
    """
    signal = session.get(SignalRow, sequence.signal_id) if sequence.signal_id else None
    evidence = signal.evidence if signal else {}
    window = evidence.get("before_window")
    if not window or not evidence.get("before") or now <= sequence.started_at:
        return False
    start, split = (datetime.fromisoformat(text) for text in window)
    weekly_before = float(evidence["before"]) * 7 / max((split - start).days, 1)
    weeks = max((now - sequence.started_at) / timedelta(days=7), 1.0)

    measure = "quantity" if evidence.get("measure") == "quantity" else "1"
    sql = ACTIVITY_SINCE_SQL.format(measure=measure)
    rows = events.query(sql, {"account_id": sequence.account_id, "start": sequence.started_at, "end": now})
    since = float(rows[0][0]) if rows else 0.0
    return since >= weekly_before * weeks * USAGE_RECOVERY_SHARE
