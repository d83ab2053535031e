"""Start sequences from signals: at most one open sequence per (account, play)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from churnguard.audit import AuditEntry, record
from churnguard.config import Settings
from churnguard.domain import AuditType, SequenceState, Signal, StopReason
from churnguard.identity import active_identities
from churnguard.plays import play_for_signal
from churnguard.store.db import Database
from churnguard.store.models import Account, Identity, Sequence, SignalRow, Step
from churnguard.vault import vault_get

log = logging.getLogger("churnguard.sequences")


@dataclass
class StartReport:
    signals: int = 0
    new_signals: int = 0
    started: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def open_key(account_id: str, play: str) -> str:
    return f"{account_id}:{play}"


def start_sequences(db: Database, settings: Settings, signals: list[Signal], now: datetime) -> StartReport:
    """Record each signal once and start its play's sequence when the account allows it."""
    report = StartReport(signals=len(signals))
    for signal in signals:
        try:
            with db.transaction() as session:
                _start_one(session, settings, signal, now, report)
        except IntegrityError:
            # Another worker recorded the same signal or opened the same sequence first.
            report.skip("already_open")
    return report


def _start_one(session: Session, settings: Settings, signal: Signal, now: datetime, report: StartReport) -> None:
    account = session.get(Account, signal.account_id)
    if account is None:
        report.skip("unknown_account")
        return
    busy = _busy_reason(session, settings, account.id, signal, now)
    if busy is not None:
        report.skip(busy)
        return
    if session.scalar(select(SignalRow.id).where(SignalRow.key == signal.key)) is not None:
        report.skip("signal_seen")
        return

    row = SignalRow(
        key=signal.key,
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
    reason = _skip_reason(session, account, identity, signal)
    if reason is not None:
        _audit_skip(session, row, account.id, identity, reason, now)
        report.skip(reason)
        return

    assert identity is not None
    _open_sequence(session, settings, row, account, identity, signal, now)
    report.started += 1


def _owner(session: Session, account: Account) -> Identity | None:
    """Return the account's owner identity, assigning the first active identity when it has none."""
    if account.owner_identity_id:
        return session.get(Identity, account.owner_identity_id)

    identities = active_identities(session)
    if not identities:
        return None
    account.owner_identity_id = identities[0].id
    return identities[0]


def _skip_reason(session: Session, account: Account, identity: Identity | None, signal: Signal) -> str | None:
    if account.status != "active":
        return "account_not_active"
    if identity is None or identity.state != "active":
        return "no_active_identity"
    if play_for_signal(signal.kind) is None:
        return "no_play"

    facts = vault_get(session, identity, account.id)
    if facts is None or facts.main_contact is None:
        return StopReason.NO_CONTACT.value
    return None


def _busy_reason(session: Session, settings: Settings, account_id: str, signal: Signal, now: datetime) -> str | None:
    """Skip quietly (no new signal row) while a sequence of the play is open or cooling down."""
    play = play_for_signal(signal.kind)
    if play is None:
        return None

    taken = session.scalar(select(Sequence.id).where(Sequence.open_key == open_key(account_id, play.name.value)))
    if taken is not None:
        return "already_open"

    cooldown = timedelta(days=int(settings["plays.cooldown_days"]))
    recent = session.scalar(
        select(Sequence.id).where(
            Sequence.account_id == account_id,
            Sequence.play == play.name.value,
            Sequence.updated_at > now - cooldown,
        )
    )
    return "cooling_down" if recent is not None else None


def _open_sequence(
    session: Session, settings: Settings, row: SignalRow, account: Account, identity: Identity, signal: Signal, now: datetime
) -> Sequence:
    play = play_for_signal(signal.kind)
    assert play is not None
    facts = vault_get(session, identity, account.id)
    assert facts is not None and facts.main_contact is not None

    sequence = Sequence(
        open_key=open_key(account.id, play.name.value),
        account_id=account.id,
        play=play.name.value,
        identity_id=identity.id,
        contact_id=facts.main_contact.id,
        signal_id=row.id,
        state=SequenceState.SCHEDULED.value,
        step_index=0,
        due_at=now,
        started_at=now,
        updated_at=now,
    )
    session.add(sequence)
    session.flush()

    due = now
    for index, spec in enumerate(play.steps):
        due = due + timedelta(days=spec.wait_days(settings))
        session.add(
            Step(
                sequence_id=sequence.id,
                index=index,
                name=spec.name,
                kind=spec.kind.value,
                angle=spec.angle,
                wait_days=spec.wait_days(settings),
                due_at=due if index == 0 else None,
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
            detail={"play": play.name.value, "steps": [spec.name for spec in play.steps]},
        ),
    )
    log.info("sequence %s started (account %s, play %s)", sequence.id, account.id, play.name.value)
    return sequence


def _audit_skip(session: Session, row: SignalRow, account_id: str, identity: Identity | None, reason: str, now: datetime) -> None:
    record(
        session,
        AuditEntry(
            type=AuditType.SEQUENCE_SKIPPED,
            at=now,
            identity_id=identity.id if identity else None,
            authorized_by=identity.authorized_by if identity else None,
            signal_key=row.key,
            account_id=account_id,
            detail={"reason": reason},
        ),
    )
