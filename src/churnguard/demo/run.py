"""Build a demo workspace, run the main job over simulated days, and summarise what happened."""

from __future__ import annotations

import mailbox as stdlib_mailbox
import random
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import func, select

from churnguard.agent import Agent
from churnguard.audit import verify
from churnguard.clock import FixedClock
from churnguard.demo import customers
from churnguard.demo.data import DemoAccount, make_accounts, make_payment_failure, make_usage
from churnguard.detect.eventstore import open_event_store
from churnguard.identity import NewIdentity
from churnguard.mail.maildir import maildir_path
from churnguard.setup_workspace import init_workspace
from churnguard.store.models import Account, Contact, Reply, Sequence, SignalRow, Touch
from churnguard.workspace import Workspace

START = date(2026, 3, 2)
AGENT = NewIdentity(
    id="alex-agent",
    csm_id="alex-csm",
    csm_name="Alex Morgan",
    csm_email="alex@csm.example.com",
    address="alex.agent@agent.example.com",
    authorized_by="admin",
    authorizer_name="Sam Lee",
    authorizer_email="sam@csm.example.com",
)


@dataclass
class DemoSummary:
    workspace: str
    accounts: int
    days: int
    signals: dict[str, int] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)
    messages_sent: dict[str, int] = field(default_factory=dict)
    replies: dict[str, int] = field(default_factory=dict)
    calls_offered: int = 0
    audit_entries: int = 0
    audit_ok: bool = False

    def to_text(self) -> str:
        def line(title: str, counts: dict[str, int]) -> str:
            parts = ", ".join(f"{name} {count}" for name, count in sorted(counts.items())) or "none"
            return f"{title:<16}{sum(counts.values()):>5}  ({parts})"

        return "\n".join(
            [
                f"churnguard demo: {self.accounts} accounts over {self.days} simulated days",
                f"workspace       {self.workspace}",
                line("signals", self.signals),
                line("sequences", self.sequences),
                line("messages sent", self.messages_sent),
                line("replies", self.replies),
                f"{'calls offered':<16}{self.calls_offered:>5}",
                f"{'audit log':<16}{self.audit_entries:>5}  entries, chain {'verified' if self.audit_ok else 'BROKEN'}",
            ]
        )


def run_demo(folder: Path, *, accounts: int = 60, days: int = 14, seed: int = 7) -> DemoSummary:
    """Create a fresh demo workspace in ``folder`` and simulate ``days`` days of the main job."""
    if folder.exists():
        shutil.rmtree(folder)
    rng = random.Random(seed)
    clock = FixedClock(datetime.combine(START, time(9, 0), timezone.utc))
    init_workspace(folder, AGENT, clock=clock, overrides={"company_name": "Example Analytics"})
    workspace = Workspace.open(folder, clock=clock)

    demo_accounts = make_accounts(accounts, START, rng)
    _load(workspace, demo_accounts, rng)
    behaviours = {a.id: customers.pick_behaviour(rng) for a in demo_accounts}

    agent = Agent(workspace)
    simulator = _Customers(workspace, demo_accounts, behaviours, rng)
    # The worker passes every 4 hours, so each contact's business hours come up every day
    # whatever their time zone; customers answer once a day.
    for _ in range(days):
        for slot in range(6):
            agent.run_once()
            clock.advance(timedelta(hours=4))
            if slot == 2:
                simulator.respond(clock.now())

    summary = _summarise(workspace, accounts, days)
    workspace.close()
    return summary


def _load(workspace: Workspace, demo_accounts: list[DemoAccount], rng: random.Random) -> None:
    events = []
    with workspace.db.transaction() as session:
        for item in demo_accounts:
            session.add(
                Account(
                    id=item.id, name=item.name, plan=item.plan, mrr_cents=item.mrr_cents, renewal_date=item.renewal,
                    owner_identity_id=AGENT.id, attributes={"source": "demo"},
                )
            )
            session.flush()
            for name, email, zone, main in item.contacts:
                session.add(Contact(account_id=item.id, email=email, name=name, timezone=zone, is_main=main))
            events += make_usage(item, START, 90, rng)
            if item.failed_payment:
                events.append(make_payment_failure(item, START))
    open_event_store(workspace).add(events)


class _Customers:
    """Simulated customers: each reads its mailbox for new agent mail and replies by its behaviour."""

    def __init__(self, workspace: Workspace, demo_accounts: list[DemoAccount], behaviours: dict[str, str], rng: random.Random) -> None:
        self.workspace = workspace
        self.rng = rng
        self.behaviour_by_address = {}
        for item in demo_accounts:
            for name, email, _zone, _main in item.contacts:
                self.behaviour_by_address[email] = (behaviours[item.id], name)
        self.answered: set[str] = set()
        self.agent_inbox = maildir_path(workspace.mail_root, AGENT.address)

    def respond(self, now: datetime) -> None:
        for address, (behaviour, name) in self.behaviour_by_address.items():
            folder = maildir_path(self.workspace.mail_root, address)
            if not folder.exists():
                continue
            for key, raw in stdlib_mailbox.Maildir(folder, create=False).iteritems():
                self._answer_one(bytes(raw), behaviour, name, now)

    def _answer_one(self, raw: bytes, behaviour: str, name: str, now: datetime) -> None:
        incoming = message_from_bytes(raw, policy=policy.default)
        assert isinstance(incoming, EmailMessage)
        message_id = str(incoming["Message-ID"])
        if message_id in self.answered or incoming.get_content_type() == "multipart/mixed" and "call" in str(incoming["Subject"]).lower():
            return
        self.answered.add(message_id)
        if behaviour == "save" and _is_call_offer(incoming):
            return
        reply = customers.answer(behaviour, incoming, name, now, self.rng)
        if reply is None:
            return
        inbox = stdlib_mailbox.Maildir(self.agent_inbox, create=True)
        inbox.add(reply)


def _is_call_offer(message: EmailMessage) -> bool:
    return any(part.get_content_type() == "text/calendar" for part in message.walk())


def _summarise(workspace: Workspace, accounts: int, days: int) -> DemoSummary:
    summary = DemoSummary(workspace=str(workspace.root), accounts=accounts, days=days)
    with workspace.db.transaction() as session:
        summary.signals = dict(session.execute(select(SignalRow.kind, func.count()).group_by(SignalRow.kind)).all())
        summary.sequences = {
            f"{state}:{reason}" if reason else state: count
            for state, reason, count in session.execute(
                select(Sequence.state, Sequence.stop_reason, func.count()).group_by(Sequence.state, Sequence.stop_reason)
            ).all()
        }
        summary.messages_sent = dict(
            session.execute(select(Touch.kind, func.count()).where(Touch.state == "sent").group_by(Touch.kind)).all()
        )
        summary.replies = dict(session.execute(select(Reply.verdict, func.count()).group_by(Reply.verdict)).all())
        summary.calls_offered = summary.messages_sent.get("call_offer", 0)
        result = verify(session)
        summary.audit_entries, summary.audit_ok = result.entries, result.ok
    return summary
