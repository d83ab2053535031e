"""The approval queue: drafts that wait for a human before anything is signed or sent."""

from __future__ import annotations

import base64
import logging
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from churnguard.domain import AuditType, SequenceState, StopReason, TouchState
from churnguard.errors import StateError
from churnguard.mail.dkim import DkimKey, sign_message
from churnguard.mail.message import OutboundMessage, build_message
from churnguard.plays import Play, PlayBook
from churnguard.sequences import state
from churnguard.sequences.outbox import PreparedTouch, envelope_token
from churnguard.store.models import Account, Human, Sequence, Step, Touch

log = logging.getLogger("churnguard.approvals")


def needs_approval(playbook: PlayBook, play: Play, account: Account) -> str | None:
    """Return which play's approval policy holds the draft back, or None when it may go out."""
    policies = [play] + [p for p in playbook.policies() if p.approval.applies_to == "all_plays"]
    for policy in policies:
        rule = policy.approval
        if not rule.required:
            continue
        if rule.mrr_threshold_cents is None or account.mrr_cents >= rule.mrr_threshold_cents:
            return policy.name
    return None


def queue_draft(session: Session, sequence: Sequence, step_id: int | None, prepared: PreparedTouch, policy: str, now: datetime) -> Touch:
    """Store the draft unsigned and put the sequence in ``awaiting_approval``."""
    existing = session.scalar(select(Touch).where(Touch.idempotency_key == prepared.key))
    if existing is not None:
        return existing

    message = prepared.message
    draft = asdict(message)
    draft["date"] = message.date.isoformat()
    draft["calendar"] = base64.b64encode(message.calendar).decode() if message.calendar else None
    draft["policy"] = policy
    touch = Touch(
        idempotency_key=prepared.key,
        message_id=message.message_id,
        sequence_id=sequence.id,
        step_id=step_id,
        identity_id=sequence.identity_id,
        kind=prepared.kind,
        state=TouchState.DRAFT.value,
        to_addr=message.to_addr,
        envelope_token=envelope_token(prepared.key),
        subject=message.subject,
        in_reply_to=message.in_reply_to,
        draft=draft,
        created_at=now,
    )
    session.add(touch)
    session.flush()

    state.schedule(sequence, SequenceState.AWAITING_APPROVAL, None, now)
    state.audit(session, sequence, AuditType.DRAFT_QUEUED, now, {"touch_id": touch.id, "policy": policy})
    return touch


def _message_from_draft(draft: dict, body: str | None, now: datetime) -> OutboundMessage:
    fields = {name: value for name, value in draft.items() if name in OutboundMessage.__dataclass_fields__}
    fields["date"] = now
    fields["calendar"] = base64.b64decode(draft["calendar"]) if draft.get("calendar") else None
    if body is not None:
        fields["text_body"] = body
    return OutboundMessage(**fields)


def approve(
    session: Session, touch_id: int, approver_id: str, dkim_key: DkimKey, now: datetime, *, body: str | None = None,
    extra_keys: tuple[DkimKey, ...] = (),
) -> Touch:
    """Sign the (possibly edited) draft and hand it to the outbox; record who approved it."""
    touch, sequence = _open_draft(session, touch_id, approver_id)
    message = _message_from_draft(touch.draft or {}, body, now)

    touch.raw = sign_message(build_message(message), dkim_key, *extra_keys)
    touch.state = TouchState.PENDING.value
    touch.approved_by = approver_id
    touch.approved_at = now
    state.schedule(sequence, SequenceState.SCHEDULED, None, now)
    state.audit(
        session, sequence, AuditType.DRAFT_APPROVED, now,
        {"touch_id": touch.id, "approver": approver_id, "edited": body is not None},
    )
    if touch.kind == "call_offer":
        state.audit(session, sequence, AuditType.CALL_OFFERED, now, {"touch_id": touch.id})
        state.stop(session, sequence, StopReason.REPLY_SAVE, now)
    return touch


def reject(session: Session, touch_id: int, approver_id: str, now: datetime, *, reason: str = "") -> Touch:
    """Reject the draft: it is never sent and its step does not run; the sequence moves on."""
    touch, sequence = _open_draft(session, touch_id, approver_id)
    touch.state = TouchState.REJECTED.value
    touch.approved_by = approver_id
    touch.approved_at = now
    state.audit(session, sequence, AuditType.DRAFT_REJECTED, now, {"touch_id": touch.id, "approver": approver_id, "reason": reason[:200]})

    step = session.get(Step, touch.step_id) if touch.step_id else None
    if step is not None:
        step.state = "rejected"
        step.done_at = now
        sequence.step_index = step.index + 1
    state.schedule(sequence, SequenceState.SCHEDULED, now, now)
    return touch


def _open_draft(session: Session, touch_id: int, approver_id: str) -> tuple[Touch, Sequence]:
    touch = session.get(Touch, touch_id)
    if touch is None or touch.state != TouchState.DRAFT.value:
        raise StateError(f"no draft waits with id {touch_id}; run 'churnguard approvals list'")
    approver = session.get(Human, approver_id)
    if approver is None:
        raise StateError(f"approver {approver_id!r} not found; use the id of a human in this workspace")
    sequence = session.get(Sequence, touch.sequence_id)
    if sequence is None or sequence.open_key is None:
        raise StateError(f"the sequence of draft {touch_id} has ended; the draft can no longer be approved")
    return touch, sequence


def pending_drafts(session: Session) -> list[Touch]:
    return list(session.scalars(select(Touch).where(Touch.state == TouchState.DRAFT.value).order_by(Touch.id)))
