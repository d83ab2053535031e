"""Act on a reply's verdict: offer a call, stop, hand off, suppress or pause."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from churnguard.booking import build_invite, propose_slots
from churnguard.compose import DraftContext, compose
from churnguard.config import Settings
from churnguard.domain import AuditType, SequenceState, StopReason, Verdict
from churnguard.errors import StateError
from churnguard.identity import require_active
from churnguard.mail.message import reply_subject, thread_references
from churnguard.replies.pipeline import ReplyReading
from churnguard.sequences import messages, state
from churnguard.sequences.inbox import angle, claim_auto_response
from churnguard.sequences.outbox import prepare
from churnguard.plays import PlayBook
from churnguard.plays.schema import OnReply
from churnguard.sequences.approvals import needs_approval, queue_draft
from churnguard.sequences.drafting import handoff_body
from churnguard.sequences.steps import SenderLookup
from churnguard.store.models import Account, Contact, Human, Identity, Reply, Sequence, Step, Touch
from churnguard.vault import vault_get

log = logging.getLogger("churnguard.sequences")


@dataclass
class ReplyActor:
    settings: Settings
    playbook: PlayBook
    sender_for: SenderLookup

    def __call__(self, session: Session, reply: Reply, reading: ReplyReading, sequence: Sequence | None, now: datetime) -> None:
        verdict = reading.verdict
        if verdict == Verdict.BOUNCE:
            self._bounce(session, reply, reading, sequence, now)
            return
        if sequence is None:
            return  # nothing in flight to act on; the reply is recorded for the CSM

        sender = _sender_relation(session, sequence, reading)
        if sender != "contact":
            # Inbound mail is data: a message that cites our Message-ID but comes from
            # someone else may not unsubscribe, stop or book anything for the contact.
            reply.reasons = list(reply.reasons or []) + [f"sender_{sender}"]
            if sender == "colleague" and verdict.is_human and sequence.open_key is not None:
                self._note_to_csm(session, reply, sequence, "Someone else at the account replied; a person should answer.", now)
                state.close(session, sequence, SequenceState.HANDED_OFF, now, "colleague_replied")
            return

        if verdict == Verdict.UNSUBSCRIBE:
            self._suppress_contact(session, sequence, "unsubscribed", now)
            state.stop(session, sequence, StopReason.UNSUBSCRIBED, now)
            return
        if sequence.open_key is None:
            return

        if getattr(reading, "departed", None):
            self._departed(session, reply, sequence, now)
            return
        if verdict == Verdict.OUT_OF_OFFICE:
            self._pause(session, sequence, reading, now)
            return
        if not verdict.is_human:
            return

        play = self.playbook.get(sequence.play)
        actions = play.on_reply if play is not None else OnReply()
        action = {Verdict.SAVE: actions.save, Verdict.LOST: actions.lost, Verdict.TALK_TO_HUMAN: actions.talk_to_human}[verdict]
        self._do(action, session, reply, reading, sequence, now)

    def _do(self, action: str, session: Session, reply: Reply, reading: ReplyReading, sequence: Sequence, now: datetime) -> None:
        """Carry out a play's reply action: book_call, handoff, stop or notify_and_stop."""
        reason = {
            Verdict.SAVE: StopReason.REPLY_SAVE,
            Verdict.LOST: StopReason.REPLY_LOST,
            Verdict.TALK_TO_HUMAN: StopReason.HANDED_OFF,
        }[reading.verdict]
        if action == "book_call":
            self._offer_call(session, reply, reading, sequence, now)
        elif action == "handoff":
            self._note_to_csm(session, reply, sequence, "The customer's reply needs a person.", now)
            state.close(session, sequence, SequenceState.HANDED_OFF, now, reading.verdict.value)
        elif action == "notify_and_stop":
            self._note_to_csm(session, reply, sequence, f"The customer's reply was read as {reading.verdict.value}.", now)
            state.stop(session, sequence, reason, now)
        else:
            state.stop(session, sequence, reason, now)

    def _offer_call(self, session: Session, reply: Reply, reading: ReplyReading, sequence: Sequence, now: datetime) -> None:
        try:
            identity = require_active(session, sequence.identity_id, "mail:send")
        except StateError:
            state.stop(session, sequence, StopReason.IDENTITY_REVOKED, now)
            return
        facts = vault_get(session, identity, sequence.account_id)
        contact = next((c for c in facts.contacts if c.id == sequence.contact_id), None) if facts else None
        if facts is None or contact is None or contact.suppressed:
            state.stop(session, sequence, StopReason.NO_CONTACT, now)
            return
        period = timedelta(hours=float(self.settings["mail.auto_response_period_hours"]))
        limited = claim_auto_response(session, identity.id, reply, reading, "call_offer", now, period)
        if limited is not None:
            reply.reasons = list(reply.reasons or []) + [limited]
            self._note_to_csm(session, reply, sequence, "An automatic answer already went to this sender recently, so a person should answer.", now)
            state.close(session, sequence, SequenceState.HANDED_OFF, now, limited)
            return

        hours = [int(part) for part in str(self.settings["booking.slot_hours"]).split(",") if part.strip()]
        slots = propose_slots(now, contact.timezone, hours)
        csm = session.get(Human, identity.csm_id)
        context = DraftContext(
            facts=facts,
            contact=contact,
            csm_name=csm.name if csm else identity.display_name,
            company_name=self.settings["company_name"],
            play=sequence.play,
            angle="call_offer",
            today=now.date(),
            call_slots=tuple(slots),
            call_timezone=contact.timezone,
        )
        draft = compose(context, thread_subject=reply_subject(reading.message.subject or sequence.subject))

        key = f"reply:{reply.id}:call_offer"
        sender = self.sender_for(session, identity.id)
        invite = build_invite(
            uid=f"call-{sequence.id}@{sender.domain}",
            start=slots[0],
            minutes=int(self.settings["booking.duration_minutes"]),
            summary=f"{self.settings['company_name']} / {facts.name}",
            organizer=identity.address,
            organizer_name=identity.display_name,
            attendee=contact.email,
            attendee_name=contact.name,
            stamp=now,
        )
        parent = angle(reading.message.message_id)
        earlier = [t.message_id for t in _thread(session, sequence)]
        theirs = [ref for ref in (angle(r) for r in reading.message.references) if ref]
        prepared = messages.to_contact(
            sender,
            key=key,
            kind="call_offer",
            contact_id=contact.id,
            to_addr=contact.email,
            to_name=contact.name,
            subject=draft.subject,
            body=draft.body,
            now=now,
            in_reply_to=parent,
            references=thread_references(theirs or earlier, parent) if parent else earlier,
            calendar=invite,
            parent_topic=reading.message.header("Thread-Topic"),
            parent_index=reading.message.header("Thread-Index"),
        )
        account = session.get(Account, sequence.account_id)
        play = self.playbook.get(sequence.play)
        policy = needs_approval(self.playbook, play, account) if play is not None and account is not None else None
        if policy is not None:
            queue_draft(session, sequence, None, prepared, policy, now)  # approval sends it and ends the sequence
            return
        touch = prepare(session, sequence, None, prepared, now)
        state.audit(session, sequence, AuditType.CALL_OFFERED, now, {"touch_id": touch.id, "slots": [s.isoformat() for s in slots]})
        times = ", ".join(slot.isoformat() for slot in slots)
        self._note_to_csm(
            session, reply, sequence,
            f"The customer said yes. I offered call times ({times}, UTC) and sent an invite for the first one.",
            now, subject="Call offered",
        )
        state.stop(session, sequence, StopReason.REPLY_SAVE, now)

    def _note_to_csm(
        self, session: Session, reply: Reply, sequence: Sequence, why: str, now: datetime, *, subject: str | None = None
    ) -> None:
        identity = session.get(Identity, sequence.identity_id)
        if identity is None or identity.state != "active":
            return
        csm = session.get(Human, identity.csm_id)
        facts = vault_get(session, identity, sequence.account_id)
        if csm is None or facts is None:
            return
        sender = self.sender_for(session, identity.id)
        prepared = messages.to_csm(
            sender,
            key=f"reply:{reply.id}:note",
            kind="handoff_note",
            csm_email=csm.email,
            csm_name=csm.name,
            subject=f"{subject or ('Hand-off' if 'person' in why else 'Outcome')}: {facts.name} ({sequence.play})",
            body=handoff_body(session, sequence, facts, why, reply.reply_text),
            now=now,
        )
        prepare(session, sequence, None, prepared, now)

    def _pause(self, session: Session, sequence: Sequence, reading: ReplyReading, now: datetime) -> None:
        """Hold the sequence until the contact is back; the step that was due keeps its place."""
        if reading.return_date is None:
            return  # no date given: the next step's own wait applies
        resume = datetime.combine(reading.return_date, time(9, 0), timezone.utc)
        if sequence.due_at is None or sequence.due_at >= resume:
            return  # a touch is in flight, or the next step already falls after the return
        state.schedule(sequence, SequenceState.PAUSED, resume, now)
        state.audit(session, sequence, AuditType.SEQUENCE_PAUSED, now, {"until": resume.isoformat()})

    def _bounce(self, session: Session, reply: Reply, reading: ReplyReading, sequence: Sequence | None, now: datetime) -> None:
        if reading.permanent is False and not self._delays_exhausted(session, reply):
            return  # a delay notice: the server keeps trying
        addresses = {address.lower() for address in reading.bounced_addresses}
        contacts = session.scalars(select(Contact).where(func.lower(Contact.email).in_(addresses))) if addresses else []
        for contact in contacts:
            _suppress(session, contact, "bounced", sequence, now)

        if sequence is None or sequence.open_key is None:
            return
        current = session.get(Contact, sequence.contact_id)
        if current is not None and not current.suppressed and addresses:
            return
        if current is not None and not addresses:
            _suppress(session, current, "bounced", sequence, now)

        replacement = session.scalar(
            select(Contact).where(Contact.account_id == sequence.account_id, Contact.suppressed.is_(False)).order_by(
                Contact.is_main.desc(), Contact.id
            )
        )
        if replacement is None:
            state.stop(session, sequence, StopReason.BOUNCED, now)
            return
        sequence.contact_id = replacement.id
        bounced = session.get(Touch, reply.touch_id) if reply.touch_id else None
        step = session.get(Step, bounced.step_id) if bounced is not None and bounced.step_id else None
        if step is not None:
            sequence.step_index = step.index  # the bounced step goes again, to the new contact
        state.schedule(sequence, SequenceState.SCHEDULED, now, now)

    def _departed(self, session: Session, reply: Reply, sequence: Sequence, now: datetime) -> None:
        """The contact left or the mailbox is not read: write to another contact, or hand off."""
        current = session.get(Contact, sequence.contact_id)
        if current is not None:
            _suppress(session, current, "departed", sequence, now)
        replacement = session.scalar(
            select(Contact).where(Contact.account_id == sequence.account_id, Contact.suppressed.is_(False)).order_by(
                Contact.is_main.desc(), Contact.id
            )
        )
        if replacement is None:
            self._note_to_csm(session, reply, sequence, "The contact has left or no longer reads this mailbox.", now)
            state.close(session, sequence, SequenceState.HANDED_OFF, now, "contact_departed")
            return
        sequence.contact_id = replacement.id
        bounced = session.get(Touch, reply.touch_id) if reply.touch_id else None
        step = session.get(Step, bounced.step_id) if bounced is not None and bounced.step_id else None
        if step is not None:
            sequence.step_index = step.index
        state.schedule(sequence, SequenceState.SCHEDULED, now, now)

    def _delays_exhausted(self, session: Session, reply: Reply) -> bool:
        """Treat repeated delay notices for one touch as a failure once they reach the limit."""
        if reply.touch_id is None:
            return False
        notices = session.scalar(
            select(func.count()).select_from(Reply).where(Reply.touch_id == reply.touch_id, Reply.verdict == Verdict.BOUNCE.value)
        )
        return int(notices or 0) >= int(self.settings["mail.delay_notice_limit"])

    def _suppress_contact(self, session: Session, sequence: Sequence, reason: str, now: datetime) -> None:
        contact = session.get(Contact, sequence.contact_id)
        if contact is None:
            return
        # The same person may be a contact at several accounts: suppress the address everywhere.
        same = session.scalars(select(Contact).where(func.lower(Contact.email) == contact.email.lower()))
        for row in same:
            _suppress(session, row, reason, sequence, now)


def _sender_relation(session: Session, sequence: Sequence, reading: ReplyReading) -> str:
    """Say who sent the message: the sequence's ``contact``, a ``colleague`` at the same domain, or a ``stranger``."""
    contact = session.get(Contact, sequence.contact_id)
    sender = (reading.message.from_addr or "").strip().lower()
    if contact is None or not sender:
        return "stranger"
    address = contact.email.strip().lower()
    if sender == address:
        return "contact"
    if sender.rpartition("@")[2] == address.rpartition("@")[2]:
        return "colleague"
    return "stranger"


def _suppress(session: Session, contact: Contact, reason: str, sequence: Sequence | None, now: datetime) -> None:
    if contact.suppressed:
        return
    contact.suppressed = True
    contact.suppression_reason = reason
    if sequence is not None:
        state.audit(session, sequence, AuditType.CONTACT_SUPPRESSED, now, {"contact_id": contact.id, "reason": reason})


def _thread(session: Session, sequence: Sequence) -> list[Touch]:
    query = select(Touch).where(Touch.sequence_id == sequence.id, Touch.kind == "step").order_by(Touch.id)
    return list(session.scalars(query))
