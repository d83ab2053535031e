"""The vocabulary of churnguard, defined once.

Every closed set of names the product uses (signal kinds, plays, verdicts, sequence and
touch states, audit event types) lives here as an enum with a one-line meaning. Modules
import these names instead of spelling strings, so the CLI, the store and the docs agree.
This module does no I/O.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Described(str, enum.Enum):
    """A string enum whose members carry a one-line meaning."""

    def __new__(cls, value: str, meaning: str = "") -> "Described":
        member = str.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        return member

    def __str__(self) -> str:
        return self.value


class SignalKind(Described):
    SILENT_CHURN = "silent_churn", "activity fell sharply against the window before"
    FAILED_PAYMENT = "failed_payment", "the latest payment within the lookback window failed"
    CANCEL_REQUEST = "cancel_request", "the customer submitted the cancel form"
    CHURNED = "churned", "the account churned within the win-back window"
    NEGATIVE_SENTIMENT = "negative_sentiment", "recent tickets, surveys or mail turned negative"
    TICKET_SPIKE = "ticket_spike", "ticket volume or reopen rate well above the account's norm"
    DETRACTOR = "detractor", "a detractor NPS or a low CSAT score"
    UNKNOWN = "unknown", "a signal this version does not know"


class PlayName(Described):
    SILENT_CHURN = "silent_churn", "usage collapse: check in, try another angle, hand off"
    FAILED_PAYMENT = "failed_payment", "a failed card: friendly note with an update link"
    CANCEL_INTERCEPT = "cancel_intercept", "a cancel-form submission: a save offer"
    WIN_BACK = "win_back", "churned in the last 90 days: paced re-engagement"
    EXECUTIVE_ESCALATION = "executive_escalation", "large accounts: a human approves every draft"


class Verdict(Described):
    SAVE = "save", "willing to stay or engage"
    LOST = "lost", "a clear no that asks for nothing"
    TALK_TO_HUMAN = "talk_to_human", "needs a person"
    OUT_OF_OFFICE = "out_of_office", "an absence notice, often with a return date"
    AUTO_REPLY = "auto_reply", "any other automatic answer"
    BOUNCE = "bounce", "a delivery failure report"
    UNSUBSCRIBE = "unsubscribe", "the contact asked not to be written to again"
    UNKNOWN = "unknown", "could not be read"

    @property
    def is_human(self) -> bool:
        return self in (Verdict.SAVE, Verdict.LOST, Verdict.TALK_TO_HUMAN)


class MessageKind(Described):
    """What kind of sender wrote an inbound message, decided before any verdict."""

    HUMAN = "human", "written by a person"
    OUT_OF_OFFICE = "out_of_office", "an absence notice"
    AUTO_REPLY = "auto_reply", "an automatic answer that is not an absence notice"
    BOUNCE = "bounce", "a delivery status notification or a non-standard bounce"
    OWN = "own", "a message churnguard itself sent (a sent copy)"


class SequenceState(Described):
    SCHEDULED = "scheduled", "the next step is due at due_at"
    WAITING = "waiting", "a touch went out; waiting for a reply or the next step's time"
    PAUSED = "paused", "paused until due_at (for example an out-of-office return date)"
    AWAITING_APPROVAL = "awaiting_approval", "a draft waits for a human to approve it"
    HANDED_OFF = "handed_off", "the CSM owns the conversation now"
    STOPPED = "stopped", "ended early; stop_reason says why"
    COMPLETED = "completed", "every step ran"

    @property
    def is_open(self) -> bool:
        return self in OPEN_SEQUENCE_STATES


OPEN_SEQUENCE_STATES = frozenset(
    {
        SequenceState.SCHEDULED,
        SequenceState.WAITING,
        SequenceState.PAUSED,
        SequenceState.AWAITING_APPROVAL,
    }
)


class StepKind(Described):
    TOUCH = "touch", "send a message to the main contact"
    HANDOFF = "handoff", "hand the account to the CSM with the context"


class TouchState(Described):
    DRAFT = "draft", "composed and waiting for a human's approval; not signed yet"
    REJECTED = "rejected", "a human rejected the draft; it is never sent"
    PENDING = "pending", "recorded with its Message-ID; not yet given to the transport"
    SENDING = "sending", "given to the transport; the outcome is not yet recorded"
    SENT = "sent", "the transport accepted it"
    FAILED = "failed", "the transport rejected it permanently"
    CANCELED = "canceled", "not sent because its sequence ended or its identity may no longer act"


class IdentityState(Described):
    ACTIVE = "active", "may act"
    SUSPENDED = "suspended", "may not act until resumed"
    REVOKED = "revoked", "may never act again"


class StopReason(Described):
    REPLY_SAVE = "reply_save", "the customer replied positively"
    REPLY_LOST = "reply_lost", "the customer said no"
    HANDED_OFF = "handed_off", "the CSM took over"
    UNSUBSCRIBED = "unsubscribed", "the contact unsubscribed"
    BOUNCED = "bounced", "the contact's address bounced and no other contact was left"
    IDENTITY_REVOKED = "identity_revoked", "the agent identity was revoked"
    NO_CONTACT = "no_contact", "the account has no contact that may be written to"
    MANUAL = "manual", "a human stopped it"
    PAYMENT_RECOVERED = "payment_recovered", "the failed payment went through"
    USAGE_RECOVERED = "usage_recovered", "the account's activity came back"
    RENEWAL_SIGNED = "renewal_signed", "the account renewed"
    ACCOUNT_CHURNED = "account_churned", "the account canceled"
    RESUBSCRIBED = "resubscribed", "the churned account subscribed again"
    PLAY_REMOVED = "play_removed", "the play file was removed or disabled"


class AuditType(Described):
    SEQUENCE_STARTED = "sequence.started", "a play started a sequence for an account"
    SEQUENCE_STOPPED = "sequence.stopped", "a sequence ended early, with its reason"
    SEQUENCE_COMPLETED = "sequence.completed", "a sequence ran all its steps"
    SEQUENCE_SKIPPED = "sequence.skipped", "a signal did not start a sequence, with the reason"
    TOUCH_SENT = "touch.sent", "a message went to a contact"
    TOUCH_FAILED = "touch.failed", "a message could not be sent"
    REPLY_RECEIVED = "reply.received", "an inbound message was matched and given a verdict"
    HANDOFF = "handoff", "the conversation went to the CSM"
    CALL_OFFERED = "call.offered", "the agent offered call times with an invite"
    CONTACT_SUPPRESSED = "contact.suppressed", "a contact may no longer be written to"
    IDENTITY_CREATED = "identity.created", "an agent identity was created"
    IDENTITY_SUSPENDED = "identity.suspended", "an agent identity was suspended"
    IDENTITY_RESUMED = "identity.resumed", "a suspended agent identity may act again"
    IDENTITY_REVOKED = "identity.revoked", "an agent identity was revoked for good"
    ACCOUNT_REASSIGNED = "account.reassigned", "an account moved to another identity"
    SEQUENCE_PAUSED = "sequence.paused", "a sequence waits until a date (for example an absence notice)"
    SEQUENCE_RESUMED = "sequence.resumed", "a paused sequence went on"
    DRAFT_QUEUED = "draft.queued", "a draft waits for a human's approval"
    DRAFT_APPROVED = "draft.approved", "a human approved a draft (possibly edited)"
    DRAFT_REJECTED = "draft.rejected", "a human rejected a draft; its step does not run"
    REPLY_CLASSIFIED = "reply.classified", "a reply got a verdict"
    VAULT_READ = "vault.read", "an identity read an account's facts from the vault"
    KEY_ROTATED = "key.rotated", "a data or DKIM key was rotated"
    KEY_SHREDDED = "key.shredded", "a data key was destroyed; its vault data is unreadable"
    SETTINGS_CHANGED = "settings.changed", "a setting was changed"
    WEBHOOK_RECEIVED = "webhook.received", "an inbound webhook event was accepted"
    IMPORT_COMPLETED = "import.completed", "a file was imported"


@dataclass(frozen=True)
class Signal:
    """A risk finding for one account with the evidence that explains it."""

    account_id: str
    kind: SignalKind
    as_of: datetime
    evidence: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    play: str = ""

    @property
    def key(self) -> str:
        """Identify this finding: one account, one kind, one day (and one play when it names one)."""
        base = f"{self.kind.value}:{self.account_id}:{self.as_of.date().isoformat()}"
        return f"{self.play}/{base}" if self.play and self.play != self.kind.value else base
