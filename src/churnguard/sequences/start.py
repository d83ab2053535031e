"""Start sequences from signals: at most one open sequence per (account, play)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from churnguard.audit import AuditEntry, record
from churnguard.config import Settings
from churnguard.domain import AuditType, SequenceState, Signal, StopReason
from churnguard.identity import active_identities
from churnguard.plays import Play, PlayBook
from churnguard.store.db import Database
from churnguard.store.models import Account, Identity, Sequence, SignalRow, Step
from churnguard.vault import vault_get

log = logging.getLogger("churnguard.sequences")


@dataclass
class StartReport:
    signals: int = 0
    new_signals: int = 0
    started: int = 0
    started_ids: list[int] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def open_key(account_id: str, play: str) -> str:
    return f"{account_id}:{play}"


def start_sequences(
    db: Database, settings: Settings, playbook: PlayBook, signals: list[Signal], now: datetime
) -> StartReport:
    """Record each signal once and start its plays' sequences where the account allows it.

    A signal that names a play starts only that play; one without a play starts every
    enabled play whose trigger listens to its kind.
    """
    report = StartReport(signals=len(signals))
    for signal in signals:
        plays = [playbook.get(signal.play)] if signal.play else playbook.for_signal(signal.kind)
        plays = [play for play in plays if play is not None and play.enabled and play.kind == "sequence"]
        if not plays:
            report.skip("no_play")
            continue
        for play in plays:
            try:
                with db.transaction() as session:
                    _start_one(session, settings, play, signal, now, report)
            except IntegrityError:
                # Another worker recorded the same signal or opened the same sequence first.
                report.skip("already_open")
    return report


def _start_one(session: Session, settings: Settings, play: Play, signal: Signal, now: datetime, report: StartReport) -> None:
    account = session.get(Account, signal.account_id)
    if account is None:
        report.skip("unknown_account")
        return
    busy = _busy_reason(session, settings, account.id, play.name, now)
    if busy is not None:
        report.skip(busy)
        return

    key = replace(signal, play=play.name).key
    if session.scalar(select(SignalRow.id).where(SignalRow.key == key)) is not None:
        report.skip("signal_seen")
        return
    row = SignalRow(
        key=key,
        account_id=account.id,
        kind=signal.kind.value,
        as_of=signal.as_of,
        summary=signal.summary,
        evidence=signal.evidence,
        created_at=now,
    )
    session.add(row)
    session.flush()
    report.new_signals += 1

    identity = _owner(session, account)
    reason = _skip_reason(session, play, account, identity, now)
    if reason is not None:
        _audit_skip(session, row, play.name, account.id, identity, reason, now)
        report.skip(reason)
        return

    assert identity is not None
    sequence = _open_sequence(session, play, row, account, identity, now)
    report.started += 1
    report.started_ids.append(sequence.id)


def _owner(session: Session, account: Account) -> Identity | None:
    """Return the account's owner identity, assigning the first active identity when it has none."""
    if account.owner_identity_id:
        return session.get(Identity, account.owner_identity_id)

    identities = active_identities(session)
    if not identities:
        return None
    account.owner_identity_id = identities[0].id
    return identities[0]


def audience_reason(play: Play, account: Account, now: datetime) -> str | None:
    """Say why the account is outside the play's audience, or None when it is inside."""
    audience = play.audience
    if account.status not in audience.statuses:
        return "account_status"
    if account.mrr_cents < audience.min_mrr_cents:
        return "mrr_below_audience"
    if audience.max_mrr_cents is not None and account.mrr_cents > audience.max_mrr_cents:
        return "mrr_above_audience"
    if audience.plans and account.plan not in audience.plans:
        return "plan_not_in_audience"

    within = play.trigger.renewal_within_days if play.trigger else None
    if within is not None:
        if account.renewal_date is None or not now.date() <= account.renewal_date <= now.date() + timedelta(days=within):
            return "renewal_not_near"
    return None


def _skip_reason(session: Session, play: Play, account: Account, identity: Identity | None, now: datetime) -> str | None:
    reason = audience_reason(play, account, now)
    if reason is not None:
        return reason
    if identity is None or identity.state != "active":
        return "no_active_identity"

    facts = vault_get(session, identity, account.id)
    if facts is None or facts.main_contact is None:
        return StopReason.NO_CONTACT.value
    return None


def _busy_reason(session: Session, settings: Settings, account_id: str, play: str, now: datetime) -> str | None:
    """Skip quietly (no new signal row) while a sequence of the play is open or cooling down."""
    taken = session.scalar(select(Sequence.id).where(Sequence.open_key == open_key(account_id, play)))
    if taken is not None:
        return "already_open"

    cooldown = timedelta(days=int(settings["plays.cooldown_days"]))
    recent = session.scalar(
        select(Sequence.id).where(
            Sequence.account_id == account_id,
            Sequence.play == play,
            Sequence.updated_at > now - cooldown,
        )
    )
    return "cooling_down" if recent is not None else None


def _open_sequence(session: Session, play: Play, row: SignalRow, account: Account, identity: Identity, now: datetime) -> Sequence:
    facts = vault_get(session, identity, account.id)
    assert facts is not None and facts.main_contact is not None

    sequence = Sequence(
        open_key=open_key(account.id, play.name),
        account_id=account.id,
        play=play.name,
        identity_id=identity.id,
        contact_id=facts.main_contact.id,
        signal_id=row.id,
        state=SequenceState.SCHEDULED.value,
        step_index=0,
        due_at=now,
        started_at=now,
        updated_at=now,
        context={
            "status": account.status,
            "payment_status": account.payment_status,
            "renewal_date": account.renewal_date.isoformat() if account.renewal_date else None,
        },
    )
    session.add(sequence)
    session.flush()

    for index, spec in enumerate(play.steps):
        session.add(
            Step(
                sequence_id=sequence.id,
                index=index,
                name=spec.name,
                kind=spec.kind,
                angle=spec.angle,
                wait_days=spec.wait_days,
                due_at=now if index == 0 else None,
            )
        )

    record(
        session,
        AuditEntry(
            type=AuditType.SEQUENCE_STARTED,
            at=now,
            identity_id=identity.id,
            authorized_by=identity.authorized_by,
            signal_key=row.key,
            account_id=account.id,
            sequence_id=sequence.id,
            detail={"play": play.name, "steps": [spec.name for spec in play.steps]},
        ),
    )
    log.info("sequence %s started (account %s, play %s)", sequence.id, account.id, play.name)
    return sequence


def _audit_skip(session: Session, row: SignalRow, play: str, account_id: str, identity: Identity | None, reason: str, now: datetime) -> None:
    record(
        session,
        AuditEntry(
            type=AuditType.SEQUENCE_SKIPPED,
            at=now,
            identity_id=identity.id if identity else None,
            authorized_by=identity.authorized_by if identity else None,
            signal_key=row.key,
            account_id=account_id,
            detail={"play": play, "reason": reason},
        ),
    )
