"""Keep tickets and survey responses: match them to accounts, score them, seal their text.

Webhooks and file imports both end here. ``accept_ticket`` and ``accept_survey`` run inside
the caller's transaction, write or update one ``SentimentRecord`` and return the events
detection reads. Those events carry ids, dates, scores and states, never text: the subject,
body, comment, address, the phrases the model picked and the raw payload are sealed in the
record under the data key of the account's owner (the workspace key while unmatched).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from churnguard.clock import ensure_utc
from churnguard.detect.eventstore import EventRecord, event_id
from churnguard.sentiment.model import score_text
from churnguard.store.models import Account, Contact
from churnguard.store.sentiment_models import SentimentRecord
from churnguard.vault.envelope import dumps, loads, open_sealed, parse, seal
from churnguard.vault.keyring import WORKSPACE_OWNER
from churnguard.vault.sealing import keyring_for

log = logging.getLogger("churnguard.sentiment")

TICKET_OPENED = "ticket_opened"
TICKET_REOPENED = "ticket_reopened"
SENTIMENT_SCORED = "sentiment_scored"
NPS_RESPONSE = "nps_response"
CSAT_RESPONSE = "csat_response"
EVENT_TYPES = (TICKET_OPENED, TICKET_REOPENED, SENTIMENT_SCORED, NPS_RESPONSE, CSAT_RESPONSE)
REFERENCE_PREFIX = "sentiment:"
OPEN_STATES = ("new", "open", "pending", "hold", "on-hold", "reopened")
CLOSED_STATES = ("solved", "closed", "resolved")
SATISFACTION_SCORES = {"good": 5.0, "bad": 1.0}
# Domains shared by unrelated people never identify an account.
PUBLIC_DOMAINS = frozenset({"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com",
                            "gmx.de", "web.de", "orange.fr", "free.fr", "proton.me", "protonmail.com", "aol.com"})


@dataclass
class TicketIn:
    """One helpdesk ticket as a webhook or a file row describes it."""

    ticket_id: str
    occurred_at: datetime
    updated_at: datetime
    account_id: str | None = None
    email: str | None = None
    subject: str = ""
    body: str = ""
    status: str = ""
    priority: str = ""
    satisfaction: str = ""
    solved_at: datetime | None = None

    def __repr__(self) -> str:
        return f"TicketIn(ticket_id={self.ticket_id!r}, <text hidden>)"


@dataclass
class SurveyIn:
    """One NPS or CSAT response."""

    response_id: str
    survey_type: str  # nps or csat
    score: float
    occurred_at: datetime
    survey_id: str = ""
    account_id: str | None = None
    email: str | None = None
    comment: str = ""
    scale_max: float = 10.0

    def __repr__(self) -> str:
        return f"SurveyIn(response_id={self.response_id!r}, <text hidden>)"


@dataclass
class Accepted:
    """What one accepted item did: its record, whether it matched, and the events to store."""

    record_id: int
    account_id: str | None
    match: str
    created: bool
    events: list[EventRecord] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"record": reference(self.record_id), "account_id": self.account_id, "match": self.match,
                "created": self.created, "events": len(self.events)}


def reference(record_id: int) -> str:
    """Build the reference a signal's evidence uses to point at a record."""
    return f"{REFERENCE_PREFIX}{record_id}"


def load_record(session: Session, ref: str) -> SentimentRecord | None:
    prefix, _, number = str(ref).partition(":")
    if f"{prefix}:" != REFERENCE_PREFIX or not number.isdigit():
        return None
    return session.get(SentimentRecord, int(number))


# --- matching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    account_id: str | None
    contact_id: int | None
    how: str
    note: str = ""


def match_account(session: Session, account_id: str | None, email: str | None) -> Match:
    """Find the account: by its id, else by a contact's address, else by the address's domain."""
    address = (email or "").strip().lower()
    if account_id:
        if session.get(Account, account_id) is not None:
            return Match(account_id, _contact_id(session, account_id, address), "account_id")
        if not address:
            return Match(None, None, "unmatched", "no account with this account_id")

    if address:
        row = session.scalar(select(Contact).where(Contact.email == address).order_by(Contact.id).limit(1))
        if row is not None:
            return Match(row.account_id, row.id, "address")
        return _match_domain(session, address)
    return Match(None, None, "unmatched", "neither an account id nor an address to match")


def _contact_id(session: Session, account_id: str, address: str) -> int | None:
    if not address:
        return None
    return session.scalar(select(Contact.id).where(Contact.account_id == account_id, Contact.email == address).limit(1))


def _match_domain(session: Session, address: str) -> Match:
    domain = address.rpartition("@")[2]
    if not domain or domain in PUBLIC_DOMAINS:
        return Match(None, None, "unmatched", "address matches no contact and its domain is a public mail domain")
    # NOTE: addresses are sealed, so a domain match opens every contact; fine for thousands, slow for millions.
    accounts = {contact.account_id for contact in session.scalars(select(Contact))
                if str(contact.email or "").lower().rpartition("@")[2] == domain}
    if len(accounts) == 1:
        return Match(accounts.pop(), None, "domain")
    why = "several accounts share the address's domain" if accounts else "no contact has the address or its domain"
    return Match(None, None, "unmatched", why)


# --- sealing ----------------------------------------------------------------------------------


def _aad(record: SentimentRecord) -> bytes:
    return f"sentiment_records|{record.source}|{record.kind}|{record.external_id}".encode("utf-8")


# NOTE: moving an account to another identity does not reseal its records; they stay under the old
# owner's key until that key is shredded, after which drafts stop citing them.
def _owner(session: Session, account_id: str | None) -> str:
    account = session.get(Account, account_id) if account_id else None
    return (account.owner_identity_id if account else None) or WORKSPACE_OWNER


def seal_text(session: Session, record: SentimentRecord, values: dict[str, Any]) -> None:
    """Encrypt ``values`` into the record under the current key of the account's owner."""
    ring = keyring_for(session.get_bind())
    owner = _owner(session, record.account_id)
    version, key = ring.current(session, owner)
    record.key_owner = owner
    record.sealed = seal(key, owner, version, dumps(values), _aad(record))


def open_text(session: Session, record: SentimentRecord) -> dict[str, Any]:
    """Decrypt a record's text; raises VaultError when its key is unknown or shredded."""
    header = parse(record.sealed)
    key = keyring_for(session.get_bind()).key(header.owner, header.version, session)
    return loads(open_sealed(key, header, _aad(record)))


# --- tickets ----------------------------------------------------------------------------------


def accept_ticket(session: Session, ticket: TicketIn, source: str, raw: bytes, now: datetime) -> Accepted:
    """Record or update one ticket; an update older than what is kept changes nothing."""
    record = _find(session, source, "ticket", ticket.ticket_id)
    created = record is None
    if record is None:
        match = match_account(session, ticket.account_id, ticket.email)
        record = _new_record(session, source, "ticket", ticket.ticket_id, match, ticket.occurred_at, now)
        values: dict[str, Any] = {}
    elif _as_utc(record.updated_at) > ticket.updated_at:
        return Accepted(record.id, record.account_id, record.match, False)
    else:
        values = open_text(session, record)

    previous = record.status
    status = ticket.status.strip().lower()
    reopened = previous in CLOSED_STATES and status in OPEN_STATES or (status == "reopened" and previous != "reopened")
    record.reopen_count += 1 if reopened and not created else 0
    record.status, record.priority = status[:32], ticket.priority.strip().lower()[:32]
    record.satisfaction = ticket.satisfaction.strip().lower()[:16]
    record.updated_at = ticket.updated_at

    text = "\n\n".join(part for part in (ticket.subject, ticket.body) if part)
    scored = _score(record, values, text)
    values.update(subject=ticket.subject, body=ticket.body, email=ticket.email or "", raw=raw.decode("utf-8", "replace"),
                  solved_at=ticket.solved_at.isoformat() if ticket.solved_at else None)
    seal_text(session, record, values)
    session.flush()
    digest = str(values.get("scored_digest", ""))[:8] if scored else ""
    events = _ticket_events(record, source, created, reopened, digest, ticket.updated_at) if record.account_id else []
    return Accepted(record.id, record.account_id, record.match, created, events)


def _ticket_events(record: SentimentRecord, source: str, created: bool, reopened: bool, digest: str, at: datetime) -> list[EventRecord]:
    base = {"record": reference(record.id), "kind": "ticket", "priority": record.priority}
    key = f"ticket:{record.external_id}"
    events = []
    if created:
        events.append(EventRecord(event_id(source, f"{key}:opened"), record.account_id, TICKET_OPENED, _as_utc(record.occurred_at), 1.0, source, base))
    if reopened:
        events.append(EventRecord(event_id(source, f"{key}:reopened:{record.reopen_count}"), record.account_id, TICKET_REOPENED, at, 1.0, source, base))
    if digest and record.sentiment is not None:
        # The digest of the scored text keeps a new score of an edited ticket apart from the first.
        properties = {**base, "label": record.sentiment_label}
        events.append(EventRecord(event_id(source, f"{key}:sentiment:{digest}"), record.account_id, SENTIMENT_SCORED,
                                  _as_utc(record.occurred_at), record.sentiment, source, properties))
    if record.satisfaction in SATISFACTION_SCORES:
        properties = {**base, "scale_max": 5.0, "rating": record.satisfaction}
        events.append(EventRecord(event_id(source, f"{key}:rating:{record.satisfaction}"), record.account_id, CSAT_RESPONSE,
                                  at, SATISFACTION_SCORES[record.satisfaction], source, properties))
    return events


# --- surveys ----------------------------------------------------------------------------------


def accept_survey(session: Session, survey: SurveyIn, source: str, raw: bytes, now: datetime) -> Accepted:
    """Record one survey response once; a repeated response id changes nothing."""
    existing = _find(session, source, "survey", survey.response_id)
    if existing is not None:
        return Accepted(existing.id, existing.account_id, existing.match, False)

    match = match_account(session, survey.account_id, survey.email)
    record = _new_record(session, source, "survey", survey.response_id, match, survey.occurred_at, now)
    record.survey_type, record.survey_score = survey.survey_type, survey.score
    values: dict[str, Any] = {}
    scored = _score(record, values, survey.comment)
    values.update(comment=survey.comment, email=survey.email or "", survey_id=survey.survey_id, raw=raw.decode("utf-8", "replace"))
    seal_text(session, record, values)
    session.flush()
    if not record.account_id:
        return Accepted(record.id, None, record.match, True)

    base = {"record": reference(record.id), "kind": "survey", "scale_max": survey.scale_max}
    kind = NPS_RESPONSE if survey.survey_type == "nps" else CSAT_RESPONSE
    events = [EventRecord(event_id(source, f"survey:{survey.response_id}"), record.account_id, kind, survey.occurred_at, survey.score, source, base)]
    if scored and record.sentiment is not None:
        events.append(EventRecord(event_id(source, f"survey:{survey.response_id}:sentiment"), record.account_id, SENTIMENT_SCORED,
                                  survey.occurred_at, record.sentiment, source, {**base, "label": record.sentiment_label}))
    return Accepted(record.id, record.account_id, record.match, True, events)


# --- shared -----------------------------------------------------------------------------------


def _find(session: Session, source: str, kind: str, external_id: str) -> SentimentRecord | None:
    query = select(SentimentRecord).where(SentimentRecord.source == source, SentimentRecord.kind == kind,
                                          SentimentRecord.external_id == external_id)
    return session.scalar(query)


def _new_record(session: Session, source: str, kind: str, external_id: str, match: Match, occurred: datetime, now: datetime) -> SentimentRecord:
    record = SentimentRecord(source=source, kind=kind, external_id=external_id, account_id=match.account_id,
                             contact_id=match.contact_id, match=match.how, note=match.note[:300], occurred_at=occurred,
                             updated_at=occurred, status="", priority="", reopen_count=0, survey_type="", satisfaction="",
                             sentiment_label="", language="", key_owner=WORKSPACE_OWNER, sealed=b"")
    session.add(record)
    return record


def _score(record: SentimentRecord, values: dict[str, Any], text: str) -> bool:
    """Score ``text`` when it changed since the last score; return whether a new score was set."""
    text = text.strip()
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] if text else ""
    if not text or values.get("scored_digest") == digest:
        return False
    result = score_text(text)
    record.sentiment, record.sentiment_label = round(result.score, 4), result.label
    values.update(phrases=list(result.phrases), scored_digest=digest)
    return True


def _as_utc(moment: datetime) -> datetime:
    return ensure_utc(moment)


# TODO: match unmatched records again when accounts or contacts are imported later.
def list_unmatched(session: Session, limit: int = 500) -> list[dict[str, Any]]:
    """List records no account matched, newest first: ids, dates and why, never text."""
    query = select(SentimentRecord).where(SentimentRecord.match == "unmatched").order_by(SentimentRecord.id.desc()).limit(limit)
    return [{"record": reference(row.id), "source": row.source, "kind": row.kind, "external_id": row.external_id,
             "occurred_at": _as_utc(row.occurred_at).isoformat(), "note": row.note} for row in session.scalars(query)]
