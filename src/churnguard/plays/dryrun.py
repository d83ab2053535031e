"""Dry run of a play: which accounts its trigger and audience match now, and one sample draft.

Reads the workspace's event store and database and writes nothing: no signal rows, no
sequences, no touches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from churnguard.agent import USAGE_SQL
from churnguard.detect.eventstore import EventStore
from churnguard.domain import Signal, SignalKind
from churnguard.plays.schema import Play
from churnguard.sequences.detection import scan_play
from churnguard.sequences.start import audience_reason
from churnguard.store.models import Account, Human, Identity
from churnguard.workspace import Workspace


@dataclass
class DryRun:
    as_of: datetime
    signals: int = 0
    matched: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    sample: dict[str, Any] | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "signals": self.signals, "matching_accounts": len(self.matched),
                "accounts": self.matched[:20], "skipped": dict(self.skipped), "sample_draft": self.sample, "note": self.note}


def dry_run(ws: Workspace, store: EventStore, play: Play) -> DryRun:
    """Count the accounts ``play`` would start for at the workspace clock's now, and draft for the first."""
    now = ws.clock.now()
    report = DryRun(as_of=now)
    if play.trigger is None or play.trigger.signal == SignalKind.CANCEL_REQUEST:
        report.note = "this play starts from the cancel-form webhook, so no scan can count its accounts"
        return report

    signals = {signal.account_id: signal for signal in scan_play(store, ws.settings, play, now)}
    report.signals = len(signals)
    with ws.db.transaction() as session:
        for account_id in sorted(signals):
            account = session.get(Account, account_id)
            reason = "unknown_account" if account is None else audience_reason(play, account, now)
            if reason is None:
                report.matched.append(account_id)
            else:
                report.skipped[reason] = report.skipped.get(reason, 0) + 1
        for account_id in report.matched:
            report.sample = sample_draft(session, ws, store, play, signals[account_id])
            if report.sample is not None:
                break
    return report


def sample_draft(session: Session, ws: Workspace, store: EventStore, play: Play, signal: Signal) -> dict[str, Any] | None:
    """Draft the play's first touch for the signal's account and check it; None when the account has no contact."""
    from churnguard.compose import DraftContext, OfferPolicy, check_grounding, composer_from_settings, context_limits
    from churnguard.errors import StateError
    from churnguard.llm import ModelError
    from churnguard.vault import vault_get

    account = session.get(Account, signal.account_id)
    identity = session.get(Identity, account.owner_identity_id) if account and account.owner_identity_id else None
    try:
        facts = vault_get(session, identity, signal.account_id) if identity else None
    except StateError:
        facts = None
    if facts is None or facts.main_contact is None:
        return None

    touch = next(step for step in play.steps if step.kind == "touch")
    csm = session.get(Human, identity.csm_id)
    ctx = DraftContext(
        facts=facts, contact=facts.main_contact, csm_name=csm.name if csm else identity.display_name,
        company_name=ws.settings["company_name"], play=play.name, angle=touch.angle, today=ws.clock.now().date(),
        evidence=dict(signal.evidence), usage_before=_usage_before(store, signal),
        update_card_url=ws.settings["plays.failed_payment.update_card_url"],
        offer=OfferPolicy.from_mapping(play.offer.model_dump()), **context_limits(ws.settings),
    )
    composer = composer_from_settings(ws.settings)
    try:
        draft = composer.draft(ctx)
    except (ModelError, ValueError) as exc:
        return {"account_id": signal.account_id, "step": touch.name, "composer": composer.name, "error": str(exc)}
    findings = [finding.to_json() for finding in check_grounding(draft, ctx)]
    return {"account_id": signal.account_id, "step": touch.name, "angle": touch.angle, "composer": composer.name,
            "subject": draft.subject, "body": draft.body, "grounding_findings": findings}


def _usage_before(store: EventStore, signal: Signal) -> tuple[tuple[str, int], ...]:
    window = signal.evidence.get("before_window")
    if not window:
        return ()
    start, split = (datetime.fromisoformat(text) for text in window)
    rows = store.query(USAGE_SQL, {"account_id": signal.account_id, "start": start, "split": split})
    return tuple((str(kind), int(count)) for kind, count in rows)
