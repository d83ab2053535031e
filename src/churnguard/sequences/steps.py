"""Advance due sequences: compose and queue the next step's touch, and move on once it is sent."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from churnguard.compose import DraftContext, GuardViolation, compose
from churnguard.config import Settings
from churnguard.domain import SequenceState, StepKind, StopReason
from churnguard.errors import StateError
from churnguard.identity import require_active
from churnguard.mail.message import reply_subject, thread_references
from churnguard.sequences import messages, state
from churnguard.sequences.messages import Sender
from churnguard.sequences.outbox import prepare
from churnguard.store.db import Database
from churnguard.store.models import Human, Sequence, SignalRow, Step, Touch
from churnguard.vault import AccountFacts, ContactFacts, vault_get

log = logging.getLogger("churnguard.sequences")

DUE_STATES = (SequenceState.SCHEDULED.value, SequenceState.WAITING.value, SequenceState.PAUSED.value)

UsageLookup = Callable[[str, dict], tuple[tuple[str, int], ...]]
SenderLookup = Callable[[Session, str], Sender]


@dataclass
class StepRunner:
    db: Database
    settings: Settings
    sender_for: SenderLookup
    usage_before: UsageLookup

    def advance_due(self, now: datetime) -> int:
        """Queue the touch of every due step; return how many sequences moved."""
        with self.db.transaction() as session:
            due = list(
                session.scalars(
                    select(Sequence.id)
                    .where(Sequence.open_key.is_not(None), Sequence.state.in_(DUE_STATES), Sequence.due_at <= now)
                    .order_by(Sequence.due_at, Sequence.id)
                )
            )

        moved = 0
        for sequence_id in due:
            with self.db.transaction() as session:
                sequence = session.get(Sequence, sequence_id)
                if sequence is not None and sequence.open_key is not None:
                    self._advance(session, sequence, now)
                    moved += 1
        return moved

    def _advance(self, session: Session, sequence: Sequence, now: datetime) -> None:
        try:
            identity = require_active(session, sequence.identity_id, "mail:send")
        except StateError:
            state.stop(session, sequence, StopReason.IDENTITY_REVOKED, now)
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

        sender = self.sender_for(session, identity.id)
        if step.kind == StepKind.HANDOFF.value:
            prepared = self._handoff(session, sequence, step, facts, sender, now)
        else:
            prepared = self._step_touch(session, sequence, step, facts, contact, sender, now)
        if prepared is None:
            return

        prepare(session, sequence, step.id, prepared, now)
        state.schedule(sequence, SequenceState(sequence.state), None, now)

    def _step_touch(self, session, sequence, step, facts, contact, sender, now):  # type: ignore[no-untyped-def]
        signal = session.get(SignalRow, sequence.signal_id) if sequence.signal_id else None
        evidence = dict(signal.evidence) if signal else {}
        csm = session.get(Human, sender.identity.csm_id)
        context = DraftContext(
            facts=facts,
            contact=contact,
            csm_name=csm.name if csm else sender.identity.display_name,
            company_name=self.settings["company_name"],
            play=sequence.play,
            angle=step.angle,
            today=now.date(),
            evidence=evidence,
            usage_before=self.usage_before(sequence.account_id, evidence),
            update_card_url=self.settings["plays.failed_payment.update_card_url"],
        )

        earlier = _sent_to_contact(session, sequence)
        try:
            draft = compose(context, thread_subject=reply_subject(sequence.subject) if earlier else None)
        except GuardViolation as exc:
            log.error("sequence %s: draft rejected by the guard (%s); handing off", sequence.id, exc)
            state.close(session, sequence, SequenceState.HANDED_OFF, now, "draft_rejected")
            return None

        if not sequence.subject:
            sequence.subject = draft.subject
        parent = earlier[-1].message_id if earlier else None
        chain = thread_references([t.message_id for t in earlier[:-1]], parent) if parent else []
        return messages.to_contact(
            sender,
            key=f"seq:{sequence.id}:step:{step.index}:contact:{contact.id}",
            kind="step",
            contact_id=contact.id,
            to_addr=contact.email,
            to_name=contact.name,
            subject=draft.subject,
            body=draft.body,
            now=now,
            in_reply_to=parent,
            references=chain,
        )

    def _handoff(self, session, sequence, step, facts, sender, now):  # type: ignore[no-untyped-def]
        csm = session.get(Human, sender.identity.csm_id)
        if csm is None:
            state.stop(session, sequence, StopReason.NO_CONTACT, now)
            return None
        body = handoff_body(session, sequence, facts, "The customer has not answered the save sequence.")
        return messages.to_csm(
            sender,
            key=f"seq:{sequence.id}:step:{step.index}:handoff",
            kind="handoff",
            csm_email=csm.email,
            csm_name=csm.name,
            subject=f"Hand-off: {facts.name} ({sequence.play})",
            body=body,
            now=now,
        )

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
        following.due_at = now + timedelta(days=following.wait_days)
        state.schedule(sequence, SequenceState.WAITING, following.due_at, now)


def _writable_contact(facts: AccountFacts, contact_id: int) -> ContactFacts | None:
    for contact in facts.contacts:
        if contact.id == contact_id and not contact.suppressed:
            return contact
    return facts.main_contact


def _sent_to_contact(session: Session, sequence: Sequence) -> list[Touch]:
    query = (
        select(Touch)
        .where(Touch.sequence_id == sequence.id, Touch.kind == "step", Touch.state == "sent")
        .order_by(Touch.id)
    )
    return list(session.scalars(query))


def handoff_body(session: Session, sequence: Sequence, facts: AccountFacts, why: str, reply_text: str = "") -> str:
    """Write the context a CSM needs to take over: the account, the signal, what was sent, the reply."""
    signal = session.get(SignalRow, sequence.signal_id) if sequence.signal_id else None
    touches = _sent_to_contact(session, sequence)
    lines = [
        why,
        "",
        f"Account: {facts.name} ({facts.account_id})",
        f"Plan: {facts.plan or '-'}",
        f"Renewal: {facts.renewal_date.isoformat() if facts.renewal_date else '-'}",
        f"Play: {sequence.play} (sequence {sequence.id})",
        f"Signal: {signal.summary if signal else '-'}",
        f"Messages sent: {len(touches)}",
    ]
    for touch in touches:
        sent = touch.sent_at.date().isoformat() if touch.sent_at else "-"
        lines.append(f"  - {sent}: {touch.subject}")
    if reply_text:
        lines += ["", "Their reply:", "", reply_text.strip()]
    return "\n".join(lines) + "\n"
