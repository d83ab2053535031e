"""Advance due sequences: claim them, check stops, windows and caps, then queue the step's touch.

Workers claim due sequences with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any
number of workers share the work; a lease left by a killed worker expires and another takes
over). Leases run on wall-clock time, due times on the program's clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from churnguard.config import Settings
from churnguard.detect.eventstore import EventStore
from churnguard.domain import AuditType, SequenceState, StepKind, StopReason
from churnguard.errors import StateError
from churnguard.identity import IdentitySuspended, require_active
from churnguard.plays import Play, PlayBook
from churnguard.sequences import pacing, state
from churnguard.sequences.approvals import needs_approval, queue_draft
from churnguard.sequences.drafting import Drafter, DraftRejected, UsageLookup
from churnguard.sequences.messages import Sender
from churnguard.sequences.outbox import prepare
from churnguard.sequences.stops import stop_reason
from churnguard.sequences.timing import after_wait, next_send_time, parse_holidays
from churnguard.store.db import Database
from churnguard.store.models import Account, Identity, Sequence, SignalRow, Step, Touch
from churnguard.vault import AccountFacts, ContactFacts, vault_get

log = logging.getLogger("churnguard.sequences")

DUE_STATES = (SequenceState.SCHEDULED.value, SequenceState.WAITING.value, SequenceState.PAUSED.value)
SenderLookup = Callable[[Session, str], Sender]
CLAIM_BATCH = 200


@dataclass
class StepRunner:
    db: Database
    settings: Settings
    playbook: PlayBook
    events: EventStore
    sender_for: SenderLookup
    usage_before: UsageLookup
    worker_id: str = "worker"
    lease: timedelta = timedelta(minutes=5)
    drafter: Drafter = field(init=False)

    def __post_init__(self) -> None:
        self.drafter = Drafter(self.settings, self.usage_before)
        self.holidays = parse_holidays(str(self.settings["send.holidays"]))
        self.caps = pacing.Caps(
            contact_min_days=0,
            account_max_per_week=int(self.settings["pacing.account_max_per_week"]),
            mailbox_max_per_day=int(self.settings["pacing.mailbox_max_per_day"]),
        )

    # -- claiming ---------------------------------------------------------------------

    def claim_due(self, now: datetime, limit: int = CLAIM_BATCH) -> list[int]:
        """Lease up to ``limit`` due sequences for this worker and return their ids."""
        wall_now = datetime.now(timezone.utc)
        with self.db.transaction() as session:
            query = (
                select(Sequence.id)
                .where(
                    Sequence.open_key.is_not(None),
                    Sequence.state.in_(DUE_STATES),
                    Sequence.due_at <= now,
                    or_(Sequence.lease_until.is_(None), Sequence.lease_until < wall_now),
                )
                .order_by(Sequence.due_at, Sequence.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            ids = list(session.scalars(query))
            if ids:
                session.execute(
                    update(Sequence)
                    .where(Sequence.id.in_(ids))
                    .values(lease_owner=self.worker_id, lease_until=wall_now + self.lease)
                    .execution_options(synchronize_session=False)
                )
        return ids

    def advance_due(self, now: datetime) -> int:
        """Queue the touch of every due step; return how many sequences were handled."""
        handled = 0
        while True:
            claimed = self.claim_due(now)
            for sequence_id in claimed:
                with self.db.transaction() as session:
                    sequence = session.get(Sequence, sequence_id)
                    if sequence is not None and sequence.lease_owner == self.worker_id:
                        if sequence.open_key is not None:
                            self._advance(session, sequence, now)
                        sequence.lease_owner = None
                        sequence.lease_until = None
                        handled += 1
            if len(claimed) < CLAIM_BATCH:
                return handled

    # -- one step ---------------------------------------------------------------------

    def _advance(self, session: Session, sequence: Sequence, now: datetime) -> None:
        identity = session.get(Identity, sequence.identity_id)
        if identity is not None and identity.state == "suspended":
            state.schedule(sequence, SequenceState(sequence.state), now + timedelta(hours=1), now)
            return  # resumes with the identity
        try:
            identity = require_active(session, sequence.identity_id, "mail:send")
        except IdentitySuspended:
            return  # the sequence waits until the identity is resumed
        except StateError:
            state.stop(session, sequence, StopReason.IDENTITY_REVOKED, now)
            return

        if sequence.state == SequenceState.PAUSED.value:
            sequence.state = SequenceState.SCHEDULED.value
            state.audit(session, sequence, AuditType.SEQUENCE_RESUMED, now, {"step_index": sequence.step_index})

        play = self.playbook.get(sequence.play)
        if play is None or not play.enabled:
            state.stop(session, sequence, StopReason.PLAY_REMOVED, now)
            return
        reason = stop_reason(session, self.events, play, sequence, now)
        if reason is not None:
            self._stop(session, sequence, reason, now)
            return

        facts = vault_get(session, identity, sequence.account_id)
        contact = _writable_contact(facts, sequence.contact_id) if facts else None
        if facts is None or contact is None:
            state.stop(session, sequence, StopReason.NO_CONTACT, now)
            return
        sequence.contact_id = contact.id

        step = session.scalar(select(Step).where(Step.sequence_id == sequence.id, Step.index == sequence.step_index))
        if step is None:
            state.close(session, sequence, SequenceState.COMPLETED, now, None)
            return

        if step.kind == StepKind.HANDOFF.value:
            self._queue_handoff(session, sequence, step, facts, now)
        elif self._may_write_now(session, sequence, play, contact, now):
            self._queue_touch(session, sequence, step, play, facts, contact, now)

    def _may_write_now(self, session: Session, sequence: Sequence, play: Play, contact: ContactFacts, now: datetime) -> bool:
        """Reschedule into the contact's send window and under the pacing caps; True when it may go now."""
        earliest = next_send_time(now, play.send_window, contact.timezone, self.holidays)

        caps = pacing.Caps(play.pacing.min_days_between_touches, self.caps.account_max_per_week, self.caps.mailbox_max_per_day)
        blocked = pacing.blocked_until(
            session, caps, contact_email=contact.email, account_id=sequence.account_id, identity_id=sequence.identity_id, now=now
        )
        if blocked is not None:
            earliest = max(earliest, next_send_time(blocked, play.send_window, contact.timezone, self.holidays))

        if earliest <= now:
            return True
        state.schedule(sequence, SequenceState(sequence.state), earliest, now)
        log.info("sequence %s waits for its send window or pacing until %s", sequence.id, earliest.isoformat())
        return False

    def _queue_touch(self, session, sequence, step, play, facts, contact, now) -> None:  # type: ignore[no-untyped-def]
        sender = self.sender_for(session, sequence.identity_id)
        try:
            prepared = self.drafter.step_touch(session, sequence, step, play, facts, contact, sender, now)
        except DraftRejected as exc:
            log.error("sequence %s: draft rejected by the guard (%s); handing off", sequence.id, exc)
            state.close(session, sequence, SequenceState.HANDED_OFF, now, "draft_rejected")
            return

        account = session.get(Account, sequence.account_id)
        policy = needs_approval(self.playbook, play, account) if account else None
        if policy is not None:
            queue_draft(session, sequence, step.id, prepared, policy, now)
            return
        prepare(session, sequence, step.id, prepared, now)
        state.schedule(sequence, SequenceState(sequence.state), None, now)
        if sequence.play == "failed_payment" and account is not None:
            _record_dunning(account, step.index + 1)

    def _queue_handoff(self, session: Session, sequence: Sequence, step: Step, facts: AccountFacts, now: datetime) -> None:
        sender = self.sender_for(session, sequence.identity_id)
        prepared = self.drafter.handoff(session, sequence, step, facts, sender, now)
        if prepared is None:
            state.stop(session, sequence, StopReason.NO_CONTACT, now)
            return
        prepare(session, sequence, step.id, prepared, now)
        state.schedule(sequence, SequenceState(sequence.state), None, now)

    def _stop(self, session: Session, sequence: Sequence, reason: StopReason, now: datetime) -> None:
        if reason == StopReason.PAYMENT_RECOVERED:
            account = session.get(Account, sequence.account_id)
            if account is not None:
                account.payment_status = "ok"
                account.attributes = {k: v for k, v in (account.attributes or {}).items() if k != "dunning_step"}
        state.stop(session, sequence, reason, now)

    # -- after a send -----------------------------------------------------------------

    def on_sent(self, session: Session, touch: Touch, now: datetime) -> None:
        """Move the sequence on once the transport accepted its step's touch."""
        sequence = session.get(Sequence, touch.sequence_id)
        step = session.get(Step, touch.step_id) if touch.step_id else None
        if sequence is None or step is None or sequence.open_key is None:
            return

        step.state = "done"
        step.done_at = now
        if touch.kind == "handoff":
            state.close(session, sequence, SequenceState.HANDED_OFF, now, "no_reply")
            return

        sequence.step_index = step.index + 1
        following = session.scalar(select(Step).where(Step.sequence_id == sequence.id, Step.index == step.index + 1))
        if following is None:
            state.close(session, sequence, SequenceState.COMPLETED, now, None)
            return
        following.due_at = self._following_due(session, sequence, following, now)
        state.schedule(sequence, SequenceState.WAITING, following.due_at, now)

    def _following_due(self, session: Session, sequence: Sequence, following: Step, now: datetime) -> datetime:
        play = self.playbook.get(sequence.play)
        contact_zone = _contact_zone(session, sequence)
        if play is None:
            return now + timedelta(days=following.wait_days)

        due = after_wait(now, following.wait_days, play.send_window, contact_zone, self.holidays)
        retry = _next_billing_retry(session, sequence)
        if retry is not None and following.kind == StepKind.TOUCH.value:
            # Remind the day before the billing system tries the card again.
            before_retry = next_send_time(retry - timedelta(days=1), play.send_window, contact_zone, self.holidays)
            if now < before_retry < due:
                due = before_retry
        return due

    # -- sweep ------------------------------------------------------------------------

    def sweep_stops(self, now: datetime) -> int:
        """Check stop conditions of every open sequence that is not due (events may have arrived)."""
        stopped = 0
        with self.db.transaction() as session:
            open_ids = list(session.scalars(select(Sequence.id).where(Sequence.open_key.is_not(None))))
        for sequence_id in open_ids:
            with self.db.transaction() as session:
                sequence = session.get(Sequence, sequence_id)
                play = self.playbook.get(sequence.play) if sequence else None
                if sequence is None or play is None or sequence.open_key is None:
                    continue
                reason = stop_reason(session, self.events, play, sequence, now)
                if reason is not None:
                    self._stop(session, sequence, reason, now)
                    stopped += 1
        return stopped


def _writable_contact(facts: AccountFacts, contact_id: int) -> ContactFacts | None:
    for contact in facts.contacts:
        if contact.id == contact_id and not contact.suppressed:
            return contact
    return facts.main_contact


def _contact_zone(session: Session, sequence: Sequence) -> str:
    from churnguard.store.models import Contact

    contact = session.get(Contact, sequence.contact_id)
    return contact.timezone if contact else "UTC"


def _next_billing_retry(session: Session, sequence: Sequence) -> datetime | None:
    signal = session.get(SignalRow, sequence.signal_id) if sequence.signal_id else None
    attempt = (signal.evidence or {}).get("next_payment_attempt") if signal else None
    if not attempt:
        return None
    if isinstance(attempt, (int, float)):
        return datetime.fromtimestamp(attempt, timezone.utc)
    return datetime.fromisoformat(str(attempt))


def _record_dunning(account: Account, step_number: int) -> None:
    """Note the dunning step on the account record; no one is paged for it."""
    attributes = dict(account.attributes or {})
    attributes["dunning_step"] = step_number
    account.attributes = attributes
    account.payment_status = "failed"
