"""Score inbound mail that is not a reply to a sequence, such as a curt reply to an invoice email.

The mailbox reader keeps every human message it cannot match to a sequence as a ``Reply``
without a sequence. ``score_cold_mail`` takes each such message once, matches its sender to
an account by address or domain, scores the visible text and keeps it as a ``mail`` record,
so a cold "we will not renew, just send the invoice" counts toward ``negative_sentiment``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.utils import parseaddr

from sqlalchemy import select

from churnguard.detect.eventstore import EventRecord, event_id, open_event_store
from churnguard.domain import MessageKind
from churnguard.sentiment.records import SENTIMENT_SCORED, _find, _new_record, _score, match_account, reference, seal_text
from churnguard.store.models import Reply
from churnguard.workspace import Workspace

SOURCE = "mail"


@dataclass
class MailReport:
    scored: int = 0
    unmatched: int = 0
    skipped: int = 0
    events: int = 0
    records: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"scored": self.scored, "unmatched": self.unmatched, "skipped": self.skipped, "events": self.events}


def score_cold_mail(workspace: Workspace, *, limit: int = 1000) -> MailReport:
    """Score up to ``limit`` human messages without a sequence that no earlier pass took."""
    report = MailReport()
    events: list[EventRecord] = []
    now = workspace.clock.now()
    with workspace.db.transaction() as session:
        query = (select(Reply).where(Reply.sequence_id.is_(None), Reply.kind == MessageKind.HUMAN.value)
                 .order_by(Reply.id).limit(limit))
        for reply in session.scalars(query):
            if _find(session, SOURCE, "mail", str(reply.id)) is not None:
                report.skipped += 1
                continue
            sender = parseaddr(str(message_from_bytes(reply.raw or b"", policy=policy.default).get("From", "")))[1]
            match = match_account(session, None, sender)
            record = _new_record(session, SOURCE, "mail", str(reply.id), match, reply.received_at, now)
            values: dict[str, object] = {}
            scored = _score(record, values, reply.reply_text or "")
            values.update(email=sender, subject="", body=reply.reply_text or "")
            seal_text(session, record, values)
            session.flush()
            report.scored += 1
            if record.account_id is None:
                report.unmatched += 1
            elif scored and record.sentiment is not None:
                properties = {"record": reference(record.id), "kind": "mail", "label": record.sentiment_label}
                events.append(EventRecord(event_id(SOURCE, f"reply:{reply.id}:sentiment"), record.account_id, SENTIMENT_SCORED,
                                          record.occurred_at, record.sentiment, SOURCE, properties))
    report.events = open_event_store(workspace).add(events) if events else 0
    return report
