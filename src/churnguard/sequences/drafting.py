"""Build the message of a step: a touch to the contact, or a hand-off note to the CSM."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from churnguard.compose import DraftContext, GuardViolation, compose
from churnguard.config import Settings
from churnguard.mail.message import reply_subject, thread_references
from churnguard.plays import Play
from churnguard.sentiment.facts import reason_facts
from churnguard.sequences import messages
from churnguard.sequences.messages import Sender
from churnguard.sequences.outbox import PreparedTouch
from churnguard.store.models import Human, Sequence, SignalRow, Step, Touch
from churnguard.vault import AccountFacts, ContactFacts

log = logging.getLogger("churnguard.sequences")

UsageLookup = Callable[[str, dict], tuple[tuple[str, int], ...]]


class DraftRejected(Exception):
    """The guard rejected the draft; the CSM takes over."""


@dataclass
class Drafter:
    settings: Settings
    usage_before: UsageLookup

    def step_touch(
        self, session: Session, sequence: Sequence, step: Step, play: Play, facts: AccountFacts, contact: ContactFacts, sender: Sender, now: datetime
    ) -> PreparedTouch:
        signal = session.get(SignalRow, sequence.signal_id) if sequence.signal_id else None
        evidence = dict(signal.evidence) if signal else {}
        evidence.update(reason_facts(session, evidence, sequence.account_id))
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
            offer={
                "allowed": tuple(play.offer.allowed),
                "max_discount_pct": play.offer.max_discount_pct,
                "max_free_months": play.offer.max_free_months,
            },
        )

        earlier = sent_to_contact(session, sequence)
        try:
            draft = compose(context, thread_subject=reply_subject(sequence.subject) if earlier else None)
        except GuardViolation as exc:
            raise DraftRejected(str(exc)) from None

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

    def handoff(self, session: Session, sequence: Sequence, step: Step, facts: AccountFacts, sender: Sender, now: datetime) -> PreparedTouch | None:
        csm = session.get(Human, sender.identity.csm_id)
        if csm is None:
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


def sent_to_contact(session: Session, sequence: Sequence) -> list[Touch]:
    query = (
        select(Touch)
        .where(Touch.sequence_id == sequence.id, Touch.kind == "step", Touch.state == "sent")
        .order_by(Touch.id)
    )
    return list(session.scalars(query))


def handoff_body(session: Session, sequence: Sequence, facts: AccountFacts, why: str, reply_text: str = "") -> str:
    """Write the context a CSM needs to take over: the account, the signal, what was sent, the reply."""
    signal = session.get(SignalRow, sequence.signal_id) if sequence.signal_id else None
    touches = sent_to_contact(session, sequence)
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
