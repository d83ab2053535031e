"""The main job: scan, start sequences, advance due steps, send, read mail, act.

One ``Agent`` serves one workspace. ``run_once`` makes a single pass at the clock's
current time; ``run_forever`` repeats passes until its stop event is set. Logs carry ids and
counts, never customer content.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator

from sqlalchemy import text
from sqlalchemy.orm import Session

from churnguard.detect.eventstore import EventStore, open_event_store
from churnguard.identity import active_identities
from churnguard.keys import signing_keys, unsubscribe_secret
from churnguard.mail.mailbox import Mailbox
from churnguard.mail.transport import Transport
from churnguard.mail_setup import make_mailbox, make_transport
from churnguard.plays import load_playbook
from churnguard.replies.judge import judge_from_settings
from churnguard.sentiment.mail import score_cold_mail
from churnguard.sequences.act import ReplyActor
from churnguard.sequences.inbox import read_mailbox
from churnguard.sequences.messages import Sender
from churnguard.sequences.outbox import Outbox
from churnguard.sequences.detection import scan_playbook
from churnguard.sequences.start import start_sequences
from churnguard.sequences.steps import StepRunner
from churnguard.store.models import Identity
from churnguard.workspace import Workspace

log = logging.getLogger("churnguard.run")

USAGE_SQL = """
SELECT type, COUNT(*) AS n FROM events
WHERE account_id = :account_id AND occurred_at >= :start AND occurred_at < :split
GROUP BY type ORDER BY n DESC, type LIMIT 3"""


@dataclass
class PassReport:
    at: datetime
    signals: int = 0
    started: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    stopped: int = 0
    steps_advanced: int = 0
    sent: int = 0
    reconciled: int = 0
    mail_read: int = 0
    cold_mail_scored: int = 0
    replies: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data


class Agent:
    def __init__(
        self,
        workspace: Workspace,
        *,
        transport_for: Callable[[Identity], Transport] | None = None,
        mailbox_for: Callable[[Identity], Mailbox] | None = None,
        event_store: EventStore | None = None,
    ) -> None:
        self.workspace = workspace
        self.events = event_store or open_event_store(workspace)
        self._make_transport = transport_for or (lambda identity: make_transport(workspace, identity))
        self._make_mailbox = mailbox_for or (lambda identity: make_mailbox(workspace, identity))
        self._transports: dict[str, Transport] = {}
        self._senders: dict[str, Sender] = {}

        self.playbook = load_playbook(workspace.root)
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.steps = StepRunner(
            workspace.db,
            workspace.settings,
            self.playbook,
            self.events,
            self.sender_for,
            self.usage_before,
            worker_id=self.worker_id,
            lease=timedelta(seconds=float(workspace.settings["run.lease_seconds"])),
        )
        self.actor = ReplyActor(workspace.settings, self.playbook, self.sender_for)
        self.judge = judge_from_settings(workspace.settings)
        self.outbox = Outbox(
            workspace.db,
            self.transport_for,
            self.steps.on_sent,
            workspace.clock.now,
            lease=timedelta(seconds=float(workspace.settings["run.send_lease_seconds"])),
            exclusive=workspace.db.dialect == "sqlite",  # SQLite runs one worker at a time
        )

    def transport_for(self, identity_id: str) -> Transport:
        if identity_id not in self._transports:
            # A plain read, not a write transaction: the outbox calls this inside one of its own.
            with self.workspace.db.session() as session:
                identity = session.get(Identity, identity_id)
                assert identity is not None
            self._transports[identity_id] = self._make_transport(identity)
        return self._transports[identity_id]

    def sender_for(self, session: Session, identity_id: str) -> Sender:
        if identity_id not in self._senders:
            identity = session.get(Identity, identity_id)
            assert identity is not None
            domain = identity.address.rsplit("@", 1)[1]
            keys = self.workspace.keys_dir
            signing = signing_keys(
                keys, identity.id, domain, identity.dkim_selector, identity.authorized_at, self.workspace.clock.now()
            )
            self._senders[identity_id] = Sender(
                identity=identity,
                dkim_key=signing[0],
                unsubscribe_url=self.workspace.settings["mail.unsubscribe_url"],
                unsubscribe_secret=unsubscribe_secret(keys),
                extra_keys=signing[1:],
            )
        return self._senders[identity_id]

    def usage_before(self, account_id: str, evidence: dict) -> tuple[tuple[str, int], ...]:
        """Return the account's most used event types in the window before the drop."""
        window = evidence.get("before_window")
        if not window:
            return ()
        start, split = (datetime.fromisoformat(text) for text in window)
        rows = self.events.query(USAGE_SQL, {"account_id": account_id, "start": start, "split": split})
        return tuple((str(kind), int(count)) for kind, count in rows)

    def run_once(self) -> PassReport:
        now = self.workspace.clock.now()
        report = PassReport(at=now)
        self._senders.clear()  # pick up rotated keys and changed identities each pass
        db, settings = self.workspace.db, self.workspace.settings

        report.reconciled = self.outbox.reconcile()

        signals = scan_playbook(self.events, settings, self.playbook, now)
        started = start_sequences(db, settings, self.playbook, signals, now)
        report.stopped = self.steps.sweep_stops(now)
        report.signals, report.started, report.skipped = started.signals, started.started, started.skipped

        report.steps_advanced = self.steps.advance_due(now)
        report.sent += self.outbox.deliver_pending()

        self._read_mail(now, report)
        report.cold_mail_scored = score_cold_mail(self.workspace).scored  # feeds negative_sentiment
        report.steps_advanced += self.steps.advance_due(now)
        report.sent += self.outbox.deliver_pending()

        log.info(
            "pass at %s: %d signals, %d started, %d steps, %d sent, %d read",
            now.isoformat(), report.signals, report.started, report.steps_advanced, report.sent, report.mail_read,
        )
        return report

    def _read_mail(self, now: datetime, report: PassReport) -> None:
        with self.workspace.db.transaction() as session:
            identities = active_identities(session)
        for identity in identities:
            with self._mailbox_lease(identity.id) as mine:
                if not mine:
                    continue  # another worker is reading this mailbox right now
                mailbox = self._make_mailbox(identity)
                inbox = read_mailbox(
                    self.workspace.db,
                    identity.id,
                    mailbox,
                    self.actor,
                    now,
                    max_bytes=int(self.workspace.settings["replies.max_message_bytes"]),
                    classify=self.judge.classify,
                )
            report.mail_read += inbox.read
            for verdict, count in inbox.by_verdict.items():
                report.replies[verdict] = report.replies.get(verdict, 0) + count

    @contextmanager
    def _mailbox_lease(self, identity_id: str) -> Iterator[bool]:
        """Let one worker at a time read an identity's mailbox (a PostgreSQL advisory lock).

        SQLite workspaces run a single worker, so there is nothing to share.
        """
        if self.workspace.db.dialect != "postgresql":
            yield True
            return
        key = int.from_bytes(hashlib.sha256(f"mailbox:{identity_id}".encode()).digest()[:8], "big", signed=True)
        with self.workspace.db.engine.connect() as connection:
            acquired = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
            try:
                yield acquired
            finally:
                if acquired:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})

    def run_forever(self, interval: float, stop: threading.Event) -> None:
        """Run passes every ``interval`` seconds until ``stop`` is set."""
        log.info("churnguard run started (interval %.0f s)", interval)
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:  # keep the worker alive; the next pass retries
                log.exception("pass failed; retrying after the interval")
            stop.wait(interval)
        log.info("churnguard run stopped")
